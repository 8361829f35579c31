// Trace readers. A Reader streams records one at a time from a file or standard input; memory
// does not grow with the file. Damage is reported in stats(), never thrown.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
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

  static constexpr std::size_t kMaxIssues = 100;
  void add_issue(std::uint64_t offset, std::string msg);
  bool partial() const { return truncated || damaged || io_error; }
};

class Input;

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
  std::uint64_t file_size() const;  // 0 when unknown (a pipe)

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

// Open a trace by content; "-" is standard input. On failure returns nullptr and fills err.
std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err);

}  // namespace ctana
