// The CTRACE part of the summary: links, record kinds, discards, IDS events, data-trace jobs; and
// the findings of the CTRACE evidence (docs/findings.md): discarded packets by reason code and
// IDS events by probe and source.
#pragma once

#include <memory>

#include "ctana/analyzer.hpp"
#include "ctana/findings.hpp"
#include "ctana/report.hpp"

namespace ctana {

class CtraceSummaryAnalyzer final : public Analyzer {
 public:
  explicit CtraceSummaryAnalyzer(CtraceReport& out, FindingSink findings = {});
  ~CtraceSummaryAnalyzer() override;
  void on_packet(const Packet& p) override;
  void finish() override;
  // Every record so far is an IDS (SYSTCPIS) record: the trace holds only the offending packets.
  bool ids_only() const;

 private:
  struct State;
  void findings();
  CtraceReport& out_;
  FindingSink emit_;
  std::unique_ptr<State> st_;
};

}  // namespace ctana
