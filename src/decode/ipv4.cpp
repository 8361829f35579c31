// IPv4 (RFC 791): header checks, options, fragments, header checksum.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
// Options are TLVs except EOL (0) and NOP (1). Returns nullptr when well formed.
const char* check_ipv4_options(Bytes o) {
  ByteReader r(o);
  std::uint8_t kind = 0;
  while (r.u8(kind)) {
    if (kind == 0) return nullptr;  // end of option list; the rest is padding
    if (kind == 1) continue;
    std::uint8_t len = 0;
    if (!r.u8(len)) return "IPv4 option length byte missing";
    if (len < 2) return "IPv4 option length below 2";
    if (!r.skip(len - 2u)) return "IPv4 option runs past the header";
  }
  return nullptr;
}
}  // namespace

std::uint32_t pseudo_sum(const Packet& p, std::uint8_t proto, std::uint32_t length) {
  std::uint32_t sum = 0;
  if (p.l3 == L3::ipv4) {
    sum = checksum_add(sum, Bytes(p.src.b.data(), 4));
    sum = checksum_add(sum, Bytes(p.dst.b.data(), 4));
    sum += proto;
    sum += length & 0xffff;
  } else {
    sum = checksum_add(sum, Bytes(p.src.b.data(), 16));
    sum = checksum_add(sum, Bytes(p.final_dst.b.data(), 16));
    sum += length >> 16;
    sum += length & 0xffff;
    sum += proto;
  }
  return sum;
}

void decode_ipv4(Span s, Packet& p) {
  p.l3 = L3::ipv4;
  p.l3_offset = s.off;
  const auto h = s.fixed<20>();
  if (!h) return short_read(p, Layer::ipv4, s.off, "IPv4 header cut short");
  const std::uint8_t version = h.u8<0>() >> 4;
  const std::uint32_t ihl = (h.u8<0>() & 0x0fu) * 4u;
  if (version != 4) return fail(p, Layer::ipv4, s.off, "IPv4 header with version field not 4");
  if (ihl < 20) return fail(p, Layer::ipv4, s.off, "IPv4 header length below 20 bytes");
  std::uint32_t total = h.be16<2>();
  const std::uint16_t frag = h.be16<6>();
  p.ip_id = h.be16<4>();
  p.dont_fragment = (frag & 0x4000) != 0;
  p.more_fragments = (frag & 0x2000) != 0;
  p.frag_offset = static_cast<std::uint16_t>((frag & 0x1fff) * 8);
  p.fragment = p.more_fragments || p.frag_offset != 0;
  p.ttl = h.u8<8>();
  p.ip_proto = h.u8<9>();
  p.src = IpAddr::v4(h.bytes<12, 4>());
  p.dst = IpAddr::v4(h.bytes<16, 4>());
  if (total == 0) {  // TSO/GSO capture on the sending host: length not filled in
    total = s.size();
    p.length_from_frame = true;
  }
  p.ip_len = total;
  const auto header = slice(s.bytes(), 0, ihl);
  if (!header) return short_read(p, Layer::ipv4, s.off, "IPv4 header (with options) cut short");
  if (total < ihl) return fail(p, Layer::ipv4, s.off + 2, "IPv4 total length below header length");
  p.ip_checksum = checksum_fold(checksum_add(0, *header)) == 0 ? Csum::good : Csum::bad;
  // The header's fixed part is sound: what it carries is counted even if options or lengths
  // turn out wrong below (as tshark does).
  if (p.frag_offset == 0) {
    switch (p.ip_proto) {
      case 6: p.l4 = L4::tcp; break;
      case 17: p.l4 = L4::udp; break;
      case 1: p.l4 = L4::icmp; break;
      default: p.l4 = L4::other; break;
    }
  }
  if (ihl > 20) {
    if (const char* why = check_ipv4_options(tail(*header, 20))) return fail(p, Layer::ipv4, s.off + 20, why);
  }
  if (total > s.size()) {
    // Claims more bytes than the frame holds: normal for a snapped capture, an error otherwise.
    if (!(p.rec && p.rec->orig_len > p.rec->data.size()))
      return fail(p, Layer::ipv4, s.off + 2, "IPv4 total length exceeds the frame");
  }
  const std::uint32_t payload_len = total - ihl;
  if (p.fragment) {
    p.frag_data_offset = s.off + ihl;
    p.frag_data_len = payload_len;
    p.frag_unfrag_len = static_cast<std::uint16_t>(ihl);
  }
  Span pl{s.rec, s.off + ihl, s.off + std::min(total, s.size())};  // drop Ethernet padding
  if (p.frag_offset != 0) {  // a later fragment: no transport header here
    p.payload = pl.bytes();
    p.payload_len = payload_len;
    return;
  }
  if (p.l4 == L4::other && decode_ip_tunnel(pl, p.ip_proto, p)) return;
  decode_transport(pl, payload_len, pseudo_sum(p, p.ip_proto, payload_len), p);
}

void decode_transport(Span s, std::uint32_t ip_payload_len, std::uint32_t pseudo, Packet& p) {
  p.l4_offset = s.off;
  // A first fragment holds only part of the datagram: headers decode, lengths and checksums
  // cannot be checked. With the IP length taken from the frame, checksums cannot either.
  const bool whole = !p.more_fragments && p.frag_offset == 0;
  if (p.length_from_frame) pseudo = 0xffffffffu;
  switch (p.l4) {
    case L4::tcp: return decode_tcp(s, whole ? ip_payload_len : s.size(), whole ? pseudo : 0xffffffffu, p);
    case L4::udp: return decode_udp(s, whole ? ip_payload_len : 0xffffffffu, whole ? pseudo : 0xffffffffu, p);
    case L4::icmp: return decode_icmp(s, whole ? ip_payload_len : s.size(), whole && !p.length_from_frame, p);
    case L4::icmpv6: return decode_icmpv6(s, whole ? ip_payload_len : s.size(), whole ? pseudo : 0xffffffffu, p);
    default:
      p.payload = s.bytes();
      p.payload_len = ip_payload_len;
      return;
  }
}

}  // namespace ctana::detail
