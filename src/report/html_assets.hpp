// What the HTML report embeds, generated at build time by cmake/embed_assets.cmake into
// build/generated/html_assets.cpp: the charting library (Chart.js from Debian's libjs-chart.js,
// when the build has plots) and the page's own script (src/report/html_page.js).
#pragma once

#include <cstddef>
#include <string_view>

namespace ctana::html_assets {

extern const bool kPlots;                 // the build embeds the charting library
extern const std::string_view kChartJs[];  // its text, in parts (each under the 64 KiB a literal may hold)
extern const std::size_t kChartJsParts;
extern const std::string_view kPageJs;     // src/report/html_page.js

}  // namespace ctana::html_assets
