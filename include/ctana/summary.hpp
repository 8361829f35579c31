// The protocol summary: counts, bytes, time span, protocol mix and top conversations.
#pragma once

#include <memory>
#include <string>

#include "ctana/analyzer.hpp"
#include "ctana/report.hpp"

namespace ctana {

struct SummaryOptions {
  std::size_t top_conversations = 10;
  std::size_t max_conversations = 200'000;  // table cap; packets beyond it are counted as untracked
};

class SummaryAnalyzer final : public Analyzer {
 public:
  SummaryAnalyzer(SummaryReport& out, SummaryOptions opt);
  ~SummaryAnalyzer() override;
  void on_packet(const Packet& p) override;
  void finish() override;

 private:
  struct State;
  SummaryReport& out_;
  SummaryOptions opt_;
  std::unique_ptr<State> st_;
};

struct RunOptions {
  std::string filter;       // tcpdump-style BPF expression, "" for none
  SummaryOptions summary;
  OpenOptions open;         // format options (CTRACE field map overrides, TOD leap seconds)
};

// Read, filter, decode and summarise a whole trace. Never throws on bad input: open errors
// return exit_code 2 with `error` set; a damaged/truncated input gives exit_code 3.
struct RunResult {
  SummaryReport report;
  int exit_code = 0;
  std::string error;        // one-line message when nothing could be read
};
RunResult run_summary(const std::string& path, const RunOptions& opt);

}  // namespace ctana
