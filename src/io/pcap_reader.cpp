// Classic pcap (libpcap format): micro- and nanosecond magics, either byte order, and Kuznetzov's
// modified format. Read directly (not through libpcap) for speed, offsets in messages, and
// recovery after a damaged record header; tests compare it with libpcap on the same files.
#include "io/reader_impl.hpp"

namespace ctana {

namespace {

class PcapReader final : public Reader {
 public:
  explicit PcapReader(std::unique_ptr<Input> in) : Reader(std::move(in)) {}

  bool init(OpenError& err) {
    const std::size_t got = in_->fill(24);
    if (got < 24) {
      err.message = fmt::format("{}: pcap file header cut short ({} of 24 bytes)", in_->path(), got);
      return false;
    }
    const std::uint8_t* h = in_->data();
    const std::uint32_t magic = load_be32(h);
    big_ = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d || magic == 0xa1b2cd34;
    nsec_ = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
    hdr_len_ = (magic == 0xa1b2cd34 || magic == 0x34cdb2a1) ? 24 : 16;
    snaplen_ = u32(h + 16);
    const std::uint32_t network = u32(h + 20);
    link_ = static_cast<std::uint16_t>(network & 0xffff);
    interfaces_.emplace_back();
    interfaces_.back().link = link_;
    interfaces_.back().snaplen = snaplen_;
    interfaces_.back().ts_resolution = nsec_ ? "ns" : "us";
    in_->consume(24);
    stats_.bytes_read = 24;
    return true;
  }

  Format format() const override { return Format::pcap; }

  bool next(Record& r) override {
    for (;;) {
      const std::uint64_t off = in_->offset();
      const std::size_t avail = in_->fill(hdr_len_);
      if (avail == 0) return end_of_input();
      if (avail < hdr_len_) {
        stats_.truncated = true;
        stats_.add_issue(off, fmt::format("file ends inside the header of record {} ({} of {} bytes)",
                                          stats_.records + 1, avail, hdr_len_));
        finish(avail);
        return false;
      }
      const std::uint8_t* h = in_->data();
      const std::uint32_t incl = u32(h + 8), orig = u32(h + 12);
      if (incl > kMaxRecordBytes || (incl > snaplen_ && incl > 262144)) {
        stats_.damaged = true;
        stats_.add_issue(off, fmt::format("record {} header claims {} captured bytes (snaplen {}): not a record",
                                          stats_.records + 1, incl, snaplen_));
        if (!resync(1, [this](const std::uint8_t* p, std::size_t n, bool at_end) { return plausible(p, n, at_end); })) {
          stats_.bytes_read = in_->offset();
          return false;
        }
        continue;
      }
      const std::size_t need = hdr_len_ + incl;
      if (in_->fill(need) < need) {
        stats_.truncated = true;
        stats_.add_issue(off, fmt::format("file ends inside record {}: {} bytes captured, only {} present",
                                          stats_.records + 1, incl, in_->available() - hdr_len_));
        finish(in_->available());
        return false;
      }
      h = in_->data();
      const std::uint32_t frac = u32(h + 4);
      const std::int64_t sec = static_cast<std::int64_t>(u32(h));
      r.ts_ns = sec * 1'000'000'000 + (nsec_ ? frac : std::int64_t{frac} * 1000);
      r.data = Bytes(h + hdr_len_, incl);
      r.orig_len = std::max(orig, incl);
      r.link = link_;
      r.dir = Direction::unknown;
      if (hdr_len_ == 24) {  // Kuznetzov: pkt_type byte at 22 (0 host ... 4 outgoing)
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
  std::uint32_t u32(const std::uint8_t* p) const { return big_ ? load_be32(p) : load_le32(p); }

  // A record header that could start a real record: sane lengths and fraction, and (when the
  // bytes are there) followed by another such header or the end of the file.
  Scan plausible(const std::uint8_t* p, std::size_t n, bool at_end) const {
    auto ok = [this](const std::uint8_t* h) {
      const std::uint32_t incl = u32(h + 8), orig = u32(h + 12), frac = u32(h + 4);
      return incl <= 262144 && (incl <= snaplen_ || snaplen_ == 0) && orig >= incl && orig <= 262144 &&
             frac < (nsec_ ? 1'000'000'000u : 1'000'000u) && u32(h) != 0;
    };
    if (n < hdr_len_) return at_end ? Scan::no : Scan::need_more;
    if (!ok(p)) return Scan::no;
    const std::size_t next = hdr_len_ + u32(p + 8);
    if (n == next && at_end) return Scan::yes;
    if (n < next + hdr_len_) return at_end ? Scan::no : Scan::need_more;
    return ok(p + next) ? Scan::yes : Scan::no;
  }

  bool end_of_input() {
    if (in_->error()) {
      stats_.io_error = true;
      stats_.add_issue(in_->offset(), fmt::format("read error: {}", in_->error_message()));
    }
    stats_.bytes_read = in_->offset();
    return false;
  }

  void finish(std::size_t leftover) {
    in_->consume(leftover);
    end_of_input();
  }

  bool big_ = false, nsec_ = false;
  std::uint32_t hdr_len_ = 16, snaplen_ = 0;
  std::uint16_t link_ = 0;
};

}  // namespace

std::unique_ptr<Reader> make_pcap_reader(std::unique_ptr<Input> in, OpenError& err) {
  auto r = std::make_unique<PcapReader>(std::move(in));
  if (!r->init(err)) return nullptr;
  return r;
}

}  // namespace ctana
