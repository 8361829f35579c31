#include "ctana/decode.hpp"

#include "decode/decoders.hpp"

namespace ctana {

namespace detail {

void fail(Packet& p, Layer layer, std::uint32_t off, const char* what) {
  if (p.problem.what) return;
  p.problem = DecodeProblem{layer, false, off, what};
}

void short_read(Packet& p, Layer layer, std::uint32_t off, const char* what) {
  if (p.problem.what) return;
  const bool snapped = p.rec && p.rec->orig_len > p.rec->data.size();
  p.problem = DecodeProblem{layer, snapped, off, what};
}

}  // namespace detail

using namespace detail;

void decode(const Record& rec, Packet& p) {
  p = Packet{};
  p.rec = &rec;
  p.dir = rec.dir;
  const Span s{rec.data.data(), 0, static_cast<std::uint32_t>(rec.data.size())};
  switch (rec.link) {
    case linktype::ethernet: decode_ethernet(s, p); break;
    case linktype::linux_sll: decode_sll(s, p); break;
    case linktype::linux_sll2: decode_sll2(s, p); break;
    case linktype::null: decode_bsd_loopback(s, p, false); break;
    case linktype::loop: decode_bsd_loopback(s, p, true); break;
    case linktype::raw: decode_ip_any(s, p); break;
    case linktype::ipv4: decode_ipv4(s, p); break;
    case linktype::ipv6: decode_ipv6(s, p); break;
    default: break;  // unsupported: the caller checks linktype_supported()
  }
}

void decode_ip_packet(const Record& rec, Packet& p) {
  p = Packet{};
  p.rec = &rec;
  p.dir = rec.dir;
  decode_ip_any(Span{rec.data.data(), 0, static_cast<std::uint32_t>(rec.data.size())}, p);
}

bool linktype_supported(std::uint16_t lt) {
  switch (lt) {
    case linktype::null: case linktype::ethernet: case linktype::raw: case linktype::loop:
    case linktype::linux_sll: case linktype::ipv4: case linktype::ipv6: case linktype::linux_sll2:
      return true;
    default:
      return false;
  }
}

std::uint32_t checksum_add(std::uint32_t sum, Bytes b) {
  const std::uint8_t* p = b.data();
  std::size_t n = b.size();
  // 64-bit accumulation of 16-bit words; cannot overflow for spans below 2^48 bytes.
  std::uint64_t acc = sum;
  while (n >= 2) {
    acc += load_be16(p);
    p += 2;
    n -= 2;
  }
  if (n) acc += std::uint32_t{p[0]} << 8;
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint32_t>(acc);
}

}  // namespace ctana
