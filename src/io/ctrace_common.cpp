// CTRACE primitives and code tables: TOD clock, EBCDIC names, format ids, device types, discard
// reason codes, IDS probe ids (spec sections 1, 4, 6, 8.3, 9; docs/ctrace.md).
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "ctana/ctrace.hpp"
#include "io/discard_codes.hpp"

namespace ctana::ctrace {

namespace {
constexpr std::uint64_t kTodMax = 0xFFFFFFFFFFFFF000ull;
constexpr std::uint64_t kUnixEpochMicros = 2208988800ull * 1'000'000ull;  // 1900 -> 1970
}  // namespace

std::int64_t tod_to_unix_ns(std::uint64_t tod) {
  const std::int64_t micros = static_cast<std::int64_t>(tod >> 12) - static_cast<std::int64_t>(kUnixEpochMicros);
  return micros * 1000 + static_cast<std::int64_t>(((tod & 0xFFF) * 1000) >> 12);
}

std::uint64_t unix_ns_to_tod(std::int64_t ns) {
  std::int64_t micros = ns / 1000, rest = ns % 1000;
  if (rest < 0) {
    rest += 1000;
    --micros;
  }
  const auto m = static_cast<std::uint64_t>(micros + static_cast<std::int64_t>(kUnixEpochMicros));
  const auto sub = static_cast<std::uint64_t>((rest * 4096 + 999) / 1000);  // ceil: floor back gives rest
  return (m << 12) | sub;
}

bool tod_plausible(std::uint64_t tod) { return tod >= kTod1995 && tod <= kTodMax; }

namespace {
struct Ebcdic {
  std::array<char, 256> to_ascii{};
  std::array<std::uint8_t, 128> to_ebcdic{};
  Ebcdic() {
    to_ascii.fill('?');
    to_ebcdic.fill(0x6F);  // '?'
    auto map = [this](char a, std::uint8_t e) {
      to_ascii[e] = a;
      to_ebcdic[static_cast<std::uint8_t>(a)] = e;
    };
    for (int i = 0; i < 9; ++i) {
      map(static_cast<char>('A' + i), static_cast<std::uint8_t>(0xC1 + i));
      map(static_cast<char>('J' + i), static_cast<std::uint8_t>(0xD1 + i));
      map(static_cast<char>('a' + i), static_cast<std::uint8_t>(0x81 + i));
      map(static_cast<char>('j' + i), static_cast<std::uint8_t>(0x91 + i));
    }
    for (int i = 0; i < 8; ++i) {
      map(static_cast<char>('S' + i), static_cast<std::uint8_t>(0xE2 + i));
      map(static_cast<char>('s' + i), static_cast<std::uint8_t>(0xA2 + i));
    }
    for (int i = 0; i < 10; ++i) map(static_cast<char>('0' + i), static_cast<std::uint8_t>(0xF0 + i));
    map(' ', 0x40); map('.', 0x4B); map('-', 0x60); map('_', 0x6D); map('@', 0x7C); map('#', 0x7B);
    map('$', 0x5B); map('?', 0x6F); map('/', 0x61); map(':', 0x7A); map('(', 0x4D); map(')', 0x5D);
  }
};
const Ebcdic& ebcdic() {
  static const Ebcdic t;
  return t;
}
bool name_char(std::uint8_t c) {
  return (c >= 0xC1 && c <= 0xC9) || (c >= 0xD1 && c <= 0xD9) || (c >= 0xE2 && c <= 0xE9) ||
         (c >= 0x81 && c <= 0x89) || (c >= 0x91 && c <= 0x99) || (c >= 0xA2 && c <= 0xA9) ||
         (c >= 0xF0 && c <= 0xF9) || c == 0x4B || c == 0x60 || c == 0x6D || c == 0x7C || c == 0x7B || c == 0x5B;
}
}  // namespace

char ebcdic_to_ascii(std::uint8_t c) { return ebcdic().to_ascii[c]; }
std::uint8_t ascii_to_ebcdic(char c) {
  const auto u = static_cast<std::uint8_t>(c);
  return u < 128 ? ebcdic().to_ebcdic[u] : std::uint8_t{0x6F};
}

void ebcdic_name_into(Bytes b, std::string& out) {
  std::size_t n = b.size();
  while (n > 0 && (b[n - 1] == 0x40 || b[n - 1] == 0)) --n;
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = ebcdic_to_ascii(b[i]);
}

std::string ebcdic_name(Bytes b) {
  std::string s;
  ebcdic_name_into(b, s);
  return s;
}

bool ebcdic_name_like(Bytes b) {
  if (b.empty() || !name_char(b[0])) return false;
  bool blank = false;
  for (const std::uint8_t c : b) {
    if (c == 0x40) blank = true;
    else if (blank || !name_char(c)) return false;  // no characters after the padding
  }
  return true;
}

bool is_ids_probe(std::uint32_t fmt) {
  const std::uint32_t b0 = fmt >> 24;
  return b0 >= 1 && b0 <= 4;
}
bool is_lost_marker(std::uint32_t fmt) { return (fmt >> 24) == 0xFF; }

std::string format_id_name(std::uint32_t fmt) {
  switch (fmt) {
    case 1: return "packet (old format)";
    case 2: return "X.25";
    case 3: return "EE data (old format)";
    case kFmtPacket: return "packet";
    case kFmtData: return "data";
    case kFmtEE: return "enterprise extender";
    case kFmtOsaenta: return "osaenta";
    case kFmtSmc: return "smc";
    default: break;
  }
  if (is_lost_marker(fmt)) return "lost";
  if (is_ids_probe(fmt)) return "ids";
  return fmt::format("id {:08X}", fmt);
}

std::string device_type_label(std::uint16_t code) {
  switch (code) {
    case 34: return "Loopback";
    case 39: return "IPAQENET";
    case 53: return "IPAQENET6";
    default: return fmt::format("Unknown:{}", code);
  }
}

std::string_view discard_range(std::uint16_t code) {
  if (code == 0) return "not discarded";
  if (code < 4096) return "OSA";
  if (code < 8192) return "interface/IP layer";
  if (code < 12288) return "TCP layer";
  if (code < 16384) return "UDP layer";
  if (code < 20480) return "RAW layer";
  return "outside the documented ranges";
}

std::string_view discard_range_bounds(std::uint16_t code) {
  if (code == 0) return "";
  if (code < 4096) return "1-4095";
  if (code < 8192) return "4096-8191";
  if (code < 12288) return "8192-12287";
  if (code < 16384) return "12288-16383";
  if (code < 20480) return "16384-20479";
  return "";
}

std::string_view discard_layer(std::uint16_t code) {
  if (code == 0) return "";
  if (code < 4096) return "OSA";
  if (code < 8192) return "IP";
  if (code < 12288) return "TCP";
  if (code < 16384) return "UDP";
  if (code < 20480) return "RAW";
  return "";
}

DiscardInfo discard_info(std::uint16_t code) {
  // The table is data/discard-codes.tsv, compiled in (src/io/discard_codes.hpp); its rows are in
  // ascending code order. Codes it does not list are shown by range (docs/ctrace.md).
  const auto rows = discard_rows();
  const auto it = std::lower_bound(rows.begin(), rows.end(), code,
                                   [](const DiscardRow& r, std::uint16_t c) { return r.code < c; });
  if (it != rows.end() && it->code == code) return {it->name, it->meaning, true};
  return {"Unknown", discard_range(code), false};
}

std::string discard_label(std::uint16_t code) {
  const auto d = discard_info(code);
  if (d.named) return std::string(d.name);
  const auto layer = discard_layer(code);
  if (layer.empty()) return fmt::format("Unknown discard {}, outside the documented ranges", code);
  return fmt::format("Unknown {} discard {}, range {}", layer, code, discard_range_bounds(code));
}

std::string ids_group(std::uint32_t probe) {
  switch (probe >> 24) {
    case 1: return "TCPTR";
    case 2: return "UDPTR";
    case 3: return "SCAN";
    case 4: return "ATTACK";
    default: return "";
  }
}

std::string ids_probe_description(std::uint32_t probe) {
  switch (probe) {
    case 0x01000001: return "TCP TR: enter constrained state for receive queue";
    case 0x01000002: return "TCP TR: exit constrained state for receive queue";
    case 0x01000003: return "TCP TR: enter constrained state for send queue";
    case 0x01000004: return "TCP TR: exit constrained state for send queue";
    case 0x01002200: case 0x01002400: return "TCP TR: enter or leave constrained state during close";
    case 0x03020002: return "Scan, possibly suspicious: request to an unbound port";
    case 0x03030000: return "Scan-Normal packet";
    case 0x03030026: return "Scan Normal-TCP SYN dropped";
    case 0x0300FFF1: return "Fast scan detected";
    case 0x04010006: return "MALFORMED_PACKET: IPv4 header error, bad source/destination address";
    case 0x04130001: return "EE_XID_FLOOD: non-responsive XID logged";
    case 0x04130002: return "EE_XID_FLOOD: flood start";
    case 0x04130003: return "EE_XID_FLOOD: flood end";
    case 0x0413FFF0: return "EE_XID_FLOOD: log records suppressed";
    default: break;
  }
  const std::uint32_t b0 = probe >> 24, b1 = (probe >> 16) & 0xFF;
  if (b0 == 1) return "TCP traffic regulation";
  if (b0 == 2) return "UDP traffic regulation";
  if (b0 == 3) {
    static constexpr std::string_view lv[] = {"Scan event", "Scan, very suspicious", "Scan, possibly suspicious",
                                              "Scan, normal"};
    return std::string(b1 < 4 ? lv[b1] : "Scan");
  }
  if (b0 == 4) {
    static constexpr std::string_view at[] = {
        "ATTACK", "MALFORMED_PACKET", "OUTBOUND_RAW", "IP_FRAGMENT", "ICMP_REDIRECT", "RESTRICTED_IP_OPTIONS",
        "RESTRICTED_IP_PROTOCOL", "FLOOD", "PERPETUAL_ECHO", "DATA_HIDING", "TCP_QUEUE_SIZE", "GLOBAL_TCP_STALL",
        "OUTBOUND_RAW_IPV6", "RESTRICTED_IPV6_NEXT_HDR", "RESTRICTED_IPV6_DST_OPTIONS", "RESTRICTED_IPV6_HOP_OPTIONS",
        "EE_LDLC_CHECK", "EE_MALFORMED_PACKET", "EE_PORT_CHECK", "EE_XID_FLOOD"};
    return b1 < std::size(at) ? std::string(at[b1]) : fmt::format("attack type {:02X}", b1);
  }
  return "";
}

std::string dt_domain_label(std::uint8_t d) {
  if (d == kDtAfInet) return "AF_Inet";
  if (d == kDtAfInet6) return "AF_Inet6";
  return fmt::format("Unknown:{}", d);
}

std::string dt_type_label(std::uint8_t t) {
  switch (t) {
    case kDtStream: return "Stream";
    case kDtDatagram: return "Datagram";
    case kDtRaw: return "Raw";
    default: return fmt::format("Unknown:{}", t);
  }
}

std::string dt_proto_label(std::uint8_t p) {
  switch (p) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 0: return "RAW";
    default: return fmt::format("Unknown:{}", p);
  }
}

