// Classic pcap (libpcap format): micro- and nanosecond magics, either byte order, and Kuznetzov's
// modified format. Read directly (not through libpcap) for speed, offsets in messages, and
// recovery after a damaged record header; tests compare it with libpcap on the same files.
#include <algorithm>

#include "io/reader_impl.hpp"

namespace ctana {

namespace {

// The file header's facts, and what a plausible record header looks like under them.
struct PcapFile {
  bool big = false, nsec = false;
  std::uint32_t hdr_len = 16, snaplen = 0;
  std::uint16_t link = 0;

  PcapFile() = default;
  explicit PcapFile(const std::uint8_t* h) {  // the 24-byte file header
    const std::uint32_t magic = load_be32(h);
    big = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d || magic == 0xa1b2cd34;
    nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
    hdr_len = (magic == 0xa1b2cd34 || magic == 0x34cdb2a1) ? 24 : 16;
    snaplen = u32(h + 16);
    link = static_cast<std::uint16_t>(u32(h + 20) & 0xffff);
  }
  std::uint32_t u32(const std::uint8_t* p) const { return big ? load_be32(p) : load_le32(p); }
  // Sane lengths and fraction: a header that could start a real record.
  bool plausible(const std::uint8_t* h) const {
    const std::uint32_t incl = u32(h + 8), orig = u32(h + 12), frac = u32(h + 4);
    return incl <= 262144 && (incl <= snaplen || snaplen == 0) && orig >= incl && orig <= 262144 &&
           frac < (nsec ? 1'000'000'000u : 1'000'000u) && u32(h) != 0;
  }
};

class PcapReader final : public Reader {
 public:
  explicit PcapReader(std::unique_ptr<Input> in) : Reader(std::move(in)) {}

  bool init(OpenError& err) {
    const std::size_t got = in_->fill(kTransferWindow);
    if (got < 24) {
      err.message = fmt::format("{}: pcap file header cut short ({} of 24 bytes)", in_->path(), got);
      return false;
    }
    file_ = PcapFile(in_->data());
    note_transfer_damage(stats_, Bytes(in_->data(), got), got < kTransferWindow, pcap_walk);
    interfaces_.emplace_back();
    interfaces_.back().link = file_.link;
    interfaces_.back().snaplen = file_.snaplen;
    interfaces_.back().ts_resolution = file_.nsec ? "ns" : "us";
    in_->consume(24);
    stats_.bytes_read = 24;
    return true;
  }

  Format format() const override { return Format::pcap; }

  bool next(Record& r) override {
    for (;;) {
      const std::uint64_t off = in_->offset();
      const std::uint32_t hdr_len = file_.hdr_len, snaplen = file_.snaplen;
      const std::size_t avail = in_->fill(hdr_len);
      if (avail == 0) return end_of_input();
      if (avail < hdr_len) {
        stats_.truncated = true;
        stats_.add_issue(off, fmt::format("file ends inside the header of record {} ({} of {} bytes)",
                                          stats_.records + 1, avail, hdr_len));
        finish(avail);
        return false;
      }
      const std::uint8_t* h = in_->data();
      const std::uint32_t incl = u32(h + 8), orig = u32(h + 12);
      if (incl > kMaxRecordBytes || (incl > snaplen && incl > 262144)) {
        stats_.damaged = true;
        stats_.add_issue(off, fmt::format("record {} header claims {} captured bytes (snaplen {}): not a record",
                                          stats_.records + 1, incl, snaplen));
        if (!resync(1, [this](const std::uint8_t* p, std::size_t n, bool at_end) { return plausible(p, n, at_end); }))
          return end_of_input();
        continue;
      }
      const std::size_t need = hdr_len + incl;
      if (in_->fill(need) < need) {
        stats_.truncated = true;
        stats_.add_issue(off, fmt::format("file ends inside record {}: {} bytes captured, only {} present",
                                          stats_.records + 1, incl, in_->available() - hdr_len));
        finish(in_->available());
        return false;
      }
      h = in_->data();
      const std::uint32_t frac = u32(h + 4);
      const std::int64_t sec = static_cast<std::int64_t>(u32(h));
      r.ts_ns = sec * 1'000'000'000 + (file_.nsec ? frac : std::int64_t{frac} * 1000);
      r.data = Bytes(h + hdr_len, incl);
      r.orig_len = std::max(orig, incl);
      r.link = file_.link;
      r.dir = Direction::unknown;
      if (hdr_len == 24) {  // Kuznetzov: pkt_type byte at 22 (0 host ... 4 outgoing)
        const std::uint8_t t = h[22];
        r.dir = t == 4 ? Direction::out : (t <= 3 ? Direction::in : Direction::unknown);
      }
      r.interface_id = 0;
      r.interface_name = interfaces_[0].name;
      r.offset = off;
      r.index = ++stats_.records;
      r.meta = SourceMeta{};
      ++interfaces_[0].records;
      in_->consume(need);
      stats_.bytes_read = in_->offset();
      return true;
    }
  }

