// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header) and v2 (LINKTYPE_LINUX_SLL2,
// 20-byte header), as written by `tcpdump -i any`. The packet type gives the direction.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
Direction sll_direction(std::uint16_t pkttype) {
  switch (pkttype) {
    case 0: case 1: case 2: case 3: return Direction::in;  // host, broadcast, multicast, otherhost
    case 4: return Direction::out;                          // outgoing
    default: return Direction::unknown;
  }
}

void sll_payload(std::uint16_t proto, std::uint16_t arphrd, Span s, Packet& p) {
  // For ARPHRD_NETLINK (824) and the like, the protocol field is not an Ethertype.
  if (arphrd == 824 || arphrd == 803 /* IEEE80211_RADIOTAP */) {
    p.l3 = L3::other;
    return;
  }
  if (proto < 0x0600) {  // 1 = Novell 802.3, 4 = 802.2 LLC, ...
    p.l3 = L3::other;
    return;
  }
  decode_ethertype(proto, s, p);
}
}  // namespace

void decode_sll(Span s, Packet& p) {
  const auto h = s.fixed<16>();
  if (!h) return short_read(p, Layer::link, s.off, "Linux cooked (SLL) header cut short");
  p.dir = sll_direction(h.be16<0>());
  const std::uint16_t arphrd = h.be16<2>();
  const std::uint16_t proto = h.be16<14>();
  s.off += 16;
  sll_payload(proto, arphrd, s, p);
}

void decode_sll2(Span s, Packet& p) {
  const auto h = s.fixed<20>();
  if (!h) return short_read(p, Layer::link, s.off, "Linux cooked v2 (SLL2) header cut short");
  const std::uint16_t proto = h.be16<0>();
  const std::uint16_t arphrd = h.be16<8>();
  p.dir = sll_direction(h.u8<10>());
  s.off += 20;
  sll_payload(proto, arphrd, s, p);
}

}  // namespace ctana::detail