std::string dt_state_label(std::uint8_t s) {
  switch (s) {
    case kDtData: return "";
    case kDtStart: return "API Data Flow Starts";
    case kDtEnd: return "API Data Flow Ends";
    default: return fmt::format("Unknown:{}", s);
  }
}

std::string_view field_name(Field f) {
  static constexpr std::string_view names[] = {"len",     "seqnum",  "flags",  "devty",   "name",    "time",
                                               "src",     "dst",     "sport",  "dport",   "counter", "proto",
                                               "plen",    "tlen",    "infix",  "droprsn", "asid",    "dtdomain",
                                               "dttype",  "dtproto", "dtstate", "cid"};
  static_assert(std::size(names) == kFieldCount);
  return names[static_cast<std::size_t>(f)];
}

FieldMap FieldMap::h1() {
  FieldMap m;
  static constexpr std::int16_t offs[] = {0,  2,  4,  5,  8,  24, 32, 48, 64, 66, 68,
                                          73, 76, 80, 84, 88, 90, 16, 17, 18, 19, kH1Cid};
  static_assert(std::size(offs) == kFieldCount);
  for (std::size_t i = 0; i < kFieldCount; ++i) m.off[i] = offs[i];
  m.out_bit = 0;  // unknown until calibrated
  return m;
}

}  // namespace ctana::ctrace
