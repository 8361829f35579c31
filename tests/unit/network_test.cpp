// Routing loops and broadcast storms (src/analyze/network.cpp) on the real captures of
// tools/capture/make-loops.sh, on every other real capture (no false alarms), and on crafted
// sequences for the edges of the rule.
#include <gtest/gtest.h>

#include <filesystem>

#include "ctana/network.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;

namespace {
std::size_t count_kind(const SummaryReport& r, const std::string& kind) {
  std::size_t n = 0;
  for (const auto& f : r.findings.list) n += f.kind == kind;
  return n;
}

// An IPv4/UDP packet 10.0.0.1:5000 -> 10.9.9.9:53 with the given TTL and IP id, as raw IP.
std::vector<std::uint8_t> udp_packet(std::uint8_t ttl, std::uint16_t id) {
  auto b = test::hex("45000020 00004000 00110000 0a000001 0a090909 13880035 000c0000 41424344");
  b[4] = static_cast<std::uint8_t>(id >> 8);
  b[5] = static_cast<std::uint8_t>(id);
  b[8] = ttl;
  return b;
}

NetworkReport run_packets(const std::vector<std::pair<std::uint8_t, std::uint16_t>>& ttl_id) {
  NetworkReport rep;
  std::vector<Finding> found;
  NetworkAnalyzer a(NetworkOptions{}, rep, [&found](const Finding& f) { found.push_back(f); });
  std::int64_t t = 1'700'000'000'000'000'000;
  for (const auto& [ttl, id] : ttl_id) {
    const auto bytes = udp_packet(ttl, id);
    Record r = test::make_record(bytes, linktype::raw);
    r.ts_ns = t += 1000;
    Packet p;
    decode(r, p);
    a.on_packet(p);
  }
  a.finish();
  EXPECT_EQ(found.size(), rep.loops.size());
  return rep;
}
}  // namespace

TEST(Network, RealRoutingLoop) {
  const RunResult res = run_summary(test::testdata("real/routing-loop.pcap"), RunOptions{});
  const auto& n = res.report.network;
  ASSERT_EQ(n.loops.size(), 3u);  // the ping, the DNS query and the SYN
  for (const auto& l : n.loops) {
    EXPECT_EQ(l.passes, 63u) << l.about;
    EXPECT_EQ(l.first_ttl, 63) << l.about;
    EXPECT_EQ(l.last_ttl, 1) << l.about;
    EXPECT_EQ(l.dst.str(), "10.97.9.9");
  }
  EXPECT_EQ(n.loops[0].about, "ICMP 10.97.1.1 -> 10.97.9.9");
  EXPECT_EQ(n.loops[1].about, "UDP 10.97.1.1:38920 -> 10.97.9.9:53");
  EXPECT_EQ(n.loops[2].about, "TCP 10.97.1.1:38254 -> 10.97.9.9:80");
  EXPECT_EQ(n.loops[2].connection, 1u);
  EXPECT_EQ(n.loops[0].connection, 0u);
  EXPECT_EQ(n.storm_seconds, 0u);
  EXPECT_EQ(count_kind(res.report, "routing_loop"), 3u);
  EXPECT_EQ(count_kind(res.report, "broadcast_storm"), 0u);
  // The time exceeded about the SYN names its connection; the other two quote no TCP packet.
  std::size_t linked = 0;
  for (const auto& e : res.report.icmp.errors) {
    EXPECT_EQ(e.type, 11);
    if (e.about.rfind("TCP ", 0) == 0) {
      EXPECT_EQ(e.connection, 1u);
      ++linked;
    } else {
      EXPECT_EQ(e.connection, 0u);
    }
  }
  EXPECT_EQ(linked, 1u);
}

TEST(Network, RealBroadcastStorm) {
  const RunResult res = run_summary(test::testdata("real/broadcast-storm.pcap"), RunOptions{});
  const auto& n = res.report.network;
  EXPECT_EQ(n.group_frames, 3000u);  // every frame the host saw was a multicast going round
  EXPECT_EQ(n.group_peak_per_second, 3000u);
  EXPECT_EQ(n.storm_seconds, 1u);
  EXPECT_EQ(n.repeated_frame_copies, 1756u);
  EXPECT_EQ(n.repeated_frame, "IGMP 0.0.0.0 -> 224.0.0.22 from 02:00:00:96:00:fe");
  EXPECT_TRUE(n.loops.empty());  // bridges do not decrement the TTL
  EXPECT_EQ(count_kind(res.report, "broadcast_storm"), 1u);
}

TEST(Network, NoLoopOrStormInTheOtherRealCaptures) {
  for (const auto& e : std::filesystem::directory_iterator(test::testdata("real"))) {
    const auto name = e.path().filename().string();
    if (name == "routing-loop.pcap" || name == "broadcast-storm.pcap") continue;
    const RunResult res = run_summary(e.path().string(), RunOptions{});
    EXPECT_TRUE(res.report.network.loops.empty()) << name;
    EXPECT_EQ(res.report.network.storm_seconds, 0u) << name;
  }
}

TEST(Network, TheRuleAtItsEdges) {
  // Seven sightings with falling TTL are not yet a loop; eight are.
  EXPECT_TRUE(run_packets({{64, 1}, {63, 1}, {62, 1}, {61, 1}, {60, 1}, {59, 1}, {58, 1}}).loops.empty());
  auto r = run_packets({{64, 1}, {63, 1}, {62, 1}, {61, 1}, {60, 1}, {59, 1}, {58, 1}, {57, 1}});
  ASSERT_EQ(r.loops.size(), 1u);
  EXPECT_EQ(r.loops[0].passes, 8u);
  EXPECT_EQ(r.loops[0].first_ttl, 64);
  EXPECT_EQ(r.loops[0].last_ttl, 57);
  // The same TTL again (two capture points) is no pass; a higher TTL is another packet.
  EXPECT_TRUE(run_packets({{64, 1}, {64, 1}, {64, 1}, {64, 1}, {64, 1}, {64, 1}, {64, 1}, {64, 1}, {64, 1}}).loops.empty());
  EXPECT_TRUE(run_packets({{64, 1}, {63, 1}, {62, 1}, {61, 1}, {64, 1}, {63, 1}, {62, 1}, {61, 1}}).loops.empty());
  // Another IP id is another packet.
  EXPECT_TRUE(run_packets({{64, 1}, {63, 2}, {62, 3}, {61, 4}, {60, 5}, {59, 6}, {58, 7}, {57, 8}}).loops.empty());
}
