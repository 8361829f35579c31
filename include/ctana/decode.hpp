// The decoder chain: Record -> Packet. Never throws and never reads outside the record; a
// malformed or truncated layer is recorded in Packet::problem and decoding stops there.
#pragma once

#include <cstdint>
#include <string_view>

#include "ctana/packet.hpp"

namespace ctana {

struct DecodeOptions {
  bool tunnels = true;  // decode what GRE, IP-in-IP, Teredo, VXLAN and Geneve carry (--no-tunnels)
};

void decode(const Record& rec, Packet& out, const DecodeOptions& opt = {});

// Decode a packet that starts with an IP header (either version, by its first nibble).
void decode_ip_packet(const Record& rec, Packet& out, const DecodeOptions& opt = {});

// Names for reports. Unknown values give "" so callers can print the number instead.
std::string_view ethertype_name(std::uint16_t et);
std::string_view ip_proto_name(std::uint8_t proto);
std::string_view icmp_type_name(std::uint8_t type);
std::string_view icmp_code_name(std::uint8_t type, std::uint8_t code);
std::string_view icmpv6_type_name(std::uint8_t type);
std::string_view icmpv6_code_name(std::uint8_t type, std::uint8_t code);

}  // namespace ctana
