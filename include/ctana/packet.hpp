// The common packet model. Every reader (pcap, pcapng, CTRACE) produces a Record; the decoder
// chain turns it into a Packet. Everything after the decoders sees only these two types, so a
// session analyzer never cares where a packet came from.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "ctana/bytes.hpp"

namespace ctana {

// Link types by their LINKTYPE_* numbers (tcpdump.org/linktypes.html), the numbers that appear in
// pcap and pcapng files. CTRACE readers hand over raw IP (ipv4/ipv6/raw) or Ethernet records.
namespace linktype {
inline constexpr std::uint16_t null = 0;        // BSD loopback, host-order AF
inline constexpr std::uint16_t ethernet = 1;
inline constexpr std::uint16_t raw = 101;       // raw IPv4 or IPv6, version nibble decides
inline constexpr std::uint16_t loop = 108;      // OpenBSD loopback, network-order AF
inline constexpr std::uint16_t linux_sll = 113;
inline constexpr std::uint16_t ipv4 = 228;
inline constexpr std::uint16_t ipv6 = 229;
inline constexpr std::uint16_t linux_sll2 = 276;
// Not a LINKTYPE number: CTRACE records that hold no network packet (data trace socket data,
// records of unknown layout). The decoders count them as unsupported (non-IP); the data trace
// connections are analysed from the record metadata (ctana/datatrace.hpp).
inline constexpr std::uint16_t ctrace_data = 0xF005;
}  // namespace linktype

bool linktype_supported(std::uint16_t lt);
std::string_view linktype_name(std::uint16_t lt);  // "EN10MB", "LINUX_SLL", ... or "" if unknown

enum class Direction : std::uint8_t { unknown, in, out };
std::string_view direction_name(Direction d);

struct IpAddr {
  std::array<std::uint8_t, 16> b{};  // IPv4 in the first 4 bytes
  std::uint8_t version = 0;          // 0 (none), 4 or 6

