// CTRACE writer for test fixtures: packets -> component trace entries in ctana's H1 packet trace
// header layout, packed into trace buffers (zero filled), framed as raw external-writer data or
// as variable records with RDWs, block descriptors and spanned segments (docs/ctrace.md).
#include <algorithm>
#include <cstring>

#include "ctana/ctrace.hpp"

namespace ctana::ctrace {

namespace {

void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xFFFF);
}
void put64(std::uint8_t* p, std::uint64_t v) {
  put32(p, static_cast<std::uint32_t>(v >> 32));
  put32(p + 4, static_cast<std::uint32_t>(v));
}
void put_ebcdic(std::uint8_t* p, std::size_t n, std::string_view s) {
  for (std::size_t i = 0; i < n; ++i) p[i] = i < s.size() ? ascii_to_ebcdic(s[i]) : std::uint8_t{0x40};
}

// Addresses, ports and protocol of an IP packet for the header; false if it is not IP.
struct IpFacts {
  std::uint8_t src[16]{}, dst[16]{};
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t proto = 0;
};
bool ip_facts(Bytes b, IpFacts& f) {
  if (b.size() < 20) return false;
  const int v = b[0] >> 4;
  std::size_t l4 = 0;
  if (v == 4) {
    f.src[10] = f.src[11] = f.dst[10] = f.dst[11] = 0xFF;
    std::memcpy(f.src + 12, b.data() + 12, 4);
    std::memcpy(f.dst + 12, b.data() + 16, 4);
    f.proto = b[9];
    l4 = (b[0] & 0x0F) * 4u;
    if ((load_be16(b.data() + 6) & 0x1FFF) != 0) l4 = 0;  // later fragment: no ports
  } else if (v == 6 && b.size() >= 40) {
    std::memcpy(f.src, b.data() + 8, 16);
    std::memcpy(f.dst, b.data() + 24, 16);
    f.proto = b[6];
    l4 = 40;
  } else {
    return false;
  }
  if (l4 && (f.proto == 6 || f.proto == 17) && b.size() >= l4 + 4) {
    f.sport = load_be16(b.data() + l4);
    f.dport = load_be16(b.data() + l4 + 2);
  }
  return true;
}

}  // namespace

Writer::Writer(std::FILE* out, WriterOptions opt) : out_(out), opt_(opt) {
  opt_.max_cte_data = std::clamp<std::uint32_t>(opt_.max_cte_data, 1, 65535 - 18 - kIdsPthLen - 1);
  opt_.lrecl = std::clamp<std::uint32_t>(opt_.lrecl, 9, 32760);
  opt_.block_size = std::clamp<std::uint32_t>(opt_.block_size, opt_.lrecl + 4, 32760);
  buf_.reserve(opt_.buffer_size);
}

Writer::~Writer() = default;

