// Helpers shared by the text renderers (internal).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <utility>

namespace ctana::text {

// Control characters in `o` from `from` on (but line ends) become '?': names and texts taken
// from packets (FTP arguments, replies, interface names) must not drive the terminal.
inline void printable_from(std::string& o, std::size_t from) {
  for (std::size_t i = from; i < o.size(); ++i) {
    const auto c = static_cast<unsigned char>(o[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) o[i] = '?';
  }
}

// Appends one formatted line to `o`, without trailing blanks or control characters.
template <class... A>
void line(std::string& o, fmt::format_string<A...> f, A&&... a) {
  const std::size_t from = o.size();
  fmt::format_to(std::back_inserter(o), f, std::forward<A>(a)...);
  printable_from(o, from);
  while (!o.empty() && o.back() == ' ') o.pop_back();
  o += '\n';
}

std::string clock_time(std::int64_t ns);  // hh:mm:ss.uuuuuu in the zone of the text reports (--tz)
// `text` in lines of at most `width` characters, each indented by `indent` blanks.
std::string wrap(const std::string& text, std::size_t indent, std::size_t width);

}  // namespace ctana::text
