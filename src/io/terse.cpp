// TERSE / AMATERSE unpacking: header, PACK and SPACK decoders, records (terse.hpp, docs/ctrace.md).
//
// The bit stream is a sequence of 12-bit codes, big-endian, two codes in three bytes. Code 0 ends
// the data; codes 1..256 are the bytes 0..255; 257 is the record mark (the end of a V record);
// 258..4095 name dictionary entries. The algorithms follow the description of IBM's formats in
// the Open Mainframe Project's tersedecompress (Apache 2.0), written anew here with every code
// checked before it is used:
// - PACK: an LZW trie (entry = an earlier entry + one symbol). The entries 258..4095 sit in one
//   list in order of last use; each code takes the least recently used entry for the string it
//   starts (completed by the first symbol of the next code). Initially entry n is n-256 EBCDIC
//   blanks. An entry's parent is always used more recently than the entry itself, so the oldest
//   entry never has children and the parent chains cannot loop; the one code that would break
//   this (the entry being replaced) is refused.
// - SPACK: each code after the first makes a new entry = (previous code, this code), so strings
//   grow by concatenation (up to exponentially). Entries count their references; unreferenced
//   ones wait in an age list, and when all 3,838 are in use the oldest unreferenced one is
//   reclaimed. A code must name a symbol or an entry in use: then every entry refers only to
//   older entries in use, and expansion (an explicit stack, resumable) cannot loop.
#include "io/terse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "io/input.hpp"
#include "io/reader_impl.hpp"

namespace ctana::terse {

namespace {
constexpr int kEnd = 0, kMark = 257, kFirstEntry = 258, kLast = 4095;
constexpr int kEbcdicBlank = 0x40 + 1;  // the code of an EBCDIC blank
constexpr std::uint64_t kFreeBytes = 1ull << 30;
constexpr std::size_t kReadChunk = 256u << 10;

std::string group(std::uint64_t v) {  // 1,234,567
  const std::string d = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) s += ',';
    s += d[i];
  }
  return s;
}
}  // namespace

bool parse_header(Bytes b, Header& h, std::string* why) {
  h = Header{};
  auto fail = [&](std::string w) {
    if (why) *why = std::move(w);
    return false;
  };
  if (why) why->clear();
  if (b.size() >= 4 && (b[0] == 0x01 || b[0] == 0x07) && b[1] == 0x89 && b[2] == 0x69 && b[3] == 0xA5) {
    if (b.size() < 6) return fail("TERSE native header cut short");
    h.native = true;
    h.spack = true;
    h.size = 6;
    return true;
  }
  if (b.size() < 12 || (b[0] != 0x02 && b[0] != 0x05)) return false;
  if (b[1] > 1) return false;  // the record format flag: 0 fixed, 1 variable
  const std::uint32_t len1 = load_be16(b.data() + 2), len2 = load_be32(b.data() + 8);
  h.spack = b[0] == 0x05;
  h.variable = b[1] == 1;
  h.flags = b[4];
  h.block_size = load_be16(b.data() + 6);
  if (len1 == 0 && len2 == 0) return fail("TERSE header with record length 0");
  if (len1 != 0 && len2 != 0 && len1 != len2)
    return fail(fmt::format("TERSE header with two record lengths ({} and {})", len1, len2));
  if (len2 > 0x7fffffffu) return fail(fmt::format("TERSE header with record length {}", len2));
  // Without the MVS flag (04) the other fields must be zero (as tersedecompress checks).
  if (!(h.flags & 0x04) && (h.flags != 0 || b[5] != 0 || h.block_size != 0)) return false;
  h.lrecl = len1 ? len1 : len2;
  h.size = 12;
  return true;
}

std::string describe(const Header& h) {
  if (h.native) return "SPACK, native";
  return fmt::format("{}, {}, LRECL {}", h.spack ? "SPACK" : "PACK", h.variable ? "VB" : "FB", h.lrecl);
}

