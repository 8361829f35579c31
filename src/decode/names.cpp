// Names of protocol numbers for reports (IANA registries, RFC 792/4443 and later updates).
#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "ctana/decode.hpp"

namespace ctana {

std::size_t hash_endpoints(const IpAddr& a, const IpAddr& b, std::uint16_t pa, std::uint16_t pb, std::uint64_t tag) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ tag;
  auto mix = [&h](std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
  };
  std::uint64_t w[2];
  std::memcpy(w, a.b.data(), 16);
  mix(w[0]);
  mix(w[1]);
  std::memcpy(w, b.b.data(), 16);
  mix(w[0]);
  mix(w[1]);
  mix((std::uint64_t{pa} << 16) | pb);
  return static_cast<std::size_t>(h ^ (h >> 29));
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (version == 4) inet_ntop(AF_INET, b.data(), buf, sizeof buf);
  else if (version == 6) inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
  else return "-";
  return buf;
}

std::string_view linktype_name(std::uint16_t lt) {
  switch (lt) {
    case linktype::null: return "NULL";
    case linktype::ethernet: return "EN10MB";
    case linktype::raw: return "RAW";
    case linktype::loop: return "LOOP";
    case linktype::linux_sll: return "LINUX_SLL";
    case linktype::ipv4: return "IPV4";
    case linktype::ipv6: return "IPV6";
    case linktype::linux_sll2: return "LINUX_SLL2";
    case 105: return "IEEE802_11";
    case 127: return "IEEE802_11_RADIOTAP";
    case 147: return "USER0";
    case 220: return "USBPCAP";
    case 249: return "NETLINK";
    default: return "";
  }
}

std::string_view direction_name(Direction d) {
  switch (d) {
    case Direction::in: return "in";
    case Direction::out: return "out";
    default: return "unknown";
  }
}

std::string_view layer_name(Layer l) {
  switch (l) {
    case Layer::link: return "link";
    case Layer::ipv4: return "ipv4";
    case Layer::ipv6: return "ipv6";
    case Layer::tcp: return "tcp";
    case Layer::udp: return "udp";
    case Layer::icmp: return "icmp";
    case Layer::icmpv6: return "icmpv6";
    case Layer::tunnel: return "tunnel";
    default: return "none";
  }
}

std::string_view tunnel_kind_name(TunnelKind k) {
  switch (k) {
    case TunnelKind::gre: return "gre";
    case TunnelKind::ipip: return "ip-in-ip";
    case TunnelKind::teredo: return "teredo";
    case TunnelKind::vxlan: return "vxlan";
    case TunnelKind::geneve: return "geneve";
    default: return "none";
  }
}

std::string_view tunnel_payload_name(TunnelPayload t) {
  switch (t) {
    case TunnelPayload::ipv4: return "ipv4";
    case TunnelPayload::ipv6: return "ipv6";
    case TunnelPayload::ethernet: return "ethernet";
    case TunnelPayload::mpls: return "mpls";
    case TunnelPayload::erspan2: return "erspan-ii";
    case TunnelPayload::erspan3: return "erspan-iii";
    case TunnelPayload::ppp: return "ppp";
    default: return "other";
  }
}

std::string_view ethertype_name(std::uint16_t et) {
  switch (et) {
    case 0x0800: return "ipv4";
    case 0x0806: return "arp";
    case 0x0842: return "wake-on-lan";
    case 0x22f0: return "avtp";
    case 0x22f3: return "trill";
    case 0x6003: return "decnet";
    case 0x8035: return "rarp";
    case 0x809b: return "appletalk";
    case 0x80f3: return "aarp";
    case 0x8100: return "vlan";
    case 0x8137: return "ipx";
    case 0x86dd: return "ipv6";
    case 0x8808: return "eth-flow-control";
    case 0x8809: return "slow-protocols";
    case 0x8847: return "mpls";
    case 0x8848: return "mpls-multicast";
    case 0x8863: return "pppoe-discovery";
    case 0x8864: return "pppoe-session";
    case 0x888e: return "eapol";
    case 0x8892: return "profinet";
    case 0x88a8: return "vlan-802.1ad";
    case 0x88cc: return "lldp";
    case 0x88e5: return "macsec";
    case 0x88f7: return "ptp";
    case 0x8906: return "fcoe";
    case 0x8914: return "fip";
    case 0x9000: return "loopback";
    default: return "";
  }
}

