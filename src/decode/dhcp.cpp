// DHCP / BOOTP message decoding (RFC 2131 section 2, RFC 2132 options); bounds-checked.
#include <fmt/format.h>

#include "ctana/dhcp.hpp"

namespace ctana::dhcp {

bool parse(Bytes b, Message& m, const char*& error) {
  m = Message{};
  const auto h = fixed<240>(b);  // the fixed part and the magic cookie
  if (!h) {
    error = "DHCP message shorter than its 236-byte fixed part and magic cookie";
    return false;
  }
  m.op = h.u8<0>();
  m.htype = h.u8<1>();
  m.hlen = h.u8<2>();
  m.xid = h.be32<4>();
  m.flags = h.be16<10>();
  m.ciaddr = IpAddr::v4(h.bytes<12, 4>());
  m.yiaddr = IpAddr::v4(h.bytes<16, 4>());
  m.siaddr = IpAddr::v4(h.bytes<20, 4>());
  m.giaddr = IpAddr::v4(h.bytes<24, 4>());
  bool first = true;
  for (const std::uint8_t c : head(h.bytes<28, 16>(), m.hlen)) {
    m.chaddr += fmt::format("{}{:02x}", first ? "" : ":", c);
    first = false;
  }
  if (m.op != 1 && m.op != 2) {
    error = "DHCP op is neither request (1) nor reply (2)";
    return false;
  }
  if (h.be32<236>() != 0x63825363) return true;  // BOOTP without options
  ByteReader r(tail(b, 240));
  std::uint8_t code = 0;
  while (r.u8(code)) {
    if (code == 255) break;
    if (code == 0) continue;
    std::uint8_t len = 0;
    Bytes v;
    if (!r.u8(len) || !r.bytes(len, v)) {
      error = "DHCP option runs past the message";
      return false;
    }
    const auto a = fixed<4>(v);  // the first 4 bytes of the value, if it has them
    switch (code) {
      case 53: if (const auto t = fixed<1>(v)) m.type = t.u8<0>(); break;
      case 50: if (len == 4 && a) m.requested = IpAddr::v4(a.all()); break;
      case 54: if (len == 4 && a) m.server_id = IpAddr::v4(a.all()); break;
      case 1: if (len == 4 && a) m.subnet_mask = IpAddr::v4(a.all()); break;
      case 3: if (a) m.router = IpAddr::v4(a.all()); break;
      case 6:
        for (std::size_t k = 0; k + 4 <= len; k += 4)
          if (const auto d = fixed<4>(v, k)) m.dns.push_back(IpAddr::v4(d.all()));
        break;
      case 51: if (len == 4 && a) m.lease_s = a.be32<0>(); break;
      case 12:
        for (const std::uint8_t c : v) m.hostname += (c > 32 && c < 127) ? static_cast<char>(c) : '?';
        break;
      case 82: m.relay_info = true; break;
      default: break;
    }
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
