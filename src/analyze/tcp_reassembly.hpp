// One direction of a TCP connection reassembled into an ordered byte stream (internal to the TCP
// analyzer). Out-of-order data is copied and held within byte caps; what can never be delivered
// is reported as a gap. Stream offsets are 64-bit, so streams beyond 4 GiB keep counting.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "ctana/bytes.hpp"
#include "ctana/tcp.hpp"

namespace ctana::detail {

struct ReassemblyBudget {
  std::size_t per_stream;   // bytes one stream may hold
  std::size_t total;        // bytes all streams together may hold
  ReassemblyStats& stats;
};

class StreamReassembler {
 public:
  using DataFn = std::function<void(std::uint64_t offset, Bytes data, std::int64_t ts)>;
  using GapFn = std::function<void(std::uint64_t offset, std::uint64_t length, std::int64_t ts)>;

  // A SYN: the stream starts after its sequence number.
  void syn(std::uint32_t seq);
  // A FIN after the data ending before `seq`: the stream ends there (the FIN's sequence number is
  // acknowledged but carries no byte).
  void fin(std::uint32_t seq);
  // A segment carrying `length` bytes at `seq`, of which `captured` (a prefix) is in the trace.
  void segment(std::uint32_t seq, std::uint32_t length, Bytes captured, std::int64_t ts, ReassemblyBudget& b,
               const DataFn& data, const GapFn& gap);
  // The peer acknowledged everything before `ack`: what is still missing there never will come.
  void acked(std::uint32_t ack, std::int64_t ts, ReassemblyBudget& b, const DataFn& data, const GapFn& gap);
  // The connection ended: deliver what is held, with gaps between.
  void flush(std::int64_t ts, ReassemblyBudget& b, const DataFn& data, const GapFn& gap);
  std::size_t held() const { return held_; }

 private:
  struct Piece {
    std::vector<std::uint8_t> bytes;  // captured bytes
    std::uint32_t missing = 0;        // bytes after them cut by the snap length
  };
  void deliver(std::uint64_t off, Bytes captured, std::uint32_t missing, std::int64_t ts, ReassemblyStats& st,
               const DataFn& data, const GapFn& gap);
  void drain(std::int64_t ts, ReassemblyBudget& b, const DataFn& data, const GapFn& gap);
  void skip_to(std::uint64_t off, std::int64_t ts, ReassemblyStats& st, const GapFn& gap);
  void release(std::size_t n, ReassemblyBudget& b);

  bool started_ = false;
  bool has_fin_ = false;
  std::uint32_t fin_seq_ = 0;
  std::uint32_t next_seq_ = 0;     // sequence number of the next byte to deliver
  std::uint64_t next_off_ = 0;     // its stream offset
  std::map<std::uint64_t, Piece> held_pieces_;  // by stream offset
  std::size_t held_ = 0;
};

}  // namespace ctana::detail
