// Internal interface between the per-protocol decoders. Each function decodes one layer of
// `rec` starting at byte offset `off`, bounded by `end` (exclusive), and hands on to the next.
#pragma once

#include <cstdint>

#include "ctana/packet.hpp"

namespace ctana::detail {

// A span of the record being decoded: [off, end) within rec.data.
struct Span {
  const std::uint8_t* base;  // rec.data.data()
  std::uint32_t off;
  std::uint32_t end;
  std::uint32_t size() const { return end - off; }
  bool has(std::uint32_t n) const { return end - off >= n; }
  const std::uint8_t* at(std::uint32_t rel) const { return base + off + rel; }
  Bytes bytes() const { return Bytes(base + off, end - off); }
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

std::uint32_t pseudo_sum(const Packet& p, std::uint8_t proto, std::uint32_t length);

}  // namespace ctana::detail
