// DHCP / BOOTP message decoding (RFC 2131 section 2, RFC 2132 options); bounds-checked.
#include <fmt/format.h>

#include "ctana/dhcp.hpp"

namespace ctana::dhcp {

bool parse(Bytes b, Message& m, const char*& error) {
  m = Message{};
  if (b.size() < 240) {
    error = "DHCP message shorter than its 236-byte fixed part and magic cookie";
    return false;
  }
  const std::uint8_t* p = b.data();
  m.op = p[0];
  m.htype = p[1];
  m.hlen = p[2];
  m.xid = load_be32(p + 4);
  m.flags = load_be16(p + 10);
  m.ciaddr = IpAddr::v4(p + 12);
  m.yiaddr = IpAddr::v4(p + 16);
  m.siaddr = IpAddr::v4(p + 20);
  m.giaddr = IpAddr::v4(p + 24);
  for (std::size_t i = 0; i < std::min<std::size_t>(m.hlen, 16); ++i)
    m.chaddr += fmt::format("{}{:02x}", i ? ":" : "", p[28 + i]);
  if (m.op != 1 && m.op != 2) {
    error = "DHCP op is neither request (1) nor reply (2)";
    return false;
  }
  if (load_be32(p + 236) != 0x63825363) return true;  // BOOTP without options
  std::size_t i = 240;
  while (i < b.size()) {
    const std::uint8_t code = p[i];
    if (code == 255) break;
    if (code == 0) {
      ++i;
      continue;
    }
    if (i + 1 >= b.size() || i + 2 + p[i + 1] > b.size()) {
      error = "DHCP option runs past the message";
      return false;
    }
    const std::uint8_t len = p[i + 1];
    const std::uint8_t* v = p + i + 2;
    switch (code) {
      case 53: if (len >= 1) m.type = v[0]; break;
      case 50: if (len == 4) m.requested = IpAddr::v4(v); break;
      case 54: if (len == 4) m.server_id = IpAddr::v4(v); break;
      case 1: if (len == 4) m.subnet_mask = IpAddr::v4(v); break;
      case 3: if (len >= 4) m.router = IpAddr::v4(v); break;
      case 6: for (std::size_t k = 0; k + 4 <= len; k += 4) m.dns.push_back(IpAddr::v4(v + k)); break;
      case 51: if (len == 4) m.lease_s = load_be32(v); break;
      case 12:
        for (std::size_t k = 0; k < len; ++k) m.hostname += (v[k] > 32 && v[k] < 127) ? static_cast<char>(v[k]) : '?';
        break;
      case 82: m.relay_info = true; break;
      default: break;
    }
    i += 2u + len;
  }
  return true;
}

std::string_view type_name(std::uint8_t t) {
  static constexpr std::string_view kNames[] = {"BOOTP",   "DISCOVER", "OFFER",    "REQUEST",        "DECLINE",
                                                "ACK",     "NAK",      "RELEASE",  "INFORM",         "FORCERENEW",
                                                "LEASEQUERY", "LEASEUNASSIGNED", "LEASEUNKNOWN", "LEASEACTIVE",
                                                "BULKLEASEQUERY", "LEASEQUERYDONE", "ACTIVELEASEQUERY",
                                                "LEASEQUERYSTATUS", "TLS"};
  return t < std::size(kNames) ? kNames[t] : "UNKNOWN";
}

}  // namespace ctana::dhcp
