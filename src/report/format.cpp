#include <fmt/format.h>

#include <ctime>

#include "ctana/render.hpp"

namespace ctana {

std::string iso_time(std::int64_t ns) {
  std::int64_t sec = ns / 1'000'000'000;
  std::int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --sec;
  }
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(sec);
  if (!gmtime_r(&t, &tm)) return fmt::format("{}.{:09d}", sec, frac);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string group_digits(std::uint64_t v) {
  char buf[32];
  char* p = buf + sizeof buf;
  int digits = 0;
  do {
    if (digits && digits % 3 == 0) *--p = ',';
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
    ++digits;
  } while (v);
  return std::string(p, buf + sizeof buf);
}

std::string seconds(std::int64_t ns) {
  const char* sign = ns < 0 ? "-" : "";
  const std::uint64_t a = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  return fmt::format("{}{}.{:09d}", sign, a / 1'000'000'000, a % 1'000'000'000);
}

}  // namespace ctana
