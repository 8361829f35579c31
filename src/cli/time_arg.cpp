#include "cli/time_arg.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace ctana::cli {

namespace {

constexpr std::int64_t kNs = 1'000'000'000;
constexpr std::int64_t kDay = 86'400;

// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// A cursor over the text with exact decimal reads.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // Exactly `n` digits (n > 0), or 1..max digits when n == 0.
  bool digits(std::int64_t& v, int n, int max = 18) {
    v = 0;
    int got = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && (n ? got < n : got < max)) {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++got;
    }
    return n ? got == n : got > 0;
  }
  // ".fffffffff" (1 to 9 digits) as nanoseconds; absent is 0.
  bool fraction(std::int64_t& ns) {
    ns = 0;
    if (!eat('.')) return true;
    int got = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (got == 9) return false;
      ns = ns * 10 + (s[i] - '0');
      ++i;
      ++got;
    }
    if (got == 0) return false;
    for (; got < 9; ++got) ns *= 10;
    return true;
  }
};

// "hh:mm[:ss[.f]]" at the cursor: nanoseconds since midnight.
bool clock(Cursor& c, std::int64_t& ns, std::string& why) {
  std::int64_t h = 0, m = 0, s = 0, f = 0;
  if (!c.digits(h, 0, 2) || !c.eat(':') || !c.digits(m, 2)) return false;
  if (c.eat(':') && (!c.digits(s, 2) || !c.fraction(f))) return false;
  if (h > 23) why = "the hour must be 0 to 23";
  else if (m > 59) why = "the minutes must be 0 to 59";
  else if (s > 60) why = "the seconds must be 0 to 60";
  ns = ((h * 60 + m) * 60 + s) * kNs + f;
  return true;
}

const char* const kForms =
    "give 2024-01-02T03:04:05[.f][Z|+hh:mm], seconds since 1970, hh:mm[:ss[.f]] on the trace's first day, "
    "or +SECONDS after its first record";

}  // namespace

