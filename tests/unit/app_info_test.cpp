// The application column of records and flow (application_info): one packet, decoded alone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/records.hpp"
#include "test_util.hpp"

namespace ctana {
namespace {

// application_info of a TCP segment 10.0.0.1:40000 -> 10.0.0.2:port (or back) with this payload.
std::string tcp_info(const std::string& payload, std::uint16_t port, bool back = false) {
  const auto bytes = test::tcp_packet(1000, tcpflag::ack | tcpflag::psh, payload, back, port);
  Record r = test::make_record(bytes, linktype::raw);
  Packet p;
  decode(r, p);
  return application_info(p);
}

// ... of a UDP datagram 10.0.0.1:sport -> 10.0.0.2:dport.
std::string udp_info(const std::vector<std::uint8_t>& payload, std::uint16_t sport, std::uint16_t dport) {
  auto b = test::hex("45000000 00010000 40110000 0A000001 0A000002 00000000 00000000");
  b[20] = static_cast<std::uint8_t>(sport >> 8), b[21] = static_cast<std::uint8_t>(sport);
  b[22] = static_cast<std::uint8_t>(dport >> 8), b[23] = static_cast<std::uint8_t>(dport);
  b.insert(b.end(), payload.begin(), payload.end());
  b[2] = static_cast<std::uint8_t>(b.size() >> 8), b[3] = static_cast<std::uint8_t>(b.size());
  const std::size_t ul = b.size() - 20;
  b[24] = static_cast<std::uint8_t>(ul >> 8), b[25] = static_cast<std::uint8_t>(ul);
  Record r = test::make_record(b, linktype::raw);
  Packet p;
  decode(r, p);
  return application_info(p);
}

std::string bytes(const std::string& hexbytes) {
  const auto b = test::hex(hexbytes);
  return {b.begin(), b.end()};
}

TEST(ApplicationInfo, FtpCommandsAndRepliesWithThePasswordMasked) {
  EXPECT_EQ(tcp_info("USER alice\r\n", 21), "FTP USER alice");
  EXPECT_EQ(tcp_info("PASS s3cret\r\n", 21), "FTP PASS ****");
  EXPECT_EQ(tcp_info("acct billing\r\n", 21), "FTP ACCT ****");
  EXPECT_EQ(tcp_info("230-Welcome\r\n230 Login successful.\r\n", 21, true), "FTP 230-Welcome (+1 line)");
  EXPECT_EQ(tcp_info("550 No such file.\r\n", 21, true), "FTP 550 No such file.");
  // the rest of a reply split over segments is not taken for a new reply
  EXPECT_EQ(tcp_info(" second line of a long reply\r\n", 21, true), "FTP reply continued");
}

TEST(ApplicationInfo, TextFromThePacketIsPrintableAndBounded) {
  const std::string info = tcp_info("USER a\x1b[31mb\x07\r\n", 21);
  EXPECT_EQ(info, "FTP USER a.[31mb.");
  const std::string longname = tcp_info("RETR " + std::string(500, 'x') + "\r\n", 21);
  EXPECT_LT(longname.size(), 120u);
  EXPECT_EQ(longname.substr(longname.size() - 3), "...");
  const std::string dns_hostile = udp_info(test::hex("1a2b 8180 0001 0000 0000 0000 04 1b5b3141 00 0001 0001"), 53, 40000);
  for (const char c : dns_hostile) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << dns_hostile;
}

TEST(ApplicationInfo, TlsRecordsThatStartInTheSegment) {
  EXPECT_EQ(tcp_info(bytes("15030300020228"), 443), "TLS Alert fatal handshake_failure");
  EXPECT_EQ(tcp_info(bytes("1503030020") + std::string(32, 'e'), 443), "TLS Encrypted Alert");
  EXPECT_EQ(tcp_info(bytes("1703030003 616263 1703030002 6465"), 8443), "TLS Application Data x2");
  EXPECT_EQ(tcp_info(bytes("140303000101 1603030028") + std::string(40, 'z'), 443),
            "TLS ChangeCipherSpec, Encrypted Handshake Message");
  // a ServerHelloDone (type 14, empty) in the clear
  EXPECT_EQ(tcp_info(bytes("16030300040e000000"), 443), "TLS server_hello_done");
  // a record cut by the segment's end: named from its header; then nothing more is read
  EXPECT_EQ(tcp_info(bytes("1603014000 0100"), 443), "TLS Encrypted Handshake Message");
  // a segment that starts inside a record is not named
  EXPECT_EQ(tcp_info("arbitrary bytes of the middle of a record", 443), "");
  EXPECT_EQ(tcp_info(bytes("170303"), 443), "");
}

TEST(ApplicationInfo, HttpRequestAndStatusLines) {
  EXPECT_EQ(tcp_info("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", 80), "HTTP GET /index.html HTTP/1.1");
  EXPECT_EQ(tcp_info("HTTP/1.1 404 Not Found\r\n\r\n", 8080, true), "HTTP HTTP/1.1 404 Not Found");
  EXPECT_EQ(tcp_info("GETTING things done\r\n", 80), "");
  EXPECT_EQ(tcp_info("<html>body</html>", 80), "");
}

TEST(ApplicationInfo, DnsOverUdpAndTcp) {
  const std::string query = "1a2b 0100 0001 0000 0000 0000 03777777 07 6578616d706c65 03636f6d 00 0001 0001";
  EXPECT_EQ(udp_info(test::hex(query), 40000, 53), "DNS query 0x1a2b A www.example.com");
  const std::string nx = "1a2b 8183 0001 0000 0000 0000 03777777 07 6578616d706c65 03636f6d 00 0001 0001";
  EXPECT_EQ(udp_info(test::hex(nx), 53, 40000), "DNS response 0x1a2b NXDOMAIN A www.example.com");
  const std::string answer = "1a2b 8180 0001 0001 0000 0000 03777777 07 6578616d706c65 03636f6d 00 0001 0001"
                             " c00c 0001 0001 0000003c 0004 0a000050";
  EXPECT_EQ(udp_info(test::hex(answer), 53, 40000), "DNS response 0x1a2b NOERROR A www.example.com -> 10.0.0.80");
  // over TCP, after the two-byte length
  EXPECT_EQ(tcp_info(bytes("0021 " + query), 53), "DNS query 0x1a2b A www.example.com");
  EXPECT_EQ(udp_info(test::hex("1a2b01"), 40000, 53).rfind("DNS (not decoded: ", 0), 0u);
  EXPECT_EQ(udp_info(test::hex(query), 40000, 5000), "");
}

}  // namespace
}  // namespace ctana
