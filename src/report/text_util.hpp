// Helpers shared by the text renderers (internal).
#pragma once

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <utility>

namespace ctana::text {

// Appends one formatted line to `o`, without trailing blanks.
template <class... A>
void line(std::string& o, fmt::format_string<A...> f, A&&... a) {
  fmt::format_to(std::back_inserter(o), f, std::forward<A>(a)...);
  while (!o.empty() && o.back() == ' ') o.pop_back();
  o += '\n';
}

}  // namespace ctana::text
