// TCP session analysis on synthetic conversations: each test builds the segments of one scenario
// and checks the Wireshark-equivalent flags, the IPCS categories, states and findings.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/tcp.hpp"

using namespace ctana;

namespace {

constexpr std::uint8_t S = tcpflag::syn, A = tcpflag::ack, F = tcpflag::fin, R = tcpflag::rst, P = tcpflag::psh;

struct Trace {
  std::deque<std::vector<std::uint8_t>> bytes;
  std::deque<Record> recs;
  TcpAnalyzer tcp;
  std::vector<TcpConnection> conns;
  std::vector<Finding> findings;
  std::vector<TcpPacketInfo> infos;

  explicit Trace(TcpOptions o = {}) : tcp(std::move(o)) {
    tcp.on_connection([this](const TcpConnection& c) { conns.push_back(c); });
    tcp.on_finding([this](const Finding& f) { findings.push_back(f); });
    tcp.on_tcp_packet([this](const Packet&, const TcpPacketInfo& i, const TcpConnection&) { infos.push_back(i); });
  }

  // One IPv4 TCP segment at time t (seconds); `from_client` picks 10.0.0.1:40000 -> 10.0.0.2:80 or back.
  void seg(double t, bool from_client, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
           std::uint16_t win = 1000, std::uint32_t len = 0, int wscale = -1) {
    const std::uint32_t opt = wscale >= 0 ? 4 : 0;
    std::vector<std::uint8_t> b(20 + 20 + opt + len, 0);
    const std::uint32_t total = static_cast<std::uint32_t>(b.size());
    b[0] = 0x45;
    b[2] = static_cast<std::uint8_t>(total >> 8);
    b[3] = static_cast<std::uint8_t>(total);
    b[8] = 64;
    b[9] = 6;
    const std::uint8_t c[4] = {10, 0, 0, 1}, s[4] = {10, 0, 0, 2};
    std::copy(from_client ? c : s, (from_client ? c : s) + 4, b.begin() + 12);
    std::copy(from_client ? s : c, (from_client ? s : c) + 4, b.begin() + 16);
    auto put16 = [&b](std::size_t at, std::uint32_t v) {
      b[at] = static_cast<std::uint8_t>(v >> 8);
      b[at + 1] = static_cast<std::uint8_t>(v);
    };
    auto put32 = [&](std::size_t at, std::uint32_t v) {
      put16(at, v >> 16);
      put16(at + 2, v & 0xffff);
    };
    put16(20, from_client ? 40000 : 80);
    put16(22, from_client ? 80 : 40000);
    put32(24, seq);
    put32(28, ack);
    b[32] = static_cast<std::uint8_t>(((20 + opt) / 4) << 4);
    b[33] = flags;
    put16(34, win);
    if (wscale >= 0) {  // NOP + window scale
      b[40] = 1;
      b[41] = 3;
      b[42] = 3;
      b[43] = static_cast<std::uint8_t>(wscale);
    }
    bytes.push_back(std::move(b));
    Record r;
    r.data = Bytes(bytes.back().data(), bytes.back().size());
    r.orig_len = static_cast<std::uint32_t>(bytes.back().size());
    r.link = linktype::raw;
    r.ts_ns = static_cast<std::int64_t>(t * 1e9);
    r.index = recs.size() + 1;
    recs.push_back(r);
    Packet p;
    decode(recs.back(), p);
    ASSERT_FALSE(p.malformed()) << p.problem.what;
    tcp.on_packet(p);
  }
  void handshake(double t = 0, std::uint32_t cisn = 1000, std::uint32_t sisn = 5000) {
    seg(t, true, cisn, 0, S);
    seg(t + 0.010, false, sisn, cisn + 1, S | A);
    seg(t + 0.020, true, cisn + 1, sisn + 1, A);
  }
  void done() { tcp.finish(); }
  bool has(const std::string& kind) const {
    for (const auto& f : findings)
      if (f.kind == kind) return true;
    return false;
  }
  std::uint32_t flagged(int i) const { return infos.at(static_cast<std::size_t>(i)).flags; }
};

}  // namespace

