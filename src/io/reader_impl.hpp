// Shared machinery of the readers (internal).
#pragma once

#include <fmt/format.h>

#include "ctana/reader.hpp"
#include "io/input.hpp"

namespace ctana {

// Largest record or block a reader accepts; anything claiming more is damage, not a packet.
inline constexpr std::uint32_t kMaxRecordBytes = 16u << 20;

template <class Valid>
bool Reader::resync(std::size_t step, Valid valid) {
  const std::uint64_t start = in_->offset();
  constexpr std::size_t kWindow = kMaxRecordBytes + (1u << 20);
  std::size_t i = step;  // the damaged position itself is not a candidate
  for (;;) {
    const std::size_t avail = in_->fill(std::min<std::size_t>(kWindow + i, Input::kMaxWindow));
    const bool at_end = avail < std::min<std::size_t>(kWindow + i, Input::kMaxWindow);
    bool need_more = false;
    for (; i < avail; i += step) {
      const Scan s = valid(in_->data() + i, avail - i, at_end);
      if (s == Scan::yes) {
        in_->consume(i);
        stats_.bytes_skipped += in_->offset() - start;
        ++stats_.resyncs;
        stats_.add_issue(in_->offset(), fmt::format("resynchronised after skipping {} bytes from offset {}",
                                                    in_->offset() - start, start));
        return true;
      }
      if (s == Scan::need_more && !at_end) {
        need_more = true;
        break;
      }
    }
    if (at_end && !need_more) {
      in_->consume(avail);
      stats_.bytes_skipped += in_->offset() - start;
      stats_.add_issue(start, fmt::format("no valid record found in the {} bytes after offset {}",
                                          in_->offset() - start, start));
      return false;
    }
    // Slide the window: drop what was scanned (keeping step alignment) and read on.
    const std::size_t drop = i - (i % step == 0 ? 0 : i % step);
    in_->consume(drop);
    i -= drop;
    if (need_more && drop == 0) {
      // The candidate at the cursor needs more than a window: give it up and move on.
      i += step;
    }
  }
}

std::unique_ptr<Reader> make_pcap_reader(std::unique_ptr<Input> in, OpenError& err);
std::unique_ptr<Reader> make_pcapng_reader(std::unique_ptr<Input> in, OpenError& err);
std::unique_ptr<Reader> make_ctrace_reader(std::unique_ptr<Input> in, OpenError& err, const OpenOptions& opt);
// CTRACE content tests on the first bytes (whole_file: `head` is the entire input).
bool looks_like_ctrace(Bytes head, bool whole_file);
bool looks_like_terse(Bytes head);
// 2cUTC pcapng: USER0 records that each carry a 2cUTC header and one CTE.
bool looks_like_2cutc(Bytes head);
std::unique_ptr<Reader> make_2cutc_reader(std::unique_ptr<Input> in, OpenError& err, const OpenOptions& opt);

}  // namespace ctana
