// TERSE / AMATERSE unpacking (docs/ctrace.md, "TERSE"): the packed data set's header, and a
// streaming decoder for both of its algorithms, PACK (an LZW dictionary of 3,838 strings kept in
// least-recently-used order) and SPACK (pairs of earlier codes, a dictionary of the same size whose
// entries are reclaimed by reference count and age). Memory is fixed (about 300 KB) whatever the
// size of the input; every code is checked before use, so damaged or hostile input ends the
// output with a status and the packed offset, never a crash or a loop.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "ctana/bytes.hpp"

namespace ctana {

class Input;

namespace terse {

struct Header {
  bool spack = true;       // SPACK (header byte 05, and the native 01/07 forms), else PACK (02)
  bool variable = false;   // RECFM V: records end with a record mark; written behind an RDW each
  bool native = false;     // 01/07 89 69 A5: a packed byte stream without records
  std::uint32_t lrecl = 0; // the data set's record length (0 for native)
  std::uint32_t block_size = 0;
  std::uint8_t flags = 0;
  std::size_t size = 0;    // header bytes: 12, or 6 for native
};

// A TERSE header at the start of `head` (at least 12 bytes looked at); on failure `why` says what
// is wrong (empty when the bytes are not a TERSE header at all).
bool parse_header(Bytes head, Header& h, std::string* why = nullptr);
// "PACK, VB, LRECL 251", "SPACK, FB, LRECL 80", "SPACK, native".
std::string describe(const Header& h);
// Packed bytes a decoder may turn into at most 1 GiB plus this many unpacked bytes each: past
// that the input is taken for damage (a hostile stream can expand without end).
inline constexpr std::uint64_t kMaxRatio = 1024;

class Decoder {
 public:
  enum class Output { binary, text };
  enum class Status { ok, end, cut, damaged, io_error };

  // `packed` is positioned at its start (the header is consumed here). binary: FB records back
  // to back, VB records each behind a 4-byte RDW (as z/OS FTP with SITE RDW); text: records
  // translated from EBCDIC (code page 037) to UTF-8, each ended by a newline.
  Decoder(std::unique_ptr<Input> packed, const Header& h, Output out = Output::binary);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Up to n unpacked bytes into dst; fewer only at the end of the data or on a problem (status()).
  std::size_t read(std::uint8_t* dst, std::size_t n);

  Status status() const { return status_; }
  // One line for the problem (cut, damaged, read error), naming the packed offset; "" when none.
  const std::string& message() const { return message_; }
  std::uint64_t problem_offset() const { return problem_offset_; }  // packed file offset
  const Header& header() const { return h_; }
  const std::string& path() const;
  std::uint64_t packed_size() const;                                 // 0 when unknown
  std::uint64_t packed_bytes() const { return packed_done_ + pos_; } // packed bytes consumed
  std::uint64_t unpacked_bytes() const { return total_out_; }        // produced so far

 private:
  static constexpr std::size_t kTarget = 64u << 10;
  static constexpr std::size_t kCapacity = 256u << 10;
  static constexpr int kNodes = 4096;  // codes 0 (end), 1..256 bytes, 257 record mark, 258..4095 entries

  int next_code();  // 0..4095, or -1 when the packed bytes ran out
  void produce();
  bool step_pack(int code);
  bool step_spack(int code);
  bool emit_spack();
  void put(int sym);
  void end_record();
  void finish(Status s, std::uint64_t offset, std::string msg);

  std::unique_ptr<Input> in_;
  Header h_;
  Output mode_;
  Status status_ = Status::ok;
  std::string message_;
  std::uint64_t problem_offset_ = 0;

  // packed input: bytes of in_ used up to pos_ (consumed from in_ in bulk)
  std::size_t pos_ = 0, avail_ = 0;
  std::uint64_t packed_done_ = 0;  // packed offset of in_'s cursor
  int nibble_ = -1;                // the low 4 bits of the last byte, when a code starts there
  std::uint64_t code_offset_ = 0;  // packed offset of the last code

  // output: [out_pos_, ready_) can be handed out; [rec_start_, size_) is a VB record in progress
  std::unique_ptr<std::uint8_t[]> out_;
  std::size_t size_ = 0, out_pos_ = 0, ready_ = 0, rec_start_ = 0;
  std::uint64_t total_out_ = 0;
  std::uint32_t col_ = 0;          // FB text: bytes in the current record
  bool started_ = false;
  bool in_rec_ = false;            // V records: one is in progress (from rec_start_)

  // PACK state
  struct Pack {
    std::array<std::uint16_t, kNodes> father, ext, fwd, bwd;
    std::array<std::uint16_t, kNodes> path;
    int x = 0;
  };
  // SPACK state: next is the LRU link when >= 0, else minus the reference count
  struct Spack {
    std::array<std::int32_t, kNodes + 1> left, right, back, next;
    std::array<bool, kNodes + 1> live;
    std::array<std::uint16_t, kNodes + 1> stack;
    int sp = 0, avail = 0, prev = 0;
  };
  std::unique_ptr<Pack> pack_;
  std::unique_ptr<Spack> spack_;
};

}  // namespace terse
}  // namespace ctana