Decoder::Decoder(std::unique_ptr<Input> packed, const Header& h, Output out)
    : in_(std::move(packed)), h_(h), mode_(out), out_(new std::uint8_t[kCapacity]) {
  in_->fill(h_.size);
  in_->consume(std::min(h_.size, in_->available()));
  packed_done_ = in_->offset();
  if (h_.spack) {
    spack_ = std::make_unique<Spack>();
    auto& t = *spack_;
    for (int i = 0; i <= kMark; ++i) t.left[i] = -1, t.right[i] = i, t.next[i] = -1, t.back[i] = 0;
    for (int i = kFirstEntry; i <= kNodes; ++i) t.next[i] = i + 1, t.left[i] = t.right[i] = -1, t.back[i] = 0;
    t.next[kLast] = -1;
    t.next[kNodes] = -1;
    t.next[0] = t.back[0] = 0;  // the age list of unreferenced entries: empty
    t.live.fill(false);
    t.avail = kFirstEntry;
  } else {
    pack_ = std::make_unique<Pack>();
    auto& t = *pack_;
    t.father.fill(0);
    t.ext.fill(0);
    // Entry n: entry n-1 (or a blank) followed by a blank; in use from 258 (newest) to 4095.
    for (int n = kFirstEntry; n <= kLast; ++n) {
      t.father[n] = static_cast<std::uint16_t>(n == kFirstEntry ? kEbcdicBlank : n - 1);
      t.ext[n] = kEbcdicBlank;
      t.fwd[n] = static_cast<std::uint16_t>(n == kLast ? 0 : n + 1);
      t.bwd[n] = static_cast<std::uint16_t>(n == kFirstEntry ? 0 : n - 1);
    }
    t.fwd[0] = kFirstEntry;
    t.bwd[0] = kLast;
  }
}

Decoder::~Decoder() = default;

const std::string& Decoder::path() const { return in_->path(); }
std::uint64_t Decoder::packed_size() const { return in_->size(); }

std::size_t Decoder::read(std::uint8_t* dst, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (out_pos_ < ready_) {
      const std::size_t k = std::min(n - done, ready_ - out_pos_);
      std::memcpy(dst + done, out_.get() + out_pos_, k);
      out_pos_ += k;
      done += k;
      continue;
    }
    if (status_ != Status::ok) break;
    // Everything ready was handed out: keep the record in progress, make room, decode more.
    std::memmove(out_.get(), out_.get() + ready_, size_ - ready_);
    size_ -= ready_;
    rec_start_ = rec_start_ >= ready_ ? rec_start_ - ready_ : 0;
    out_pos_ = ready_ = 0;
    produce();
  }
  return done;
}

int Decoder::next_code() {
  const std::size_t need = nibble_ < 0 ? 2 : 1;
  if (avail_ - pos_ < need) {
    in_->consume(pos_);
    packed_done_ += pos_;
    pos_ = 0;
    avail_ = in_->fill(kReadChunk);
  }
  const std::uint8_t* d = in_->data();
  if (nibble_ >= 0) {
    if (avail_ == pos_) return -1;
    code_offset_ = packed_done_ + pos_ - 1;
    const int c = (nibble_ << 8) | d[pos_++];
    nibble_ = -1;
    return c;
  }
  if (avail_ - pos_ < 2) {
    code_offset_ = packed_done_ + pos_;
    pos_ = avail_;
    return -1;
  }
  code_offset_ = packed_done_ + pos_;
  const int c = (d[pos_] << 4) | (d[pos_ + 1] >> 4);
  nibble_ = d[pos_ + 1] & 0x0F;
  pos_ += 2;
  return c;
}

void Decoder::finish(Status s, std::uint64_t offset, std::string msg) {
  status_ = s;
  problem_offset_ = offset;
  message_ = std::move(msg);
  // What was unpacked is kept: a record in progress is closed as it stands.
  if (h_.variable && in_rec_) end_record();
  if (!h_.variable && mode_ == Output::text && col_ > 0) out_[size_++] = '\n';
  ready_ = size_;
}

void Decoder::end_record() {
  if (mode_ == Output::binary) {
    if (!in_rec_) rec_start_ = size_, size_ += 4;  // an empty record: its RDW alone
    const std::size_t len = size_ - rec_start_;
    out_[rec_start_] = static_cast<std::uint8_t>(len >> 8);
    out_[rec_start_ + 1] = static_cast<std::uint8_t>(len);
    out_[rec_start_ + 2] = out_[rec_start_ + 3] = 0;
  } else {
    out_[size_++] = '\n';
  }
  in_rec_ = false;
  ready_ = size_;
  rec_start_ = size_;
}

