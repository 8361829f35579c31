// IPv4 / IPv6 decoding, checked against IBM's IPCS decodes of real z/OS packets
// (../shared/spec/ctrace-format.md section 11) and malformed variants of them.
#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ctana;
using ctana::test::decode_hex;

namespace {
// TV1: TCP SYN 137.72.43.110:28265 -> 137.72.43.207:21, as IPCS printed it.
const char* kTv1 =
    "45000034 AD044000 400623F2 89482B6E 89482BCF"
    "6E690015 55C6AF34 00000000 8002FFFE 91D20000 020405B4 01030300 01010402";
}  // namespace

TEST(Ipv4, IbmVectorTv1DecodesAsIpcsPrintedIt) {
  auto d = decode_hex(kTv1, linktype::raw);
  const Packet& p = d.pkt;
  EXPECT_FALSE(p.problem.what) << p.problem.what;
  EXPECT_EQ(p.l3, L3::ipv4);
  EXPECT_EQ(p.ip_len, 52u);
  EXPECT_EQ(p.ip_id, 0xAD04u);
  EXPECT_TRUE(p.dont_fragment);
  EXPECT_FALSE(p.fragment);
  EXPECT_EQ(p.ttl, 64);
  EXPECT_EQ(p.ip_proto, 6);
  EXPECT_EQ(p.ip_checksum, Csum::good);  // 23F2 valid
  EXPECT_EQ(p.src.str(), "137.72.43.110");
  EXPECT_EQ(p.dst.str(), "137.72.43.207");
  // the TCP part of the same IPCS decode
  EXPECT_EQ(p.l4, L4::tcp);
  EXPECT_EQ(p.tcp.sport, 28265);
  EXPECT_EQ(p.tcp.dport, 21);
  EXPECT_EQ(p.tcp.seq, 1439084340u);
  EXPECT_EQ(p.tcp.ack, 0u);
  EXPECT_EQ(p.tcp.header_len, 32);
  EXPECT_EQ(p.tcp.flags, tcpflag::syn);
  EXPECT_EQ(p.tcp.window, 65534);
  EXPECT_EQ(p.tcp.checksum, Csum::good);  // 91D2 valid
  EXPECT_TRUE(p.tcp.has_mss);
  EXPECT_EQ(p.tcp.mss, 1460);
  EXPECT_TRUE(p.tcp.has_wscale);
  EXPECT_EQ(p.tcp.wscale, 0);
  EXPECT_TRUE(p.tcp.sack_permitted);
  EXPECT_FALSE(p.tcp.has_timestamps);
  EXPECT_EQ(p.payload_len, 0u);
}

TEST(Ipv4, SameVectorOverLinktypeIpv4AndEthernet) {
  auto a = decode_hex(kTv1, linktype::ipv4);
  EXPECT_EQ(a.pkt.tcp.sport, 28265);
  auto e = decode_hex(std::string("020000000001 020000000002 0800") + kTv1 + "000000000000", linktype::ethernet);
  EXPECT_FALSE(e.pkt.problem.what);
  EXPECT_EQ(e.pkt.ethertype, 0x0800);
  EXPECT_EQ(e.pkt.l3_offset, 14u);
  EXPECT_EQ(e.pkt.ip_len, 52u);       // Ethernet padding is not part of the packet
  EXPECT_EQ(e.pkt.payload.size(), 0u);
  EXPECT_EQ(e.pkt.tcp.checksum, Csum::good);
}

TEST(Ipv4, BadHeaderChecksumIsCountedNotMalformed) {
  auto d = decode_hex("45000034 AD044000 400623F3 89482B6E 89482BCF"
                      "6E690015 55C6AF34 00000000 8002FFFE 91D20000 020405B4 01030300 01010402",
                      linktype::raw);
  EXPECT_EQ(d.pkt.ip_checksum, Csum::bad);
  EXPECT_FALSE(d.pkt.problem.what);
  EXPECT_EQ(d.pkt.l4, L4::tcp);
}

TEST(Ipv4, IhlBelowFiveIsMalformedAtTheVersionByte) {
  auto d = decode_hex("44000034 AD044000 400623F2 89482B6E 89482BCF 00000000", linktype::raw);
  EXPECT_TRUE(d.pkt.malformed());
  EXPECT_EQ(d.pkt.problem.layer, Layer::ipv4);
  EXPECT_EQ(d.pkt.problem.offset, 0u);
  EXPECT_EQ(d.pkt.l3, L3::ipv4);  // still counted as IPv4, as tshark does
}

