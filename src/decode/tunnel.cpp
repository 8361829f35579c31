// Tunnels (docs/decoding.md "Tunnels"): GRE (RFC 2784, 2890; version 1 of PPTP, RFC 2637),
// IP-in-IP (protocol 4 and 41 in IPv4 and IPv6: 4in4, 6in4, 4in6, 6in6), Teredo (RFC 4380, IPv6 in
// UDP 3544), VXLAN (RFC 7348, UDP 4789) and Geneve (RFC 8926, UDP 6081). The outer header is kept
// in a TunnelLayer on the packet; the inner packet is decoded into the packet's own fields, so
// every analyzer sees it as a packet of its own. At most kMaxTunnelDepth layers are followed.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {

constexpr std::uint16_t kTeredoPort = 3544, kVxlanPort = 4789, kGenevePort = 6081;
constexpr std::uint16_t kEtIpv4 = 0x0800, kEtIpv6 = 0x86dd, kEtBridging = 0x6558, kEtMplsUc = 0x8847,
                        kEtMplsMc = 0x8848, kEtErspan2 = 0x88be, kEtErspan3 = 0x22eb, kEtPpp = 0x880b;

// A new tunnel layer holding the outer header's fields, or nullptr when kMaxTunnelDepth layers
// are already there (the packet is then counted as too deep and its payload left as it was).
TunnelLayer* push_layer(Packet& p, TunnelKind kind, bool udp) {
  if (p.tunnel_depth >= kMaxTunnelDepth) {
    p.tunnel_too_deep = true;
    return nullptr;
  }
  TunnelLayer& t = p.tunnels[p.tunnel_depth++];
  t = TunnelLayer{};
  t.kind = kind;
  t.src = p.src;
  t.dst = p.dst;
  t.offset = p.l3_offset;
  t.ip_checksum = p.ip_checksum;
  if (udp) {
    t.sport = p.udp.sport;
    t.dport = p.udp.dport;
    t.udp_checksum = p.udp.checksum;
  }
  return &t;
}

// Forget the outer packet's network and transport fields: the inner packet's go there.
void clear_inner(Packet& p) {
  p.l3 = L3::none;
  p.l3_offset = 0;
  p.src = p.dst = p.final_dst = IpAddr{};
  p.ttl = p.ip_proto = 0;
  p.ip_len = p.ip_id = 0;
  p.dont_fragment = p.fragment = p.more_fragments = false;
  p.frag_offset = 0;
  p.frag_data_offset = p.frag_data_len = 0;
  p.frag_unfrag_len = p.frag_nh_at = 0;
  p.frag_next = 0;
  p.ip_checksum = Csum::unchecked;
  p.length_from_frame = false;
  p.l4 = L4::none;
  p.l4_offset = 0;
  p.tcp = TcpInfo{};
  p.udp = UdpInfo{};
  p.icmp = IcmpInfo{};
  p.payload = Bytes{};
  p.payload_len = 0;
}

// Decode what a tunnel carries, by Ethertype (GRE, Geneve); `t` already names it. Opaque payloads
// leave the packet as the outer one, with the payload as its payload.
void decode_carried(std::uint16_t et, Span s, TunnelLayer& t, Packet& p) {
  switch (et) {
    case kEtIpv4: t.payload = TunnelPayload::ipv4; break;
    case kEtIpv6: t.payload = TunnelPayload::ipv6; break;
    case kEtBridging: t.payload = TunnelPayload::ethernet; break;
    case kEtMplsUc: case kEtMplsMc: t.payload = TunnelPayload::mpls; break;
    case kEtErspan2: t.payload = TunnelPayload::erspan2; break;
    case kEtErspan3: t.payload = TunnelPayload::erspan3; break;
    case kEtPpp: t.payload = TunnelPayload::ppp; break;
    default: t.payload = TunnelPayload::other; break;
  }
  if (t.opaque()) {
    p.payload = s.bytes();
    p.payload_len = s.size();
    return;
  }
  clear_inner(p);
  switch (t.payload) {
    case TunnelPayload::ipv4: return decode_ipv4(s, p);
    case TunnelPayload::ipv6: return decode_ipv6(s, p);
    case TunnelPayload::ethernet: return decode_ethernet(s, p);
    default: return decode_ethertype(et, s, p);  // MPLS
  }
}