void Writer::write(const WritePacket& p) {
  Bytes data = p.data;
  const std::uint32_t orig = p.orig_len ? p.orig_len : static_cast<std::uint32_t>(data.size());
  if (opt_.abbrev && data.size() > opt_.abbrev) data = data.first(opt_.abbrev);
  const bool ids = is_ids_probe(p.format_id);
  const std::uint16_t pth_len = ids ? kIdsPthLen : kH1Len;
  IpFacts f;
  if (p.format_id == kFmtOsaenta) {
    // Ethernet frame: addresses of the IP packet inside (after VLAN tags) for the header.
    std::size_t o = 12;
    while (o + 4 <= data.size() && (load_be16(data.data() + o) == 0x8100 || load_be16(data.data() + o) == 0x88A8 || load_be16(data.data() + o) == 0x9100)) o += 4;
    if (o + 2 <= data.size()) ip_facts(data.subspan(o + 2), f);
  } else if (p.format_id == kFmtData) {
    // Socket data: the sender and receiver come with the record (an IPv4 address as ::FFFF:a.b.c.d).
    auto addr = [](Bytes a, std::uint8_t* out) {
      if (a.size() == 4) {
        out[10] = out[11] = 0xFF;
        std::memcpy(out + 12, a.data(), 4);
      } else if (a.size() == 16) {
        std::memcpy(out, a.data(), 16);
      }
    };
    addr(p.dt_src, f.src);
    addr(p.dt_dst, f.dst);
    f.sport = p.dt_sport;
    f.dport = p.dt_dport;
    f.proto = p.dt_proto;
  } else {
    ip_facts(data, f);
  }
  if (p.format_id == kFmtOsaenta && opt_.osa_prefix) {
    // A descriptor of unknown layout in front of the MAC header: 0xA5, then the frame length.
    osa_.assign(opt_.osa_prefix, 0xA5);
    if (osa_.size() >= 4) put16(osa_.data() + 2, static_cast<std::uint32_t>(data.size()));
    osa_.insert(osa_.end(), data.begin(), data.end());
    data = Bytes(osa_);
  }
  const auto tlen = static_cast<std::uint32_t>(data.size());
  const std::uint64_t pth_tod = unix_ns_to_tod(p.ts_ns);
  const std::uint64_t cte_tod = unix_ns_to_tod(p.ts_ns + 13'000);  // buffer time: 13 us later
  ++counter_;
  std::uint32_t done = 0, seq = 0;
  do {
    const std::uint32_t n = std::min(tlen - done, opt_.max_cte_data);
    const std::uint32_t pad = n & 1u;
    const std::size_t L = 16 + pth_len + n + pad + 2;
    cte_.assign(L, 0);
    std::uint8_t* c = cte_.data();
    put16(c, static_cast<std::uint32_t>(L));
    put16(c + 2, 16);
    put32(c + 4, p.format_id);
    put64(c + 8, cte_tod);
    std::uint8_t* h = c + 16;
    put16(h, pth_len);
    put16(h + 2, seq == 0 ? 0 : ((seq - 1) % 255) + 1);  // 0, 1..255, 1..: wraps back to 1
    std::uint8_t flags = 0;
    if (p.local) flags |= 0x80;
    if (p.dir == Direction::out) flags |= kH1OutBit;
    if (p.discard_code) flags |= 0x08;
    if (pad) flags |= 0x04;
    h[4] = flags;
    h[5] = p.device_type;
    if (p.format_id == kFmtData) {
      put_ebcdic(h + 8, 8, p.name);
      h[16] = p.dt_domain;
      h[17] = p.dt_type;
      h[18] = p.dt_proto;
      h[19] = p.dt_state;
    } else {
      put_ebcdic(h + 8, 16, p.name.empty() ? "UNKNOWN" : p.name);
    }
    put64(h + 24, pth_tod);
    std::memcpy(h + 32, f.src, 16);
    std::memcpy(h + 48, f.dst, 16);
    put16(h + 64, f.sport);
    put16(h + 66, f.dport);
    put32(h + 68, static_cast<std::uint32_t>(counter_));
    h[73] = f.proto;
    put32(h + 76, orig);
    put32(h + 80, tlen);
    put32(h + 84, 1);
    put16(h + 88, p.discard_code);
    put16(h + 90, p.asid);
    put32(h + kH1Cid, p.cid);
    if (ids) {
      std::uint8_t* x = h + kIdsExtOff;
      put_ebcdic(x, 8, p.module);
      put_ebcdic(x + 8, 8, p.job);
      put32(x + 16, p.correlator);
      put32(x + 20, p.cid);
      put_ebcdic(x + 24, 48, p.policy);
    }
    if (n) std::memcpy(h + pth_len, data.data() + done, n);
    put16(c + L - 2, static_cast<std::uint32_t>(L));
    add_cte(c, L);
    done += n;
    ++seq;
  } while (done < tlen);
}

void Writer::add_cte(const std::uint8_t* cte, std::size_t len) {
  if (!buf_.empty() && buf_.size() + len > opt_.buffer_size) flush_buffer();
  buf_.insert(buf_.end(), cte, cte + len);
  ++ctes_;
}

void Writer::flush_buffer() {
  if (buf_.empty()) return;
  if (opt_.zero_fill && buf_.size() < opt_.buffer_size) buf_.resize(opt_.buffer_size, 0);
  ++buffers_;
  if (opt_.writer_header) {
    // A header of unknown layout in front of the buffer: "WRHD" in EBCDIC, the buffer number,
    // then 0xEE bytes; the reader must skip it with the two-in-a-row rule.
    std::vector<std::uint8_t> hdr(opt_.writer_header, 0xEE);
    static constexpr std::uint8_t tag[] = {0xE6, 0xD9, 0xC8, 0xC4};
    std::memcpy(hdr.data(), tag, std::min<std::size_t>(4, hdr.size()));
    if (hdr.size() >= 8) put32(hdr.data() + 4, static_cast<std::uint32_t>(buffers_));
    hdr.insert(hdr.end(), buf_.begin(), buf_.end());
    emit_record(hdr.data(), hdr.size());
  } else {
    emit_record(buf_.data(), buf_.size());
  }
  buf_.clear();
}

void Writer::emit_raw(const std::uint8_t* p, std::size_t n) {
  if (n && std::fwrite(p, 1, n, out_) != n) ok_ = false;
}

void Writer::flush_block() {
  if (block_.empty()) return;
  std::uint8_t bdw[4];
  put16(bdw, static_cast<std::uint32_t>(block_.size() + 4));
  bdw[2] = bdw[3] = 0;
  emit_raw(bdw, 4);
  emit_raw(block_.data(), block_.size());
  block_.clear();
}

void Writer::emit_record(const std::uint8_t* p, std::size_t n) {
  using F = WriterOptions::Framing;
  if (opt_.framing == F::raw) return emit_raw(p, n);
  const std::size_t seg_max = (opt_.framing == F::vbs ? opt_.lrecl : 32760u) - 4u;
  const bool blocked = opt_.framing != F::rdw;
  std::size_t done = 0;
  do {
    const std::size_t m = std::min(n - done, seg_max);
    const bool first = done == 0, last = done + m == n;
    std::uint8_t rdw[4];
    put16(rdw, static_cast<std::uint32_t>(m + 4));
    rdw[2] = first && last ? 0 : first ? 1 : last ? 2 : 3;
    rdw[3] = 0;
    if (blocked) {
      if (block_.size() + m + 4 + 4 > opt_.block_size) flush_block();
      block_.insert(block_.end(), rdw, rdw + 4);
      block_.insert(block_.end(), p + done, p + done + m);
    } else {
      emit_raw(rdw, 4);
      emit_raw(p + done, m);
    }
    done += m;
  } while (done < n);
}

bool Writer::finish() {
  flush_buffer();
  flush_block();
  if (std::fflush(out_) != 0) ok_ = false;
  return ok_;
}

}  // namespace ctana::ctrace
