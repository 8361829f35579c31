// z/OS CTRACE reader (SYSTCPDA, SYSTCPOT, SYSTCPIS). Framing is found by scanning for component
// trace entries (leading length = trailing length, CTEOFF, format id, time), never by trusting a
// writer header; record and block descriptors and spanned segments are removed first. The packet
// trace header is read through a field map calibrated from the file. docs/ctrace.md.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "ctana/ctrace.hpp"
#include "io/reader_impl.hpp"

namespace ctana {

namespace {

using namespace ctana::ctrace;

constexpr std::size_t kCteMin = 18;
constexpr std::uint64_t kTodSecond = 1'000'000ull << 12;
constexpr std::uint64_t kTodDay = 86'400ull * kTodSecond;
constexpr std::size_t kHeaderLikeMax = 64;
constexpr std::size_t kCalibrationWindow = 4u << 20;
constexpr std::uint32_t kCalibrationRecords = 2000;
constexpr std::size_t kMaxSetBytes = 16u << 20;  // largest reassembled segmented record

bool known_format(std::uint32_t f) {
  if ((f >> 24) == 0) return f >= 1 && f <= 8;
  return is_lost_marker(f) || is_ids_probe(f);
}

// Header checks of the spec's valid_cte_at except the trailer: length, offset, format id, time,
// and for ids 4-8 the packet trace header length.
bool header_ok(const std::uint8_t* p, std::size_t avail) {
  if (avail < kCteMin) return false;
  const std::size_t L = load_be16(p);
  if (L < kCteMin) return false;
  if (load_be16(p + 2) != 16) return false;
  const std::uint32_t f = load_be32(p + 4);
  if (!known_format(f)) return false;
  if (!tod_plausible((std::uint64_t{load_be32(p + 8)} << 32) | load_be32(p + 12))) return false;
  if ((f >> 24) == 0 && f >= 4 && f <= 8) {
    if (L < 16 + 2 + 2) return false;
    const std::size_t pl = load_be16(p + 16);
    if (pl < 48 || pl > 1024 || 16 + pl > L - 2) return false;
  }
  return true;
}

inline std::uint64_t tod_at(const std::uint8_t* p) { return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4); }

// A 16-byte header address: IPv4 as ::FFFF:a.b.c.d (or with 00 00 FF FE at bytes 8-11, as
// zWireshark accepts), all zeros = none, else IPv6.
IpAddr pth_address(const std::uint8_t* p) {
  static constexpr std::uint8_t zero[16] = {};
  if (std::memcmp(p, zero, 16) == 0) return IpAddr{};
  if ((std::memcmp(p, zero, 10) == 0 && p[10] == 0xFF && p[11] == 0xFF) ||
      (std::memcmp(p, zero, 8) == 0 && p[8] == 0 && p[9] == 0 && p[10] == 0xFF && p[11] == 0xFE))
    return IpAddr::v4(p + 12);
  return IpAddr::v6(p);
}

// The de-framed byte stream the CTE scan runs on: the input itself (raw form), or the payloads
// of RDW records (spanned segments joined), or a span in memory (calibration).
class Source {
 public:
  enum class Mode { raw, rdw, bdw, memory, twocutc };
  Source(Input* in, Mode m, ReadStats& rs, CtraceReadStats& cs) : in_(in), mode_(m), rs_(rs), cs_(cs) {}
  // 2cUTC pcapng: the CTEs are the USER0 records of a pcapng reader, behind a 16+ext byte header.
  Source(Reader* inner, ReadStats& rs, CtraceReadStats& cs) : inner_(inner), mode_(Mode::twocutc), rs_(rs), cs_(cs) {}
  Source(Bytes mem, ReadStats& rs, CtraceReadStats& cs) : mode_(Mode::memory), rs_(rs), cs_(cs) {
    buf_.assign(mem.begin(), mem.end());
    end_ = buf_.size();
    input_done_ = true;
  }

  // Make n bytes available at the cursor if the input has them; returns what is available.
  std::size_t ensure(std::size_t n) {
    if (mode_ == Mode::raw) return in_->fill(n);
    while (end_ - pos_ < n && !input_done_) pull();
    return end_ - pos_;
  }
  const std::uint8_t* data() const { return mode_ == Mode::raw ? in_->data() : buf_.data() + pos_; }
  std::size_t avail() const { return mode_ == Mode::raw ? in_->available() : end_ - pos_; }
  void consume(std::size_t n) {
    if (mode_ == Mode::raw) return in_->consume(n);
    pos_ += n;
    spos_ += n;
    while (chunks_.size() - head_ > 1 && chunks_[head_ + 1].stream <= spos_) ++head_;
  }
  // File offset of the cursor (of the byte in the file the cursor's byte came from).
  std::uint64_t offset() const {
    if (mode_ == Mode::raw) return in_->offset();
    if (chunks_.size() == head_) return spos_;
    return chunks_[head_].file + (spos_ - chunks_[head_].stream);
  }
  bool at_end(std::size_t want) { return ensure(want) < want; }

 private:
  struct Chunk {
    std::uint64_t stream, file;
  };

  void append(const std::uint8_t* p, std::size_t n, std::uint64_t file_off) {
    if (pos_ > 0 && (pos_ >= buf_.size() / 2 || end_ + n > buf_.size())) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ + n > buf_.size()) buf_.resize(std::max(end_ + n, buf_.size() * 2 + 4096));
    std::memcpy(buf_.data() + end_, p, n);
    if (head_ > 0 && head_ >= chunks_.size() / 2) {  // drop consumed entries without reallocating
      chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    chunks_.push_back({spos_ + (end_ - pos_), file_off});
    end_ += n;
  }

  // Read the next record (or, after the framing broke, the next raw chunk) into the buffer.
  void pull() {
    if (mode_ == Mode::twocutc) return pull_2cutc();
    if (broken_) {
      const std::size_t got = in_->fill(1u << 16);
      if (got == 0) return done();
      append(in_->data(), got, in_->offset());
      in_->consume(got);
      return;
    }
    if (mode_ == Mode::bdw && block_left_ == 0) {
      const std::size_t got = in_->fill(8);
      if (got == 0) return done();
      if (got < 4) return break_framing("file ends inside a block descriptor");
      const std::uint8_t* b = in_->data();
      std::size_t len = 0, dlen = 4;
      if (b[0] & 0x80) {
        len = load_be32(b) & 0x7FFFFFFF;
      } else {
        len = load_be16(b);
        if (b[2] != 0 || b[3] != 0) len = 0;
      }
      if (len < 4 + 5) return break_framing("bad block descriptor");
      block_left_ = len - dlen;
      cs_.descriptor_bytes += dlen;
      in_->consume(dlen);
    }
    const std::size_t got = in_->fill(4);
    if (got == 0) {
      if (mode_ == Mode::bdw && block_left_) return break_framing("file ends inside a block");
      return done();
    }
    if (got < 4) return break_framing("file ends inside a record descriptor");
    const std::uint8_t* h = in_->data();
    const std::size_t len = load_be16(h);
    const std::uint8_t ss = h[2];
    if (len < 5 || ss > 3 || h[3] != 0 || (mode_ == Mode::bdw && len > block_left_))
      return break_framing("bad record descriptor");
    const std::uint64_t off = in_->offset();
    const std::size_t have = in_->fill(len);
    if (have < len) {
      rs_.truncated = true;
      rs_.add_issue(off, fmt::format("file ends inside a {}-byte record ({} bytes present)", len, have));
      cs_.descriptor_bytes += 4;
      append(in_->data() + 4, have - 4, off + 4);
      in_->consume(have);
      return done();
    }
    cs_.descriptor_bytes += 4;
    if (mode_ == Mode::bdw) block_left_ -= len;
    if (ss != 0) ++cs_.spanned_segments;
    if (ss == 0 || ss == 1) {
      if (in_span_) {
        ++cs_.spanned_lost;
        rs_.add_issue(off, "spanned record lost its last segment");
      }
      in_span_ = ss == 1;
    } else if (!in_span_) {
      ++cs_.spanned_lost;
      rs_.add_issue(off, "spanned record segment without its first segment");
      in_span_ = ss == 3;
    } else if (ss == 2) {
      in_span_ = false;
      ++cs_.spanned_records;
    }
    append(in_->data() + 4, len - 4, off + 4);
    in_->consume(len);
  }

