// Analyzers observe decoded packets. Each owns and bounds its state and fills a report model;
// none formats text.
#pragma once

#include <cstdint>

#include "ctana/packet.hpp"

namespace ctana {

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual void on_packet(const Packet& p) = 0;
  virtual void on_idle(std::int64_t /*now_ns*/) {}
  virtual void finish() {}
};

}  // namespace ctana
