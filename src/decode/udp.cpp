// UDP (RFC 768): length check against the IP payload, checksum when the bytes are there.
#include "decode/decoders.hpp"

namespace ctana::detail {

void decode_udp(Span s, std::uint32_t dgram_len, std::uint32_t pseudo, Packet& p) {
  // dgram_len is the IP payload length, or 0xffffffff for a first fragment (length unknown).
  if (dgram_len < 8) return fail(p, Layer::udp, s.off, "UDP datagram shorter than 8 bytes");
  const auto h = s.fixed<8>();
  if (!h) return short_read(p, Layer::udp, s.off, "UDP header cut short");
  UdpInfo& u = p.udp;
  u.sport = h.be16<0>();
  u.dport = h.be16<2>();
  u.length = h.be16<4>();
  const std::uint16_t csum = h.be16<6>();
  std::uint32_t len = u.length;
  if (len == 0 && p.l3 == L3::ipv6 && dgram_len != 0xffffffffu) len = dgram_len;  // RFC 2675 jumbogram
  if (len < 8) return fail(p, Layer::udp, s.off + 4, "UDP length field below 8");
  if (dgram_len != 0xffffffffu && len > dgram_len)
    return fail(p, Layer::udp, s.off + 4, "UDP length field exceeds the IP payload");
  const Bytes dgram = head(s.bytes(), len);  // without padding after the datagram
  p.payload = tail(dgram, 8);
  p.payload_len = len - 8;
  if (csum == 0 && p.l3 == L3::ipv4) {
    u.checksum = Csum::absent;
  } else if (pseudo != 0xffffffffu && s.size() >= len) {
    // The pseudo header carries the IP payload length; for UDP it must be the UDP length.
    const std::uint32_t ps = pseudo_sum(p, 17, len);
    u.checksum = checksum_fold(checksum_add(ps, dgram)) == 0 ? Csum::good : Csum::bad;
  }
  // Teredo, VXLAN, Geneve: the datagram's payload, without padding after it.
  decode_udp_tunnel(Span{s.rec, s.off + 8, s.off + static_cast<std::uint32_t>(std::max<std::size_t>(8, dgram.size()))}, p);
}

}  // namespace ctana::detail