  // From exactly 4 / 16 bytes (a decoder passes a Fixed view's bytes<Off, Len>()).
  static IpAddr v4(std::span<const std::uint8_t, 4> p) {
    IpAddr a;
    std::copy(p.begin(), p.end(), a.b.begin());
    a.version = 4;
    return a;
  }
  static IpAddr v6(std::span<const std::uint8_t, 16> p) {
    IpAddr a;
    std::copy(p.begin(), p.end(), a.b.begin());
    a.version = 6;
    return a;
  }
  // From a pointer to 4 / 16 bytes, for the file readers (src/io) that checked the length.
  static IpAddr v4(const std::uint8_t* p) { return v4(std::span<const std::uint8_t, 4>(p, 4)); }
  static IpAddr v6(const std::uint8_t* p) { return v6(std::span<const std::uint8_t, 16>(p, 16)); }
  std::string str() const;
  // Two 8-byte compares: table lookups do this for every packet (a defaulted == calls memcmp).
  bool operator==(const IpAddr& o) const noexcept {
    std::uint64_t x[2], y[2];
    std::memcpy(x, b.data(), 16);
    std::memcpy(y, o.b.data(), 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0 && version == o.version;
  }
  auto operator<=>(const IpAddr&) const = default;
};

// Where a record came from in the file. CTRACE fields are zero/empty for pcap input.
struct SourceMeta {
  enum Flags : std::uint16_t {
    kCtrace = 1u << 0,           // record came from a CTRACE component trace entry
    kLocal = 1u << 1,            // PTH local flag: packet did not leave the stack
    kAtlsClear = 1u << 2,        // AT-TLS: data traced in clear text
    kAtlsConfidential = 1u << 3, // AT-TLS: data is confidential (not traced)
    kAbbreviated = 1u << 4,      // trace record holds fewer bytes than the packet had
    kSegmented = 1u << 5,        // rebuilt from several trace segments
    kLost = 1u << 6,             // lost-record marker
  };
  std::uint16_t flags = 0;
  std::uint32_t format_id = 0;       // CTEFMTID: 4 packet, 5 data, 7 OSAENTA...; IDS probe id
  std::uint32_t sequence = 0;        // PTH sequence / segment number
  std::uint16_t device_type = 0;     // PTH_DevTy
  std::uint16_t discard_code = 0;    // PTH_DropRsn; 0 = not discarded
  std::uint32_t ids_correlator = 0;  // SYSTCPIS correlator
  std::uint16_t asid = 0;
  std::int64_t trace_time_ns = 0;    // CTETIME (buffer time) when it differs from capture time
  std::string_view job_name;         // valid until the reader's next record
  std::string_view ids_policy;       // valid until the reader's next record
  std::string_view ids_module;       // SYSTCPIS module that fired the probe; valid until next record
  std::uint32_t cid = 0;             // connection id (data trace, IDS); 0 = none
  std::uint32_t intfx = 0;           // PTH_InfIx, interface index (IPCS "Intfx"); 0 = none
  std::uint32_t counter = 0;         // the header's running record counter ("Trace Count"); 0 = none
  // Data trace (format 5) header: sender and receiver of the socket data, ports, and the
  // domain / type / protocol / state bytes (ctrace::kDt* codes). Zero for other records.
  struct DataTrace {
    IpAddr src, dst;
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t domain = 0, type = 0, proto = 0, state = 0;
  } dt;
};

// One record as read from a trace file: bytes plus what the file format says about them.
struct Record {
  Bytes data;                        // captured bytes; a view valid until the reader's next()
  std::int64_t ts_ns = 0;            // capture time, nanoseconds since 1970-01-01 UTC
  std::uint32_t orig_len = 0;        // length on the wire (>= data.size() unless the file lies)
  std::uint16_t link = linktype::ethernet;
  Direction dir = Direction::unknown;
  std::uint32_t interface_id = 0;
  std::string_view interface_name;   // valid as long as the reader
  std::uint64_t offset = 0;          // file offset of the record (its header) for messages
  std::uint64_t index = 0;           // 1-based record number in the file
  // The TCP connection's number in the whole trace, given before --filter and the time window
  // drop records (docs/tcp.md "Connection numbers"); 0 when not given.
  std::uint64_t connection = 0;
  SourceMeta meta;
};

// A hash of two endpoints (addresses and ports) and a tag, for connection and conversation tables.
std::size_t hash_endpoints(const IpAddr& a, const IpAddr& b, std::uint16_t pa, std::uint16_t pb, std::uint64_t tag = 0);

enum class Layer : std::uint8_t { none, link, ipv4, ipv6, tcp, udp, icmp, icmpv6, tunnel };
std::string_view layer_name(Layer l);

enum class L3 : std::uint8_t { none, ipv4, ipv6, arp, other };
enum class L4 : std::uint8_t { none, tcp, udp, icmp, icmpv6, other };
enum class Csum : std::uint8_t { unchecked, good, bad, absent };  // absent: UDP/IPv4 checksum 0

namespace tcpflag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10,
                              urg = 0x20, ece = 0x40, cwr = 0x80;
}

struct TcpInfo {
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  bool ns = false;                   // the NS / AE bit
  std::uint16_t window = 0;          // raw, unscaled
  std::uint16_t urgent = 0;
  std::uint8_t header_len = 0;       // bytes
  // options
  bool has_mss = false, has_wscale = false, sack_permitted = false, has_timestamps = false;
  std::uint16_t mss = 0;
  std::uint8_t wscale = 0;
  std::uint32_t ts_val = 0, ts_ecr = 0;
  std::uint8_t sack_count = 0;
  std::array<std::uint32_t, 8> sack{};  // left/right edge pairs
  Csum checksum = Csum::unchecked;
};

struct UdpInfo {
  std::uint16_t sport = 0, dport = 0, length = 0;
  Csum checksum = Csum::unchecked;
};

// The start of the packet an ICMP error quotes.
struct QuotedPacket {
  IpAddr src, dst;
  std::uint8_t proto = 0;
  std::uint16_t sport = 0, dport = 0;  // when proto is TCP/UDP and the bytes are there
  bool has_ports = false;
};

struct IcmpInfo {
  std::uint8_t type = 0, code = 0;
  std::uint16_t id = 0, seq = 0;       // echo request/reply
  bool has_quote = false;
  QuotedPacket quote;
  Csum checksum = Csum::unchecked;
};

// A tunnel the packet came through (docs/decoding.md "Tunnels"). The packet's own fields describe
// the innermost packet; each layer here keeps the outer header it was carried in, outermost first.
enum class TunnelKind : std::uint8_t { none, gre, ipip, teredo, vxlan, geneve };
std::string_view tunnel_kind_name(TunnelKind k);  // "gre", "ip-in-ip", "teredo", "vxlan", "geneve"

// What a tunnel carries: a packet decoded further (IPv4, IPv6, Ethernet, MPLS), or an opaque
// payload counted by name (ERSPAN, PPP of PPTP, another GRE protocol type).
enum class TunnelPayload : std::uint8_t { ipv4, ipv6, ethernet, mpls, erspan2, erspan3, ppp, other };
std::string_view tunnel_payload_name(TunnelPayload t);  // "ipv4", ..., "erspan-ii", "other"

struct TunnelLayer {
  TunnelKind kind = TunnelKind::none;
  TunnelPayload payload = TunnelPayload::other;
  IpAddr src, dst;                   // the outer IP header's addresses
  std::uint16_t sport = 0, dport = 0;  // outer UDP ports (Teredo, VXLAN, Geneve); 0 otherwise
  std::uint16_t proto = 0;           // GRE / Geneve protocol type (an Ethertype); 0 otherwise
  bool has_key = false;              // GRE key present (K bit); VXLAN and Geneve: the VNI
  bool has_seq = false;              // GRE sequence number present (S bit)
  std::uint32_t key = 0, seq = 0;    // GRE key / VNI (24 bits); GRE sequence number
  std::uint32_t offset = 0;          // record offset of the outer IP header
  Csum ip_checksum = Csum::unchecked;   // the outer IPv4 header's
  Csum udp_checksum = Csum::unchecked;  // the outer UDP header's (UDP tunnels)
  // Teredo (RFC 4380 5.1.1): the indicators before the IPv6 packet; the origin indication's
  // port and IPv4 address de-obfuscated.
  bool teredo_auth = false, teredo_origin = false;
  std::uint16_t origin_port = 0;
  std::uint32_t origin_v4 = 0;
  bool opaque() const { return payload >= TunnelPayload::erspan2; }
};

// Tunnels are followed this deep (a tunnel in a tunnel in ...); a packet with more is counted as
// too deep and its innermost tunnel's payload left opaque.
inline constexpr std::size_t kMaxTunnelDepth = 4;

// What went wrong while decoding (first problem only; decoding stops there).
struct DecodeProblem {
  Layer layer = Layer::none;
  bool truncated = false;            // ran out of captured bytes of a snapped packet (not an error)
  std::uint32_t offset = 0;          // byte offset within the record
  const char* what = nullptr;        // static string
};

struct Packet {
  const Record* rec = nullptr;
  Direction dir = Direction::unknown;  // the record's, or what the link header says (SLL)