  void pull_2cutc() {
    Record rec;
    while (inner_->next(rec)) {
      const Bytes d = rec.data;
      if (rec.link == 147 && d.size() >= 16 && std::memcmp(d.data(), "2cUTC", 5) == 0) {
        const std::size_t ext = (std::size_t{d[5]} << 16) | (std::size_t{d[6]} << 8) | d[7];
        if (16 + ext <= d.size()) {
          cs_.descriptor_bytes += 16 + ext;
          append(d.data() + 16 + ext, d.size() - 16 - ext, rec.offset + 28 + 16 + ext);
          return;
        }
      }
      ++cs_.foreign_records;
      rs_.add_issue(rec.offset, fmt::format("record {} of the pcapng file is not a 2cUTC CTE record: ignored", rec.index));
    }
    const auto& is = inner_->stats();
    for (const auto& i : is.issues) rs_.add_issue(i.offset, i.message);
    rs_.truncated = rs_.truncated || is.truncated;
    rs_.damaged = rs_.damaged || is.damaged;
    rs_.io_error = rs_.io_error || is.io_error;
    rs_.bytes_skipped += is.bytes_skipped;
    done();
  }

  void break_framing(const char* why) {
    rs_.damaged = true;
    rs_.add_issue(in_->offset(), fmt::format("{}: reading the rest as raw trace data", why));
    broken_ = true;
    pull();
  }
  void done() {
    if (in_span_) {
      ++cs_.spanned_lost;
      in_span_ = false;
    }
    input_done_ = true;
  }

  Input* in_ = nullptr;
  Reader* inner_ = nullptr;
  Mode mode_;
  ReadStats& rs_;
  CtraceReadStats& cs_;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t spos_ = 0;            // stream offset of the cursor
  std::vector<Chunk> chunks_;  // record payloads in the buffer: where they came from in the file
  std::size_t head_ = 0;       // first entry still in use
  std::size_t block_left_ = 0;
  bool input_done_ = false, broken_ = false, in_span_ = false;
};

// The robust CTE scan of the spec (section 2.3) over a Source.
class Scanner {
 public:
  Scanner(Source& s, ReadStats& rs, CtraceReadStats& cs) : src_(s), rs_(rs), cs_(cs) {}

  // Position the source at the next valid CTE; returns its length, 0 at the end of the input.
  std::size_t next() {
    for (;;) {
      std::size_t avail = src_.ensure(kCteMin);
      const std::uint8_t* p = src_.data();
      if (avail < kCteMin) {
        if (avail == 0) return 0;
        bool zeros = anchored_ && std::all_of(p, p + avail, [](std::uint8_t b) { return b == 0; });
        if (zeros) cs_.zero_fill_bytes += avail;
        else skip(avail);
        src_.consume(avail);
        close_skip_run(false);
        return 0;
      }
      if (header_ok(p, avail)) {
        const std::size_t L = load_be16(p);
        avail = src_.ensure(anchored_ ? L : L + kCteMin);
        p = src_.data();
        if (avail >= L && load_be16(p + L - 2) == L) {
          // Unanchored: the two-in-a-row rule. A candidate followed only by zero fill or the end
          // must also lie within a day of the previous entry, unless it sits where a buffer is
          // expected (right after zero fill, behind at most a header-sized run).
          const Next nx = anchored_ ? Next::cte : next_ok(L);
          const bool buffer_start = (boundary_ && run_ == 0) || (run_after_fill_ && run_ <= kHeaderLikeMax);
          if (nx == Next::cte || (nx == Next::fill_or_end && (buffer_start || time_near(src_.data())))) {
            close_skip_run(true);
            anchored_ = true;
            boundary_ = true;  // a buffer may end right here, without zero fill
            prev_tod_ = tod_at(src_.data() + 8);
            have_prev_ = true;
            ++cs_.ctes;
            cs_.cte_bytes += L;
            return L;
          }
        } else if (anchored_) {
          ++cs_.not_validated;
          if (avail < L) rs_.truncated = true;
          rs_.add_issue(src_.offset(), avail >= L ? fmt::format("CTE of {} bytes: trailing length {} does not match, record could not be validated", L, load_be16(p + L - 2))
                                                  : fmt::format("CTE of {} bytes cut short by the end of the input ({} bytes present)", L, avail));
        }
      } else if (anchored_ && load_be16(p) == 0) {
        std::size_t n = 0;
        for (;;) {
          avail = src_.ensure(n + 2);
          p = src_.data();
          if (n + 1 >= avail) {
            if (n < avail && p[n] == 0) ++n;  // a last single zero byte
            break;
          }
          // Scan the zero halfwords in the window at hand, then ask for more.
          const std::size_t lim = std::min(avail - 1, std::size_t{1} << 16);
          while (n < lim && p[n] == 0 && p[n + 1] == 0) ++n;
          if (n < lim) break;  // a halfword that is not zero
          if (n >= (1u << 16)) {  // keep the window bounded: take the run in pieces
            cs_.zero_fill_bytes += n;
            src_.consume(n);
            n = 0;
          }
        }
        // The run stops before a halfword "00 xx": that zero byte is fill too unless an entry
        // (length below 256) starts there.
        if (n < avail && p[n] == 0 && !header_ok(p + n, avail - n)) ++n;
        cs_.zero_fill_bytes += n;
        src_.consume(n);
        anchored_ = false;
        boundary_ = true;
        continue;
      }
      anchored_ = false;
      skip(1);
      src_.consume(1);
    }
  }

 private:
  bool time_near(const std::uint8_t* p) const {
    if (!have_prev_) return true;
    const std::uint64_t t = tod_at(p + 8);
    return (t > prev_tod_ ? t - prev_tod_ : prev_tod_ - t) <= kTodDay;
  }
  // Two-in-a-row: what follows a candidate found while resynchronising must be the end of the
  // input, zero fill or another valid CTE.
  enum class Next { no, fill_or_end, cte };
  Next next_ok(std::size_t L) {
    std::size_t avail = src_.ensure(L + kCteMin);
    const std::uint8_t* p = src_.data();
    if (avail == L) return Next::fill_or_end;
    if (avail >= L + 2 && load_be16(p + L) == 0) return Next::fill_or_end;
    // A file cut inside the next entry's header: the candidate is the last whole entry.
    if (avail < L + kCteMin) return Next::fill_or_end;
    if (!header_ok(p + L, avail - L)) return Next::no;
    const std::size_t L2 = load_be16(p + L);
    avail = src_.ensure(L + L2);
    p = src_.data();
    if (avail < L + L2) return Next::cte;  // the next entry is cut by the end of the file
    return load_be16(p + L + L2 - 2) == L2 ? Next::cte : Next::no;
  }
  void skip(std::size_t n) {
    if (run_ == 0) {
      run_start_ = src_.offset();
      run_after_fill_ = boundary_;
      boundary_ = false;
    }
    run_ += n;
    cs_.skipped_bytes += n;
    rs_.bytes_skipped += n;
  }
  void close_skip_run(bool found) {
    if (run_ == 0) return;
    if (found && run_ <= kHeaderLikeMax && run_after_fill_) {
      cs_.header_like_bytes += run_;
    } else {
      rs_.damaged = true;
      ++rs_.resyncs;
      rs_.add_issue(run_start_, found ? fmt::format("skipped {} bytes that are not trace entries; resynchronised at offset {}", run_, src_.offset())
                                      : fmt::format("skipped {} bytes at the end that are not trace entries", run_));
    }
    run_ = 0;
    run_after_fill_ = false;
  }