bool Zone::parse(const std::string& spec, Zone& out, std::string& error) {
  Zone z;
  if (spec == "UTC" || spec == "utc" || spec == "Z" || spec == "GMT") {
    out = z;
    return true;
  }
  if (!spec.empty() && (spec[0] == '+' || spec[0] == '-')) {
    Cursor c{spec, 1};
    std::int64_t h = 0, m = 0;
    bool ok = c.digits(h, 0, 2);
    if (ok && !c.done()) {
      c.eat(':');
      ok = c.digits(m, 2);
    }
    if (!ok || !c.done() || h > 18 || m > 59) {
      error = fmt::format("--tz {}: not a zone (give local, UTC, a name such as Europe/Berlin, or +hh:mm)", spec);
      return false;
    }
    z.kind_ = Kind::fixed;
    z.fixed_s_ = (spec[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    z.name_ = fmt::format("UTC{}{:02d}:{:02d}", spec[0], h, m);
    out = z;
    return true;
  }
  if (spec == "local") {
    z.kind_ = Kind::tzdb;
    const char* tz = std::getenv("TZ");
    z.name_ = tz && *tz ? tz : "local";
    tzset();
    out = z;
    return true;
  }
  // an IANA name: it must be in the zoneinfo database (glibc would silently take UTC instead)
  const char* dir = std::getenv("TZDIR");
  const std::string base = dir && *dir ? dir : "/usr/share/zoneinfo";
  struct stat st {};
  const bool safe = !spec.empty() && spec[0] != '/' && spec.find("..") == std::string::npos &&
                    spec.find_first_of(" \t,") == std::string::npos;
  if (!safe || ::stat((base + "/" + spec).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = fmt::format("--tz {}: no such time zone in {} (give local, UTC, a name such as Europe/Berlin, or +hh:mm)",
                        spec, base);
    return false;
  }
  ::setenv("TZ", spec.c_str(), 1);
  tzset();
  z.kind_ = Kind::tzdb;
  z.name_ = spec;
  out = z;
  return true;
}

std::int64_t Zone::offset_at(std::int64_t utc_s) const {
  if (kind_ == Kind::utc) return 0;
  if (kind_ == Kind::fixed) return fixed_s_;
  const std::time_t t = static_cast<std::time_t>(utc_s);
  std::tm tm{};
  if (!localtime_r(&t, &tm)) return 0;
  return tm.tm_gmtoff;
}

std::int64_t Zone::to_utc(std::int64_t local_s) const {
  if (kind_ == Kind::utc) return local_s;
  if (kind_ == Kind::fixed) return local_s - fixed_s_;
  // the offset at the guessed instant, then once more at the corrected one (a DST change)
  std::int64_t u = local_s - offset_at(local_s);
  u = local_s - offset_at(u);
  return u;
}

bool parse_time_arg(const std::string& option, const std::string& text, TimeArg& out, std::string& error) {
  out = {};
  auto fail = [&](const std::string& why) {
    error = fmt::format("{} {}: {}", option, text, why.empty() ? fmt::format("not a time ({})", kForms) : why);
    return false;
  };
  if (text.empty()) return fail("");
  Cursor c{text};
  std::string why;
  if (c.eat('+')) {  // +SECONDS[.f]
    std::int64_t s = 0, f = 0;
    if (!c.digits(s, 0, 12) || !c.fraction(f) || !c.done()) return fail("");
    out.kind = TimeArg::Kind::relative;
    out.ns = s * kNs + f;
    return true;
  }
  const auto colon = text.find(':');
  const auto dash = text.find('-');
  if (dash == std::string::npos && colon == std::string::npos) {  // seconds since 1970
    std::int64_t s = 0, f = 0;
    if (!c.digits(s, 0, 12) || !c.fraction(f) || !c.done()) return fail("");
    out.kind = TimeArg::Kind::absolute;
    out.ns = s * kNs + f;
    return true;
  }
  if (dash == std::string::npos) {  // hh:mm[:ss[.f]]
    std::int64_t ns = 0;
    if (!clock(c, ns, why) || !c.done()) return fail("");
    if (!why.empty()) return fail(why);
    out.kind = TimeArg::Kind::time_of_day;
    out.ns = ns;
    return true;
  }
  // ISO 8601: YYYY-MM-DD[(T| )hh:mm[:ss[.f]]][Z|(+|-)hh[:]mm]
  std::int64_t y = 0, mo = 0, d = 0, tod = 0;
  if (!c.digits(y, 4) || !c.eat('-') || !c.digits(mo, 2) || !c.eat('-') || !c.digits(d, 2)) return fail("");
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12) return fail("the month must be 01 to 12");
  if (d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return fail("no such day in that month");
  if (c.eat('T') || c.eat('t') || c.eat(' ')) {
    if (!clock(c, tod, why)) return fail("");
    if (!why.empty()) return fail(why);
  }
  bool zoned = false;
  std::int64_t offset_s = 0;
  if (c.eat('Z') || c.eat('z')) {
    zoned = true;
  } else if (!c.done() && (text[c.i] == '+' || text[c.i] == '-')) {
    const int sign = text[c.i] == '-' ? -1 : 1;
    ++c.i;
    std::int64_t oh = 0, om = 0;
    if (!c.digits(oh, 2)) return fail("");
    c.eat(':');
    if (!c.done() && !c.digits(om, 2)) return fail("");
    if (oh > 18 || om > 59) return fail("the zone offset must be -18:00 to +18:00");
    zoned = true;
    offset_s = sign * (oh * 3600 + om * 60);
  }
  if (!c.done()) return fail("");
  out.kind = TimeArg::Kind::absolute;
  out.ns = (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kDay - offset_s) * kNs + tod;
  out.wall = !zoned;
  return true;
}

std::int64_t resolve_time(const TimeArg& t, std::int64_t first_ns, const Zone& zone) {
  switch (t.kind) {
    case TimeArg::Kind::none:
      return 0;
    case TimeArg::Kind::relative:
      return first_ns + t.ns;
    case TimeArg::Kind::absolute: {
      if (!t.wall || zone.utc()) return t.ns;
      const std::int64_t s = floor_div(t.ns, kNs);
      return zone.to_utc(s) * kNs + (t.ns - s * kNs);
    }
    case TimeArg::Kind::time_of_day: {
      const std::int64_t first_s = floor_div(first_ns, kNs);
      const std::int64_t local_day = floor_div(first_s + zone.offset_at(first_s), kDay) * kDay;
      const std::int64_t s = floor_div(t.ns, kNs);
      return zone.to_utc(local_day + s) * kNs + (t.ns - s * kNs);
    }
  }
  return 0;
}

void resolve_window(const TimeArg& start, const TimeArg& end, std::int64_t first_ns, const Zone& zone,
                    std::int64_t& start_ns, std::int64_t& end_ns) {
  if (start.kind != TimeArg::Kind::none) start_ns = resolve_time(start, first_ns, zone);
  if (end.kind != TimeArg::Kind::none) end_ns = resolve_time(end, first_ns, zone);
  if (start.kind == TimeArg::Kind::time_of_day && end.kind == TimeArg::Kind::time_of_day && end_ns <= start_ns)
    end_ns += kDay * kNs;
}

}  // namespace ctana::cli
