// The TCP scenarios captured from real Linux stacks by tools/capture/make-tcp-scenarios.sh: each
// must be reported with the right end states, counts and findings. (Every tcp.analysis count on
// these files is also compared with tshark by tests/cli/tshark_crosscheck.py.)
#include <gtest/gtest.h>

#include <string>

#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;

namespace {
RunResult run(const std::string& f, RunOptions opt = {}) { return run_summary(ctana::test::testdata("real/" + f), opt); }

std::uint64_t kind(const SummaryReport& r, const std::string& k) {
  for (const auto& row : r.findings.kinds)
    if (row.kind == k) return row.count;
  return 0;
}
std::uint64_t flag(const SummaryReport& r, std::uint32_t bit) {
  int i = 0;
  while ((1u << i) != bit) ++i;
  return r.tcp.totals.flags[static_cast<std::size_t>(i)];
}
}  // namespace

TEST(TcpScenario, RefusedAndUnanswered) {
  auto res = run("tcp-refused.pcap");
  const auto& t = res.report.tcp;
  EXPECT_EQ(t.totals.connections, 3u);
  EXPECT_EQ(t.totals.refused, 2u);          // closed port, v4 and v6
  EXPECT_EQ(t.totals.syn_unanswered, 1u);   // SYN dropped by a firewall rule
  EXPECT_EQ(kind(res.report, "refused"), 2u);
  ASSERT_EQ(kind(res.report, "syn_unanswered"), 1u);
  EXPECT_EQ(flag(res.report, tcpa::retransmission), 2u);  // the two SYN retries
  for (const auto& f : res.report.findings.list) {
    if (f.kind == "syn_unanswered") {
      EXPECT_NE(f.summary.find("3 SYNs"), std::string::npos) << f.summary;
    }
  }
}

TEST(TcpScenario, AttemptAtTheEndOfTheTraceIsNoError) {
  // The black-holed SYN of tcp-refused.pcap comes 4.8 s before the end of the trace: an error.
  // Cut the analysis 1.5 s after it (as if the capture had stopped there), after its first retry
  // (1.0 s after it): only info.
  auto whole = run("tcp-refused.pcap");
  std::int64_t syn_ns = 0;
  for (const auto& c : whole.report.tcp.connections) {
    if (c.state == TcpState::syn_sent) syn_ns = c.syn_ns;
  }
  ASSERT_NE(syn_ns, 0);
  RunOptions cut;
  cut.end_ns = syn_ns + 1'500'000'000;
  auto res = run("tcp-refused.pcap", cut);
  EXPECT_EQ(res.report.tcp.totals.syn_unanswered, 1u);  // the state is what it is
  EXPECT_EQ(kind(res.report, "syn_unanswered"), 0u);
  ASSERT_EQ(kind(res.report, "attempt_at_end_of_trace"), 1u);
  for (const auto& f : res.report.findings.list) {
    if (f.kind == "attempt_at_end_of_trace") {
      EXPECT_EQ(f.severity, Severity::info);
    }
  }
  EXPECT_EQ(kind(res.report, "high_retransmission_rate"), 0u);

  cut.tcp_options.end_grace_ns = 500'000'000;  // a shorter grace: the retry, 1.0 s after the SYN, is beyond it
  res = run("tcp-refused.pcap", cut);
  EXPECT_EQ(kind(res.report, "syn_unanswered"), 1u);
  EXPECT_EQ(kind(res.report, "attempt_at_end_of_trace"), 0u);
}

TEST(TcpScenario, ZeroWindowThenResumed) {
  auto res = run("tcp-zero-window.pcap");
  const auto& r = res.report;
  EXPECT_EQ(flag(r, tcpa::zero_window), 3u);
  EXPECT_EQ(flag(r, tcpa::window_update), 1u);
  EXPECT_EQ(flag(r, tcpa::window_full), 92u);
  EXPECT_EQ(kind(r, "zero_window"), 1u);
  EXPECT_EQ(kind(r, "window_limited"), 1u);  // 92 segments filled the small receive window
  EXPECT_EQ(kind(r, "keepalive_unanswered"), 0u);  // Linux's window probes look like keepalives
  ASSERT_EQ(r.tcp.connections.size(), 1u);
  EXPECT_EQ(r.tcp.connections[0].state, TcpState::closed);
  for (const auto& f : r.findings.list) {
    if (f.kind == "zero_window") {
      EXPECT_NE(f.summary.find("opened it again (3 window probes)"), std::string::npos) << f.summary;
    }
  }
}