  Source& src_;
  ReadStats& rs_;
  CtraceReadStats& cs_;
  bool anchored_ = true, boundary_ = true, run_after_fill_ = false, have_prev_ = false;
  std::uint64_t prev_tod_ = 0;
  std::size_t run_ = 0;
  std::uint64_t run_start_ = 0;
};

// ---- calibration of the packet trace header (spec section 5.6) ----

struct CalRec {
  const std::uint8_t* h;   // PTHDR start
  std::size_t pth_len;
  std::size_t data_len;    // bytes after the header up to the CTE trailer
  std::uint64_t cte_tod;
  Bytes ip;
};

std::array<std::uint8_t, 16> mapped(Bytes ip, bool src) {
  std::array<std::uint8_t, 16> a{};
  if ((ip[0] >> 4) == 4) {
    a[10] = a[11] = 0xFF;
    std::memcpy(a.data() + 12, ip.data() + (src ? 12 : 16), 4);
  } else {
    std::memcpy(a.data(), ip.data() + (src ? 8 : 24), 16);
  }
  return a;
}

bool ports_of(Bytes ip, std::uint16_t& sp, std::uint16_t& dp) {
  std::size_t l4 = 0;
  std::uint8_t proto = 0;
  if ((ip[0] >> 4) == 4) {
    l4 = (ip[0] & 0xF) * 4u;
    proto = ip[9];
    if ((load_be16(ip.data() + 6) & 0x1FFF) != 0) return false;
  } else {
    l4 = 40;
    proto = ip[6];
  }
  if ((proto != 6 && proto != 17) || ip.size() < l4 + 4) return false;
  sp = load_be16(ip.data() + l4);
  dp = load_be16(ip.data() + l4 + 2);
  return true;
}

std::uint32_t ip_total_len(Bytes ip) {
  return (ip[0] >> 4) == 4 ? load_be16(ip.data() + 2) : 40u + load_be16(ip.data() + 4);
}

// One record for the direction calibration: its conversation direction (mapped source,
// destination, ports) and the 4 bytes from the flags byte on.
struct DirSample {
  std::array<std::uint8_t, 36> key{};
  std::uint32_t word = 0;
  bool conversation = true;  // false: no ports, counts only for the source address sets
};
DirSample dir_sample(const std::array<std::uint8_t, 16>& s, const std::array<std::uint8_t, 16>& d, std::uint16_t sp,
                     std::uint16_t dp, std::uint32_t word) {
  DirSample x;
  std::memcpy(x.key.data(), s.data(), 16);
  std::memcpy(x.key.data() + 16, d.data(), 16);
  x.key[32] = static_cast<std::uint8_t>(sp >> 8), x.key[33] = static_cast<std::uint8_t>(sp);
  x.key[34] = static_cast<std::uint8_t>(dp >> 8), x.key[35] = static_cast<std::uint8_t>(dp);
  x.word = word;
  return x;
}

// Step 7 of the calibration: the flag bit that is constant per direction of every conversation
// and flips between the two directions; it means outbound on the side whose source addresses
// form the smaller set. Sets m.out_bit (or a note) and returns whether a bit was found.
bool direction_bit(const std::vector<DirSample>& samples, FieldMap& m) {
  using Key = std::array<std::uint8_t, 36>;
  struct Tally {
    std::uint32_t n = 0;
    std::array<std::uint32_t, 32> ones{};
  };
  std::map<Key, Tally> keys;
  for (const auto& x : samples) {
    if (!x.conversation) continue;
    auto& t = keys[x.key];
    ++t.n;
    for (int b = 0; b < 32; ++b) t.ones[b] += (x.word >> (31 - b)) & 1u;
  }
  int best_bit = -1;
  double best_agree = 0;
  std::uint32_t best_total = 0;
  for (int b = 3; b < 32; ++b) {  // not Local, CfTxt, ClearTxt
    std::uint32_t total = 0, good = 0;
    for (const auto& [k, t] : keys) {
      Key rk;
      std::memcpy(rk.data(), k.data() + 16, 16);
      std::memcpy(rk.data() + 16, k.data(), 16);
      rk[32] = k[34], rk[33] = k[35], rk[34] = k[32], rk[35] = k[33];
      auto it = keys.find(rk);
      if (it == keys.end()) continue;
      total += t.n;
      const bool all1 = t.ones[b] == t.n, all0 = t.ones[b] == 0;
      const bool r1 = it->second.ones[b] == it->second.n, r0 = it->second.ones[b] == 0;
      if ((all1 && r0) || (all0 && r1)) good += t.n;
    }
    if (total && double(good) / total > best_agree) best_agree = double(good) / total, best_bit = b, best_total = total;
  }
  if (best_bit >= 0 && best_agree >= 0.9 && best_bit < 8) {
    std::set<std::array<std::uint8_t, 16>> a1, a0;
    for (const auto& x : samples) {
      std::array<std::uint8_t, 16> src;
      std::memcpy(src.data(), x.key.data(), 16);
      ((x.word >> (31 - best_bit)) & 1u ? a1 : a0).insert(src);
    }
    m.out_bit = static_cast<std::uint8_t>(0x80u >> best_bit);
    m.out_when_set = a1.size() <= a0.size();
    m.out_agreement = static_cast<float>(best_agree);
    return true;
  }
  m.note += std::string(m.note.empty() ? "" : "; ") +
            (best_total == 0 ? "no conversation seen in both directions: direction unknown"
                             : "no flag bit separates the two directions of the conversations: direction unknown");
  return false;
}

void calibrate(const std::vector<CalRec>& recs, FieldMap& m) {
  const FieldMap h1 = FieldMap::h1();
  m = h1;
  m.calibration_records = static_cast<std::uint32_t>(recs.size());
  if (recs.size() < 4) {
    m.note = fmt::format("only {} packet trace records to calibrate from (4 needed)", recs.size());
    return;
  }
  const double n = static_cast<double>(recs.size());
  auto set = [&m](Field f, int off, double agree) {
    m[f] = static_cast<std::int16_t>(off);
    m.agreement[static_cast<std::size_t>(f)] = static_cast<float>(agree);
    m.calibrated[static_cast<std::size_t>(f)] = true;
  };
  // 1. addresses
  std::map<int, std::uint32_t> hist;
  for (const auto& r : recs) {
    const auto s = mapped(r.ip, true), d = mapped(r.ip, false);
    for (std::size_t o = 8; o + 32 <= r.pth_len; ++o)
      if (std::memcmp(r.h + o, s.data(), 16) == 0 && std::memcmp(r.h + o + 16, d.data(), 16) == 0) {
        ++hist[static_cast<int>(o)];
        break;
      }
  }
  auto best = std::max_element(hist.begin(), hist.end(), [](auto& a, auto& b) { return a.second < b.second; });
  if (best == hist.end() || best->second < 0.9 * n) {
    m.note = "source/destination addresses not found at one offset in 90% of the packet trace records";
    return;
  }
  const int S = best->first;
  set(Field::src, S, best->second / n);
  set(Field::dst, S + 16, best->second / n);
  // 2. ports
  std::uint32_t pn = 0, pok = 0;
  for (const auto& r : recs) {
    std::uint16_t sp = 0, dp = 0;
    if (static_cast<std::size_t>(S) + 36 > r.pth_len || !ports_of(r.ip, sp, dp)) continue;
    ++pn;
    pok += load_be16(r.h + S + 32) == sp && load_be16(r.h + S + 34) == dp;
  }
  if (pn && pok >= 0.9 * pn) {
    set(Field::sport, S + 32, double(pok) / pn);
    set(Field::dport, S + 34, double(pok) / pn);
  } else if (pn) {
    m[Field::sport] = m[Field::dport] = -1;
  }
  // 3. capture TOD
  {
    std::size_t lim = recs.front().pth_len;
    for (const auto& r : recs) lim = std::min(lim, r.pth_len);
    int bo = -1;
    std::uint32_t bc = 0;
    for (std::size_t o = 2; o + 8 <= lim; ++o) {
      std::uint32_t c = 0;
      for (const auto& r : recs) {
        const std::uint64_t f = tod_at(r.h + o);
        c += f != 0 && f <= r.cte_tod && r.cte_tod - f < kTodSecond;
      }
      if (c > bc) bc = c, bo = static_cast<int>(o);
    }
    if (bo >= 0 && bc >= 0.9 * n) set(Field::time, bo, bc / n);
    else m[Field::time] = -1;
  }
  // 4. interface name 24 bytes before the addresses
  {
    const int o = S - 24;
    std::uint32_t c = 0;
    if (o >= 4)
      for (const auto& r : recs) c += ebcdic_name_like(Bytes(r.h + o, 16));
    if (o >= 4 && c >= 0.9 * n) {
      set(Field::name, o, c / n);
      // The data trace's domain/type/protocol/state bytes follow its 8-byte job name (spec 5.5).
      for (int k = 0; k < 4; ++k) m.off[static_cast<std::size_t>(Field::dtdomain) + k] = static_cast<std::int16_t>(o + 8 + k);
    }
  }
  // 5. lengths: original (IP total length) and traced (bytes present) as u32 fields
  {
    std::size_t lim = recs.front().pth_len;
    for (const auto& r : recs) lim = std::min(lim, r.pth_len);
    std::vector<std::pair<int, double>> plen, tlen;
    for (std::size_t o = 2; o + 4 <= lim; ++o) {
      std::uint32_t cp = 0, ct = 0;
      for (const auto& r : recs) {
        const std::uint32_t v = load_be32(r.h + o);
        cp += v == ip_total_len(r.ip);
        // traced bytes; in the first segment of a segmented set, the whole packet's length
        ct += v == r.data_len || v + 1 == r.data_len || (v > r.data_len && v == ip_total_len(r.ip));
      }
      if (cp >= 0.9 * n) plen.push_back({static_cast<int>(o), cp / n});
      if (ct >= 0.9 * n) tlen.push_back({static_cast<int>(o), ct / n});
    }
    auto pick = [&](Field f, const std::vector<std::pair<int, double>>& c, int avoid) {
      for (const auto& [o, a] : c)
        if (o == h1[f]) return set(f, o, a), o;
      for (const auto& [o, a] : c)
        if (o != avoid) return set(f, o, a), o;
      return -1;
    };
    const int t = pick(Field::tlen, tlen, -1);
    if (t < 0) m[Field::tlen] = -1;
    if (pick(Field::plen, plen, t) < 0) m[Field::plen] = -1;
  }
  // 7. direction bit, from the packet records' conversations
  std::vector<DirSample> samples;
  for (const auto& r : recs) {
    std::uint16_t sp = 0, dp = 0;
    const bool ports = ports_of(r.ip, sp, dp);
    samples.push_back(dir_sample(mapped(r.ip, true), mapped(r.ip, false), sp, dp, load_be32(r.h + m[Field::flags])));
    samples.back().conversation = ports;
  }
  direction_bit(samples, m);
  m.from_data = true;
}

// ---- the reader ----

class CtraceReader final : public Reader {
 public:
  CtraceReader(std::unique_ptr<Input> in, Source::Mode mode)
      : Reader(std::move(in)), mode_(mode) {
    stats_.ctrace.emplace();
    cs_ = &*stats_.ctrace;
    cs_->framing = mode == Source::Mode::raw ? "raw" : mode == Source::Mode::rdw ? "rdw" : "bdw";
    src_ = std::make_unique<Source>(in_.get(), mode, stats_, *cs_);
    scan_ = std::make_unique<Scanner>(*src_, stats_, *cs_);
  }
  // 2cUTC pcapng: `in` names the file; `inner` reads its packets; `cal` is a second reader of
  // the same file for calibration.
  CtraceReader(std::unique_ptr<Input> in, std::unique_ptr<Reader> inner, std::unique_ptr<Reader> cal)
      : Reader(std::move(in)), mode_(Source::Mode::twocutc), inner_(std::move(inner)), cal_(std::move(cal)) {
    stats_.ctrace.emplace();
    cs_ = &*stats_.ctrace;
    cs_->framing = "2cutc-pcapng";
    src_ = std::make_unique<Source>(inner_.get(), stats_, *cs_);
    scan_ = std::make_unique<Scanner>(*src_, stats_, *cs_);
  }

