// pcapng: several sections and interfaces, each with its own link type, snap length and
// timestamp resolution (if_tsresol) and offset (if_tsoffset); Enhanced, Simple and obsolete
// Packet Blocks; epb_flags direction. Damaged blocks are skipped by scanning for the next block
// whose leading and trailing lengths agree.
#include "io/reader_impl.hpp"

namespace ctana {

namespace {

__extension__ typedef __int128 int128;

constexpr std::uint32_t kShb = 0x0A0D0D0A, kIdb = 1, kOpb = 2, kSpb = 3, kEpb = 6;

bool known_block_type(std::uint32_t t) {
  switch (t) {
    case kShb: case kIdb: case kOpb: case kSpb: case 4: case 5: case kEpb: case 7: case 8: case 9:
    case 10: case 0x00000BAD: case 0x40000BAD:
      return true;
    default:
      return false;
  }
}

struct Iface {
  std::uint16_t link = 0;
  std::uint32_t snaplen = 0;
  bool pow2 = false;    // if_tsresol: 2^-exp instead of 10^-exp seconds
  std::uint8_t exp = 6;
  std::int64_t offset_s = 0;
  std::size_t global = 0;  // index into Reader::interfaces_
};

class PcapngReader final : public Reader {
 public:
  explicit PcapngReader(std::unique_ptr<Input> in) : Reader(std::move(in)) {}

  bool init(OpenError& err) {
    if (in_->fill(12) < 12) {
      err.message = fmt::format("{}: pcapng section header cut short ({} bytes)", in_->path(), in_->available());
      return false;
    }
    const std::uint32_t bom = load_be32(in_->data() + 8);
    if (bom != 0x1A2B3C4D && bom != 0x4D3C2B1A) {
      err.message = fmt::format("{}: pcapng section header has no byte-order magic at offset 8", in_->path());
      return false;
    }
    // A file cut inside its first block holds no trace: refused like a pcap cut in its header.
    const std::uint32_t len = bom == 0x1A2B3C4D ? load_be32(in_->data() + 4) : load_le32(in_->data() + 4);
    if (len >= 28 && len % 4 == 0 && len <= kMaxRecordBytes && in_->fill(len) < len) {
      err.message = fmt::format("{}: pcapng section header block cut short ({} of {} bytes)", in_->path(),
                                in_->available(), len);
      return false;
    }
    return true;
  }

  Format format() const override { return Format::pcapng; }

  bool next(Record& r) override {
    for (;;) {
      const std::uint64_t off = in_->offset();
      const std::size_t avail = in_->fill(12);
      if (avail == 0) return end_of_input();
      if (avail < 12) {
        stats_.truncated = true;
        stats_.add_issue(off, fmt::format("file ends inside a block header ({} bytes)", avail));
        return finish();
      }
      const std::uint8_t* h = in_->data();
      if (load_be32(h) == kShb) {  // byte order is per section
        const std::uint32_t bom = load_be32(h + 8);
        if (bom == 0x1A2B3C4D) big_ = true;
        else if (bom == 0x4D3C2B1A) big_ = false;
      }
      const std::uint32_t type = u32(h), len = u32(h + 4);
      if (len < 12 || len % 4 != 0 || len > kMaxRecordBytes) {
        if (!damaged(off, fmt::format("block of type 0x{:08x} has impossible length {}", type, len))) return false;
        continue;
      }
      if (in_->fill(len) < len) {
        stats_.truncated = true;
        stats_.add_issue(off, fmt::format("file ends inside a block of type 0x{:08x}: {} bytes long, {} present",
                                          type, len, in_->available()));
        return finish();
      }
      h = in_->data();
      if (u32(h + len - 4) != len) {
        if (!damaged(off, fmt::format("block of type 0x{:08x}: leading length {} differs from trailing length {}",
                                      type, len, u32(h + len - 4))))
          return false;
        continue;
      }
      const Bytes body(h + 8, len - 12);
      bool is_packet = false;
      switch (type) {
        case kShb: section(); break;
        case kIdb: interface(off, body); break;
        case kEpb: case kOpb: case kSpb: is_packet = packet(type, off, body, r); break;
        default: ++stats_.other_blocks; break;
      }
      in_->consume(len);
      stats_.bytes_read = in_->offset();
      if (is_packet) return true;
    }
  }

