// IPv6 (RFC 8200): fixed header and the extension header chain, including fragments.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
// RFC 8200 8.1: the upper-layer checksum uses the final destination when a routing header with
// segments left is present. Type 0 (deprecated) and 2 (mobility) carry it last / alone; type 4
// (segment routing, RFC 8754) carries it first in the segment list.
void routing_final_destination(Bytes rh, Packet& p) {
  const auto fixed_part = fixed<8>(rh);
  if (!fixed_part) return;
  const std::uint8_t type = fixed_part.u8<2>(), segleft = fixed_part.u8<3>();
  if (segleft == 0 || rh.size() < 24) return;
  if (type == 0 || type == 2) {
    if (const auto a = fixed<16>(rh, rh.size() - 16)) p.final_dst = IpAddr::v6(a.all());
  } else if (type == 4) {
    if (const auto a = fixed<16>(rh, 8)) p.final_dst = IpAddr::v6(a.all());
  }
}
}  // namespace

void decode_ipv6(Span s, Packet& p) {
  p.l3 = L3::ipv6;
  p.l3_offset = s.off;
  const auto h = s.fixed<40>();
  if (!h) return short_read(p, Layer::ipv6, s.off, "IPv6 header cut short");
  if ((h.u8<0>() >> 4) != 6) {
    p.l3 = L3::other;  // not counted as IPv6, as tshark does not
    return fail(p, Layer::ipv6, s.off, "IPv6 header with version field not 6");
  }
  std::uint32_t plen = h.be16<4>();
  std::uint8_t next = h.u8<6>();
  p.ttl = h.u8<7>();
  p.src = IpAddr::v6(h.bytes<8, 16>());
  p.dst = IpAddr::v6(h.bytes<24, 16>());
  p.final_dst = p.dst;
  const bool snapped = p.rec && p.rec->orig_len > p.rec->data.size();
  if (plen == 0) {  // jumbogram or TSO capture: the frame decides
    plen = s.size() - 40;
    p.length_from_frame = true;
  }
  p.ip_len = plen + 40;
  // A payload length beyond the frame is an error unless the capture was snapped; the chain is
  // still walked over what is there, so the packet counts by its protocol (as tshark does).
  const bool too_long = 40 + plen > s.size() && !snapped;
  std::uint32_t pos = s.off + 40;
  const std::uint32_t end = s.off + std::min<std::uint32_t>(40 + plen, s.size());  // drop padding
  std::uint32_t remaining = plen;                                                 // per header
  std::uint32_t nh_at = s.off + 6;  // the byte naming the header at `pos`
  const Bytes chain = Span{s.rec, 0, end}.bytes();  // the record up to `end`: `pos` counts from 0
  for (int n = 0;; ++n) {
    if (n > 32) return fail(p, Layer::ipv6, pos, "IPv6 extension header chain longer than 32");
    std::uint32_t len = 0;
    switch (next) {
      case 0: case 43: case 60: case 135: case 139: case 140: {  // HBH, routing, dest opts, mobility, HIP, shim6
        const auto ext = fixed<2>(chain, pos);
        if (!ext) { p.ip_proto = next; return short_read(p, Layer::ipv6, pos, "IPv6 extension header cut short"); }
        len = (std::uint32_t{ext.u8<1>()} + 1) * 8;
        break;
      }
      case 51: {  // AH: length in 4-byte units minus 2
        const auto ah = fixed<2>(chain, pos);
        if (!ah) { p.ip_proto = next; return short_read(p, Layer::ipv6, pos, "IPv6 AH header cut short"); }
        len = (std::uint32_t{ah.u8<1>()} + 2) * 4;
        break;
      }
      case 44: {  // fragment header
        const auto fh = fixed<8>(chain, pos);
        if (!fh) {
          p.ip_proto = next;
          p.fragment = true;  // it is one, even if its fields were not captured
          return short_read(p, Layer::ipv6, pos, "IPv6 fragment header cut short");
        }
        const std::uint16_t fo = fh.be16<2>();
        p.frag_offset = static_cast<std::uint16_t>(fo & 0xfff8);
        p.more_fragments = (fo & 1) != 0;
        p.fragment = true;
        p.ip_id = fh.be32<4>();
        len = 8;
        break;
      }
      default:
        len = 0;
        break;
    }
    if (len == 0) break;  // `next` is the upper-layer protocol
    if (len > remaining) {
      p.ip_proto = next;
      return fail(p, Layer::ipv6, pos, "IPv6 extension header runs past the payload length");
    }
    const auto ext = slice(chain, pos, len);
    if (!ext) {
      p.ip_proto = next;
      return short_read(p, Layer::ipv6, pos, "IPv6 extension header cut short");
    }
    if (next == 43) routing_final_destination(*ext, p);
    if (next == 44) {  // what the reassembler needs (ctana/ip_reassembly.hpp)
      p.frag_unfrag_len = static_cast<std::uint16_t>(pos - s.off);
      p.frag_nh_at = static_cast<std::uint16_t>(nh_at - s.off);
      p.frag_data_offset = pos + 8;
      p.frag_data_len = remaining - 8;
      p.frag_next = fixed<1>(*ext).u8<0>();
    }
    nh_at = pos;
    next = fixed<1>(*ext).u8<0>();  // len >= 8: present
    pos += len;
    remaining -= len;
    if (p.fragment && p.frag_offset != 0) break;  // later fragment: the rest is opaque
  }
  p.ip_proto = next;
  Span pl{s.rec, pos, std::max(pos, end)};
  if (p.frag_offset == 0) {
    switch (next) {
      case 6: p.l4 = L4::tcp; break;
      case 17: p.l4 = L4::udp; break;
      case 58: p.l4 = L4::icmpv6; break;
      case 59: p.l4 = L4::none; break;  // no next header
      default: p.l4 = L4::other; break;
    }
  }
  if (too_long) return fail(p, Layer::ipv6, s.off + 4, "IPv6 payload length exceeds the frame");
  if (p.frag_offset != 0 || next == 59) {
    p.payload = pl.bytes();
    p.payload_len = remaining;
    return;
  }
  if (p.l4 == L4::other && decode_ip_tunnel(pl, next, p)) return;
  decode_transport(pl, remaining, pseudo_sum(p, next, remaining), p);
}

}  // namespace ctana::detail