  void init(const OpenOptions& opt) {
    calibrate_from_head();
    leap_ns_ = std::int64_t{opt.tod_leap_seconds} * 1'000'000'000;
    cs_->tod_leap_seconds = opt.tod_leap_seconds;
    for (const auto& [name, off] : opt.ctrace_fields) {
      if (name == "out") {
        map_.out_bit = static_cast<std::uint8_t>(off < 0 ? -off : off);
        map_.out_when_set = off > 0;
        map_.out_agreement = 0;
        continue;
      }
      for (std::size_t i = 0; i < kFieldCount; ++i)
        if (field_name(static_cast<Field>(i)) == name) {
          map_.off[i] = static_cast<std::int16_t>(off);
          map_.calibrated[i] = false;
          map_.agreement[i] = 0;
        }
      map_.note += (map_.note.empty() ? "" : "; ") + fmt::format("{} set to {} on the command line", name, off);
    }
    cs_->layout.clear();
    for (std::size_t i = 0; i < kFieldCount; ++i)
      cs_->layout.push_back({std::string(field_name(static_cast<Field>(i))), map_.off[i], map_.agreement[i],
                             map_.calibrated[i]});
    cs_->layout_from_data = map_.from_data;
    cs_->calibration_records = map_.calibration_records;
    cs_->layout_note = map_.note;
    if (map_.out_bit)
      cs_->direction_bit = fmt::format("flags+0 X'{:02X}' {}=out", map_.out_bit, map_.out_when_set ? "set" : "clear");
    cs_->direction_agreement = map_.out_agreement;
  }

  Format format() const override { return Format::ctrace; }
  const FieldMap& field_map() const { return map_; }
  void check_transfer(Bytes head, bool whole) { note_transfer_damage(stats_, head, whole, ctrace_walk); }