 private:
  std::uint32_t u32(const std::uint8_t* p) const { return big_ ? load_be32(p) : load_le32(p); }
  std::uint16_t u16(const std::uint8_t* p) const { return big_ ? load_be16(p) : load_le16(p); }

  void section() { ifaces_.clear(); }

  // Options: code(2) length(2) value padded to 4 bytes; code 0 ends the list.
  template <class F>
  void options(Bytes o, F&& f) const {
    std::size_t i = 0;
    while (i + 4 <= o.size()) {
      const std::uint16_t code = u16(o.data() + i), olen = u16(o.data() + i + 2);
      if (code == 0) return;
      if (i + 4 + olen > o.size()) return;
      f(code, Bytes(o.data() + i + 4, olen));
      i += 4 + ((olen + 3u) & ~3u);
    }
  }

  void interface(std::uint64_t off, Bytes b) {
    if (b.size() < 8) {
      stats_.damaged = true;
      stats_.add_issue(off, "interface description block shorter than 8 bytes");
      return;
    }
    Iface f;
    f.link = u16(b.data());
    f.snaplen = u32(b.data() + 4);
    InterfaceInfo info;
    options(b.subspan(8), [&](std::uint16_t code, Bytes v) {
      switch (code) {
        case 2: info.name.assign(v.begin(), v.end()); break;
        case 3: info.description.assign(v.begin(), v.end()); break;
        case 9:
          if (!v.empty()) {
            f.pow2 = (v[0] & 0x80) != 0;
            f.exp = v[0] & 0x7f;
          }
          break;
        case 14:
          if (v.size() == 8) {
            const std::uint64_t s = big_ ? (std::uint64_t{load_be32(v.data())} << 32) | load_be32(v.data() + 4)
                                         : (std::uint64_t{load_le32(v.data() + 4)} << 32) | load_le32(v.data());
            f.offset_s = static_cast<std::int64_t>(s);
          }
          break;
        default: break;
      }
    });
    while (!info.name.empty() && info.name.back() == '\0') info.name.pop_back();
    while (!info.description.empty() && info.description.back() == '\0') info.description.pop_back();
    if (f.pow2 && f.exp > 63) f.exp = 63;
    if (!f.pow2 && f.exp > 18) f.exp = 18;
    info.link = f.link;
    info.snaplen = f.snaplen;
    if (!f.pow2 && f.exp == 6) info.ts_resolution = "us";
    else if (!f.pow2 && f.exp == 9) info.ts_resolution = "ns";
    else info.ts_resolution = fmt::format("{}^-{} s", f.pow2 ? 2 : 10, f.exp);
    f.global = interfaces_.size();
    interfaces_.push_back(std::move(info));
    ifaces_.push_back(f);
  }

