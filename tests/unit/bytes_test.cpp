#include <gtest/gtest.h>

#include "ctana/bytes.hpp"
#include "ctana/render.hpp"

using namespace ctana;

TEST(ByteReader, ReadsBigEndianAndRefusesToOverrun) {
  const std::uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
  ByteReader r{Bytes(b, sizeof b)};
  std::uint16_t v16 = 0;
  std::uint32_t v32 = 0;
  ASSERT_TRUE(r.u16(v16));
  EXPECT_EQ(v16, 0x1234);
  EXPECT_FALSE(r.u32(v32));  // only 3 left: refused, cursor unchanged
  EXPECT_EQ(r.pos(), 2u);
  std::uint8_t v8 = 0;
  ASSERT_TRUE(r.u8(v8));
  EXPECT_EQ(v8, 0x56);
  ASSERT_TRUE(r.u16(v16));
  EXPECT_EQ(v16, 0x789a);
  EXPECT_FALSE(r.u8(v8));
  EXPECT_FALSE(r.skip(1));
  EXPECT_TRUE(r.skip(0));
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 sums to ddf2 (complement 220d).
  const std::uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_add(0, Bytes(b, sizeof b))), 0x220d);
}

TEST(Format, GroupsDigitsAndFormatsTime) {
  EXPECT_EQ(group_digits(0), "0");
  EXPECT_EQ(group_digits(999), "999");
  EXPECT_EQ(group_digits(1000), "1,000");
  EXPECT_EQ(group_digits(18446744073709551615ull), "18,446,744,073,709,551,615");
  EXPECT_EQ(iso_time(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(iso_time(1704164645123456789), "2024-01-02T03:04:05.123456789Z");
  EXPECT_EQ(iso_time(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(seconds(1'500'000'000), "1.500000000");
  EXPECT_EQ(seconds(-1), "-0.000000001");
}
