#include "analyze/tcp_reassembly.hpp"

#include <algorithm>

namespace ctana::detail {

void StreamReassembler::syn(std::uint32_t seq) {
  if (started_) return;
  started_ = true;
  next_seq_ = seq + 1;
  next_off_ = 0;
}

void StreamReassembler::fin(std::uint32_t seq) {
  if (!has_fin_ || static_cast<std::int32_t>(seq - fin_seq_) > 0) fin_seq_ = seq;
  has_fin_ = true;
}

void StreamReassembler::release(std::size_t n, ReassemblyBudget& b) {
  held_ -= n;
  b.stats.buffered_now -= n;
}

void StreamReassembler::deliver(std::uint64_t off, Bytes captured, std::uint32_t missing, std::int64_t ts,
                                ReassemblyStats& st, const DataFn& data, const GapFn& gap) {
  // `off` may lie before next_off_ (overlap with what was delivered): trim.
  std::uint64_t skip = next_off_ > off ? next_off_ - off : 0;
  if (skip < captured.size()) {
    const Bytes fresh = tail(captured, static_cast<std::size_t>(skip));
    data(next_off_, fresh, ts);
    st.bytes_delivered += fresh.size();
    next_off_ += fresh.size();
    next_seq_ += static_cast<std::uint32_t>(fresh.size());
    skip = 0;
  } else {
    skip -= captured.size();
  }
  if (missing > skip) {
    const std::uint64_t len = missing - skip;
    gap(next_off_, len, ts);
    st.bytes_gap += len;
    next_off_ += len;
    next_seq_ += static_cast<std::uint32_t>(len);
  }
}

void StreamReassembler::skip_to(std::uint64_t off, std::int64_t ts, ReassemblyStats& st, const GapFn& gap) {
  if (off <= next_off_) return;
  const std::uint64_t len = off - next_off_;
  gap(next_off_, len, ts);
  st.bytes_gap += len;
  next_off_ = off;
  next_seq_ += static_cast<std::uint32_t>(len);
}

void StreamReassembler::drain(std::int64_t ts, ReassemblyBudget& b, const DataFn& data, const GapFn& gap) {
  while (!held_pieces_.empty() && held_pieces_.begin()->first <= next_off_) {
    auto node = held_pieces_.extract(held_pieces_.begin());
    const std::size_t n = node.mapped().bytes.size();
    deliver(node.key(), Bytes(node.mapped().bytes.data(), n), node.mapped().missing, ts, b.stats, data, gap);
    release(n, b);
  }
}

void StreamReassembler::segment(std::uint32_t seq, std::uint32_t length, Bytes captured, std::int64_t ts,
                                ReassemblyBudget& b, const DataFn& data, const GapFn& gap) {
  if (length == 0) return;
  if (!started_) {
    started_ = true;
    next_seq_ = seq;
    next_off_ = 0;
  }
  const std::int32_t d = static_cast<std::int32_t>(seq - next_seq_);
  if (static_cast<std::int64_t>(d) + length <= 0) return;  // all delivered already (a retransmission)
  const std::uint64_t off = next_off_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(d));
  const std::uint32_t missing = length - static_cast<std::uint32_t>(captured.size());
  if (d <= 0) {
    deliver(off, captured, missing, ts, b.stats, data, gap);
    drain(ts, b, data, gap);
    return;
  }
  // Ahead of the next expected byte: hold a copy, within the caps.
  if (held_ + captured.size() > b.per_stream || b.stats.buffered_now + captured.size() > b.total) {
    // Out of room: give up on the hole before the oldest held data, then place this one.
    b.stats.overflow_bytes += captured.size();
    if (!held_pieces_.empty()) {
      skip_to(held_pieces_.begin()->first, ts, b.stats, gap);
      drain(ts, b, data, gap);
    }
    if (off > next_off_) skip_to(off, ts, b.stats, gap);
    deliver(off, captured, missing, ts, b.stats, data, gap);
    drain(ts, b, data, gap);
    return;
  }
  auto [it, inserted] = held_pieces_.try_emplace(off);
  if (!inserted) {  // same start: keep the longer copy
    if (it->second.bytes.size() + it->second.missing >= captured.size() + missing) return;
    release(it->second.bytes.size(), b);
  }
  it->second.bytes.assign(captured.begin(), captured.end());
  it->second.missing = missing;
  held_ += captured.size();
  b.stats.buffered_now += captured.size();
  b.stats.buffered_peak = std::max(b.stats.buffered_peak, b.stats.buffered_now);
  ++b.stats.segments_buffered;
}

void StreamReassembler::acked(std::uint32_t ack, std::int64_t ts, ReassemblyBudget& b, const DataFn& data,
                              const GapFn& gap) {
  if (!started_) return;
  if (has_fin_ && static_cast<std::int32_t>(ack - fin_seq_) > 0) ack = fin_seq_;  // the FIN is no byte
  const std::int32_t d = static_cast<std::int32_t>(ack - next_seq_);
  if (d <= 0) return;
  // Acknowledged but not seen: the bytes before the first held piece (or up to the ack) are lost.
  std::uint64_t to = next_off_ + static_cast<std::uint64_t>(d);
  if (!held_pieces_.empty()) to = std::min(to, held_pieces_.begin()->first);
  skip_to(to, ts, b.stats, gap);
  drain(ts, b, data, gap);
}

void StreamReassembler::flush(std::int64_t ts, ReassemblyBudget& b, const DataFn& data, const GapFn& gap) {
  while (!held_pieces_.empty()) {
    skip_to(held_pieces_.begin()->first, ts, b.stats, gap);
    drain(ts, b, data, gap);
  }
}

}  // namespace ctana::detail
