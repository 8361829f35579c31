// The two-thread pipeline (src/analyze/pipeline.cpp) must give exactly the report of the one-thread
// loop: same counts, same connections and findings in the same order, on every trace we have.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "analyze/pipeline.hpp"
#include "ctana/render.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;

namespace {
std::string all_outputs(const std::string& path, unsigned threads) {
  RunOptions opt;
  opt.threads = threads;
  const RunResult res = run_summary(path, opt);
  return std::to_string(res.exit_code) + res.error + render_summary_json(res.report) + render_summary_text(res.report) +
         render_sessions_json(res.report);
}

struct Counter : Analyzer {
  std::uint64_t packets = 0, bytes = 0, last_index = 0;
  bool in_order = true;
  void on_packet(const Packet& p) override {
    ++packets;
    bytes += p.rec->data.size();
    in_order = in_order && p.rec->index == last_index + 1;
    last_index = p.rec->index;
  }
};

struct Thrower : Analyzer {
  std::uint64_t seen = 0;
  void on_packet(const Packet&) override {
    if (++seen == 700) throw std::runtime_error("analyzer failed");
  }
};
}  // namespace

TEST(Pipeline, TwoThreadsGiveTheOneThreadReportOnEveryTrace) {
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(test::testdata(""))) {
    const auto ext = e.path().extension();
    if (!e.is_regular_file() || (ext != ".pcap" && ext != ".pcapng" && ext != ".ctrace")) continue;
    ++files;
    EXPECT_EQ(all_outputs(e.path().string(), 1), all_outputs(e.path().string(), 2)) << e.path();
  }
  EXPECT_GT(files, 40u);
}

TEST(Pipeline, FarAnalyzersSeeEveryPacketInOrderWithItsBytes) {
  // Records of every size, more than one batch (512 records, 1 MiB) holds, and one record larger
  // than a batch's arena.
  std::vector<std::vector<std::uint8_t>> bufs;
  for (std::size_t i = 0; i < 5000; ++i) bufs.emplace_back(i == 4321 ? (3u << 20) : (i * 37) % 1600, std::uint8_t(i));
  Counter near, far;
  std::uint64_t total = 0;
  {
    Pipeline pipe({&near}, {&far}, true);
    ASSERT_TRUE(pipe.threaded());
    for (std::size_t i = 0; i < bufs.size(); ++i) {
      Record r = test::make_record(bufs[i], linktype::ethernet);
      r.index = i + 1;
      total += bufs[i].size();
      pipe.push(r);
    }
    pipe.drain();
  }
  EXPECT_EQ(near.packets, 5000u);
  EXPECT_EQ(far.packets, 5000u);
  EXPECT_EQ(far.bytes, total);
  EXPECT_TRUE(far.in_order);
}

TEST(Pipeline, AnExceptionOnTheAnalysisThreadReachesTheCaller) {
  std::vector<std::uint8_t> b(60, 0);
  Counter near;
  Thrower far;
  Pipeline pipe({&near}, {&far}, true);
  for (int i = 0; i < 5000; ++i) pipe.push(test::make_record(b, linktype::ethernet));
  EXPECT_THROW(pipe.drain(), std::runtime_error);
  EXPECT_EQ(near.packets, 5000u);  // the reading side never waited for good
}
