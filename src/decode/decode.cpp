#include "ctana/decode.hpp"

#include <bit>
#include <cstring>

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

void decode(const Record& rec, Packet& p, const DecodeOptions& opt) {
  p = Packet{};
  p.rec = &rec;
  p.dir = rec.dir;
  p.follow_tunnels = opt.tunnels;
  const Span s{rec.data, 0, static_cast<std::uint32_t>(rec.data.size())};
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

void decode_ip_packet(const Record& rec, Packet& p, const DecodeOptions& opt) {
  p = Packet{};
  p.rec = &rec;
  p.dir = rec.dir;
  p.follow_tunnels = opt.tunnels;
  decode_ip_any(Span{rec.data, 0, static_cast<std::uint32_t>(rec.data.size())}, p);
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
  // The ones' complement sum does not depend on byte order (RFC 1071, 2.(B)): add the data as
  // native 32-bit words into a 64-bit accumulator, fold, and swap to network order at the end.
  // The sum reads whole words with memcpy; each step is guarded by the count n of bytes left.
  const std::uint8_t* p = b.data();  // checked-reads: allow the RFC 1071 sum walks b by its size
  std::size_t n = b.size();
  std::uint64_t acc = 0;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n) {  // a trailing byte is the high byte of a word padded with zero
    const std::uint8_t pad[2] = {p[0], 0};
    std::uint16_t w;
    std::memcpy(&w, pad, 2);
    acc += w;
  }
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  std::uint32_t folded = static_cast<std::uint32_t>(acc);
  if constexpr (std::endian::native == std::endian::little) folded = ((folded & 0xff) << 8) | (folded >> 8);
  std::uint32_t total = sum + folded;
  while (total >> 16) total = (total & 0xffff) + (total >> 16);
  return total;
}

}  // namespace ctana