  bool next(Record& r) override {
    for (;;) {
      const std::size_t L = scan_->next();
      if (L == 0) return finish();
      const std::uint8_t* c = src_->data();
      const std::uint64_t off = src_->offset();
      const bool got = build(c, L, off, r);
      src_->consume(L);
      if (got) {
        stats_.bytes_read = inner_ ? inner_->stats().bytes_read : in_->offset();
        return true;
      }
    }
  }

 private:
  bool finish() {
    if (set_active_) {
      cs_->trace_segments_lost += set_segments_;
      stats_.add_issue(set_offset_, fmt::format("segmented trace record incomplete at the end of the input ({} of {} bytes)",
                                                set_buf_.size(), set_tlen_));
      set_active_ = false;
    }
    note_input_problem(stats_, *in_);
    stats_.bytes_read = inner_ ? inner_->stats().bytes_read : in_->offset();
    return false;
  }

  void calibrate_from_head() {
    std::vector<std::uint8_t> copy;
    ReadStats rs;
    CtraceReadStats cs;
    if (cal_) {  // 2cUTC: the CTEs of the first records, through a second reader
      Record rec;
      while (copy.size() < kCalibrationWindow && cal_->next(rec)) {
        const Bytes d = rec.data;
        if (rec.link != 147 || d.size() < 16 || std::memcmp(d.data(), "2cUTC", 5) != 0) continue;
        const std::size_t ext = (std::size_t{d[5]} << 16) | (std::size_t{d[6]} << 8) | d[7];
        if (16 + ext <= d.size()) copy.insert(copy.end(), d.begin() + static_cast<std::ptrdiff_t>(16 + ext), d.end());
      }
      cal_.reset();
    }
    const std::size_t got = cal_ || mode_ == Source::Mode::twocutc ? 0 : in_->fill(kCalibrationWindow);
    Input* raw = in_.get();
    // Run the scan on a private copy of the first window (descriptors removed).
    if (mode_ == Source::Mode::twocutc) {
      // already collected above
    } else if (mode_ == Source::Mode::raw) {
      copy.assign(raw->data(), raw->data() + got);
    } else {
      ByteReader br(Bytes(raw->data(), got));
      std::size_t block_left = 0;
      for (;;) {
        std::uint16_t len = 0;
        if (mode_ == Source::Mode::bdw && block_left == 0) {
          std::uint32_t bdw = 0;
          if (!br.u32(bdw)) break;
          block_left = (bdw & 0x80000000u) ? (bdw & 0x7FFFFFFF) : (bdw >> 16);
          if (block_left < 9) break;
          block_left -= 4;
        }
        Bytes rec;
        if (!br.u16(len) || len < 5 || !br.skip(2) || !br.bytes(len - 4u, rec)) break;
        copy.insert(copy.end(), rec.begin(), rec.end());
        block_left = block_left >= len ? block_left - len : 0;
      }
    }
    Source mem(Bytes(copy), rs, cs);
    Scanner sc(mem, rs, cs);
    std::vector<CalRec> recs;
    std::vector<std::pair<const std::uint8_t*, std::size_t>> data_recs;  // data trace headers
    for (;;) {
      const std::size_t L = sc.next();
      if (L == 0) break;
      const std::uint8_t* c = mem.data();
      const std::uint32_t fmt = load_be32(c + 4);
      if (fmt == kFmtPacket) {
        const std::size_t pl = load_be16(c + 16);
        const std::size_t dl = L - 18 - pl;
        Bytes ip(c + 16 + pl, dl);
        bool ok = dl >= 20 && ((ip[0] >> 4) == 4 ? (ip[0] & 0xF) >= 5 : (ip[0] >> 4) == 6 && dl >= 40);
        if (ok) recs.push_back({c + 16, pl, dl, tod_at(c + 8), ip});
      } else if (fmt == kFmtData && data_recs.size() < kCalibrationRecords) {
        data_recs.emplace_back(c + 16, load_be16(c + 16));
      }
      mem.consume(L);
      if (recs.size() >= kCalibrationRecords) break;
    }
    calibrate(recs, map_);  // recs point into mem's buffer, alive here
    if (!map_.out_bit) direction_from_data_trace(data_recs);
  }

  // Without a direction from the packet records, the data trace records' own conversations (the
  // header's sender, receiver and ports, spec 5.5) can show the direction bit. Start and end
  // records are left out: which side they name is not known.
  void direction_from_data_trace(const std::vector<std::pair<const std::uint8_t*, std::size_t>>& data_recs) {
    std::vector<DirSample> samples;
    const int so = map_[Field::src], dso = map_[Field::dst], fo = map_[Field::flags];
    if (so < 0 || dso < 0 || fo < 0) return;
    for (const auto& [h, pl] : data_recs) {
      std::uint8_t state = 0;
      std::uint16_t sp = 0, dp = 0;
      if (static_cast<std::size_t>(std::max({so, dso})) + 16 > pl || static_cast<std::size_t>(fo) + 4 > pl) continue;
      if ((field(h, pl, Field::dtstate, state) && state != kDtData) || !field(h, pl, Field::sport, sp) ||
          !field(h, pl, Field::dport, dp) || (sp == 0 && dp == 0))
        continue;
      std::array<std::uint8_t, 16> a, b;
      std::memcpy(a.data(), h + so, 16);
      std::memcpy(b.data(), h + dso, 16);
      samples.push_back(dir_sample(a, b, sp, dp, load_be32(h + fo)));
    }
    if (samples.size() < 4) return;
    FieldMap m = map_;
    m.note.clear();
    if (direction_bit(samples, m)) {
      map_.out_bit = m.out_bit;
      map_.out_when_set = m.out_when_set;
      map_.out_agreement = m.out_agreement;
      map_.note += fmt::format("{}direction bit from {} data trace records", map_.note.empty() ? "" : "; ", samples.size());
    }
  }

  // Intern a name for an interface of this link kind; returns its index.
  std::uint32_t interface_for(Bytes raw_name, std::uint16_t link, std::uint16_t devty) {
    if (last_if_ < if_keys_.size() && if_keys_[last_if_].link == link &&
        std::equal(raw_name.begin(), raw_name.end(), if_keys_[last_if_].raw.begin()) && raw_name.size() == if_keys_[last_if_].len)
      return static_cast<std::uint32_t>(last_if_);
    for (std::size_t i = 0; i < if_keys_.size(); ++i) {
      const auto& k = if_keys_[i];
      if (k.link == link && k.len == raw_name.size() && std::equal(raw_name.begin(), raw_name.end(), k.raw.begin())) {
        last_if_ = i;
        return static_cast<std::uint32_t>(i);
      }
    }
    IfKey k;
    k.link = link;
    k.len = raw_name.size();
    std::copy(raw_name.begin(), raw_name.end(), k.raw.begin());
    if_keys_.push_back(k);
    interfaces_.emplace_back();
    auto& info = interfaces_.back();
    info.name = raw_name.empty() ? std::string("UNKNOWN") : ebcdic_name(raw_name);
    if (info.name.empty()) info.name = "UNKNOWN";
    info.description = link == linktype::ctrace_data ? "CTRACE data trace job" : "CTRACE link, device " + device_type_label(devty);
    info.link = link;
    info.ts_resolution = "2^-12 us";
    last_if_ = if_keys_.size() - 1;
    return static_cast<std::uint32_t>(last_if_);
  }

  template <class T>
  bool field(const std::uint8_t* h, std::size_t pl, Field f, T& v) const {
    const int o = map_[f];
    if (o < 0 || static_cast<std::size_t>(o) + field_size(f) > pl) return false;
    const std::uint8_t* p = h + o;
    switch (field_size(f)) {
      case 1: v = static_cast<T>(p[0]); break;
      case 2: v = static_cast<T>(load_be16(p)); break;
      case 4: v = static_cast<T>(load_be32(p)); break;
      case 8: v = static_cast<T>(tod_at(p)); break;
      default: return false;
    }
    return true;
  }

