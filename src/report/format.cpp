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

namespace {
std::function<std::int64_t(std::int64_t)>& text_zone() {
  static std::function<std::int64_t(std::int64_t)> offset;  // set once by the command line, before rendering
  return offset;
}
}  // namespace

void set_text_zone(std::function<std::int64_t(std::int64_t utc_s)> offset) { text_zone() = std::move(offset); }

std::int64_t text_zone_shift_ns(std::int64_t ns) {
  const auto& z = text_zone();
  if (!z) return 0;
  const std::int64_t s = ns / 1'000'000'000 - (ns % 1'000'000'000 < 0);
  return z(s) * 1'000'000'000;
}

std::string text_time(std::int64_t ns) {
  if (!text_zone()) return iso_time(ns);
  const std::int64_t shift = text_zone_shift_ns(ns);
  std::string s = iso_time(ns + shift);
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  const std::int64_t off = shift / 1'000'000'000, a = off < 0 ? -off : off;
  return s + fmt::format("{}{:02d}:{:02d}", off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
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

std::string human_duration(std::int64_t ns) {
  const double a = static_cast<double>(ns < 0 ? -ns : ns);
  const char* sign = ns < 0 ? "-" : "";
  if (a < 1e4) return fmt::format("{}{:.1f} us", sign, a / 1e3);
  if (a < 1e7) return fmt::format("{}{:.3f} ms", sign, a / 1e6);
  if (a < 1e9) return fmt::format("{}{:.1f} ms", sign, a / 1e6);
  return fmt::format("{}{:.3f} s", sign, a / 1e9);
}

std::string human_rate(std::int64_t bytes_per_s) {
  const double b = static_cast<double>(bytes_per_s);
  if (b < 1e3) return fmt::format("{} B/s", bytes_per_s);
  if (b < 1e6) return fmt::format("{:.1f} kB/s", b / 1e3);
  if (b < 1e9) return fmt::format("{:.2f} MB/s", b / 1e6);
  return fmt::format("{:.2f} GB/s", b / 1e9);
}

}  // namespace ctana
