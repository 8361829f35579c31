// The CTRACE part of the summary: links, record kinds, discards, IDS events, data-trace jobs.
#pragma once

#include <memory>

#include "ctana/analyzer.hpp"
#include "ctana/report.hpp"

namespace ctana {

class CtraceSummaryAnalyzer final : public Analyzer {
 public:
  explicit CtraceSummaryAnalyzer(CtraceReport& out);
  ~CtraceSummaryAnalyzer() override;
  void on_packet(const Packet& p) override;
  void finish() override;

 private:
  struct State;
  CtraceReport& out_;
  std::unique_ptr<State> st_;
};

}  // namespace ctana
