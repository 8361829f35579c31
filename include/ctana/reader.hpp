// Trace readers. A Reader streams records one at a time from a file or standard input; memory
// does not grow with the file. Damage is reported in stats(), never thrown.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctana/bytes.hpp"
#include "ctana/packet.hpp"

namespace ctana {

enum class Format { unknown, empty, pcap, pcapng, ctrace, terse, gzip, bzip2, xz, zstd };
std::string_view format_name(Format f);
// Identify a trace by its first bytes (at most 64 are looked at).
Format detect_format(Bytes head);

struct InterfaceInfo {
  std::string name;          // pcapng if_name, or "" when the format has none
  std::string description;   // pcapng if_description
  std::uint16_t link = 0;    // LINKTYPE_* number
  std::uint32_t snaplen = 0;
  std::string ts_resolution; // "us", "ns", "10^-n s" or "2^-n s"
  std::uint64_t records = 0; // records read on this interface
};

struct ReadIssue {
  std::uint64_t offset = 0;  // file offset the problem was found at
  std::string message;
};

// CTRACE framing figures (docs/ctrace.md): every byte of the input is in exactly one of
// cte_bytes, zero_fill_bytes, skipped_bytes and descriptor_bytes.
struct CtraceReadStats {
  std::string framing;                   // "raw", "rdw" or "bdw" (record/block descriptors)
  std::uint64_t ctes = 0;                // component trace entries validated
  std::uint64_t cte_bytes = 0;
  std::uint64_t zero_fill_bytes = 0;     // zero fill after the last CTE of a buffer
  std::uint64_t skipped_bytes = 0;       // bytes passed over while resynchronising
  std::uint64_t header_like_bytes = 0;   // of skipped_bytes: <= 64 bytes right before a buffer
  std::uint64_t descriptor_bytes = 0;    // RDWs and BDWs
  std::uint64_t not_validated = 0;       // CTE headers whose trailing length did not match
  std::uint64_t lost_markers = 0;        // NMI lost-record entries (format id FFxxxxxx)
  std::int64_t lost_first_ns = 0, lost_last_ns = 0;  // the time stamps of the first and last of them
  std::uint64_t spanned_segments = 0;    // VBS segments read (RDW byte 2 = 1, 2 or 3)
  std::uint64_t spanned_records = 0;     // spanned records whose segments were all there
  std::uint64_t spanned_lost = 0;        // spanned records with a missing segment
  std::uint64_t trace_segments = 0;      // segmented trace records (PTH sequence numbers) read
  std::uint64_t trace_reassembled = 0;   // packets rebuilt from segmented trace records
  std::uint64_t trace_segments_lost = 0; // segments dropped because their set was incomplete
  std::uint64_t unusable = 0;            // CTEs without a usable packet trace header
  std::uint64_t foreign_records = 0;     // 2cUTC pcapng: records that are not 2cUTC CTE records
  struct LayoutField {
    std::string name;
    int offset = -1;                     // from the packet trace header start; -1 = absent
    double agreement = 0;                // share of calibration records that agree (0..1)
    bool calibrated = false;             // found in the data (false: hypothesis H1 kept)
  };
  std::vector<LayoutField> layout;
  bool layout_from_data = false;
  std::uint32_t calibration_records = 0;
  std::string layout_note;               // why the hypothesis was kept, if it was
  std::string direction_bit;             // "flags+0 X'10' set=out", or "" when unknown
  double direction_agreement = 0;
  int tod_leap_seconds = 0;              // subtracted from every TOD (--tod-leap-seconds)
};

struct ReadStats {
  std::uint64_t records = 0;          // records handed out by next()
  std::uint64_t bytes_read = 0;       // bytes consumed from the input
  std::uint64_t bytes_skipped = 0;    // bytes passed over while resynchronising after damage
  std::uint64_t resyncs = 0;          // times the reader found its footing again after damage
  std::uint64_t other_blocks = 0;     // pcapng blocks that hold no packet (NRB, ISB, custom...)
  bool truncated = false;             // the input ended inside a record
  bool damaged = false;               // some bytes could not be read as records
  bool io_error = false;              // the operating system reported a read error
  std::vector<ReadIssue> issues;      // the first kMaxIssues problems, in file order
  std::uint64_t issues_dropped = 0;   // problems beyond that
  std::optional<CtraceReadStats> ctrace;  // CTRACE input only
  // "LF -> CR LF", "CR LF -> LF", "EBCDIC -> ASCII", "ASCII -> EBCDIC" when the file looks
  // damaged by a text-mode (ASCII) file transfer (docs/cli.md); "" otherwise.
  std::string ascii_transfer;

  static constexpr std::size_t kMaxIssues = 100;
  void add_issue(std::uint64_t offset, std::string msg);
  bool partial() const { return truncated || damaged || io_error; }
};

// "looks like it was transferred in ASCII mode (LF -> CR LF): transfer it again in binary"
std::string ascii_transfer_message(std::string_view what);

class Input;

// A TERSE/AMATERSE packed data set, unpacked while it is read (docs/ctrace.md, "TERSE").
struct PackedInfo {
  std::string method;               // "PACK" or "SPACK"
  std::string record_format;        // "FB", "VB", or "" for the native (record-less) form
  std::uint32_t lrecl = 0;          // 0 for the native form
  std::uint64_t packed_bytes = 0;   // packed bytes consumed so far
  std::uint64_t unpacked_bytes = 0; // unpacked bytes produced so far
  // "terse (PACK, VB, LRECL 251)"
  std::string label() const;
};

class Reader {
 public:
  virtual ~Reader();
  // Next record; false at the end of the input or when the rest cannot be read (see stats()).
  virtual bool next(Record& r) = 0;
  virtual Format format() const = 0;
  // Every interface the file declared so far (pcapng IDBs; one for pcap). Stable addresses.
  const std::deque<InterfaceInfo>& interfaces() const { return interfaces_; }
  const ReadStats& stats() const { return stats_; }
  const std::string& path() const;
  std::uint64_t file_size() const;  // 0 when unknown (a pipe); the packed size for TERSE
  // The TERSE packing of the file, when it is packed; offsets in records and issues are then
  // offsets in the unpacked data, except for the issue that names where the packed data broke.
  std::optional<PackedInfo> packed() const;

 protected:
  explicit Reader(std::unique_ptr<Input> in);
  std::unique_ptr<Input> in_;
  std::deque<InterfaceInfo> interfaces_;
  ReadStats stats_;

  enum class Scan { no, yes, need_more };
  // After damage at the cursor: skip forward in steps of `step` bytes until `valid` accepts a
  // position, counting what was skipped. `valid(p, avail, at_end)` may ask for more bytes.
  template <class Valid>
  bool resync(std::size_t step, Valid valid);
};

struct OpenError {
  int exit_code = 2;      // 2: unreadable or not a trace
  std::string message;    // one line, names the file
};

// Options that only some formats use.
struct OpenOptions {
  // CTRACE: packet trace header fields whose offset the user sets instead of calibrating
  // ("src" -> 32; -1 = the field is absent). "out" sets the direction bit in the flags byte:
  // the bit mask, negative when a clear bit means outbound, 0 for direction unknown.
  std::vector<std::pair<std::string, int>> ctrace_fields;
  int tod_leap_seconds = 0;  // CTRACE: seconds the TOD clock runs ahead of UTC
};

// Open a trace by content; "-" is standard input. On failure returns nullptr and fills err.
std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err);
std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err, const OpenOptions& opt);

}  // namespace ctana
