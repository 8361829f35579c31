// Analyzers observe decoded packets. Each owns and bounds its state and fills a report model;
// none formats text.
#pragma once

#include <cstdint>
#include <functional>

#include "ctana/packet.hpp"

namespace ctana {

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  virtual void on_packet(const Packet& p) = 0;
  virtual void on_idle(std::int64_t /*now_ns*/) {}
  virtual void finish() {}
  // Whether it is also shown the datagrams the IP reassembler rebuilds (Packet::reassembled,
  // docs/decoding.md "IP reassembly"). Those are not records: an analyzer that counts records
  // (the summary, checksums, a per-packet listing) leaves them out, and one that takes them leaves
  // out the fragments marked Packet::reassembling.
  virtual bool takes_datagrams() const { return false; }
};

// The number of the open TCP connection between two endpoints (src, sport, dst, dport; either
// order), 0 when none: TcpAnalyzer::open_connection_id, handed to the analyzers that name the
// connection a packet they see belongs to (ICMP errors, routing loops).
using ConnectionLookup = std::function<std::uint64_t(const IpAddr&, std::uint16_t, const IpAddr&, std::uint16_t)>;

}  // namespace ctana
