// The summary pipeline on the crafted and real captures of testdata/: counts asserted against
// what each file was built to contain (tools/craft/README.md, tools/capture/README.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "ctana/render.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;
using ctana::test::testdata;

namespace {
RunResult run(const std::string& rel, const std::string& filter = "") {
  RunOptions opt;
  opt.filter = filter;
  return run_summary(testdata(rel), opt);
}

void expect_accounted(const SummaryReport& r) {
  const auto& c = r.records;
  EXPECT_EQ(c.read, c.filtered_out + c.decoded + c.malformed + c.truncated + c.unsupported) << r.path;
  const auto& p = r.packets;
  EXPECT_EQ(p.total, c.read - c.filtered_out) << r.path;
  EXPECT_EQ(p.total, p.tcp + p.udp + p.icmp + p.icmpv6 + p.other) << r.path;
  EXPECT_EQ(p.malformed, c.malformed) << r.path;
  EXPECT_EQ(p.truncated, c.truncated) << r.path;
  std::uint64_t proto_packets = 0;
  for (const auto& pr : r.protocols) proto_packets += pr.count.packets;
  EXPECT_EQ(proto_packets, p.total) << r.path;
}
}  // namespace

TEST(Summary, Ipv4Malformed) {
  auto res = run("crafted/ipv4-malformed.pcap");
  const auto& r = res.report;
  EXPECT_EQ(res.exit_code, 0);
  EXPECT_EQ(r.packets.total, 7u);
  EXPECT_EQ(r.packets.ipv4, 7u);
  EXPECT_EQ(r.records.malformed, 5u);  // frames 1, 2, 3, 4, 7
  EXPECT_EQ(r.records.decoded, 2u);    // frames 5 (bad checksum only) and 6 (options)
  EXPECT_EQ(r.checksum_errors.ipv4, 1u);
  ASSERT_EQ(r.decode_problems.size(), 5u);
  EXPECT_EQ(r.decode_problems[0].first_record, 1u);
  EXPECT_EQ(r.decode_problems[4].first_record, 7u);
  expect_accounted(r);
}