inline void Decoder::put(int sym) {
  if (size_ + 8 > kCapacity) {  // cannot happen with the limits below; kept as a guard
    if (status_ == Status::ok) finish(Status::damaged, code_offset_, "TERSE decoder buffer overflow");
    return;
  }
  if (sym == kMark) {
    if (h_.variable) end_record();
    return;  // F records: the marks are dropped
  }
  if (sym == kEnd) return;
  if (h_.variable) {
    if (!in_rec_) {
      in_rec_ = true;
      rec_start_ = size_;
      if (mode_ == Output::binary) size_ += 4;  // room for the RDW
    } else if (size_ - rec_start_ >= (mode_ == Output::binary ? 65535u : 2u * 65535u)) {
      finish(Status::damaged, code_offset_,
             fmt::format("TERSE data damaged: a variable-length record longer than an RDW can hold "
                         "({} bytes unpacked)", group(total_out_)));
      return;
    }
  }
  const std::uint8_t b = static_cast<std::uint8_t>(sym - 1);
  if (mode_ == Output::binary) {
    out_[size_++] = b;
    return;
  }
  const std::uint8_t v = cp037_to_latin1()[b];
  if (v < 0x80) {
    out_[size_++] = v;
  } else {
    out_[size_++] = static_cast<std::uint8_t>(0xC0 | (v >> 6));
    out_[size_++] = static_cast<std::uint8_t>(0x80 | (v & 0x3F));
  }
  if (!h_.variable && h_.lrecl && ++col_ == h_.lrecl) {
    out_[size_++] = '\n';
    col_ = 0;
  }
}

void Decoder::produce() {
  while (status_ == Status::ok) {
    if (!h_.variable) ready_ = size_;
    if (size_ >= kTarget && ready_ > out_pos_) return;
    const std::uint64_t before = size_;
    if (total_out_ > kFreeBytes && total_out_ / kMaxRatio > packed_bytes()) {
      finish(Status::damaged, packed_bytes(),
             fmt::format("TERSE data damaged: {} packed bytes unpack to more than {} bytes, over {} times their "
                         "size: taken for damage",
                         packed_bytes(), total_out_, kMaxRatio));
      return;
    }
    if (spack_ && spack_->sp > 0) {
      emit_spack();
      total_out_ += size_ - before;
      continue;
    }
    const int c = next_code();
    if (c < 0) {
      if (in_->error())
        finish(Status::io_error, packed_bytes(), fmt::format("read error: {}", in_->error_message()));
      else
        finish(Status::cut, packed_bytes(),
               fmt::format("TERSE data cut short: the packed file ends here, before its end-of-data code "
                           "({} bytes unpacked from it; other offsets are in the unpacked data)",
                           group(total_out_)));
      total_out_ += size_ - before;
      return;
    }
    if (c == kEnd) {
      finish(Status::end, code_offset_, "");
      total_out_ += size_ - before;
      return;
    }
    if (spack_) step_spack(c);
    else step_pack(c);
    total_out_ += size_ - before;
  }
}

