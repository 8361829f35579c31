// Ordered payload delivery: the stream reassembler alone, and through the TCP analyzer on a real
// FTP capture.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "analyze/tcp_reassembly.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;
using ctana::detail::ReassemblyBudget;
using ctana::detail::StreamReassembler;

namespace {
struct Collect {
  std::string text;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
  std::uint64_t next = 0;
  bool in_order = true;
  StreamReassembler::DataFn data() {
    return [this](std::uint64_t off, Bytes b, std::int64_t) {
      if (off != next) in_order = false;
      text.append(reinterpret_cast<const char*>(b.data()), b.size());
      next = off + b.size();
    };
  }
  StreamReassembler::GapFn gap() {
    return [this](std::uint64_t off, std::uint64_t len, std::int64_t) {
      if (off != next) in_order = false;
      gaps.emplace_back(off, len);
      text.append(len, '_');
      next = off + len;
    };
  }
};
Bytes str(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
}  // namespace

TEST(Reassembly, InOrderOutOfOrderAndOverlap) {
  ReassemblyStats st;
  ReassemblyBudget b{1 << 20, 1 << 20, st};
  StreamReassembler r;
  Collect c;
  r.syn(999);                                               // stream starts at seq 1000
  r.segment(1000, 5, str("hello"), 0, b, c.data(), c.gap());
  r.segment(1011, 5, str("world"), 0, b, c.data(), c.gap());  // ahead: held
  EXPECT_EQ(r.held(), 5u);
  r.segment(1003, 8, str("lo, dear"), 0, b, c.data(), c.gap());  // overlaps delivered "lo"
  EXPECT_EQ(c.text, "hello, dearworld");
  r.segment(1000, 5, str("hello"), 0, b, c.data(), c.gap());  // retransmission: nothing new
  EXPECT_EQ(c.text, "hello, dearworld");
  EXPECT_TRUE(c.in_order);
  EXPECT_EQ(r.held(), 0u);
  EXPECT_EQ(st.bytes_delivered, 16u);
}

TEST(Reassembly, AckedButNeverSeenIsAGap) {
  ReassemblyStats st;
  ReassemblyBudget b{1 << 20, 1 << 20, st};
  StreamReassembler r;
  Collect c;
  r.segment(5000, 3, str("abc"), 0, b, c.data(), c.gap());
  r.segment(5010, 3, str("xyz"), 0, b, c.data(), c.gap());  // 5003..5009 missing
  r.acked(5013, 0, b, c.data(), c.gap());                   // the receiver got it all
  EXPECT_EQ(c.text, "abc_______xyz");
  ASSERT_EQ(c.gaps.size(), 1u);
  EXPECT_EQ(c.gaps[0], (std::pair<std::uint64_t, std::uint64_t>{3, 7}));
}

TEST(Reassembly, SnappedTailAndFlushAtClose) {
  ReassemblyStats st;
  ReassemblyBudget b{1 << 20, 1 << 20, st};
  StreamReassembler r;
  Collect c;
  r.segment(100, 10, str("0123"), 0, b, c.data(), c.gap());  // 6 bytes cut by the snap length
  r.segment(120, 2, str("zz"), 0, b, c.data(), c.gap());      // 110..119 never seen
  r.flush(0, b, c.data(), c.gap());
  EXPECT_EQ(c.text, "0123" + std::string(6, '_') + std::string(10, '_') + "zz");
  EXPECT_TRUE(c.in_order);
  EXPECT_EQ(st.bytes_gap, 16u);
}

TEST(Reassembly, CapsBoundTheMemory) {
  ReassemblyStats st;
  ReassemblyBudget b{8, 1 << 20, st};
  StreamReassembler r;
  Collect c;
  r.segment(0, 1, str("a"), 0, b, c.data(), c.gap());
  r.segment(10, 5, str("bbbbb"), 0, b, c.data(), c.gap());  // held (5)
  r.segment(20, 5, str("ccccc"), 0, b, c.data(), c.gap());  // would exceed 8: give up the hole
  EXPECT_LE(r.held(), 8u);
  EXPECT_GT(st.overflow_bytes, 0u);
  EXPECT_EQ(c.text, "a" + std::string(9, '_') + "bbbbb" + std::string(5, '_') + "ccccc");
  EXPECT_TRUE(c.in_order);
}

namespace {
// Collects the reassembled streams of every connection.
struct StreamText : TcpStreamSink {
  std::map<std::pair<std::uint64_t, Side>, std::string> text;
  std::map<std::uint64_t, std::uint16_t> server_port;
  std::uint64_t gaps = 0, closed = 0;
  bool wants(const TcpConnection&) override { return true; }
  void on_data(const TcpConnection& c, Side from, std::uint64_t, Bytes d, std::int64_t) override {
    text[{c.id, from}].append(reinterpret_cast<const char*>(d.data()), d.size());
    server_port[c.id] = c.server_port;
  }
  void on_gap(const TcpConnection&, Side, std::uint64_t, std::uint64_t len, std::int64_t) override { gaps += len; }
  void on_close(const TcpConnection&) override { ++closed; }
};
}  // namespace

TEST(Reassembly, RealFtpSessionStreams) {
  StreamText sink;
  RunOptions opt;
  opt.tcp_hook = [&sink](TcpAnalyzer& tcp) { tcp.add_stream_sink(&sink); };
  auto res = run_summary(ctana::test::testdata("real/ftp-login.pcap"), opt);
  ASSERT_EQ(res.exit_code, 0);
  EXPECT_EQ(sink.gaps, 0u);
  EXPECT_EQ(sink.closed, res.report.tcp.totals.connections);
  // The second control connection logs in with the right password and retrieves a file.
  const std::string& cmds = sink.text[{2, Side::client}];
  const std::string& replies = sink.text[{2, Side::server}];
  EXPECT_NE(cmds.find("USER ctanatest\r\n"), std::string::npos) << cmds;
  EXPECT_NE(cmds.find("PASS Secr3tPass!\r\n"), std::string::npos);
  EXPECT_NE(replies.find("230 "), std::string::npos) << replies;
  EXPECT_EQ(replies.rfind("220 ", 0), 0u);  // the banner comes first
  // Whatever was sent on a connection arrives whole: bytes delivered = payload bytes sent.
  for (const auto& c : res.report.tcp.connections)
    for (const Side d : kSides)
      EXPECT_EQ(sink.text[std::make_pair(c.id, d)].size(), c.sent_by(d).payload_bytes) << c.id << " " << side_name(d);
}

namespace {
// Checks that every stream is delivered strictly in order: each call starts where the last ended.
struct OrderCheck : TcpStreamSink {
  std::map<std::pair<std::uint64_t, Side>, std::uint64_t> next;
  std::uint64_t violations = 0, bytes = 0, gap_bytes = 0;
  bool wants(const TcpConnection&) override { return true; }
  void at(const TcpConnection& c, Side from, std::uint64_t off, std::uint64_t len) {
    auto& n = next[{c.id, from}];
    if (off != n) ++violations;
    n = off + len;
  }
  void on_data(const TcpConnection& c, Side from, std::uint64_t off, Bytes d, std::int64_t) override {
    at(c, from, off, d.size());
    bytes += d.size();
  }
  void on_gap(const TcpConnection& c, Side from, std::uint64_t off, std::uint64_t len, std::int64_t) override {
    at(c, from, off, len);
    gap_bytes += len;
  }
  void on_close(const TcpConnection&) override {}
};
}  // namespace

TEST(Reassembly, EveryTraceIsDeliveredInOrder) {
  // All test traces, and the tcpdump project's captures when tools/fetch-tcpdump-tests.sh ran.
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"real", "crafted"})
    for (const auto& e : std::filesystem::directory_iterator(ctana::test::testdata(dir))) files.push_back(e.path());
  const auto corpus = std::filesystem::path(CTANA_TESTDATA).parent_path() / ".cache/tcpdump-tests";
  if (std::filesystem::exists(corpus))
    for (const auto& e : std::filesystem::directory_iterator(corpus)) files.push_back(e.path());
  EXPECT_GT(files.size(), 30u);
  std::uint64_t bytes = 0;
  for (const auto& f : files) {
    OrderCheck sink;
    RunOptions opt;
    opt.tcp_options.reassembly_conn_bytes = 64 * 1024;  // small caps: exercise the overflow path
    opt.tcp_hook = [&sink](TcpAnalyzer& tcp) { tcp.add_stream_sink(&sink); };
    auto res = run_summary(f.string(), opt);
    EXPECT_EQ(sink.violations, 0u) << f;
    bytes += sink.bytes;
  }
  EXPECT_GT(bytes, 100'000u);
  std::printf("%zu traces, %llu bytes delivered in order\n", files.size(), static_cast<unsigned long long>(bytes));
}