TEST(Summary, TcpOptionsMalformedAndTruncated) {
  auto res = run("crafted/tcp-options.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.packets.tcp, 8u);
  EXPECT_EQ(r.records.malformed, 5u);  // frames 3-7
  EXPECT_EQ(r.records.truncated, 1u);  // frame 8 (snaplen)
  EXPECT_EQ(r.records.decoded, 2u);
  expect_accounted(r);
}

TEST(Summary, UdpIcmp) {
  auto res = run("crafted/udp-icmp.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.packets.total, 13u);
  EXPECT_EQ(r.packets.ipv4, 10u);
  EXPECT_EQ(r.packets.ipv6, 3u);
  EXPECT_EQ(r.packets.udp, 5u);
  EXPECT_EQ(r.packets.icmp, 5u);
  EXPECT_EQ(r.packets.icmpv6, 3u);
  EXPECT_EQ(r.records.malformed, 3u);  // frames 4, 5, 13
  EXPECT_EQ(r.checksum_errors.udp, 1u);  // frame 2; frame 3's zero checksum is "none"
  expect_accounted(r);
}

TEST(Summary, SnaplenIsTruncationNotMalformation) {
  auto res = run("crafted/snaplen-64.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.packets.tcp, 5u);
  EXPECT_EQ(r.records.truncated, 5u);
  EXPECT_EQ(r.records.malformed, 0u);
  EXPECT_EQ(r.bytes.total, 5u * 154);
  EXPECT_EQ(r.bytes.captured, 5u * 64);
  expect_accounted(r);
}

TEST(Summary, FragmentsCountedOnceForTransport) {
  auto res = run("crafted/ipv4-fragments.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.packets.fragments, 4u);
  EXPECT_EQ(r.packets.udp, 1u);    // the first fragment carries the UDP header
  EXPECT_EQ(r.packets.other, 3u);  // later fragments
  expect_accounted(r);
  auto v6 = run("crafted/ipv6-ext.pcap");
  EXPECT_EQ(v6.report.packets.fragments, 2u);
  EXPECT_EQ(v6.report.packets.tcp, 1u);
  EXPECT_EQ(v6.report.records.malformed, 2u);  // frames 4 and 5
  expect_accounted(v6.report);
}

TEST(Summary, VlanArpLldp) {
  auto res = run("crafted/vlan-qinq-crafted.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.packets.ipv4, 3u);
  EXPECT_EQ(r.packets.arp, 1u);
  EXPECT_EQ(r.packets.other, 2u);  // ARP and LLDP
  EXPECT_EQ(r.records.malformed, 0u);
  expect_accounted(r);
}

TEST(Summary, EveryLinkType) {
  struct Case {
    const char* file;
    std::uint64_t total, ipv4, ipv6, tcp, udp, icmp, icmpv6;
  };
  for (const Case& c : {Case{"crafted/linktype-null.pcap", 6, 3, 3, 2, 2, 1, 1},
                        Case{"crafted/linktype-loop.pcap", 4, 3, 1, 1, 1, 1, 1},
                        Case{"crafted/linktype-raw.pcap", 6, 3, 3, 2, 2, 1, 1},
                        Case{"crafted/linktype-ipv4.pcap", 3, 3, 0, 1, 1, 1, 0},
                        Case{"crafted/linktype-ipv6.pcap", 3, 0, 3, 1, 1, 0, 1},
                        Case{"crafted/linktype-sll2.pcap", 4, 4, 0, 1, 2, 1, 0}}) {
    auto res = run(c.file);
    const auto& p = res.report.packets;
    EXPECT_EQ(p.total, c.total) << c.file;
    EXPECT_EQ(p.ipv4, c.ipv4) << c.file;
    EXPECT_EQ(p.ipv6, c.ipv6) << c.file;
    EXPECT_EQ(p.tcp, c.tcp) << c.file;
    EXPECT_EQ(p.udp, c.udp) << c.file;
    EXPECT_EQ(p.icmp, c.icmp) << c.file;
    EXPECT_EQ(p.icmpv6, c.icmpv6) << c.file;
    EXPECT_EQ(res.report.records.malformed, 0u) << c.file;
    expect_accounted(res.report);
  }
}

TEST(Summary, UnsupportedLinkTypeIsCountedNotAFailure) {
  auto res = run("crafted/linktype-unsupported.pcapng");
  EXPECT_EQ(res.exit_code, 0);
  EXPECT_EQ(res.report.records.unsupported, 2u);
  EXPECT_EQ(res.report.records.decoded, 3u);
  ASSERT_EQ(res.report.link_types.size(), 2u);
  EXPECT_EQ(res.report.link_types[1].link, 147);
  EXPECT_FALSE(res.report.link_types[1].supported);
  expect_accounted(res.report);
}

TEST(Summary, DamagedFilesArePartialWithEverythingReadKept) {
  auto cut = run("crafted/cut-mid-record.pcap");
  EXPECT_EQ(cut.exit_code, 3);
  EXPECT_EQ(cut.report.packets.total, 6u);
  auto bad = run("crafted/pcapng-bad-block.pcapng");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_EQ(bad.report.packets.total, 5u);
  EXPECT_EQ(bad.report.read.bytes_skipped, 104u);
  auto empty = run("crafted/empty.pcap");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.error.find("empty"), std::string::npos);
}

TEST(Summary, FilterUsesLibpcapAndCountsWhatItDrops) {
  auto res = run("crafted/linktype-raw.pcap", "udp");
  EXPECT_EQ(res.report.records.read, 6u);
  EXPECT_EQ(res.report.records.filtered_out, 4u);
  EXPECT_EQ(res.report.packets.total, 2u);
  EXPECT_EQ(res.report.packets.udp, 2u);
  expect_accounted(res.report);
  auto bad = run("crafted/linktype-raw.pcap", "udp and and");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.error.find("--filter"), std::string::npos);
}

TEST(Summary, TimeSpanToTheNanosecond) {
  auto res = run("crafted/ns-resolution.pcapng");
  ASSERT_TRUE(res.report.first_ns);
  EXPECT_EQ(*res.report.first_ns, 1704164645123456789);
  EXPECT_EQ(*res.report.last_ns, 1704164646123456791);
  const std::string json = render_summary_json(res.report);
  EXPECT_NE(json.find("\"first\": \"2024-01-02T03:04:05.123456789Z\""), std::string::npos);
}

TEST(Summary, EveryTestFileIsAccountedFor) {
  for (const char* dir : {"real", "crafted"}) {
    const auto d = std::filesystem::path(testdata(dir));
    if (!std::filesystem::exists(d)) continue;
    for (const auto& e : std::filesystem::directory_iterator(d)) {
      if (e.path().extension() == ".md") continue;
      auto res = run_summary(e.path().string(), RunOptions{});
      if (res.exit_code == 2) continue;  // not a trace
      expect_accounted(res.report);
      (void)render_summary_text(res.report);
      (void)render_summary_json(res.report);
    }
  }
}

TEST(Summary, RealDnsAndFragmentedPings) {
  // testdata/real/dns-icmp.pcapng: dnsmasq answering dig, pings v4/v6 incl. 3000-byte ones.
  auto res = run("real/dns-icmp.pcapng");
  const auto& r = res.report;
  EXPECT_EQ(res.exit_code, 0);
  EXPECT_EQ(r.packets.total, 58u);
  EXPECT_EQ(r.packets.fragments, 24u);
  EXPECT_EQ(r.packets.udp, 16u);
  EXPECT_EQ(r.records.decoded, 58u);
  // Real traffic from a real stack: no checksum may be reported bad (fragments are not checked).
  EXPECT_EQ(r.checksum_errors.ipv4 + r.checksum_errors.udp + r.checksum_errors.icmp + r.checksum_errors.icmpv6, 0u);
  ASSERT_EQ(r.interfaces.size(), 1u);
  EXPECT_EQ(r.interfaces[0].name, "veth-a");
  EXPECT_EQ(r.interfaces[0].ts_resolution, "ns");
  expect_accounted(r);
}

TEST(Summary, RealMultiInterfacePcapng) {
  auto res = run("real/multi-if.pcapng");
  const auto& r = res.report;
  ASSERT_EQ(r.interfaces.size(), 3u);
  EXPECT_EQ(r.interfaces[0].link, linktype::ethernet);
  EXPECT_EQ(r.interfaces[1].ts_resolution, "ns");
  EXPECT_EQ(r.interfaces[2].link, linktype::linux_sll);
  EXPECT_EQ(r.interfaces[0].records + r.interfaces[1].records + r.interfaces[2].records, 48u);
  EXPECT_EQ(r.packets.total, 48u);
  expect_accounted(r);
}