  // Turn one CTE into a record; false if it yields none (lost marker, segment of a set...).
  bool build(const std::uint8_t* c, std::size_t L, std::uint64_t off, Record& r) {
    const std::uint32_t fmt = load_be32(c + 4);
    const std::uint64_t cte_tod = tod_at(c + 8);
    if (is_lost_marker(fmt)) {
      const std::int64_t ts = tod_to_unix_ns(cte_tod) - leap_ns_;
      if (!cs_->lost_markers++) cs_->lost_first_ns = cs_->lost_last_ns = ts;
      cs_->lost_first_ns = std::min(cs_->lost_first_ns, ts);
      cs_->lost_last_ns = std::max(cs_->lost_last_ns, ts);
      return false;
    }
    r.meta = SourceMeta{};
    r.meta.flags = SourceMeta::kCtrace;
    r.meta.format_id = fmt;
    r.meta.trace_time_ns = tod_to_unix_ns(cte_tod) - leap_ns_;
    r.ts_ns = r.meta.trace_time_ns;
    r.dir = Direction::unknown;
    r.offset = off;
    const std::uint8_t* v = c + 16;
    const std::size_t vlen = L - 18;
    const bool pth = fmt == 1 ? false : ((fmt >> 24) == 0 && fmt >= 4 && fmt <= 8) || is_ids_probe(fmt);
    std::size_t pl = 0;
    if (pth && vlen >= 20) {
      pl = load_be16(v);
      if (pl < 48 || pl > vlen) pl = 0;
    }
    if (pl == 0) {
      // No usable packet trace header: hand the entry's data out as a non-IP record.
      ++cs_->unusable;
      r.data = Bytes(v, vlen);
      r.orig_len = static_cast<std::uint32_t>(vlen);
      r.link = linktype::ctrace_data;
      r.interface_id = interface_for(Bytes(), linktype::ctrace_data, 0);
      r.interface_name = interfaces_[r.interface_id].name;
      ++interfaces_[r.interface_id].records;
      r.index = ++stats_.records;
      return true;
    }
    const std::uint8_t* h = v;
    std::uint8_t flags = 0;
    field(h, pl, Field::flags, flags);
    std::uint16_t seq = 0, devty = 0, drop = 0, asid = 0;
    std::uint32_t plen = 0, tlen = 0;
    std::uint64_t ptime = 0;
    field(h, pl, Field::seqnum, seq);
    field(h, pl, Field::devty, devty);
    field(h, pl, Field::droprsn, drop);
    field(h, pl, Field::asid, asid);
    const bool has_plen = field(h, pl, Field::plen, plen);
    const bool has_tlen = field(h, pl, Field::tlen, tlen);
    if (field(h, pl, Field::time, ptime) && tod_plausible(ptime)) r.ts_ns = tod_to_unix_ns(ptime) - leap_ns_;
    std::size_t dlen = vlen - pl;
    if ((flags & map_.pad_bit) && dlen > 0 && has_tlen && tlen < dlen) --dlen;  // odd-length pad byte
    const std::uint8_t* d = h + pl;
    r.meta.sequence = seq;
    r.meta.device_type = devty;
    r.meta.discard_code = (flags & map_.discard_bit) || drop ? drop : 0;
    r.meta.asid = asid;
    if (flags & map_.local_bit) r.meta.flags |= SourceMeta::kLocal;
    if (flags & map_.cftxt_bit) r.meta.flags |= SourceMeta::kAtlsConfidential;
    if (flags & map_.cleartxt_bit) r.meta.flags |= SourceMeta::kAtlsClear;
    if (map_.out_bit) r.dir = ((flags & map_.out_bit) != 0) == map_.out_when_set ? Direction::out : Direction::in;

    field(h, pl, Field::cid, r.meta.cid);
    if (fmt != kFmtData) field(h, pl, Field::infix, r.meta.intfx);
    field(h, pl, Field::counter, r.meta.counter);

    // Name / link kind.
    std::uint16_t link = linktype::raw;
    Bytes name;
    if (fmt == kFmtData) {
      link = linktype::ctrace_data;
      const int no = map_[Field::name];
      if (no >= 0 && static_cast<std::size_t>(no) + 8 <= pl) name = Bytes(h + no, 8);
      data_trace_fields(h, pl, r.meta.dt);
    } else {
      const int no = map_[Field::name];
      if (no >= 0 && static_cast<std::size_t>(no) + 16 <= pl) name = Bytes(h + no, 16);
      if (fmt == kFmtOsaenta) link = linktype::ethernet;
      if (fmt == kFmtSmc) {
        link = linktype::ctrace_data;
        if (dlen >= 1 && ((d[0] >> 4) == 4 || (d[0] >> 4) == 6)) link = linktype::raw;
      }
    }
    if (is_ids_probe(fmt)) ids_extension(h, pl, r);

    // Segmented records (spec 5.4): Tlen is the whole set's data; sequence numbers follow.
    if (has_tlen && (seq > 0 || tlen > dlen)) {
      ++cs_->trace_segments;
      if (seq == 0) {
        if (set_active_) drop_set("a new segmented record began before the previous one was complete");
        if (tlen > kMaxSetBytes) {  // never allocated for: the entry is damage
          ++cs_->trace_segments_lost;
          stats_.damaged = true;
          stats_.add_issue(off, fmt::format("segmented trace record claims {} bytes (at most {} are accepted): ignored",
                                            tlen, kMaxSetBytes));
          return false;
        }
        set_active_ = true;
        set_tlen_ = tlen;
        set_time_ = ptime;
        set_seq_ = 0;
        set_segments_ = 1;
        set_offset_ = off;
        set_buf_.assign(d, d + dlen);
        set_first_ = r;
        set_link_ = link;
        set_name_.assign(name.begin(), name.end());
        set_plen_ = has_plen ? plen : tlen;
        return false;
      }
      const std::uint16_t want = set_seq_ == 255 ? 1 : static_cast<std::uint16_t>(set_seq_ + 1);
      if (!set_active_ || seq != want || tlen != set_tlen_ || ptime != set_time_) {
        if (set_active_) drop_set("a segment of a segmented trace record is missing");
        ++cs_->trace_segments_lost;
        stats_.add_issue(off, fmt::format("segment {} of a segmented trace record without its predecessors", seq));
        return false;
      }
      set_seq_ = seq;
      ++set_segments_;
      set_buf_.insert(set_buf_.end(), d, d + std::min<std::size_t>(dlen, set_tlen_ - set_buf_.size()));
      if (set_buf_.size() < set_tlen_) return false;
      set_active_ = false;
      ++cs_->trace_reassembled;
      const Record first = set_first_;
      r = first;
      r.data = Bytes(set_buf_);
      r.orig_len = std::max<std::uint32_t>(set_plen_, static_cast<std::uint32_t>(set_buf_.size()));
      r.meta.flags |= SourceMeta::kSegmented;
      if (r.orig_len > r.data.size()) r.meta.flags |= SourceMeta::kAbbreviated;
      r.interface_id = interface_for(Bytes(set_name_), set_link_, r.meta.device_type);
      r.interface_name = interfaces_[r.interface_id].name;
      r.link = set_link_;
      if (r.meta.format_id == kFmtData) r.meta.job_name = job_ = interfaces_[r.interface_id].name;
      ++interfaces_[r.interface_id].records;
      r.index = ++stats_.records;
      return true;
    }
    if (has_tlen && tlen < dlen) dlen = tlen;
    if (fmt == kFmtOsaenta) {
      const std::size_t x = osa_frame_offset(h, pl, d, dlen);
      d += x;
      dlen -= x;
    }
    r.data = Bytes(d, dlen);
    r.orig_len = has_plen && plen >= dlen ? plen : static_cast<std::uint32_t>(dlen);
    if (r.orig_len > dlen) r.meta.flags |= SourceMeta::kAbbreviated;
    r.link = link;
    r.interface_id = interface_for(name, link, devty);
    r.interface_name = interfaces_[r.interface_id].name;
    if (fmt == kFmtData) r.meta.job_name = job_ = interfaces_[r.interface_id].name;
    ++interfaces_[r.interface_id].records;
    r.index = ++stats_.records;
    return true;
  }