TEST(Ipv4, TotalLengthBeyondFrameIsMalformedUnlessSnapped) {
  // TV2 (ICMP echo, 40 bytes) with total length raised to 0x50 = 80.
  const char* hdr = "45000050 00004000 3E015914 092A6947 092A6826 08005592 0B3F0000 AEBCDB3D 03340A00 00000000";
  auto full = decode_hex(hdr, linktype::raw);
  EXPECT_TRUE(full.pkt.malformed());
  EXPECT_EQ(full.pkt.problem.offset, 2u);
  auto snapped = decode_hex(hdr, linktype::raw, 80);
  EXPECT_FALSE(snapped.pkt.malformed());
  EXPECT_EQ(snapped.pkt.l4, L4::icmp);
}

TEST(Ipv4, TruncatedHeaderInSnappedCaptureIsTruncation) {
  auto d = decode_hex("45000034 AD044000 4006", linktype::raw, 52);
  EXPECT_TRUE(d.pkt.truncated());
  EXPECT_FALSE(d.pkt.malformed());
  auto m = decode_hex("45000034 AD044000 4006", linktype::raw);
  EXPECT_TRUE(m.pkt.malformed());
}

TEST(Ipv4, OptionsAreValidated) {
  // Router Alert (94 04 0000) + NOP NOP EOL EOL = 8 bytes of options, IHL 7.
  auto ok = decode_hex("47000024 00010000 40110000 0A000001 0A000002 94040000 01010000"
                       "10001000 00080000", linktype::raw);
  EXPECT_FALSE(ok.pkt.problem.what) << ok.pkt.problem.what;
  EXPECT_EQ(ok.pkt.l4, L4::udp);
  // An option whose length runs past the header.
  auto bad = decode_hex("46000020 00010000 40110000 0A000001 0A000002 940A0000"
                        "10001000 000C0000 00000000", linktype::raw);
  EXPECT_TRUE(bad.pkt.malformed());
  EXPECT_EQ(bad.pkt.problem.offset, 20u);
}

TEST(Ipv4, FragmentsAreRecognised) {
  // First fragment (MF, offset 0) of a UDP datagram: ports decode, no length/checksum check.
  auto first = decode_hex("45000024 22222000 40110000 C0000201 C6336414 D4310035 00641234 AAAAAAAA AAAAAAAA",
                          linktype::raw);
  EXPECT_TRUE(first.pkt.fragment);
  EXPECT_TRUE(first.pkt.more_fragments);
  EXPECT_EQ(first.pkt.frag_offset, 0);
  EXPECT_EQ(first.pkt.l4, L4::udp);
  EXPECT_EQ(first.pkt.udp.dport, 53);
  EXPECT_FALSE(first.pkt.problem.what);
  EXPECT_EQ(first.pkt.udp.checksum, Csum::unchecked);
  // Later fragment (offset 16 bytes): no transport layer.
  auto later = decode_hex("45000024 22220002 40110000 C0000201 C6336414 AAAAAAAA AAAAAAAA AAAAAAAA AAAAAAAA",
                          linktype::raw);
  EXPECT_TRUE(later.pkt.fragment);
  EXPECT_FALSE(later.pkt.more_fragments);
  EXPECT_EQ(later.pkt.frag_offset, 16);
  EXPECT_EQ(later.pkt.l4, L4::none);
  EXPECT_EQ(later.pkt.payload.size(), 16u);
}

TEST(Ipv4, VersionMismatchOnRawLinkIsNotIp) {
  auto d = decode_hex("55000034 AD044000", linktype::raw);
  EXPECT_TRUE(d.pkt.malformed());
  EXPECT_EQ(d.pkt.l3, L3::other);
}

