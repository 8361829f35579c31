#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "ctana/bytes.hpp"
#include "ctana/packet.hpp"
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

TEST(Fixed, ReadsInsideTheCheckedLength) {
  const std::uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  const auto h = fixed<8>(Bytes(b, sizeof b), 1);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.u8<0>(), 0x02);
  EXPECT_EQ(h.be16<0>(), 0x0203);
  EXPECT_EQ(h.be24<1>(), 0x030405u);
  EXPECT_EQ(h.be32<4>(), 0x06070809u);
  EXPECT_EQ(h.le16<0>(), 0x0302);
  EXPECT_EQ(h.le32<4>(), 0x09080706u);
  const auto four = h.bytes<2, 4>();
  EXPECT_EQ(four[0], 0x04);
  EXPECT_EQ(four.size(), 4u);
  EXPECT_EQ(h.all().data(), b + 1);  // a view of the data, not a copy
  EXPECT_EQ(IpAddr::v4(four).str(), "4.5.6.7");
}

TEST(Fixed, OutOfBoundsGivesAnEmptyViewThatReadsZeros) {
  const std::uint8_t b[] = {0xff, 0xff, 0xff, 0xff};
  const Bytes all(b, sizeof b);
  EXPECT_TRUE(fixed<4>(all));
  EXPECT_FALSE(fixed<5>(all));             // one byte short
  EXPECT_FALSE(fixed<2>(all, 3));          // runs past the end
  EXPECT_TRUE(fixed<1>(all, 3));           // the last byte
  EXPECT_FALSE(fixed<1>(all, 4));          // just past the end
  EXPECT_FALSE(fixed<1>(all, SIZE_MAX));   // an offset that would wrap
  EXPECT_FALSE(fixed<4>(Bytes{}));
  const auto none = fixed<4>(all, 1);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.be32<0>(), 0u);  // zeros from a static buffer: never the 0xff bytes around
  EXPECT_EQ(none.u8<3>(), 0u);
  EXPECT_EQ(Fixed<16>{}.be32<12>(), 0u);
  EXPECT_FALSE(Fixed<16>{});
}

TEST(Fixed, RunTimeOffsetsAndRanges) {
  const std::uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
  const Bytes all(b, sizeof b);
  EXPECT_EQ(u8_at(all, 4), 0x9a);
  EXPECT_EQ(u8_at(all, 5), std::nullopt);
  EXPECT_EQ(be16_at(all, 3), 0x789a);
  EXPECT_EQ(be16_at(all, 4), std::nullopt);
  EXPECT_EQ(be24_at(all, 2), 0x56789au);
  EXPECT_EQ(be24_at(all, 3), std::nullopt);
  EXPECT_EQ(be32_at(all, 1), 0x3456789au);
  EXPECT_EQ(be32_at(all, 2), std::nullopt);
  EXPECT_EQ(be32_at(all, SIZE_MAX - 1), std::nullopt);

  ASSERT_TRUE(slice(all, 1, 4));
  EXPECT_EQ(slice(all, 1, 4)->data(), b + 1);
  EXPECT_EQ(slice(all, 1, 4)->size(), 4u);
  EXPECT_TRUE(slice(all, 5, 0));   // empty, at the end
  EXPECT_FALSE(slice(all, 2, 4));  // runs past the end
  EXPECT_FALSE(slice(all, 6, 0));  // starts past the end
  EXPECT_EQ(tail(all, 3).size(), 2u);
  EXPECT_EQ(tail(all, 9).size(), 0u);  // clamped, where subspan would be undefined
  EXPECT_EQ(tail(all, 9).data(), b + 5);
  EXPECT_EQ(head(all, 2).size(), 2u);
  EXPECT_EQ(head(all, 99).size(), 5u);
  EXPECT_EQ(as_bytes(std::string_view("\x01\x02", 2)).size(), 2u);
}

TEST(ByteReader, ViewsAndThreeByteReads) {
  const std::uint8_t b[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0xaa};
  ByteReader r{Bytes(b, sizeof b)};
  const auto peeked = r.peek<3>();
  ASSERT_TRUE(peeked);
  EXPECT_EQ(r.pos(), 0u);  // peek does not move
  const auto rec = r.fixed<3>();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec.u8<0>(), 0x16);
  EXPECT_EQ(r.pos(), 3u);
  EXPECT_FALSE(r.fixed<4>());  // 3 left: refused, cursor unchanged
  EXPECT_EQ(r.pos(), 3u);
  std::uint32_t v24 = 0;
  ASSERT_TRUE(r.u24(v24));
  EXPECT_EQ(v24, 0x0005aau);
  EXPECT_FALSE(r.u24(v24));
  EXPECT_FALSE(r.peek<1>());
}
