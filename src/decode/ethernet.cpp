// Ethernet II / 802.3, 802.1Q / 802.1ad / QinQ VLAN tags, MPLS and PPPoE session payloads.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
constexpr std::uint16_t kIpv4 = 0x0800, kArp = 0x0806, kRarp = 0x8035, kIpv6 = 0x86dd, kMplsUc = 0x8847,
                        kMplsMc = 0x8848, kPppoeSession = 0x8864;

bool is_vlan_tpid(std::uint16_t et) {
  return et == 0x8100 || et == 0x88a8 || et == 0x9100 || et == 0x9200 || et == 0x9300;
}

void decode_mpls(Span s, Packet& p) {
  // Label stack entries of 4 bytes until the bottom-of-stack bit; then IP by version nibble.
  for (int i = 0; i < 16; ++i) {
    const auto entry = s.fixed<4>();
    if (!entry) return short_read(p, Layer::link, s.off, "MPLS label stack cut short");
    const bool bottom = (entry.u8<2>() & 0x01) != 0;
    s.off += 4;
    if (bottom) {
      const auto first = s.fixed<1>();
      if (!first) return;
      const std::uint8_t v = first.u8<0>() >> 4;
      if (v == 4 || v == 6) return decode_ip_any(s, p);
      p.l3 = L3::other;  // pseudowire or other payload
      return;
    }
  }
  fail(p, Layer::link, s.off, "MPLS label stack deeper than 16 entries");
}

void decode_pppoe_session(Span s, Packet& p) {
  // 6-byte PPPoE header, then a 2-byte PPP protocol field.
  const auto h = s.fixed<8>();
  if (!h) return short_read(p, Layer::link, s.off, "PPPoE header cut short");
  const std::uint16_t ppp = h.be16<6>();
  s.off += 8;
  if (ppp == 0x0021) return decode_ipv4(s, p);
  if (ppp == 0x0057) return decode_ipv6(s, p);
  p.l3 = L3::other;
}
}  // namespace

void decode_ethertype(std::uint16_t et, Span s, Packet& p) {
  p.ethertype = et;
  switch (et) {
    case kIpv4: return decode_ipv4(s, p);
    case kIpv6: return decode_ipv6(s, p);
    case kArp: case kRarp: p.l3 = L3::arp; p.l3_offset = s.off; return;
    case kMplsUc: case kMplsMc: return decode_mpls(s, p);
    case kPppoeSession: return decode_pppoe_session(s, p);
    default: p.l3 = L3::other; return;
  }
}

void decode_ethernet(Span s, Packet& p) {
  const auto h = s.fixed<14>();
  if (!h) return short_read(p, Layer::link, s.off, "Ethernet header cut short");
  std::uint16_t et = h.be16<12>();
  s.off += 14;
  int depth = 0;
  while (is_vlan_tpid(et)) {
    const auto tag = s.fixed<4>();
    if (!tag) return short_read(p, Layer::link, s.off, "VLAN tag cut short");
    if (depth < static_cast<int>(p.vlan.size())) p.vlan[depth] = tag.be16<0>() & 0x0fff;
    ++depth;
    if (depth > 8) return fail(p, Layer::link, s.off, "more than 8 stacked VLAN tags");
    et = tag.be16<2>();
    s.off += 4;
  }
  p.vlan_depth = static_cast<std::uint8_t>(depth);
  if (et < 0x0600) {  // 802.3 length field: LLC/SNAP or other non-IP payload
    p.ethertype = 0;
    p.l3 = L3::other;
    return;
  }
  decode_ethertype(et, s, p);
}

}  // namespace ctana::detail