TEST(TcpScenario, AbortiveCloses) {
  auto res = run("tcp-abort.pcap");
  const auto& c = res.report.tcp.connections;
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].state, TcpState::reset);
  EXPECT_EQ(c[0].reset_by, Side::client);  // SO_LINGER 0 on the client
  EXPECT_EQ(c[1].state, TcpState::reset);
  EXPECT_EQ(c[1].reset_by, Side::server);  // data to a socket the server had closed
  EXPECT_EQ(res.report.tcp.totals.resets, 2u);
}

TEST(TcpScenario, KeepalivesStopBeingAnswered) {
  auto res = run("tcp-keepalive.pcap");
  const auto& r = res.report;
  EXPECT_EQ(flag(r, tcpa::keep_alive), 6u);
  EXPECT_EQ(flag(r, tcpa::keep_alive_ack), 3u);
  EXPECT_EQ(kind(r, "keepalive_unanswered"), 1u);
  ASSERT_EQ(r.tcp.connections.size(), 1u);
  EXPECT_EQ(r.tcp.connections[0].reset_by, Side::client);  // the client's kernel gave up
  for (const auto& f : r.findings.list) {
    if (f.kind == "keepalive_unanswered") {  // stamped at the first unanswered keepalive (frame 16)
      EXPECT_EQ(f.ts_ns, 1795456337'759906000);
      EXPECT_NE(f.summary.find("the last 3 keepalives"), std::string::npos) << f.summary;
    }
  }
}

TEST(TcpScenario, RetransmissionBackoffThenReset) {
  auto res = run("tcp-retrans-reset.pcap");
  const auto& r = res.report;
  EXPECT_EQ(flag(r, tcpa::retransmission), 10u);
  EXPECT_EQ(kind(r, "retransmission_backoff_reset"), 1u);  // the application aborted
  EXPECT_EQ(kind(r, "retransmission_backoff"), 1u);        // the kernel gave up silently
}

TEST(TcpScenario, ScanAndShortConnections) {
  auto res = run("tcp-scan.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.tcp.totals.connections, 50u);
  EXPECT_EQ(kind(r, "port_scan"), 1u);
  EXPECT_EQ(kind(r, "many_short_connections"), 1u);
  EXPECT_EQ(r.tcp.totals.refused, 28u);
  EXPECT_EQ(kind(r, "refused"), 6u);  // 5 listed one by one, 1 for the other 23
}

TEST(TcpScenario, DelayedAcksAndSlowResponses) {
  RunOptions opt;
  opt.tcp_options.delayed_ack_ns = 30'000'000;
  opt.tcp_options.rt_threshold_ns = 300'000'000;
  auto res = run("tcp-delayed-ack.pcap", opt);
  const auto& r = res.report;
  ASSERT_EQ(r.tcp.connections.size(), 1u);
  const auto& c = r.tcp.connections[0];
  EXPECT_EQ(c.exchanges, 20u);
  EXPECT_EQ(c.slow_responses, 3u);
  EXPECT_EQ(c.dir[0].cats[static_cast<int>(TcpCat::delayed_ack)] + c.dir[1].cats[static_cast<int>(TcpCat::delayed_ack)],
            40u);
  EXPECT_EQ(kind(r, "slow_response"), 1u);
  // elapsed = host (server) time + network time
  EXPECT_GT(c.server_time_ns, 1'000'000'000);  // 17 x ~50 ms + 3 x ~400 ms
  EXPECT_LT(c.server_time_ns, c.elapsed_ns());
  // With the default 200 ms threshold none of the 40 ms ACKs is delayed.
  auto def = run("tcp-delayed-ack.pcap");
  EXPECT_EQ(def.report.tcp.totals.cats[static_cast<int>(TcpCat::delayed_ack)], 0u);
}

TEST(TcpScenario, BulkTransferWithLoss) {
  auto res = run("tcp-bulk-loss.pcap");
  const auto& r = res.report;
  EXPECT_EQ(r.tcp.totals.connections, 2u);
  EXPECT_GT(flag(r, tcpa::fast_retransmission), 10u);
  EXPECT_GT(flag(r, tcpa::duplicate_ack), 50u);
  EXPECT_GT(flag(r, tcpa::out_of_order), 5u);
  EXPECT_EQ(r.tcp.totals.closed, 2u);
  // captured with tcpdump -s 128: the data segments are truncated, none is malformed
  EXPECT_GT(res.report.records.truncated, 1000u);
  EXPECT_EQ(res.report.records.malformed, 0u);
}
