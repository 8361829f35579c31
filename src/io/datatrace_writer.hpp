// Data trace (SYSTCPDA format 5) records for CTRACE fixtures: the TCP payload of each connection
// of a packet trace as the socket data the z/OS application would have read and written, with
// a start record before the first data and an end record when the connection is over
// (`ctana convert --to ctrace --data-trace`, docs/ctrace.md). Internal to ctana_core.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ctana/ctrace.hpp"

namespace ctana {

class DataTraceWriter {
 public:
  // Records go to `w`; `job` is the job name of every record.
  DataTraceWriter(ctrace::Writer& w, std::string job);
  ~DataTraceWriter();
  DataTraceWriter(const DataTraceWriter&) = delete;
  DataTraceWriter& operator=(const DataTraceWriter&) = delete;

  // One decoded TCP packet. `pkt` is its packet trace record as it would be written (its `dir`
  // says whether the z/OS host sent it); it is written too when `with_packet` is set, before the
  // socket data it carries when inbound and after it when outbound (the application writes
  // before the stack sends; the stack receives before the application reads).
  void packet(const Packet& p, const ctrace::WritePacket& pkt, bool with_packet);
  // Deliver what is still held (out-of-order data before a hole that never filled).
  void finish();

  std::uint64_t records() const;      // data trace records written (start and end included)
  std::uint64_t connections() const;  // connections that got a start record
  std::uint64_t gap_bytes() const;    // payload bytes never captured: not in the data trace

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