  std::int64_t to_ns(const Iface& f, std::uint64_t ts) const {
    int128 ns;
    if (f.pow2) {
      ns = (static_cast<int128>(ts) * 1'000'000'000) >> f.exp;
    } else if (f.exp <= 9) {
      static constexpr std::int64_t kScale[] = {1'000'000'000, 100'000'000, 10'000'000, 1'000'000, 100'000,
                                                10'000, 1'000, 100, 10, 1};
      ns = static_cast<int128>(ts) * kScale[f.exp];
    } else {
      int128 div = 1;
      for (int i = 9; i < f.exp; ++i) div *= 10;
      ns = static_cast<int128>(ts) / div;
    }
    ns += static_cast<int128>(f.offset_s) * 1'000'000'000;
    if (ns > INT64_MAX) return INT64_MAX;
    if (ns < INT64_MIN) return INT64_MIN;
    return static_cast<std::int64_t>(ns);
  }

  bool packet(std::uint32_t type, std::uint64_t off, Bytes b, Record& r) {
    std::uint32_t ifid = 0, caplen = 0, origlen = 0;
    std::uint64_t ts = 0;
    std::size_t data_at = 0;
    if (type == kEpb || type == kOpb) {
      if (b.size() < 20) return bad_block(off, "packet block shorter than its fixed fields");
      if (type == kEpb) {
        ifid = u32(b.data());
      } else {
        ifid = u16(b.data());
      }
      ts = (std::uint64_t{u32(b.data() + 4)} << 32) | u32(b.data() + 8);
      caplen = u32(b.data() + 12);
      origlen = u32(b.data() + 16);
      data_at = 20;
      if (caplen > b.size() - data_at) return bad_block(off, fmt::format("packet block captured length {} exceeds the block", caplen));
    } else {  // SPB: original length, data up to the snap length of interface 0
      if (b.size() < 4) return bad_block(off, "simple packet block shorter than 4 bytes");
      origlen = u32(b.data());
      data_at = 4;
      caplen = std::min<std::uint32_t>(origlen, static_cast<std::uint32_t>(b.size() - 4));
      if (!ifaces_.empty() && ifaces_[0].snaplen) caplen = std::min(caplen, ifaces_[0].snaplen);
    }
    if (ifid >= ifaces_.size())
      return bad_block(off, fmt::format("packet block names interface {} but the section declares {}", ifid, ifaces_.size()));
    const Iface& f = ifaces_[ifid];
    r.ts_ns = type == kSpb ? 0 : to_ns(f, ts);
    r.data = Bytes(b.data() + data_at, caplen);
    r.orig_len = std::max(origlen, caplen);
    r.link = f.link;
    r.dir = Direction::unknown;
    if (type == kEpb) {
      const std::size_t opt = data_at + ((caplen + 3u) & ~3u);
      if (opt < b.size()) {
        options(b.subspan(opt), [&](std::uint16_t code, Bytes v) {
          if (code == 2 && v.size() == 4) {
            const std::uint32_t fl = u32(v.data()) & 3u;
            r.dir = fl == 1 ? Direction::in : fl == 2 ? Direction::out : Direction::unknown;
          }
        });
      }
    }
    InterfaceInfo& info = interfaces_[f.global];
    ++info.records;
    r.interface_id = static_cast<std::uint32_t>(f.global);
    r.interface_name = info.name;
    r.offset = off;
    r.index = ++stats_.records;
    r.meta = SourceMeta{};
    return true;
  }

  bool bad_block(std::uint64_t off, std::string msg) {
    stats_.damaged = true;
    stats_.add_issue(off, std::move(msg));
    return false;
  }

  bool damaged(std::uint64_t off, std::string msg) {
    stats_.damaged = true;
    stats_.add_issue(off, std::move(msg));
    const bool ok = resync(4, [this](const std::uint8_t* p, std::size_t n, bool at_end) { return block_at(p, n, at_end); });
    if (!ok) return end_of_input();
    stats_.bytes_read = in_->offset();
    return ok;
  }

  Scan block_at(const std::uint8_t* p, std::size_t n, bool at_end) const {
    if (n < 12) return at_end ? Scan::no : Scan::need_more;
    const std::uint32_t type = u32(p), len = u32(p + 4);
    if (!known_block_type(type) || len < 12 || len % 4 || len > kMaxRecordBytes) return Scan::no;
    if (n < len) return at_end ? Scan::no : Scan::need_more;
    return u32(p + len - 4) == len ? Scan::yes : Scan::no;
  }

  bool end_of_input() {
    note_input_problem(stats_, *in_);
    stats_.bytes_read = in_->offset();
    return false;
  }

  bool finish() {
    in_->consume(in_->available());
    return end_of_input();
  }

  bool big_ = false;
  std::vector<Iface> ifaces_;  // this section's interfaces
};

}  // namespace

std::unique_ptr<Reader> make_pcapng_reader(std::unique_ptr<Input> in, OpenError& err) {
  auto r = std::make_unique<PcapngReader>(std::move(in));
  if (!r->init(err)) return nullptr;
  return r;
}

}  // namespace ctana
