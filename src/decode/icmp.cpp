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
  if (!s.has(1)) return false;
  const std::uint8_t v = *s.at(0) >> 4;
  std::uint32_t l4 = 0;
  if (v == 4) {
    if (!s.has(20)) return false;
    const std::uint32_t ihl = (*s.at(0) & 0x0fu) * 4u;
    if (ihl < 20) return false;
    q.src = IpAddr::v4(s.at(12));
    q.dst = IpAddr::v4(s.at(16));
    q.proto = *s.at(9);
    if ((load_be16(s.at(6)) & 0x1fff) != 0) return true;  // quoted a later fragment: no ports
    l4 = ihl;
  } else if (v == 6) {
    if (!s.has(40)) return false;
    q.src = IpAddr::v6(s.at(8));
    q.dst = IpAddr::v6(s.at(24));
    q.proto = *s.at(6);  // extension headers in a quote are not followed
    l4 = 40;
  } else {
    return false;
  }
  if ((q.proto == 6 || q.proto == 17) && s.has(l4 + 4)) {
    q.sport = load_be16(s.at(l4));
    q.dport = load_be16(s.at(l4 + 2));
    q.has_ports = true;
  }
  return true;
}

void decode_icmp(Span s, std::uint32_t msg_len, bool verify_checksum, Packet& p) {
  if (msg_len < 4) return fail(p, Layer::icmp, s.off, "ICMP message shorter than 4 bytes");
  if (!s.has(4)) return short_read(p, Layer::icmp, s.off, "ICMP header cut short");
  IcmpInfo& ic = p.icmp;
  ic.type = *s.at(0);
  ic.code = *s.at(1);
  if ((ic.type == 0 || ic.type == 8) && s.has(8)) {
    ic.id = load_be16(s.at(4));
    ic.seq = load_be16(s.at(6));
  }
  if (s.has(8)) {
    p.payload = Bytes(s.at(8), s.size() - 8);
    p.payload_len = msg_len >= 8 ? msg_len - 8 : 0;
  }
  if (icmp_is_error(ic.type)) read_quote(s, ic);
  if (verify_checksum && s.size() >= msg_len)
    ic.checksum = checksum_fold(checksum_add(0, Bytes(s.at(0), msg_len))) == 0 ? Csum::good : Csum::bad;
}

void decode_icmpv6(Span s, std::uint32_t msg_len, std::uint32_t pseudo, Packet& p) {
  if (msg_len < 4) return fail(p, Layer::icmpv6, s.off, "ICMPv6 message shorter than 4 bytes");
  if (!s.has(4)) return short_read(p, Layer::icmpv6, s.off, "ICMPv6 header cut short");
  IcmpInfo& ic = p.icmp;
  ic.type = *s.at(0);
  ic.code = *s.at(1);
  if ((ic.type == 128 || ic.type == 129) && s.has(8)) {
    ic.id = load_be16(s.at(4));
    ic.seq = load_be16(s.at(6));
  }
  if (s.has(8)) {
    p.payload = Bytes(s.at(8), s.size() - 8);
    p.payload_len = msg_len >= 8 ? msg_len - 8 : 0;
  }
  if (icmpv6_is_error(ic.type)) read_quote(s, ic);
  if (pseudo != 0xffffffffu && s.size() >= msg_len)
    ic.checksum = checksum_fold(checksum_add(pseudo, Bytes(s.at(0), msg_len))) == 0 ? Csum::good : Csum::bad;
}

}  // namespace ctana::detail