bool decode_gre(Span s, Packet& p) {
  TunnelLayer* t = push_layer(p, TunnelKind::gre, false);
  if (!t) return false;
  p.payload = s.bytes();
  p.payload_len = s.size();
  ByteReader r(s.bytes());
  const auto h = r.fixed<4>();
  if (!h) {
    t->payload = TunnelPayload::other;
    short_read(p, Layer::tunnel, s.off, "GRE header cut short");
    return true;
  }
  const std::uint16_t flags = h.be16<0>();
  const std::uint8_t version = flags & 0x7;
  t->proto = h.be16<2>();
  const bool csum = flags & 0x8000, routing = flags & 0x4000, key = flags & 0x2000, seq = flags & 0x1000;
  const bool ack = version == 1 && (flags & 0x0080);
  if (version > 1 || (version == 1 && (!key || csum || routing))) {
    t->payload = TunnelPayload::other;
    fail(p, Layer::tunnel, s.off, "GRE header with an unknown version or flags");
    return true;
  }
  // Checksum and offset (RFC 2784; also present when R is set, RFC 1701), key, sequence number,
  // (version 1) acknowledgement number, each 4 bytes, in this order.
  if (csum || routing) {
    if (!r.fixed<4>()) { t->payload = TunnelPayload::other; short_read(p, Layer::tunnel, s.off, "GRE header cut short"); return true; }
  }
  if (key) {
    const auto k = r.fixed<4>();
    if (!k) { t->payload = TunnelPayload::other; short_read(p, Layer::tunnel, s.off, "GRE header cut short"); return true; }
    t->has_key = true;
    t->key = version == 1 ? k.be16<2>() : k.be32<0>();  // version 1: payload length, call id
  }
  if (seq) {
    const auto q = r.fixed<4>();
    if (!q) { t->payload = TunnelPayload::other; short_read(p, Layer::tunnel, s.off, "GRE header cut short"); return true; }
    t->has_seq = true;
    t->seq = q.be32<0>();
  }
  if (ack && !r.fixed<4>()) {
    t->payload = TunnelPayload::other;
    short_read(p, Layer::tunnel, s.off, "GRE header cut short");
    return true;
  }
  Span inner{s.rec, s.off + static_cast<std::uint32_t>(r.pos()), s.end};
  if (routing) {  // RFC 1701 source routing: the payload after a routing list, left opaque
    t->payload = TunnelPayload::other;
    p.payload = inner.bytes();
    p.payload_len = inner.size();
    return true;
  }
  decode_carried(t->proto, inner, *t, p);
  return true;
}

// Teredo (RFC 4380 5.1.1): an authentication indicator, then an origin indication, each optional,
// then an IPv6 packet. Not Teredo (false) unless an IPv6 header follows.
bool decode_teredo(Span s, Packet& p) {
  const Bytes b = s.bytes();
  std::size_t pos = 0;
  bool auth = false, origin = false;
  std::uint16_t origin_port = 0;
  std::uint32_t origin_v4 = 0;
  if (const auto a = fixed<4>(b, pos); a && a.be16<0>() == 1) {
    const std::size_t len = 4u + a.u8<2>() + a.u8<3>() + 8u + 1u;  // + client id, auth value, nonce, confirmation
    if (!slice(b, pos, len)) return false;
    pos += len;
    auth = true;
  }
  if (const auto o = fixed<8>(b, pos); o && o.be16<0>() == 0) {
    origin = true;
    origin_port = static_cast<std::uint16_t>(~o.be16<2>());
    origin_v4 = ~o.be32<4>();
    pos += 8;
  }
  const auto ip = fixed<40>(b, pos);
  if (!ip || (ip.u8<0>() >> 4) != 6) return false;
  TunnelLayer* t = push_layer(p, TunnelKind::teredo, true);
  if (!t) return false;
  t->payload = TunnelPayload::ipv6;
  t->teredo_auth = auth;
  t->teredo_origin = origin;
  t->origin_port = origin_port;
  t->origin_v4 = origin_v4;
  clear_inner(p);
  decode_ipv6(Span{s.rec, s.off + static_cast<std::uint32_t>(pos), s.end}, p);
  return true;
}

bool decode_vxlan(Span s, Packet& p) {
  const auto h = s.fixed<8>();
  if (!h) return false;  // too short to be VXLAN: left as UDP payload
  TunnelLayer* t = push_layer(p, TunnelKind::vxlan, true);
  if (!t) return false;
  t->payload = TunnelPayload::ethernet;
  t->has_key = (h.u8<0>() & 0x08) != 0;  // I flag: the VNI is valid
  t->key = h.be24<4>();
  clear_inner(p);
  decode_ethernet(Span{s.rec, s.off + 8, s.end}, p);
  return true;
}

bool decode_geneve(Span s, Packet& p) {
  const auto h = s.fixed<8>();
  if (!h || (h.u8<0>() >> 6) != 0) return false;  // too short, or a version this does not know
  TunnelLayer* t = push_layer(p, TunnelKind::geneve, true);
  if (!t) return false;
  t->proto = h.be16<2>();
  t->has_key = true;
  t->key = h.be24<4>();
  const std::uint32_t header = 8u + (h.u8<0>() & 0x3fu) * 4u;  // options skipped by their length
  if (!slice(s.bytes(), 0, header)) {
    t->payload = TunnelPayload::other;
    p.payload = s.bytes();
    p.payload_len = s.size();
    short_read(p, Layer::tunnel, s.off, "Geneve options cut short");
    return true;
  }
  decode_carried(t->proto, Span{s.rec, s.off + header, s.end}, *t, p);
  return true;
}

}  // namespace

bool decode_ip_tunnel(Span s, std::uint8_t proto, Packet& p) {
  if (!p.follow_tunnels || p.fragment) return false;  // a fragment's datagram is decoded when reassembled
  switch (proto) {
    case 4: case 41: {
      TunnelLayer* t = push_layer(p, TunnelKind::ipip, false);
      if (!t) return false;
      t->payload = proto == 4 ? TunnelPayload::ipv4 : TunnelPayload::ipv6;
      clear_inner(p);
      if (proto == 4) decode_ipv4(s, p);
      else decode_ipv6(s, p);
      return true;
    }
    case 47: return decode_gre(s, p);
    default: return false;
  }
}

bool decode_udp_tunnel(Span s, Packet& p) {
  if (!p.follow_tunnels || p.fragment) return false;
  const std::uint16_t sp = p.udp.sport, dp = p.udp.dport;
  if (dp == kVxlanPort) return decode_vxlan(s, p);
  if (dp == kGenevePort) return decode_geneve(s, p);
  if (sp == kTeredoPort || dp == kTeredoPort) return decode_teredo(s, p);
  return false;
}

}  // namespace ctana::detail
