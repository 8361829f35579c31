// Renderers: report model -> text for people, JSON for machines. No metric is computed here.
#pragma once

#include <cstdint>
#include <string>

#include "ctana/report.hpp"

namespace ctana {

std::string render_summary_text(const SummaryReport& r);
std::string render_summary_json(const SummaryReport& r);
// The CTRACE part (empty / "null" unless the input was CTRACE); used by the two above.
std::string render_ctrace_text(const SummaryReport& r);
std::string render_ctrace_json(const SummaryReport& r);

// Helpers shared by the renderers.
std::string iso_time(std::int64_t ns);        // 2024-01-02T03:04:05.123456789Z
std::string group_digits(std::uint64_t v);     // 1,234,567
std::string seconds(std::int64_t ns);          // 1.234567890 (no unit)

inline constexpr int kSchemaVersion = 1;

}  // namespace ctana