  // Data trace (id 5, spec 5.5): domain, type, protocol and state bytes after the job name, and
  // the sender / receiver of the socket data and their ports where packet records have theirs.
  void data_trace_fields(const std::uint8_t* h, std::size_t pl, SourceMeta::DataTrace& dt) const {
    field(h, pl, Field::dtdomain, dt.domain);
    field(h, pl, Field::dttype, dt.type);
    field(h, pl, Field::dtproto, dt.proto);
    field(h, pl, Field::dtstate, dt.state);
    const int so = map_[Field::src], dso = map_[Field::dst];
    if (so >= 0 && static_cast<std::size_t>(so) + 16 <= pl) dt.src = pth_address(h + so);
    if (dso >= 0 && static_cast<std::size_t>(dso) + 16 <= pl) dt.dst = pth_address(h + dso);
    field(h, pl, Field::sport, dt.sport);
    field(h, pl, Field::dport, dt.dport);
  }

  // OSAENTA (id 7): whether the OSA puts a descriptor before the MAC header is not public
  // (spec section 7). Find the frame in the first 64 bytes: an EtherType (after VLAN tags) whose
  // network header parses and, for IP, carries the header's source and destination addresses.
  std::size_t osa_frame_offset(const std::uint8_t* h, std::size_t pl, const std::uint8_t* d, std::size_t dlen) const {
    const int so = map_[Field::src], dso = map_[Field::dst];
    const bool have_addr = so >= 0 && dso >= 0 && static_cast<std::size_t>(std::max(so, dso)) + 16 <= pl;
    for (std::size_t x = 0; x <= 64 && x + 14 <= dlen; ++x) {
      std::size_t e = x + 12;
      std::uint16_t et = load_be16(d + e);
      for (int tags = 0; (et == 0x8100 || et == 0x88A8 || et == 0x9100) && tags < 3 && e + 6 <= dlen; ++tags) {
        e += 4;
        et = load_be16(d + e);
      }
      e += 2;
      if (et == 0x0806) {
        if (e + 8 <= dlen && load_be16(d + e) == 1 && load_be16(d + e + 2) == 0x0800 && d[e + 4] == 6 && d[e + 5] == 4)
          return x;
      } else if (et == 0x0800 && e + 20 <= dlen && (d[e] >> 4) == 4 && (d[e] & 0xF) >= 5) {
        if (!have_addr || (std::memcmp(h + so + 12, d + e + 12, 4) == 0 && std::memcmp(h + dso + 12, d + e + 16, 4) == 0))
          return x;
      } else if (et == 0x86DD && e + 40 <= dlen && (d[e] >> 4) == 6) {
        if (!have_addr || (std::memcmp(h + so, d + e + 8, 16) == 0 && std::memcmp(h + dso, d + e + 24, 16) == 0)) return x;
      }
    }
    return 0;  // not found: hand out the whole area
  }

  void drop_set(const char* why) {
    cs_->trace_segments_lost += set_segments_;
    stats_.add_issue(set_offset_, fmt::format("segmented trace record dropped: {}", why));
    set_active_ = false;
  }

  // SYSTCPIS extension between the base header and PTH_Len (spec 8.2, heuristic): the module
  // name (8 EBCDIC characters starting EZB), then job name, correlator, CID and policy name.
  void ids_extension(const std::uint8_t* h, std::size_t pl, Record& r) {
    static constexpr std::uint8_t ezb[] = {0xC5, 0xE9, 0xC2};
    for (std::size_t o = 88; o + 24 <= pl; ++o) {
      if (std::memcmp(h + o, ezb, 3) != 0 || !ebcdic_name_like(Bytes(h + o, 8))) continue;
      ebcdic_name_into(Bytes(h + o, 8), module_);
      ebcdic_name_into(Bytes(h + o + 8, 8), job_);
      r.meta.ids_correlator = load_be32(h + o + 16);
      if (const std::uint32_t cid = load_be32(h + o + 20)) r.meta.cid = cid;
      const std::size_t po = o + 24, pn = std::min<std::size_t>(48, pl - po);
      std::size_t k = 0;
      while (k < pn && h[po + k] != 0 && h[po + k] != 0x40) ++k;
      ebcdic_name_into(Bytes(h + po, k), policy_);
      r.meta.ids_module = module_;
      r.meta.job_name = job_;
      r.meta.ids_policy = policy_;
      return;
    }
  }

  struct IfKey {
    std::uint16_t link = 0;
    std::size_t len = 0;
    std::array<std::uint8_t, 16> raw{};
  };

  Source::Mode mode_;
  std::unique_ptr<Reader> inner_, cal_;
  CtraceReadStats* cs_ = nullptr;
  std::unique_ptr<Source> src_;
  std::unique_ptr<Scanner> scan_;
  FieldMap map_;
  std::int64_t leap_ns_ = 0;
  std::vector<IfKey> if_keys_;
  std::size_t last_if_ = 0;
  std::string job_, module_, policy_;
  // segmented record being reassembled
  bool set_active_ = false;
  std::uint32_t set_tlen_ = 0, set_plen_ = 0, set_segments_ = 0;
  std::uint16_t set_seq_ = 0, set_link_ = 0;
  std::uint64_t set_time_ = 0, set_offset_ = 0;
  std::vector<std::uint8_t> set_buf_, set_name_;
  Record set_first_;
};

// Chain RDWs (after an optional BDW) over the first bytes: the descriptor form test of the spec.
Source::Mode descriptor_form(Bytes h, bool whole_file) {
  auto chain = [&](std::size_t start, bool blocked) {
    std::size_t p = start, n = 0, block_end = blocked ? start : SIZE_MAX;
    while (p + 4 <= h.size()) {
      if (blocked && p == block_end) {
        const std::size_t bl = load_be16(h.data() + p);
        if ((h[p] & 0x80) || h[p + 2] != 0 || h[p + 3] != 0 || bl < 9) return false;
        block_end = p + bl;
        p += 4;
        continue;
      }
      const std::size_t len = load_be16(h.data() + p);
      if (len < 5 || h[p + 3] != 0 || h[p + 2] > 3) return false;
      if (blocked && p + len > block_end) return false;
      ++n;
      if (p + len > h.size()) return n >= 1;  // the window (or a cut file) ends inside a record
      p += len;
    }
    return n >= 1 && (p == h.size() || (!whole_file && p + 4 > h.size()) || (whole_file && h.size() - p < 4));
  };
  if (h.size() >= 8 && h[2] == 0 && h[3] == 0) {
    const std::size_t bl = load_be16(h.data());
    if (bl >= 9 && chain(0, true)) {
      // A block descriptor whose first record descriptor starts right after it.
      if (load_be16(h.data() + 4) + 4u <= bl) return Source::Mode::bdw;
    }
    if (chain(0, false)) return Source::Mode::rdw;
  }
  return Source::Mode::raw;
}

// A valid CTE at the start (the trailer check plus header checks make a strong signature), or,
// in a damaged head, two valid CTEs in a row (or one followed by zero fill) within the first 64 KB.
bool cte_valid_at(Bytes h, std::size_t p) {
  if (p + kCteMin > h.size() || !header_ok(h.data() + p, h.size() - p)) return false;
  const std::size_t L = load_be16(h.data() + p);
  return p + L <= h.size() && load_be16(h.data() + p + L - 2) == L;
}
bool cte_chain_at(Bytes h, bool whole_file) {
  if (cte_valid_at(h, 0)) return true;
  // A file cut inside its first entry.
  if (whole_file && header_ok(h.data(), h.size()) && load_be16(h.data()) > h.size()) return true;
  for (std::size_t p = 1; p + kCteMin <= std::min<std::size_t>(h.size(), 1u << 16); ++p) {
    if (!cte_valid_at(h, p)) continue;
    const std::size_t n = p + load_be16(h.data() + p);
    if (n == h.size() || (n + 2 <= h.size() && load_be16(h.data() + n) == 0) || cte_valid_at(h, n)) return true;
  }
  return false;
}

}  // namespace

