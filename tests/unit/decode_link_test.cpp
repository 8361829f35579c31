// Link layers: Ethernet with VLAN tags, Linux cooked v1/v2, BSD loopback, raw IP.
#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ctana;
using ctana::test::decode_hex;

namespace {
const std::string kIp = "45000028 00004000 3E015914 092A6947 092A6826 08005592 0B3F0000 AEBCDB3D 03340A00 00000000";
const std::string kMacs = "020000000001 020000000002";
}  // namespace

TEST(Ethernet, VlanAndQinQ) {
  auto one = decode_hex(kMacs + "8100 0064 0800" + kIp, linktype::ethernet);
  EXPECT_FALSE(one.pkt.problem.what);
  EXPECT_EQ(one.pkt.vlan_depth, 1);
  EXPECT_EQ(one.pkt.vlan[0], 100);
  EXPECT_EQ(one.pkt.l4, L4::icmp);
  auto qinq = decode_hex(kMacs + "88A8 00C8 8100 012C 0800" + kIp, linktype::ethernet);
  EXPECT_EQ(qinq.pkt.vlan_depth, 2);
  EXPECT_EQ(qinq.pkt.vlan[0], 200);
  EXPECT_EQ(qinq.pkt.vlan[1], 300);
  EXPECT_EQ(qinq.pkt.l3_offset, 22u);
  EXPECT_EQ(qinq.pkt.l4, L4::icmp);
  auto cut = decode_hex(kMacs + "8100 00", linktype::ethernet);
  EXPECT_TRUE(cut.pkt.malformed());
}

TEST(Ethernet, ArpAndOtherEthertypes) {
  auto arp = decode_hex(kMacs + "0806 0001 0800 0604 0001", linktype::ethernet);
  EXPECT_EQ(arp.pkt.l3, L3::arp);
  auto lldp = decode_hex(kMacs + "88CC 0207 0400", linktype::ethernet);
  EXPECT_EQ(lldp.pkt.l3, L3::other);
  EXPECT_EQ(lldp.pkt.ethertype, 0x88cc);
  auto llc = decode_hex(kMacs + "0026 4242 0300", linktype::ethernet);
  EXPECT_EQ(llc.pkt.l3, L3::other);
  EXPECT_EQ(llc.pkt.ethertype, 0);
}

TEST(Ethernet, MplsCarryingIpv4) {
  auto d = decode_hex(kMacs + "8847 00064140" + kIp, linktype::ethernet);  // label 100, S=1, TTL 64
  EXPECT_FALSE(d.pkt.problem.what);
  EXPECT_EQ(d.pkt.l4, L4::icmp);
}

TEST(LinuxCooked, Sll1GivesDirection) {
  auto out = decode_hex("0004 0001 0006 020000000001 0000 0800" + kIp, linktype::linux_sll);
  EXPECT_EQ(out.pkt.dir, Direction::out);
  EXPECT_EQ(out.pkt.l4, L4::icmp);
  auto in = decode_hex("0000 0001 0006 020000000001 0000 0800" + kIp, linktype::linux_sll);
  EXPECT_EQ(in.pkt.dir, Direction::in);
}

TEST(LinuxCooked, Sll2) {
  auto d = decode_hex("0800 0000 00000002 0001 04 06 020000000001 0000" + kIp, linktype::linux_sll2);
  EXPECT_FALSE(d.pkt.problem.what);
  EXPECT_EQ(d.pkt.dir, Direction::out);
  EXPECT_EQ(d.pkt.l3_offset, 20u);
  EXPECT_EQ(d.pkt.l4, L4::icmp);
}

TEST(BsdLoopback, NullIsHostOrderLoopIsNetworkOrder) {
  auto null_le = decode_hex("02000000" + kIp, linktype::null);
  EXPECT_EQ(null_le.pkt.l3, L3::ipv4);
  auto null_be = decode_hex("00000002" + kIp, linktype::null);  // written by a big-endian host
  EXPECT_EQ(null_be.pkt.l3, L3::ipv4);
  auto loop = decode_hex("00000002" + kIp, linktype::loop);
  EXPECT_EQ(loop.pkt.l3, L3::ipv4);
  for (const char* af : {"18000000", "1C000000", "1E000000", "0A000000"}) {  // 24, 28, 30, 10
    auto v6 = decode_hex(std::string(af) +
                             "60000000 00083A40 00000000000000000000000000000001 00000000000000000000000000000001"
                             "80007FB9 00010001",
                         linktype::null);
    EXPECT_EQ(v6.pkt.l3, L3::ipv6) << af;
    EXPECT_EQ(v6.pkt.l4, L4::icmpv6) << af;
  }
}

TEST(Decode, EveryPrefixOfAPacketIsSafe) {
  // Every cut of a VLAN-tagged TCP SYN decodes without reading past the end (ASan checks the
  // "without"; here: a problem is recorded for every cut that loses a header byte).
  const auto full = ctana::test::hex(kMacs + "8100 0064 0800"
                                     "45000034 AD044000 400623F2 89482B6E 89482BCF"
                                     "6E690015 55C6AF34 00000000 8002FFFE 91D20000 020405B4 01030300 01010402");
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    Record r = ctana::test::make_record(cut, linktype::ethernet, static_cast<std::uint32_t>(full.size()));
    Packet p;
    decode(r, p);
    EXPECT_TRUE(p.truncated()) << "cut at " << n;
  }
}

TEST(Ethernet, RarpCountsAsArp) {
  auto d = decode_hex(kMacs + "8035 0001 0800 0604 0003", linktype::ethernet);
  EXPECT_EQ(d.pkt.l3, L3::arp);
}
