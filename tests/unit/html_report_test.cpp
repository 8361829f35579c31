// ctana report's series collector and page (docs/report.md): the downsampling keeps every flagged
// packet and stays within its caps; the time bins merge; the page escapes what it is given.
#include <gtest/gtest.h>

#include <string>

#include "ctana/html_report.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;

namespace {
struct Collected {
  RunResult res;
  ReportSeries series;
};

void collect(const std::string& file, const SeriesOptions& so, Collected& out) {
  SeriesCollector c(out.series, so);
  RunOptions opt;
  opt.threads = 1;
  opt.extra.push_back(&c);
  opt.tcp_hook = [&c](TcpAnalyzer& tcp) { c.attach(tcp); };
  out.res = run_summary(ctana::test::testdata("real/" + file), opt);
}

constexpr std::uint32_t kRetrans = tcpa::retransmission | tcpa::fast_retransmission | tcpa::spurious_retransmission;
}  // namespace

// tcp-bulk-loss.pcap: one bulk transfer of 2,025 packets with 39 retransmissions and 168
// duplicate ACKs. With 100 ordinary points per series it must be downsampled, yet every
// retransmission and every duplicate ACK is still there.
TEST(ReportSeries, DownsamplingKeepsEveryFlaggedPacket) {
  SeriesOptions so;
  so.max_ordinary_points = 100;
  Collected c;
  collect("tcp-bulk-loss.pcap", so, c);
  ASSERT_EQ(c.res.exit_code, 0);
  const TcpConnection* conn = nullptr;
  for (const auto& x : c.res.report.tcp.connections)
    if (x.id == 1) conn = &x;
  ASSERT_NE(conn, nullptr);
  const ConnectionSeries* s = nullptr;
  for (const auto& x : c.series.connections)
    if (x.id == 1) s = &x;
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->sender, Side::server);  // the server sent the data
  const auto& d = conn->sent_by(Side::server);
  const std::uint64_t retrans = d.flags[0] + d.flags[1] + d.flags[2];
  const std::uint64_t dup = conn->sent_by(Side::client).flags[6];
  ASSERT_GT(retrans, 0u);
  ASSERT_GT(dup, 0u);
  std::uint64_t seen_retrans = 0, seen_dup = 0, ordinary = 0;
  for (const auto& p : s->data) {
    seen_retrans += (p.flags & kRetrans) != 0;
    ordinary += !p.important;
  }
  for (const auto& p : s->acks) seen_dup += (p.flags & tcpa::duplicate_ack) != 0;
  EXPECT_EQ(seen_retrans, retrans);
  EXPECT_EQ(seen_dup, dup);
  EXPECT_LE(ordinary, so.max_ordinary_points);
  EXPECT_GT(s->data_dropped, 0u);
  EXPECT_GT(s->stride, 1u);
  // in time order, within the connection
  for (std::size_t i = 1; i < s->data.size(); ++i) EXPECT_LE(s->data[i - 1].t_ns, s->data[i].t_ns);
  EXPECT_FALSE(s->rtt.empty());
  for (const auto& r : s->rtt) EXPECT_GE(r.rtt_ns, 0);
  // throughput: every payload byte of the data direction in the bins
  std::uint64_t bytes = 0;
  for (auto v : s->throughput.b) bytes += v;
  EXPECT_EQ(bytes, d.payload_bytes);
  EXPECT_LE(s->throughput.b.size(), so.throughput_bins);
}

TEST(ReportSeries, RetainsOnlyTheCappedConnections) {
  SeriesOptions so;
  so.keep_problem = 1;
  so.keep_biggest = 1;
  Collected c;
  collect("tcp-v4-v6.pcap", so, c);
  EXPECT_LE(c.series.connections.size(), 2u);
  EXPECT_GT(c.res.report.tcp.connections.size(), 2u);
  std::uint64_t packets = 0;
  for (auto v : c.series.timeline.a) packets += v;
  EXPECT_EQ(packets, c.res.report.records.decoded + c.res.report.records.malformed + c.res.report.records.truncated);
}

TEST(ReportSeries, TimeBinsMergeAndStayBounded) {
  TimeBins b;
  for (int i = 0; i < 10000; ++i) b.add(1'000'000'000LL + i * 1'000'000LL, 1, 10, 50, 1'000'000);
  EXPECT_LE(b.a.size(), 50u);
  std::uint64_t n = 0, bytes = 0;
  for (auto v : b.a) n += v;
  for (auto v : b.b) bytes += v;
  EXPECT_EQ(n, 10000u);
  EXPECT_EQ(bytes, 100000u);
  // an absurd jump (a damaged time stamp) neither loops for ever nor loses the count
  b.add(INT64_MAX, 1, 0, 50, 1'000'000);
  b.add(-5, 1, 0, 50, 1'000'000);  // before the origin: the first bin
  n = 0;
  for (auto v : b.a) n += v;
  EXPECT_EQ(n, 10002u);
  EXPECT_LE(b.a.size(), 50u);
}

TEST(ReportHtml, EscapesEverything) {
  EXPECT_EQ(html_escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
  EXPECT_EQ(html_escape(std::string("a\x01\x1b[31mb\x7f", 9)), "a??[31mb?");
  SummaryReport r;
  r.path = "<img src=x onerror=alert(1)>.pcap";
  r.first_ns = 1'700'000'000'000'000'000LL;
  r.last_ns = *r.first_ns + 1;
  Finding f(Severity::error, "init", "syn_unanswered", *r.first_ns, 3, "</script><script>alert(2)</script>", "x");
  r.findings.list.push_back(f);
  r.findings.recount();
  ReportSeries s;
  s.collected = true;
  s.timeline.add(*r.first_ns, 1, 60, 10, 1000);
  const std::string page = render_report_html(r, s, {});
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(page.find("&lt;/script&gt;&lt;script&gt;alert(2)"), std::string::npos);  // shown, escaped
  EXPECT_NE(page.find("\\u003c/script\\u003e"), std::string::npos);                  // and in the data block
}
