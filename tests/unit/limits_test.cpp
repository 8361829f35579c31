// Resource limits (docs/security.md): every table an analyzer keeps has a cap, and what the cap
// turned away is counted, not lost silently. The caps are set small here to reach them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ctana/dhcp.hpp"
#include "ctana/dns.hpp"
#include "ctana/ftp.hpp"
#include "ctana/render.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;
using ctana::test::hex;

namespace {
// A raw IPv4/UDP packet from 10.0.0.1:sport to 10.0.0.2:dport (checksum 0: none).
std::vector<std::uint8_t> udp(std::uint16_t sport, std::uint16_t dport, const std::vector<std::uint8_t>& payload,
                              bool reverse = false) {
  auto p = hex("45000000 00010000 40110000 0A000001 0A000002 00000000 00000000");
  if (reverse) std::swap_ranges(p.begin() + 12, p.begin() + 16, p.begin() + 16);
  p.insert(p.end(), payload.begin(), payload.end());
  p[2] = static_cast<std::uint8_t>(p.size() >> 8), p[3] = static_cast<std::uint8_t>(p.size());
  p[20] = static_cast<std::uint8_t>(sport >> 8), p[21] = static_cast<std::uint8_t>(sport);
  p[22] = static_cast<std::uint8_t>(dport >> 8), p[23] = static_cast<std::uint8_t>(dport);
  const std::size_t ul = p.size() - 20;
  p[24] = static_cast<std::uint8_t>(ul >> 8), p[25] = static_cast<std::uint8_t>(ul);
  return p;
}

template <class A>
void feed(A& a, const std::vector<std::uint8_t>& bytes, std::int64_t ts) {
  Record r = ctana::test::make_record(bytes, linktype::raw);
  r.ts_ns = ts;
  Packet p;
  decode(r, p);
  a.on_packet(p);
}
}  // namespace

TEST(Limits, DnsPendingQueriesBeyondTheCapAreCounted) {
  DnsOptions o;
  o.max_pending = 2;
  DnsReport rep;
  DnsAnalyzer a(o, rep, nullptr);
  for (std::uint8_t id = 1; id <= 5; ++id) {  // five different questions, none answered yet
    auto q = hex("00000100 00010000 00000000 0178036F 72670000 010001");
    q[1] = id;
    q[13] = static_cast<std::uint8_t>('a' + id);
    feed(a, udp(40000, 53, q), id * 1'000'000);
  }
  for (std::uint8_t id = 1; id <= 5; ++id) {  // then all five answers
    auto r = hex("00008180 00010000 00000000 0178036F 72670000 010001");
    r[1] = id;
    r[13] = static_cast<std::uint8_t>('a' + id);
    feed(a, udp(53, 40000, r, true), 10'000'000 + id * 1'000'000);
  }
  a.finish();
  EXPECT_EQ(rep.queries, 5u);
  EXPECT_EQ(rep.untracked_queries, 3u);
  EXPECT_EQ(rep.answered, 2u);
  EXPECT_EQ(rep.unmatched_responses, 3u);
}

TEST(Limits, DhcpExchangesBeyondTheCapAreCounted) {
  DhcpReport rep;
  DhcpAnalyzer a(rep, nullptr, 2);
  for (std::uint8_t xid = 1; xid <= 4; ++xid) {
    std::vector<std::uint8_t> m(240, 0);
    m[0] = 1, m[1] = 1, m[2] = 6, m[7] = xid;
    m[236] = 0x63, m[237] = 0x82, m[238] = 0x53, m[239] = 0x63;
    m.insert(m.end(), {53, 1, 1, 255});  // DISCOVER
    feed(a, udp(68, 67, m), xid * 1'000'000);
  }
  a.finish();
  EXPECT_EQ(rep.messages, 4u);
  EXPECT_EQ(rep.untracked_exchanges, 2u);
  EXPECT_EQ(rep.discovers_unanswered, 2u);  // only the followed ones can be judged
}

TEST(Limits, FtpSessionsAndAnnouncedDataConnectionsBeyondTheCaps) {
  FtpOptions o;
  o.max_open = 1;
  o.max_expects = 1;
  FtpReport rep;
  FtpAnalyzer ftp(o, rep, nullptr);
  TcpConnection c1, c2;
  std::uint8_t cl[4] = {10, 0, 0, 1}, sv[4] = {10, 0, 0, 2};
  for (auto* c : {&c1, &c2}) {
    c->client = IpAddr::v4(cl);
    c->server = IpAddr::v4(sv);
    c->server_port = 21;
  }
  c1.id = 1, c1.client_port = 40001;
  c2.id = 2, c2.client_port = 40002;
  EXPECT_TRUE(ftp.wants(c1));
  EXPECT_FALSE(ftp.wants(c2));  // one control connection is followed at once
  const std::string s = "PORT 10,0,0,1,156,65\r\nPORT 10,0,0,1,156,66\r\n";
  ftp.on_data(c1, Side::client, 0, Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), 1);
  ftp.on_close(c1);
  ftp.finish();
  EXPECT_EQ(rep.sessions_total, 1u);
  EXPECT_EQ(rep.sessions_untracked, 1u);
  EXPECT_EQ(rep.data_connections_untracked, 1u);
}

TEST(Limits, ReassemblyOverflowIsCountedAndReported) {
  // A connection whose first 1000 data bytes never arrive: the segments after the hole wait out
  // of order. 2 KiB per connection hold two of them; the third does not fit (overflow): the hole
  // is given up as a gap and everything held is delivered, and the rest arrives in order.
  auto seg = [](std::uint32_t seq, std::uint8_t flags, std::size_t len, bool back = false) {
    return ctana::test::tcp_packet(seq, flags, std::string(len, 'x'), back);
  };
  std::vector<std::vector<std::uint8_t>> pkts = {seg(999, tcpflag::syn, 0), seg(4999, tcpflag::syn | tcpflag::ack, 0, true)};
  for (std::uint32_t i = 1; i <= 6; ++i) pkts.push_back(seg(1000 + 1000 * i, tcpflag::ack, 1000));
  struct All : TcpStreamSink {
    std::uint64_t gaps = 0;
    bool wants(const TcpConnection&) override { return true; }
    void on_data(const TcpConnection&, Side, std::uint64_t, Bytes, std::int64_t) override {}
    void on_gap(const TcpConnection&, Side, std::uint64_t, std::uint64_t n, std::int64_t) override { gaps += n; }
    void on_close(const TcpConnection&) override {}
  } sink;
  TcpOptions o;
  o.reassembly_conn_bytes = 2048;
  TcpAnalyzer tcp(o);
  tcp.add_stream_sink(&sink);
  for (std::size_t i = 0; i < pkts.size(); ++i) feed(tcp, pkts[i], static_cast<std::int64_t>(i) * 1'000'000);
  tcp.finish();
  const ReassemblyStats& ra = tcp.reassembly();
  EXPECT_EQ(ra.buffered_peak, 2000u);
  EXPECT_EQ(ra.overflow_bytes, 1000u);
  EXPECT_EQ(ra.bytes_delivered, 6000u);  // everything after the hole, in order
  EXPECT_EQ(sink.gaps, 1000u);           // the hole itself
  // The counters reach the report and its JSON.
  SummaryReport rep;
  rep.tcp.present = true;
  rep.tcp.reassembly = ra;
  const auto doc = nlohmann::json::parse(render_summary_json(rep));
  EXPECT_EQ(doc["tcp"]["reassembly"]["overflow_bytes"].get<std::uint64_t>(), 1000u);
}