TEST(Tcp, HandshakeDataAndOrderlyClose) {
  Trace t;
  t.handshake();
  t.seg(0.030, true, 1001, 5001, A | P, 1000, 100);   // request
  t.seg(0.050, false, 5001, 1101, A | P, 1000, 300);  // response: acknowledges the request
  t.seg(0.060, true, 1101, 5301, A);
  t.seg(0.070, true, 1101, 5301, F | A);
  t.seg(0.080, false, 5301, 1102, F | A);
  t.seg(0.090, true, 1102, 5302, A);
  t.done();
  ASSERT_EQ(t.conns.size(), 1u);
  const TcpConnection& c = t.conns[0];
  EXPECT_TRUE(c.roles_known);
  EXPECT_EQ(c.client.str(), "10.0.0.1");
  EXPECT_EQ(c.server_port, 80);
  EXPECT_EQ(c.app, "http");
  EXPECT_EQ(c.state, TcpState::closed);
  EXPECT_EQ(c.first_fin_by, Side::client);
  EXPECT_EQ(c.handshake_rtt_ns, 20'000'000);
  EXPECT_EQ(c.syn_synack_ns, 10'000'000);
  EXPECT_EQ(c.exchanges, 1u);
  EXPECT_EQ(c.rt_max_ns, 20'000'000);
  EXPECT_EQ(c.dir[0].packets, 6u);
  EXPECT_EQ(c.dir[1].packets, 3u);
  EXPECT_EQ(c.dir[0].payload_bytes, 100u);
  EXPECT_EQ(c.dir[0].cats[static_cast<int>(TcpCat::control)], 2u);  // SYN, FIN
  EXPECT_EQ(c.dir[0].cats[static_cast<int>(TcpCat::in_order)], 1u);
  EXPECT_EQ(c.dir[1].cats[static_cast<int>(TcpCat::data_ack)], 1u);
  for (const auto& i : t.infos) EXPECT_EQ(i.flags, 0u);
  EXPECT_TRUE(t.findings.empty());
  EXPECT_EQ(t.tcp.totals().closed, 1u);
}

TEST(Tcp, RetransmissionAndOutOfOrder) {
  Trace t;
  t.handshake();
  t.seg(0.100, true, 1001, 5001, A, 1000, 100);
  t.seg(0.101, true, 1201, 5001, A, 1000, 100);  // 1101..1200 missing: lost_segment
  t.seg(0.102, true, 1101, 5001, A, 1000, 100);  // within the first RTT (20 ms): out-of-order
  t.seg(0.500, true, 1001, 5001, A, 1000, 100);  // much later, old data: retransmission
  t.done();
  EXPECT_EQ(t.flagged(4) & tcpa::lost_segment, tcpa::lost_segment);
  EXPECT_EQ(t.flagged(5), tcpa::out_of_order);
  EXPECT_EQ(t.flagged(6), tcpa::retransmission);
  EXPECT_EQ(t.infos[6].cat, TcpCat::retransmission);
  EXPECT_EQ(t.conns[0].dir[0].untraced, 1u);
}

TEST(Tcp, FastRetransmissionAfterDuplicateAcks) {
  Trace t;
  t.handshake();
  t.seg(0.100, true, 1001, 5001, A, 1000, 100);
  t.seg(0.101, true, 1101, 5001, A, 1000, 100);
  t.seg(0.102, false, 5001, 1101, A);  // ACK for the first segment
  t.seg(0.103, false, 5001, 1101, A);  // duplicate
  t.seg(0.104, false, 5001, 1101, A);  // duplicate
  t.seg(0.110, true, 1101, 5001, A, 1000, 100);  // fast retransmission
  t.done();
  EXPECT_EQ(t.flagged(6), tcpa::duplicate_ack);
  EXPECT_EQ(t.flagged(7), tcpa::duplicate_ack);
  EXPECT_EQ(t.flagged(8), tcpa::fast_retransmission);
  EXPECT_EQ(t.infos[7].cat, TcpCat::dup_ack);
}