TEST(Ipv6, ExtensionHeaderChainToTcp) {
  // Hop-by-hop (8 bytes) -> destination options (8 bytes) -> TCP SYN with no options.
  auto d = decode_hex(
      "60000000 00240040 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "3C000000 00000000"   // HBH: next = 60 (dest opts), len 0, PadN
      "06000000 00000000"   // dest opts: next = TCP
      "C0000050 00000001 00000000 50022000 00000000",
      linktype::raw);
  EXPECT_FALSE(d.pkt.problem.what) << d.pkt.problem.what;
  EXPECT_EQ(d.pkt.l3, L3::ipv6);
  EXPECT_EQ(d.pkt.ip_proto, 6);
  EXPECT_EQ(d.pkt.l4, L4::tcp);
  EXPECT_EQ(d.pkt.l4_offset, 56u);
  EXPECT_EQ(d.pkt.tcp.dport, 80);
  EXPECT_EQ(d.pkt.ttl, 64);
  EXPECT_EQ(d.pkt.src.str(), "2001:db8::1");
}

TEST(Ipv6, FragmentHeader) {
  auto first = decode_hex(
      "60000000 00182C40 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "11000001 12345678"  // fragment header: next UDP, offset 0, M=1, id 0x12345678
      "D4310035 00300000 AAAAAAAA AAAAAAAA",
      linktype::raw);
  EXPECT_FALSE(first.pkt.problem.what) << first.pkt.problem.what;
  EXPECT_TRUE(first.pkt.fragment);
  EXPECT_EQ(first.pkt.ip_id, 0x12345678u);
  EXPECT_EQ(first.pkt.l4, L4::udp);
  EXPECT_EQ(first.pkt.udp.dport, 53);
  auto second = decode_hex(
      "60000000 00102C40 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "11000010 12345678 AAAAAAAA AAAAAAAA",
      linktype::raw);
  EXPECT_TRUE(second.pkt.fragment);
  EXPECT_EQ(second.pkt.frag_offset, 16);
  EXPECT_EQ(second.pkt.l4, L4::none);
}

TEST(Ipv6, ExtensionHeaderPastPayloadLengthIsMalformed) {
  auto d = decode_hex(
      "60000000 00080040 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "06020000 00000000",  // HBH claiming 24 bytes in an 8-byte payload
      linktype::raw);
  EXPECT_TRUE(d.pkt.malformed());
  EXPECT_EQ(d.pkt.problem.offset, 40u);
}

TEST(Ipv6, PayloadLengthBeyondFrameIsMalformed) {
  auto d = decode_hex(
      "60000000 03E80640 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "C0000050 00000001 00000000 50022000 00000000",
      linktype::raw);
  EXPECT_TRUE(d.pkt.malformed());
  EXPECT_EQ(d.pkt.problem.layer, Layer::ipv6);
}

TEST(Ipv6, BadVersionIsNotCountedAsIpv6) {
  auto d = decode_hex("020000000001 020000000002 86DD"
                      "50000000 00083A40 00000000000000000000000000000001 00000000000000000000000000000001"
                      "80007FB9 00010001",
                      linktype::ethernet);
  EXPECT_TRUE(d.pkt.malformed());
  EXPECT_EQ(d.pkt.l3, L3::other);
}

TEST(Ipv6, AtomicFragmentIsAFragmentWithItsTransport) {
  auto d = decode_hex(
      "60000000 00182C40 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "11000000 00000001"  // fragment header: offset 0, M = 0
      "D4310035 00100000 AAAAAAAA AAAAAAAA",
      linktype::raw);
  EXPECT_FALSE(d.pkt.problem.what) << d.pkt.problem.what;
  EXPECT_TRUE(d.pkt.fragment);
  EXPECT_EQ(d.pkt.l4, L4::udp);
  EXPECT_EQ(d.pkt.udp.length, 16);  // length is checked: the whole datagram is here
}

TEST(Ipv6, ChecksumUsesTheRoutingHeadersFinalDestination) {
  // UDP from 2001:db8::1 to 2001:db8::2 via a type 0 routing header whose last (final) address
  // is 2001:db8::3 with one segment left. The checksum was computed with ::3 (RFC 8200 8.1).
  const std::string hdr =
      "60000000 00202B40 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "11020001 00000000 20010db8000000000000000000000003";
  // checksum: pseudo header (::1, ::3, len 8, nh 17) + UDP 1000 1000 0008 xxxx
  auto d = decode_hex(hdr + "10001000 0008" "8468", linktype::raw);
  EXPECT_FALSE(d.pkt.problem.what) << d.pkt.problem.what;
  EXPECT_EQ(d.pkt.final_dst.str(), "2001:db8::3");
  EXPECT_EQ(d.pkt.udp.checksum, Csum::good);
}