 private:
  std::uint32_t u32(const std::uint8_t* p) const { return file_.u32(p); }

  // A plausible record header, followed (when the bytes are there) by another or the end.
  Scan plausible(const std::uint8_t* p, std::size_t n, bool at_end) const {
    const std::size_t hl = file_.hdr_len;
    if (n < hl) return at_end ? Scan::no : Scan::need_more;
    if (!file_.plausible(p)) return Scan::no;
    const std::size_t next = hl + u32(p + 8);
    if (n == next && at_end) return Scan::yes;
    if (n < next + hl) return at_end ? Scan::no : Scan::need_more;
    return file_.plausible(p + next) ? Scan::yes : Scan::no;
  }

  bool end_of_input() {
    note_input_problem(stats_, *in_);
    stats_.bytes_read = in_->offset();
    return false;
  }

  void finish(std::size_t leftover) {
    in_->consume(leftover);
    end_of_input();
  }

  PcapFile file_;
};

}  // namespace

Walk pcap_walk(Bytes w, bool whole_file, bool lossy_crlf) {
  Walk res;
  if (w.size() < 24) return res;
  const PcapFile f(w.data());
  const std::size_t n = w.size(), hl = f.hdr_len;
  std::size_t pos = 24;
  while (pos + hl <= n) {
    if (!f.plausible(w.data() + pos)) return res;
    std::size_t next = pos + hl + f.u32(w.data() + pos + 8);
    ++res.records;
    if (next >= n) {
      res.clean = next == n || !whole_file;
      return res;
    }
    if (lossy_crlf && next + hl <= n && !f.plausible(w.data() + next)) {
      // CR LF -> LF took a byte before some of the record's LFs: its successor starts earlier.
      // Preferred: a successor that is itself followed by a plausible header (or the end).
      const auto lfs = static_cast<std::size_t>(std::count(w.begin() + static_cast<std::ptrdiff_t>(pos + hl),
                                                           w.begin() + static_cast<std::ptrdiff_t>(next), 0x0A));
      std::size_t found = 0;
      for (int pass = 0; pass < 2 && !found; ++pass)
        for (std::size_t k = 1; k <= std::min<std::size_t>(lfs, 16) && !found; ++k) {
          const std::size_t q = next - k;
          if (!f.plausible(w.data() + q)) continue;
          const std::size_t q2 = q + hl + f.u32(w.data() + q + 8);
          if (pass == 1 || q2 >= n || (q2 + hl <= n && f.plausible(w.data() + q2))) found = q;
        }
      if (found) {
        next = found;
        ++res.fixes;
      }
    }
    pos = next;
  }
  res.clean = pos == n || !whole_file;
  return res;
}

std::unique_ptr<Reader> make_pcap_reader(std::unique_ptr<Input> in, OpenError& err) {
  auto r = std::make_unique<PcapReader>(std::move(in));
  if (!r->init(err)) return nullptr;
  return r;
}

}  // namespace ctana