std::string_view ip_proto_name(std::uint8_t proto) {
  switch (proto) {
    case 0: return "hopopt";
    case 1: return "icmp";
    case 2: return "igmp";
    case 4: return "ip-in-ip";
    case 6: return "tcp";
    case 8: return "egp";
    case 17: return "udp";
    case 41: return "ipv6-encap";
    case 43: return "ipv6-route";
    case 44: return "ipv6-frag";
    case 46: return "rsvp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "icmpv6";
    case 59: return "ipv6-nonxt";
    case 60: return "ipv6-opts";
    case 88: return "eigrp";
    case 89: return "ospf";
    case 94: return "ka9q-ipip";
    case 103: return "pim";
    case 108: return "ipcomp";
    case 112: return "vrrp";
    case 115: return "l2tp";
    case 132: return "sctp";
    case 136: return "udplite";
    case 137: return "mpls-in-ip";
    default: return "";
  }
}

std::string_view icmp_type_name(std::uint8_t type) {
  switch (type) {
    case 0: return "Echo Reply";
    case 3: return "Destination Unreachable";
    case 4: return "Source Quench";
    case 5: return "Redirect";
    case 8: return "Echo Request";
    case 9: return "Router Advertisement";
    case 10: return "Router Solicitation";
    case 11: return "Time Exceeded";
    case 12: return "Parameter Problem";
    case 13: return "Timestamp Request";
    case 14: return "Timestamp Reply";
    case 15: return "Information Request";
    case 16: return "Information Reply";
    case 17: return "Address Mask Request";
    case 18: return "Address Mask Reply";
    case 42: return "Extended Echo Request";
    case 43: return "Extended Echo Reply";
    default: return "";
  }
}

std::string_view icmp_code_name(std::uint8_t type, std::uint8_t code) {
  switch (type) {
    case 3:
      switch (code) {
        case 0: return "Network Unreachable";
        case 1: return "Host Unreachable";
        case 2: return "Protocol Unreachable";
        case 3: return "Port Unreachable";
        case 4: return "Fragmentation Needed and DF Set";
        case 5: return "Source Route Failed";
        case 6: return "Destination Network Unknown";
        case 7: return "Destination Host Unknown";
        case 8: return "Source Host Isolated";
        case 9: return "Network Administratively Prohibited";
        case 10: return "Host Administratively Prohibited";
        case 11: return "Network Unreachable for TOS";
        case 12: return "Host Unreachable for TOS";
        case 13: return "Communication Administratively Prohibited";
        case 14: return "Host Precedence Violation";
        case 15: return "Precedence Cutoff in Effect";
        default: return "";
      }
    case 5:
      switch (code) {
        case 0: return "Redirect for Network";
        case 1: return "Redirect for Host";
        case 2: return "Redirect for TOS and Network";
        case 3: return "Redirect for TOS and Host";
        default: return "";
      }
    case 11:
      switch (code) {
        case 0: return "TTL Exceeded in Transit";
        case 1: return "Fragment Reassembly Time Exceeded";
        default: return "";
      }
    case 12:
      switch (code) {
        case 0: return "Pointer Indicates the Error";
        case 1: return "Missing a Required Option";
        case 2: return "Bad Length";
        default: return "";
      }
    default:
      return "";
  }
}

std::string_view icmpv6_type_name(std::uint8_t type) {
  switch (type) {
    case 1: return "Destination Unreachable";
    case 2: return "Packet Too Big";
    case 3: return "Time Exceeded";
    case 4: return "Parameter Problem";
    case 128: return "Echo Request";
    case 129: return "Echo Reply";
    case 130: return "Multicast Listener Query";
    case 131: return "Multicast Listener Report";
    case 132: return "Multicast Listener Done";
    case 133: return "Router Solicitation";
    case 134: return "Router Advertisement";
    case 135: return "Neighbor Solicitation";
    case 136: return "Neighbor Advertisement";
    case 137: return "Redirect";
    case 143: return "Multicast Listener Report v2";
    default: return "";
  }
}

std::string_view icmpv6_code_name(std::uint8_t type, std::uint8_t code) {
  switch (type) {
    case 1:
      switch (code) {
        case 0: return "No Route to Destination";
        case 1: return "Communication Administratively Prohibited";
        case 2: return "Beyond Scope of Source Address";
        case 3: return "Address Unreachable";
        case 4: return "Port Unreachable";
        case 5: return "Source Address Failed Ingress/Egress Policy";
        case 6: return "Reject Route to Destination";
        default: return "";
      }
    case 3:
      switch (code) {
        case 0: return "Hop Limit Exceeded in Transit";
        case 1: return "Fragment Reassembly Time Exceeded";
        default: return "";
      }
    case 4:
      switch (code) {
        case 0: return "Erroneous Header Field";
        case 1: return "Unrecognized Next Header";
        case 2: return "Unrecognized IPv6 Option";
        default: return "";
      }
    default:
      return "";
  }
}

}  // namespace ctana
