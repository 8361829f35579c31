// ICMP (RFC 792) and ICMPv6 (RFC 4443): type/code, echo id/sequence, and the packet an error
// message quotes (its IP header and the first 8 bytes of its transport header).
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
bool icmp_is_error(std::uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
bool icmpv6_is_error(std::uint8_t type) { return type >= 1 && type <= 4; }

void read_quote(Span s, IcmpInfo& ic) {
  s.off += 8;  // type, code, checksum, 4 bytes unused / pointer / MTU
  if (s.off > s.end) return;
  ic.has_quote = parse_quoted(s, ic.quote);
}
}  // namespace

bool parse_quoted(Span s, QuotedPacket& q) {
  const auto first = s.fixed<1>();
  if (!first) return false;
  const std::uint8_t v = first.u8<0>() >> 4;
  std::uint32_t l4 = 0;
  if (v == 4) {
    const auto h = s.fixed<20>();
    if (!h) return false;
    const std::uint32_t ihl = (h.u8<0>() & 0x0fu) * 4u;
    if (ihl < 20) return false;
    q.src = IpAddr::v4(h.bytes<12, 4>());
    q.dst = IpAddr::v4(h.bytes<16, 4>());
    q.proto = h.u8<9>();
    if ((h.be16<6>() & 0x1fff) != 0) return true;  // quoted a later fragment: no ports
    l4 = ihl;
  } else if (v == 6) {
    const auto h = s.fixed<40>();
    if (!h) return false;
    q.src = IpAddr::v6(h.bytes<8, 16>());
    q.dst = IpAddr::v6(h.bytes<24, 16>());
    q.proto = h.u8<6>();  // extension headers in a quote are not followed
    l4 = 40;
  } else {
    return false;
  }
  const auto ports = s.fixed<4>(l4);
  if ((q.proto == 6 || q.proto == 17) && ports) {
    q.sport = ports.be16<0>();
    q.dport = ports.be16<2>();
    q.has_ports = true;
  }
  return true;
}

void decode_icmp(Span s, std::uint32_t msg_len, bool verify_checksum, Packet& p) {
  if (msg_len < 4) return fail(p, Layer::icmp, s.off, "ICMP message shorter than 4 bytes");
  const auto h = s.fixed<4>();
  if (!h) return short_read(p, Layer::icmp, s.off, "ICMP header cut short");
  IcmpInfo& ic = p.icmp;
  ic.type = h.u8<0>();
  ic.code = h.u8<1>();
  const auto h8 = s.fixed<8>();
  if ((ic.type == 0 || ic.type == 8) && h8) {
    ic.id = h8.be16<4>();
    ic.seq = h8.be16<6>();
  }
  if (h8) {
    p.payload = tail(s.bytes(), 8);
    p.payload_len = msg_len >= 8 ? msg_len - 8 : 0;
  }
  if (icmp_is_error(ic.type)) read_quote(s, ic);
  if (verify_checksum && s.size() >= msg_len)
    ic.checksum = checksum_fold(checksum_add(0, head(s.bytes(), msg_len))) == 0 ? Csum::good : Csum::bad;
}

void decode_icmpv6(Span s, std::uint32_t msg_len, std::uint32_t pseudo, Packet& p) {
  if (msg_len < 4) return fail(p, Layer::icmpv6, s.off, "ICMPv6 message shorter than 4 bytes");
  const auto h = s.fixed<4>();
  if (!h) return short_read(p, Layer::icmpv6, s.off, "ICMPv6 header cut short");
  IcmpInfo& ic = p.icmp;
  ic.type = h.u8<0>();
  ic.code = h.u8<1>();
  const auto h8 = s.fixed<8>();
  if ((ic.type == 128 || ic.type == 129) && h8) {
    ic.id = h8.be16<4>();
    ic.seq = h8.be16<6>();
  }
  if (h8) {
    p.payload = tail(s.bytes(), 8);
    p.payload_len = msg_len >= 8 ? msg_len - 8 : 0;
  }
  if (icmpv6_is_error(ic.type)) read_quote(s, ic);
  if (pseudo != 0xffffffffu && s.size() >= msg_len)
    ic.checksum = checksum_fold(checksum_add(pseudo, head(s.bytes(), msg_len))) == 0 ? Csum::good : Csum::bad;
}

}  // namespace ctana::detail
