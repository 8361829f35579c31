// BSD loopback encapsulations: LINKTYPE_NULL (address family in the capturing host's byte
// order) and LINKTYPE_LOOP (network byte order). IPv6 has a different AF value on each BSD.
#include "decode/decoders.hpp"

namespace ctana::detail {

void decode_bsd_loopback(Span s, Packet& p, bool network_order) {
  const auto h = s.fixed<4>();
  if (!h) return short_read(p, Layer::link, s.off, "loopback header cut short");
  std::uint32_t af = network_order ? h.be32<0>() : h.le32<0>();
  // NULL is host order; a big-endian writer's small AF value reads as a large one here.
  if (!network_order && af > 0xffff) af = h.be32<0>();
  s.off += 4;
  switch (af) {
    case 2:                                  // AF_INET everywhere
      p.ethertype = 0x0800;
      return decode_ipv4(s, p);
    case 10: case 23: case 24: case 28: case 30:  // AF_INET6: Linux, Windows, Net/OpenBSD, FreeBSD, Darwin
      p.ethertype = 0x86dd;
      return decode_ipv6(s, p);
    default:
      p.l3 = L3::other;
      return;
  }
}

void decode_ip_any(Span s, Packet& p) {
  const auto h = s.fixed<1>();
  if (!h) return short_read(p, Layer::ipv4, s.off, "empty IP packet");
  switch (h.u8<0>() >> 4) {
    case 4: return decode_ipv4(s, p);
    case 6: return decode_ipv6(s, p);
    default:
      p.l3 = L3::other;
      return fail(p, Layer::ipv4, s.off, "raw IP packet with IP version neither 4 nor 6");
  }
}

}  // namespace ctana::detail