bool Decoder::step_pack(int d) {
  auto& t = *pack_;
  const int y = t.bwd[0];  // the least recently used entry: redefined by this code
  if (d == y) {
    finish(Status::damaged, code_offset_,
           fmt::format("TERSE data damaged: PACK code {} names the dictionary entry being replaced "
                       "({} bytes unpacked before it)", d, group(total_out_)));
    return false;
  }
  const int code = d;
  int q = t.bwd[y];
  t.bwd[0] = static_cast<std::uint16_t>(q);
  t.fwd[q] = 0;
  // Walk from the code to its first symbol, moving each entry on the way to the front of the
  // list (the first symbol's entry first), the redefined entry right after the code's.
  int h = y, k = 0;
  while (d >= kFirstEntry) {
    if (k == kNodes) {  // cannot happen (the parent chains do not loop); kept as a guard
      finish(Status::damaged, code_offset_, fmt::format("TERSE data damaged: PACK code {} loops", code));
      return false;
    }
    t.path[k++] = static_cast<std::uint16_t>(d);
    q = t.fwd[d];
    const int r = t.bwd[d];
    t.fwd[r] = static_cast<std::uint16_t>(q);
    t.bwd[q] = static_cast<std::uint16_t>(r);
    t.fwd[d] = static_cast<std::uint16_t>(h);
    t.bwd[h] = static_cast<std::uint16_t>(d);
    h = d;
    d = t.father[d];
  }
  q = t.fwd[0];
  t.fwd[y] = static_cast<std::uint16_t>(q);
  t.bwd[q] = static_cast<std::uint16_t>(y);
  t.fwd[0] = static_cast<std::uint16_t>(h);
  t.bwd[h] = 0;
  t.ext[t.x] = static_cast<std::uint16_t>(d);  // completes the previous code's entry
  put(d);
  for (int i = k - 1; i >= 0; --i) put(t.ext[t.path[i]]);
  t.father[y] = static_cast<std::uint16_t>(code);
  t.x = y;
  return status_ == Status::ok;
}

bool Decoder::step_spack(int g) {
  auto& t = *spack_;
  if (!started_) {
    started_ = true;
    if (g > kMark) {
      finish(Status::damaged, code_offset_,
             fmt::format("TERSE data damaged: the first SPACK code is {}, not a symbol", g));
      return false;
    }
    t.stack[t.sp++] = static_cast<std::uint16_t>(g);
    t.prev = g;
    return true;
  }
  auto unlink = [&t](int n) {
    const int f = t.next[n], b = t.back[n];
    t.next[b] = f;
    t.back[f] = b;
  };
  auto age_add = [&t](int n) {  // to the young end of the age list
    const int last = t.back[0];
    t.next[n] = 0;
    t.back[0] = n;
    t.back[n] = last;
    t.next[last] = n;
  };
  auto bump = [&](int n) {
    if (t.next[n] < 0) --t.next[n];
    else unlink(n), t.next[n] = -1;
  };
  auto drop = [&](int n) {
    if (t.next[n] == -1) age_add(n);
    else ++t.next[n];
  };
  if (t.avail < 0) {  // all entries in use: reclaim the oldest unreferenced one
    const int p = t.next[0];
    if (p <= 0) {  // cannot happen (the newest entry is never referenced); kept as a guard
      finish(Status::damaged, code_offset_, "TERSE data damaged: SPACK dictionary full with nothing to reclaim");
      return false;
    }
    unlink(p);
    drop(t.left[p]);
    drop(t.right[p]);
    t.live[p] = false;
    t.next[p] = t.avail;
    t.avail = p;
  }
  if (g > kMark && !t.live[g]) {
    finish(Status::damaged, code_offset_,
           fmt::format("TERSE data damaged: SPACK code {} names no dictionary entry ({} bytes unpacked before it)", g,
                       group(total_out_)));
    return false;
  }
  t.stack[t.sp++] = static_cast<std::uint16_t>(g);
  const int n = t.avail;
  t.avail = t.next[n];
  t.left[n] = t.prev;
  t.right[n] = g;
  t.live[n] = true;
  bump(t.prev);
  bump(g);
  age_add(n);
  t.prev = g;
  return true;
}

bool Decoder::emit_spack() {
  auto& t = *spack_;
  while (t.sp > 0 && status_ == Status::ok) {
    if (size_ >= kTarget && ready_ > out_pos_) return true;
    int x = t.stack[--t.sp];
    while (x > kMark) {
      if (t.sp == static_cast<int>(t.stack.size())) {  // deeper than the dictionary: cannot happen
        finish(Status::damaged, code_offset_, "TERSE data damaged: SPACK entry nested too deep");
        return false;
      }
      t.stack[t.sp++] = static_cast<std::uint16_t>(t.right[x]);
      x = t.left[x];
    }
    put(x);
    if (!h_.variable) ready_ = size_;
  }
  return status_ == Status::ok;
}

}  // namespace ctana::terse
