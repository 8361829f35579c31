#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctana/decode.hpp"

namespace ctana::test {

// "45000034 AD04..." -> bytes; whitespace ignored.
std::vector<std::uint8_t> hex(const std::string& s);

// A record over `bytes` (which must outlive it) of the given link type, not snapped.
Record make_record(const std::vector<std::uint8_t>& bytes, std::uint16_t link, std::uint32_t orig_len = 0);

// Decode `bytes` as a record of `link`; keeps the record alive inside the returned object.
struct Decoded {
  std::vector<std::uint8_t> bytes;
  Record rec;
  Packet pkt;
};
Decoded decode_hex(const std::string& hexbytes, std::uint16_t link, std::uint32_t orig_len = 0);

std::string testdata(const std::string& rel);

// A raw IPv4 packet with a TCP segment from 10.0.0.1:40000 to 10.0.0.2:`port` (or back, `back`),
// the given sequence number, flags and payload; checksums left 0.
std::vector<std::uint8_t> tcp_packet(std::uint32_t seq, std::uint8_t flags, const std::string& payload,
                                     bool back = false, std::uint16_t port = 80);

}  // namespace ctana::test
