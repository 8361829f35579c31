// Shared machinery of the readers (internal).
#pragma once

#include <fmt/format.h>

#include <array>

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

// ---- damage by a text-mode (ASCII) file transfer (detect.cpp, docs/cli.md) ----
// Judged on the first bytes only, so good files pay nothing beyond their first block.
inline constexpr std::size_t kTransferWindow = 64u << 10;
// How far a window from the start of a file parses as records of its format: `clean` when it
// does so up to the window's end (or the file's); with lossy_crlf, a record whose successor is
// misplaced may end up to 16 bytes early (as after CR LF -> LF), each such repair in `fixes`.
struct Walk {
  std::uint64_t records = 0, fixes = 0;
  bool clean = false;
};
using Walker = Walk (*)(Bytes window, bool whole_file, bool lossy_crlf);
Walk pcap_walk(Bytes w, bool whole_file, bool lossy_crlf);    // pcap_reader.cpp
Walk ctrace_walk(Bytes w, bool whole_file, bool lossy_crlf);  // ctrace_reader.cpp, raw form
// A file a reader recognises but whose first window does not parse: the text-mode translation
// whose undoing makes it parse (sets stats.ascii_transfer, marks the input damaged).
void note_transfer_damage(ReadStats& stats, Bytes head, bool whole_file, Walker walk);
// A file no reader recognises: the translation whose undoing makes it a trace, or "".
std::string_view transfer_damage_unknown(Bytes head, bool whole_file);

// EBCDIC code page 037 to ISO 8859-1 (detect.cpp).
const std::array<std::uint8_t, 256>& cp037_to_latin1();

// At the end of a reader's input: a read error, or TERSE input cut or damaged (Input::problem),
// into the stats as one issue, once.
void note_input_problem(ReadStats& stats, Input& in);

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