Walk ctrace_walk(Bytes w, bool whole_file, bool lossy_crlf) {
  Walk res;
  const std::size_t n = w.size();
  std::size_t pos = 0;
  auto entry_or_fill_at = [&](std::size_t q) {
    return q == n || (q + 2 <= n && load_be16(w.data() + q) == 0) || header_ok(w.data() + q, n - q) ||
           (q + kCteMin > n && !whole_file);
  };
  while (pos + kCteMin <= n) {
    if (load_be16(w.data() + pos) == 0) {  // zero fill after a buffer's last entry, up to the next entry
      while (pos < n && w[pos] == 0 && !header_ok(w.data() + pos, n - pos)) ++pos;
      continue;
    }
    if (!header_ok(w.data() + pos, n - pos)) return res;
    const std::size_t L = load_be16(w.data() + pos);
    if (pos + L > n) {
      res.clean = !whole_file;
      return res;
    }
    std::size_t next = pos + L;
    if (load_be16(w.data() + pos + L - 2) != L) {
      if (!lossy_crlf) return res;
      // CR LF -> LF took a byte before some of the entry's LFs: its trailer comes earlier.
      const auto lfs = static_cast<std::size_t>(std::count(w.begin() + static_cast<std::ptrdiff_t>(pos + kCteMin),
                                                           w.begin() + static_cast<std::ptrdiff_t>(pos + L), 0x0A));
      next = 0;
      for (std::size_t k = 1; k <= std::min<std::size_t>(lfs, 16) && !next; ++k)
        if (load_be16(w.data() + pos + L - 2 - k) == L && entry_or_fill_at(pos + L - k)) next = pos + L - k;
      if (!next) return res;
      ++res.fixes;
    }
    ++res.records;
    pos = next;
  }
  res.clean = pos == n || !whole_file || std::all_of(w.begin() + static_cast<std::ptrdiff_t>(pos), w.end(),
                                                     [](std::uint8_t b) { return b == 0; });
  return res;
}

bool looks_like_ctrace(Bytes head, bool whole_file) {
  if (cte_valid_at(head, 0)) return true;
  const auto m = descriptor_form(head, whole_file);
  if (m != Source::Mode::raw) {
    // The first record's payload must start with a CTE.
    const std::size_t skip = m == Source::Mode::bdw ? 8 : 4;
    if (head.size() >= skip + kCteMin && header_ok(head.data() + skip, head.size() - skip)) return true;
  }
  return cte_chain_at(head, whole_file);
}

bool looks_like_terse(Bytes h) {
  if (h.size() >= 4 && (h[0] == 0x01 || h[0] == 0x07) && h[1] == 0x89 && h[2] == 0x69 && h[3] == 0xA5) return true;
  // PACK (02) / SPACK (05) header: version, variable flag 0/1, record length, flags, ratio...
  return h.size() >= 12 && (h[0] == 0x02 || h[0] == 0x05) && (h[1] == 0x00 || h[1] == 0x01);
}

std::unique_ptr<Reader> make_ctrace_reader(std::unique_ptr<Input> in, OpenError& err, const OpenOptions& opt) {
  // Validate the user's field overrides first: a usage error names the option.
  for (const auto& [name, off] : opt.ctrace_fields) {
    bool known = name == "out";
    for (std::size_t i = 0; i < kFieldCount; ++i) known = known || field_name(static_cast<Field>(i)) == name;
    if (!known || off < -255 || off > 1023) {
      err.exit_code = 1;
      err.message = fmt::format("--ctrace-field {}={}: {}", name, off, known ? "offset out of range" : "unknown field name");
      return nullptr;
    }
  }
  const std::size_t got = in->fill(256u << 10);
  const bool whole = got < (256u << 10);
  const Bytes head(in->data(), got);
  const bool cte_first = cte_valid_at(head, 0) || (whole && header_ok(head.data(), head.size()));
  const auto mode = cte_first ? Source::Mode::raw : descriptor_form(head, whole);
  auto r = std::make_unique<CtraceReader>(std::move(in), mode);
  if (mode == Source::Mode::raw) r->check_transfer(head, whole);
  r->init(opt);
  return r;
}

bool looks_like_2cutc(Bytes h) {
  // A pcapng whose first interface has link type USER0 (147) and whose head holds "2cUTC".
  if (h.size() < 28 + 16) return false;
  const bool le = load_le32(h.data() + 8) == 0x1A2B3C4D;
  auto u32 = [&](std::size_t o) { return le ? load_le32(h.data() + o) : load_be32(h.data() + o); };
  auto u16 = [&](std::size_t o) { return le ? load_le16(h.data() + o) : load_be16(h.data() + o); };
  const std::size_t shb = u32(4);
  if (shb < 28 || shb + 16 > h.size() || u32(shb) != 1 || u16(shb + 8) != 147) return false;
  static constexpr std::string_view tag = "2cUTC";
  return std::search(h.begin(), h.end(), tag.begin(), tag.end()) != h.end();
}

std::unique_ptr<Reader> make_2cutc_reader(std::unique_ptr<Input> in, OpenError& err, const OpenOptions& opt) {
  if (in->path() == "<stdin>") {
    err.message = "<stdin>: 2cUTC pcapng (USER0 records carrying CTRACE entries): read it from a file, not standard input";
    return nullptr;
  }
  std::string why;
  auto in2 = Input::open(in->path(), why), in3 = Input::open(in->path(), why);
  if (!in2 || !in3) {
    err.message = fmt::format("{}: cannot open: {}", in->path(), why);
    return nullptr;
  }
  auto inner = make_pcapng_reader(std::move(in2), err);
  auto cal = inner ? make_pcapng_reader(std::move(in3), err) : nullptr;
  if (!inner || !cal) return nullptr;
  auto r = std::make_unique<CtraceReader>(std::move(in), std::move(inner), std::move(cal));
  r->init(opt);
  return r;
}

const ctrace::FieldMap* ctrace_field_map(const Reader& r) {
  const auto* c = dynamic_cast<const CtraceReader*>(&r);
  return c ? &c->field_map() : nullptr;
}

}  // namespace ctana