TEST(Tcp, ZeroWindowProbesAndUpdate) {
  Trace t;
  t.handshake();
  t.seg(0.100, true, 1001, 5001, A, 1000, 1000);
  t.seg(0.110, false, 5001, 2001, A, 0);          // zero window
  t.seg(0.400, true, 2001, 5001, A, 1000, 1);     // probe
  t.seg(0.410, false, 5001, 2001, A, 0);          // probe ack, window still 0
  t.seg(1.200, false, 5001, 2001, A, 4000);       // window update
  t.done();
  EXPECT_EQ(t.flagged(4), tcpa::zero_window);
  EXPECT_EQ(t.flagged(5), tcpa::zero_window_probe);
  EXPECT_EQ(t.flagged(6), tcpa::zero_window | tcpa::zero_window_probe_ack);
  EXPECT_EQ(t.flagged(7), tcpa::window_update);
  EXPECT_TRUE(t.has("zero_window"));  // 1.09 s closed
  ASSERT_EQ(t.conns.size(), 1u);
  // the client's data filled the server's window (window full), then the window was zero until the update
  EXPECT_EQ(t.conns[0].stall_time_ns, 1'100'000'000);
  EXPECT_EQ(t.conns[0].network_time_ns, 20'000'000);  // the handshake
  EXPECT_EQ(t.conns[0].client_time_ns, 80'000'000);  // the client's data after the handshake
}

// Where the time went (docs/tcp.md): one request/response with a 50 ms path round trip, 10 ms of
// client think time and 200 ms of server time, captured at the client and at the server. Both
// captures must give the same split, summing to the elapsed time.
TEST(Tcp, WhereTheTimeWentIsTheSameAtBothEnds) {
  for (const bool at_client : {true, false}) {
    SCOPED_TRACE(at_client ? "captured at the client" : "captured at the server");
    Trace t;
    // times at the client, and at the server (25 ms one way, the server's own packets at once)
    const std::vector<double> ts = at_client
        ? std::vector<double>{0, 0.050, 0.0501, 0.0601, 0.3101, 0.3102, 0.3202, 0.3702, 0.3703}
        : std::vector<double>{0.025, 0.025, 0.0751, 0.0851, 0.2851, 0.3352, 0.3452, 0.3452, 0.3953};
    t.seg(ts[0], true, 1000, 0, S);
    t.seg(ts[1], false, 5000, 1001, S | A);
    t.seg(ts[2], true, 1001, 5001, A);
    t.seg(ts[3], true, 1001, 5001, A | P, 1000, 100);   // request after 10 ms of think time
    t.seg(ts[4], false, 5001, 1101, A | P, 1000, 300);  // response after 200 ms at the server
    t.seg(ts[5], true, 1101, 5301, A);
    t.seg(ts[6], true, 1101, 5301, F | A);              // 10 ms quiet, then the client closes
    t.seg(ts[7], false, 5301, 1102, F | A);
    t.seg(ts[8], true, 1102, 5302, A);
    t.done();
    ASSERT_EQ(t.conns.size(), 1u);
    const TcpConnection& c = t.conns[0];
    // the times above become whole nanoseconds: within a microsecond
    const auto near = [](std::int64_t got, std::int64_t want) { return std::llabs(got - want) <= 1000; };
    EXPECT_PRED2(near, c.server_time_ns, 200'000'000);
    EXPECT_PRED2(near, c.client_time_ns, 10'000'000);
    EXPECT_PRED2(near, c.idle_time_ns, 10'000'000);
    EXPECT_PRED2(near, c.network_time_ns, 150'300'000);  // three round trips, and the client's ACKs
    EXPECT_EQ(c.stall_time_ns, 0);
    EXPECT_EQ(c.server_time_ns + c.client_time_ns + c.idle_time_ns + c.network_time_ns + c.stall_time_ns,
              c.elapsed_ns());
  }
}

// A server that keeps retransmitting to a client that no longer answers: network time, not host time.
TEST(Tcp, WhereTheTimeWentRetransmissionsAreNetwork) {
  Trace t;
  t.handshake();
  t.seg(0.030, true, 1001, 5001, A | P, 1000, 10);
  t.seg(0.040, false, 5001, 1011, A | P, 1000, 100);
  for (const double at : {0.240, 0.640, 1.440, 3.040}) t.seg(at, false, 5001, 1011, A | P, 1000, 100);
  t.seg(3.050, false, 5101, 1011, R | A);
  t.done();
  ASSERT_EQ(t.conns.size(), 1u);
  const TcpConnection& c = t.conns[0];
  // the handshake, the answer (within the 10 ms round trip SYN -> SYN/ACK, so no host time), the
  // retransmissions until the RST
  EXPECT_EQ(c.network_time_ns, 20'000'000 + 10'000'000 + 3'010'000'000);
  EXPECT_EQ(c.server_time_ns, 0);
  EXPECT_EQ(c.client_time_ns, 10'000'000);
  EXPECT_EQ(c.idle_time_ns, 0);
}

TEST(Tcp, KeepalivesUnanswered) {
  Trace t;
  t.handshake();
  t.seg(10, true, 1000, 5001, A);  // keepalive: seq = next - 1
  t.seg(10.01, false, 5001, 1001, A);  // keepalive ACK
  t.seg(20, true, 1000, 5001, A);
  t.seg(30, true, 1000, 5001, A);
  t.seg(40, true, 1000, 5001, A);
  t.done();
  EXPECT_EQ(t.flagged(3), tcpa::keep_alive);
  EXPECT_EQ(t.flagged(4), tcpa::keep_alive_ack);
  EXPECT_EQ(t.infos[3].cat, TcpCat::keepalive);
  EXPECT_TRUE(t.has("keepalive_unanswered"));
  ASSERT_EQ(t.conns.size(), 1u);
  EXPECT_EQ(t.conns[0].idle_time_ns, 39'980'000'000);  // keepalives: idle, not network
  EXPECT_EQ(t.conns[0].network_time_ns, 20'000'000);   // the handshake
}

TEST(Tcp, RefusedAndUnansweredAndIncomplete) {
  Trace t;
  t.seg(0, true, 1000, 0, S);
  t.seg(0.001, false, 0, 1001, R | A);
  t.done();
  EXPECT_EQ(t.conns.at(0).state, TcpState::refused);
  EXPECT_TRUE(t.has("refused"));

  Trace u;
  u.seg(0, true, 1000, 0, S);
  u.seg(1, true, 1000, 0, S);   // retransmitted SYN
  u.seg(3, true, 1000, 0, S);
  u.done();
  ASSERT_EQ(u.conns.size(), 1u);  // same ISN: the same connection
  EXPECT_EQ(u.conns[0].state, TcpState::syn_sent);
  EXPECT_EQ(u.flagged(1), tcpa::retransmission);
  EXPECT_TRUE(u.has("syn_unanswered"));

  Trace h;
  h.seg(0, true, 1000, 0, S);
  h.seg(0.01, false, 5000, 1001, S | A);
  h.seg(1.01, false, 5000, 1001, S | A);
  h.seg(3.01, false, 5000, 1001, S | A);
  h.done();
  EXPECT_EQ(h.conns.at(0).state, TcpState::syn_received);
  EXPECT_TRUE(h.has("handshake_incomplete"));

  // The same handshakes ending with the trace less than 3 s (--end-grace) after their SYN: the
  // capture stopped before an answer could be expected.
  Trace e;
  e.seg(0, true, 1000, 0, S);
  e.seg(1, true, 1000, 0, S);
  e.done();
  EXPECT_EQ(e.conns.at(0).state, TcpState::syn_sent);
  EXPECT_FALSE(e.has("syn_unanswered"));
  EXPECT_TRUE(e.has("attempt_at_end_of_trace"));
  Trace g;
  g.seg(0, true, 1000, 0, S);
  g.seg(0.01, false, 5000, 1001, S | A);
  g.seg(1.01, false, 5000, 1001, S | A);
  g.done();
  EXPECT_EQ(g.conns.at(0).state, TcpState::syn_received);
  EXPECT_FALSE(g.has("handshake_incomplete"));
  EXPECT_TRUE(g.has("attempt_at_end_of_trace"));
}

TEST(Tcp, PortReuseStartsANewConnection) {
  Trace t;
  t.handshake(0, 1000, 5000);
  t.seg(0.1, true, 1001, 5001, F | A);
  t.seg(0.2, false, 5001, 1002, F | A);
  t.seg(0.3, true, 1002, 5002, A);
  t.handshake(5, 900000, 777000);  // same ports, new ISN
  t.done();
  ASSERT_EQ(t.conns.size(), 2u);
  EXPECT_EQ(t.conns[0].id, 1u);
  EXPECT_EQ(t.conns[1].id, 2u);
  EXPECT_EQ(t.flagged(6) & tcpa::reused_ports, tcpa::reused_ports);
}

TEST(Tcp, DelayedAck) {
  TcpOptions o;
  o.delayed_ack_ns = 200'000'000;
  Trace t(o);
  t.handshake();
  t.seg(0.100, true, 1001, 5001, A | P, 1000, 10);
  t.seg(0.350, false, 5001, 1011, A);  // 250 ms later
  t.done();
  EXPECT_EQ(t.infos[4].cat, TcpCat::delayed_ack);
}

TEST(Tcp, BackoffThenReset) {
  Trace t;
  t.handshake();
  t.seg(0.1, true, 1001, 5001, A, 1000, 100);
  t.seg(0.4, true, 1001, 5001, A, 1000, 100);  // +0.3
  t.seg(1.0, true, 1001, 5001, A, 1000, 100);  // +0.6
  t.seg(2.2, true, 1001, 5001, A, 1000, 100);  // +1.2
  t.seg(4.6, true, 1001, 5001, A, 1000, 100);  // +2.4
  t.seg(5.0, true, 1101, 5001, R | A);
  t.done();
  EXPECT_EQ(t.conns.at(0).state, TcpState::reset);
  EXPECT_EQ(t.conns[0].reset_by, Side::client);
  EXPECT_TRUE(t.has("retransmission_backoff_reset"));
}

TEST(Tcp, WindowScaleAppliesAfterTheHandshake) {
  Trace t;
  t.seg(0, true, 1000, 0, S, 64240, 0, 7);
  t.seg(0.01, false, 5000, 1001, S | A, 65160, 0, 7);
  t.seg(0.02, true, 1001, 5001, A, 502);
  t.done();
  EXPECT_EQ(t.conns.at(0).dir[0].max_window, 502u << 7);
  EXPECT_EQ(t.conns[0].dir[0].wscale, 7);
  EXPECT_EQ(t.infos[2].window, 502u << 7);
}

TEST(Tcp, IdleConnectionsAreFinishedAndMemoryIsBounded) {
  TcpOptions o;
  o.idle_timeout_ns = 5'000'000'000;
  o.max_connections = 1;
  Trace t(o);
  t.handshake(0);
  t.seg(100, true, 1001, 5001, A | P, 1000, 10);  // after 100 s: the first one was evicted
  t.done();
  EXPECT_EQ(t.tcp.totals().evicted_idle, 1u);
  EXPECT_EQ(t.conns.size(), 2u);
  EXPECT_TRUE(t.conns[0].evicted_idle);
  EXPECT_EQ(t.tcp.totals().peak_open, 1u);
  EXPECT_LT(t.tcp.bytes_per_connection(), 2048u);
}

TEST(Tcp, ParseCidr) {
  std::pair<IpAddr, int> n;
  ASSERT_TRUE(parse_cidr("10.1.0.0/16", n));
  EXPECT_EQ(n.second, 16);
  std::uint8_t b[4] = {10, 1, 200, 3};
  EXPECT_TRUE(in_networks(IpAddr::v4(b), {n}));
  b[1] = 2;
  EXPECT_FALSE(in_networks(IpAddr::v4(b), {n}));
  EXPECT_TRUE(parse_cidr("2001:db8::/32", n));
  EXPECT_FALSE(parse_cidr("10.1.0.0/33", n));
  EXPECT_FALSE(parse_cidr("host", n));
}

TEST(Tcp, ThroughputCollapse) {
  Trace t;
  t.handshake();
  std::uint32_t seq = 1001;
  double ts = 0.1;
  auto send = [&](int n, double spacing) {
    for (int i = 0; i < n; ++i) {
      t.seg(ts, true, seq, 5001, A, 1000, 1000);
      seq += 1000;
      ts += spacing;
    }
  };
  send(1000, 0.002);  // 2 s at 500 kB/s
  send(8, 0.5);       // 4 s at 2 kB/s
  send(1000, 0.002);  // back to speed
  t.done();
  EXPECT_TRUE(t.has("throughput_collapse"));
  Trace steady;
  steady.handshake();
  seq = 1001;
  ts = 0.1;
  auto send2 = [&](int n, double spacing) {
    for (int i = 0; i < n; ++i) {
      steady.seg(ts, true, seq, 5001, A, 1000, 1000);
      seq += 1000;
      ts += spacing;
    }
  };
  send2(3000, 0.002);
  steady.done();
  EXPECT_FALSE(steady.has("throughput_collapse"));
}
