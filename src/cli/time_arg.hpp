// The one time syntax of every option that takes a time (--start, --end, --stop; docs/cli.md
// "Times"), and the zone of --tz.
//
//   2024-01-02T03:04:05[.f][Z|+hh:mm|-hh:mm]  ISO 8601 ('T' or a space; seconds optional; a date alone
//                                             is its midnight)
//   1704164645[.f]                            seconds since 1970-01-01 UTC
//   03:04[:05[.f]]                            a time of day on the day of the trace's first record
//   +90[.5]                                   seconds after the trace's first record
//
// ISO times without a zone and times of day are read in the --tz zone when one is given, else
// in UTC, so that a time copied from a report is read as it was shown.
#pragma once

#include <cstdint>
#include <string>

namespace ctana::cli {

// A zone for --tz: UTC (the default), the system's local zone ("local"), an IANA name
// ("Europe/Berlin", from the system's zoneinfo) or a fixed offset ("+02:00", "-0500").
class Zone {
 public:
  Zone() = default;
  // false with a message when `spec` is not a known zone.
  static bool parse(const std::string& spec, Zone& out, std::string& error);
  bool utc() const { return kind_ == Kind::utc; }
  const std::string& name() const { return name_; }
  // Seconds east of UTC at the instant `utc_s`.
  std::int64_t offset_at(std::int64_t utc_s) const;
  // The UTC instant (s) of a local wall-clock time (seconds since 1970 as if the zone were UTC).
  std::int64_t to_utc(std::int64_t local_s) const;

 private:
  enum class Kind { utc, fixed, tzdb };
  Kind kind_ = Kind::utc;
  std::string name_ = "UTC";
  std::int64_t fixed_s_ = 0;
};

struct TimeArg {
  enum class Kind { none, absolute, time_of_day, relative };
  Kind kind = Kind::none;
  std::int64_t ns = 0;  // absolute: UTC ns; time_of_day: ns since midnight; relative: ns after the first record
  bool wall = false;    // absolute, written without a zone: `ns` is a wall-clock time in the --tz zone
};

// Parses one time; false with a message ("--start 25:00: ...") naming `option`.
bool parse_time_arg(const std::string& option, const std::string& text, TimeArg& out, std::string& error);

// The UTC instant of `t` for a trace whose first record is at `first_ns`.
std::int64_t resolve_time(const TimeArg& t, std::int64_t first_ns, const Zone& zone);

// A window [start, end) from --start and --end (either may be none). When both are times of day
// and the end is not after the start, the end is on the next day (a window across midnight).
void resolve_window(const TimeArg& start, const TimeArg& end, std::int64_t first_ns, const Zone& zone,
                    std::int64_t& start_ns, std::int64_t& end_ns);

}  // namespace ctana::cli