  // link layer
  std::uint16_t ethertype = 0;       // after VLAN tags; 0 when the link has none
  std::uint8_t vlan_depth = 0;
  std::array<std::uint16_t, 3> vlan{};  // outermost first

  // network layer
  L3 l3 = L3::none;
  std::uint32_t l3_offset = 0;
  IpAddr src, dst;
  std::uint8_t ttl = 0;              // TTL / hop limit
  std::uint8_t ip_proto = 0;         // upper-layer protocol after IPv6 extension headers
  std::uint32_t ip_len = 0;          // IP packet length according to its header
  std::uint32_t ip_id = 0;           // IPv4 id, IPv6 fragment id
  bool dont_fragment = false;
  bool fragment = false;             // MF set or fragment offset > 0 (IPv4), fragment header (IPv6,
                                     // also an "atomic" one with offset 0 and M = 0)
  bool more_fragments = false;
  std::uint16_t frag_offset = 0;     // in bytes
  // A fragment's bytes for the IP reassembler (ctana/ip_reassembly.hpp): the fragmentable part at
  // record offset frag_data_offset, frag_data_len bytes according to the IP header; before it
  // frag_unfrag_len bytes from the IP header on (IPv4: the header; IPv6: the header and the
  // extension headers before the fragment header). IPv6: frag_nh_at is the offset (from the IP
  // header) of the next-header byte that names the fragment header, frag_next the fragment
  // header's own next header.
  std::uint32_t frag_data_offset = 0, frag_data_len = 0;
  std::uint16_t frag_unfrag_len = 0, frag_nh_at = 0;
  std::uint8_t frag_next = 0;
  // Set by the pipeline: a fragment taken by the IP reassembler (its datagram is analysed whole
  // when complete), and a datagram rebuilt from `reassembled_from` fragments (its record is the
  // last fragment's, with the datagram's bytes, link type raw IPv4/IPv6).
  bool reassembling = false;
  bool reassembled = false;
  std::uint16_t reassembled_from = 0;
  Csum ip_checksum = Csum::unchecked;
  bool length_from_frame = false;    // IP length field was 0 (TSO capture, jumbogram): frame used
  IpAddr final_dst;                  // IPv6: destination after the routing header (pseudo header)

  // transport layer
  L4 l4 = L4::none;
  std::uint32_t l4_offset = 0;
  TcpInfo tcp;
  UdpInfo udp;
  IcmpInfo icmp;
  Bytes payload;                     // captured application bytes (after the L4 header)
  std::uint32_t payload_len = 0;     // application bytes according to the headers

  DecodeProblem problem;

  // Tunnels (docs/decoding.md "Tunnels"): `tunnels[0, tunnel_depth)` outermost first; the last may
  // be opaque (its payload not decoded: the packet's fields are then that layer's outer header).
  bool follow_tunnels = true;        // set by decode() from DecodeOptions
  std::uint8_t tunnel_depth = 0;
  bool tunnel_too_deep = false;      // a tunnel beyond kMaxTunnelDepth was left opaque
  std::array<TunnelLayer, kMaxTunnelDepth> tunnels{};

  // The record's number in the file (1-based, every record counted: Wireshark's frame.number; for
  // CTRACE the record number of `ctana records`); 0 without a record.
  std::uint64_t frame() const { return rec ? rec->index : 0; }
  bool malformed() const { return problem.what != nullptr && !problem.truncated; }
  bool truncated() const { return problem.what != nullptr && problem.truncated; }
  bool is_first_fragment_or_whole() const { return frag_offset == 0; }
};

}  // namespace ctana
