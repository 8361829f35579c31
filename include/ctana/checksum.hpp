// Checksum findings (docs/findings.md): bad IPv4, TCP and UDP checksums, told apart from checksum
// offload (a capture on the sending host sees its outgoing packets before the adapter fills the
// checksum in: a zero field, a constant, or the pseudo-header sum in place of the checksum).
#pragma once

#include <memory>

#include "ctana/analyzer.hpp"
#include "ctana/findings.hpp"

namespace ctana {

class ChecksumAnalyzer final : public Analyzer {
 public:
  explicit ChecksumAnalyzer(FindingSink findings);
  ~ChecksumAnalyzer() override;
  void on_packet(const Packet& p) override;
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
