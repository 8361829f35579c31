// The one time syntax of --start/--end/--stop and the zones of --tz (src/cli/time_arg.cpp).
#include "cli/time_arg.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace ctana::cli {
namespace {

constexpr std::int64_t kNs = 1'000'000'000;
// 2024-01-02T03:04:05Z
constexpr std::int64_t kT = 1704164645;

TimeArg parse(const std::string& s) {
  TimeArg t;
  std::string err;
  EXPECT_TRUE(parse_time_arg("--start", s, t, err)) << s << ": " << err;
  return t;
}

std::string error_of(const std::string& s) {
  TimeArg t;
  std::string err;
  EXPECT_FALSE(parse_time_arg("--end", s, t, err)) << s;
  return err;
}

TEST(TimeArg, IsoForms) {
  const Zone utc;
  for (const char* s : {"2024-01-02T03:04:05", "2024-01-02 03:04:05", "2024-01-02T03:04:05Z", "2024-01-02t03:04:05z",
                        "2024-01-02T04:04:05+01:00", "2024-01-02T04:04:05+0100", "2024-01-01T22:04:05-05:00",
                        "2024-01-02T03:04:05.000"}) {
    const TimeArg t = parse(s);
    EXPECT_EQ(t.kind, TimeArg::Kind::absolute) << s;
    EXPECT_EQ(resolve_time(t, 0, utc), kT * kNs) << s;
  }
  EXPECT_EQ(resolve_time(parse("2024-01-02T03:04"), 0, utc), (kT - 5) * kNs);
  EXPECT_EQ(resolve_time(parse("2024-01-02"), 0, utc), (kT - 3 * 3600 - 4 * 60 - 5) * kNs);
  EXPECT_EQ(resolve_time(parse("2024-01-02T03:04:05.25Z"), 0, utc), kT * kNs + 250'000'000);
  EXPECT_EQ(resolve_time(parse("2024-01-02T03:04:05.123456789Z"), 0, utc), kT * kNs + 123'456'789);
  EXPECT_EQ(resolve_time(parse("1970-01-01T00:00:00Z"), 0, utc), 0);
  EXPECT_EQ(resolve_time(parse("1969-12-31T23:59:59Z"), 0, utc), -kNs);
  EXPECT_EQ(resolve_time(parse("2000-02-29T00:00:00Z"), 0, utc), 951782400 * kNs);
  EXPECT_TRUE(parse("2024-01-02T03:04:05").wall);
  EXPECT_FALSE(parse("2024-01-02T03:04:05Z").wall);
}

TEST(TimeArg, EpochSeconds) {
  const Zone utc;
  EXPECT_EQ(resolve_time(parse("1704164645"), 0, utc), kT * kNs);
  EXPECT_EQ(resolve_time(parse("1704164645.5"), 0, utc), kT * kNs + 500'000'000);
  EXPECT_EQ(resolve_time(parse("0"), 0, utc), 0);
  // exact, no floating point rounding
  EXPECT_EQ(resolve_time(parse("1704164645.000000001"), 0, utc), kT * kNs + 1);
}

TEST(TimeArg, TimeOfDayOnTheFirstDay) {
  const Zone utc;
  const std::int64_t first = (kT + 3600) * kNs + 7;  // 2024-01-02T04:04:05Z
  const std::int64_t midnight = (kT - 3 * 3600 - 4 * 60 - 5) * kNs;
  EXPECT_EQ(parse("03:04:05").kind, TimeArg::Kind::time_of_day);
  EXPECT_EQ(resolve_time(parse("03:04:05"), first, utc), kT * kNs);  // before the first record: still that day
  EXPECT_EQ(resolve_time(parse("3:04"), first, utc), (kT - 5) * kNs);
  EXPECT_EQ(resolve_time(parse("00:00:00"), first, utc), midnight);
  EXPECT_EQ(resolve_time(parse("23:59:59.999999999"), first, utc), midnight + 86'400 * kNs - 1);
  EXPECT_EQ(resolve_time(parse("17:13:26.669454"), first, utc), midnight + (17 * 3600 + 13 * 60 + 26) * kNs + 669'454'000);
  // a first record before 1970 still finds its day
  EXPECT_EQ(resolve_time(parse("00:00:01"), -kNs, utc), -86'400 * kNs + kNs);
}

TEST(TimeArg, Relative) {
  const Zone utc;
  EXPECT_EQ(parse("+90").kind, TimeArg::Kind::relative);
  EXPECT_EQ(resolve_time(parse("+90"), kT * kNs, utc), (kT + 90) * kNs);
  EXPECT_EQ(resolve_time(parse("+0.25"), kT * kNs, utc), kT * kNs + 250'000'000);
  EXPECT_EQ(resolve_time(parse("+0"), 5, utc), 5);
}

TEST(TimeArg, WindowAcrossMidnight) {
  const Zone utc;
  const std::int64_t first = kT * kNs;
  std::int64_t s = 0, e = 0;
  resolve_window(parse("23:50"), parse("00:10"), first, utc, s, e);
  EXPECT_EQ(e - s, 20 * 60 * kNs);
  resolve_window(parse("01:00"), parse("02:00"), first, utc, s, e);
  EXPECT_EQ(e - s, 3600 * kNs);
  std::int64_t s2 = -1, e2 = -1;
  resolve_window(TimeArg{}, parse("+10"), first, utc, s2, e2);
  EXPECT_EQ(s2, -1);  // untouched
  EXPECT_EQ(e2, first + 10 * kNs);
}

TEST(TimeArg, Errors) {
  EXPECT_NE(error_of("").find("--end : not a time"), std::string::npos);
  for (const char* s : {"yesterday", "12", "+", "+1m", "1.2.3", "12:3", "12:30:", "2024-1-2", "2024-01-02T", "2024-01-02X",
                        "2024-01-02T03:04:05.1234567890", "1e9", "-5", "2024-01-02T03:04:05+25:00"}) {
    if (std::string(s) == "12") continue;  // epoch seconds
    const std::string e = error_of(s);
    EXPECT_EQ(e.rfind(std::string("--end ") + s + ":", 0), 0u) << e;
  }
  EXPECT_NE(error_of("25:00:00").find("the hour must be 0 to 23"), std::string::npos);
  EXPECT_NE(error_of("12:60").find("the minutes"), std::string::npos);
  EXPECT_NE(error_of("2024-13-01").find("the month"), std::string::npos);
  EXPECT_NE(error_of("2023-02-29").find("no such day"), std::string::npos);
  EXPECT_NE(error_of("nonsense").find("seconds since 1970"), std::string::npos);
}

TEST(Zone, FixedOffsets) {
  Zone z;
  std::string err;
  ASSERT_TRUE(Zone::parse("+02:00", z, err)) << err;
  EXPECT_EQ(z.offset_at(kT), 7200);
  EXPECT_EQ(z.name(), "UTC+02:00");
  ASSERT_TRUE(Zone::parse("-0530", z, err)) << err;
  EXPECT_EQ(z.offset_at(kT), -(5 * 3600 + 30 * 60));
  ASSERT_TRUE(Zone::parse("UTC", z, err));
  EXPECT_TRUE(z.utc());
  EXPECT_FALSE(Zone::parse("+25:00", z, err));
  EXPECT_FALSE(Zone::parse("Mars/Olympus_Mons", z, err));
  EXPECT_NE(err.find("--tz Mars/Olympus_Mons"), std::string::npos);
  EXPECT_FALSE(Zone::parse("../../etc/passwd", z, err));
}

TEST(Zone, WallClockTimesInAZone) {
  Zone plus2;
  std::string err;
  ASSERT_TRUE(Zone::parse("+02:00", plus2, err));
  // a time without a zone is read in the --tz zone; with one, as written
  EXPECT_EQ(resolve_time(parse("2024-01-02T05:04:05"), 0, plus2), kT * kNs);
  EXPECT_EQ(resolve_time(parse("2024-01-02T03:04:05Z"), 0, plus2), kT * kNs);
  // time of day on the first record's day in that zone: 23:30Z is already the 3rd at +02:00
  const std::int64_t first = (kT + 20 * 3600 + 25 * 60 + 55) * kNs;  // 2024-01-02T23:30:00Z
  EXPECT_EQ(resolve_time(parse("01:45"), first, plus2), first + 15 * 60 * kNs);
}

TEST(Zone, Tzdb) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin")) GTEST_SKIP() << "no zoneinfo";
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  Zone z;
  std::string err;
  ASSERT_TRUE(Zone::parse("Europe/Berlin", z, err)) << err;
  EXPECT_EQ(z.offset_at(kT), 3600);                 // January: CET
  EXPECT_EQ(z.offset_at(kT + 180 * 86'400), 7200);  // July: CEST
  // 2024-07-01 12:00 in Berlin is 10:00Z
  EXPECT_EQ(resolve_time(parse("2024-07-01T12:00:00"), 0, z), 1719828000 * kNs);
  if (old) ::setenv("TZ", saved.c_str(), 1); else ::unsetenv("TZ");
}

}  // namespace
}  // namespace ctana::cli
