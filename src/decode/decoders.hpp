// Internal interface between the per-protocol decoders. Each function decodes one layer of
// `rec` starting at byte offset `off`, bounded by `end` (exclusive), and hands on to the next.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ctana/packet.hpp"

namespace ctana::detail {

// A span of the record being decoded: [off, end) within rec. Its bytes are read only through
// fixed<N>() and bytes(), which stay inside both [off, end) and the record whatever off and end
// hold (docs/decoding.md, "Reading bytes"); there is no raw pointer to read through.
struct Span {
  Bytes rec;  // the whole record (Record::data)
  std::uint32_t off;
  std::uint32_t end;
  std::uint32_t size() const { return off <= end ? end - off : 0; }
  bool has(std::uint32_t n) const { return size() >= n; }
  Bytes bytes() const {
    const std::size_t e = std::min<std::size_t>(end, rec.size());
    const std::size_t o = std::min<std::size_t>(off, e);
    return rec.subspan(o, e - o);  // checked-reads: allow o <= e <= rec.size() just above
  }
  // The N bytes at `rel` (from off); an empty (false) view if they are not all in the span.
  template <std::size_t N>
  Fixed<N> fixed(std::uint32_t rel = 0) const {
    return ctana::fixed<N>(bytes(), rel);
  }
};

// Record a problem; the first one wins. `short_read` marks running out of captured bytes,
// which is truncation when the capture was snapped and malformation otherwise.
void fail(Packet& p, Layer layer, std::uint32_t off, const char* what);
void short_read(Packet& p, Layer layer, std::uint32_t off, const char* what);

void decode_ethertype(std::uint16_t ethertype, Span s, Packet& p);
void decode_ethernet(Span s, Packet& p);
void decode_sll(Span s, Packet& p);
void decode_sll2(Span s, Packet& p);
void decode_bsd_loopback(Span s, Packet& p, bool network_order);
void decode_ip_any(Span s, Packet& p);  // version nibble decides
void decode_ipv4(Span s, Packet& p);
void decode_ipv6(Span s, Packet& p);
// Transport: `s` covers the captured part of the IP payload, `ip_payload_len` what the IP header
// says it holds; `pseudo` is the pseudo-header sum for checksums.
void decode_transport(Span s, std::uint32_t ip_payload_len, std::uint32_t pseudo, Packet& p);
void decode_tcp(Span s, std::uint32_t seg_len, std::uint32_t pseudo, Packet& p);
void decode_udp(Span s, std::uint32_t dgram_len, std::uint32_t pseudo, Packet& p);
void decode_icmp(Span s, std::uint32_t msg_len, bool verify_checksum, Packet& p);
void decode_icmpv6(Span s, std::uint32_t msg_len, std::uint32_t pseudo, Packet& p);
// Leniently read the IP header (+ ports) an ICMP error quotes; returns false if none.
bool parse_quoted(Span s, QuotedPacket& q);

// Tunnels (tunnel.cpp). From IPv4/IPv6 with protocol 4, 41 or 47, and from UDP on the Teredo,
// VXLAN and Geneve ports: each returns true when it took the packet (a tunnel layer was added and
// the payload decoded or counted as opaque), false to leave the payload to the caller as before
// (tunnels off, a fragment, not the protocol after all).
bool decode_ip_tunnel(Span s, std::uint8_t proto, Packet& p);
bool decode_udp_tunnel(Span s, Packet& p);

std::uint32_t pseudo_sum(const Packet& p, std::uint8_t proto, std::uint32_t length);

}  // namespace ctana::detail
