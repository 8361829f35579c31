#include "test_util.hpp"

#include <cctype>
#include <stdexcept>

namespace ctana::test {

std::vector<std::uint8_t> hex(const std::string& s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (v < 0 || v > 15) throw std::invalid_argument("bad hex");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex length");
  return out;
}

Record make_record(const std::vector<std::uint8_t>& bytes, std::uint16_t link, std::uint32_t orig_len) {
  Record r;
  r.data = Bytes(bytes.data(), bytes.size());
  r.orig_len = orig_len ? orig_len : static_cast<std::uint32_t>(bytes.size());
  r.link = link;
  r.index = 1;
  return r;
}

Decoded decode_hex(const std::string& hexbytes, std::uint16_t link, std::uint32_t orig_len) {
  Decoded d;
  d.bytes = hex(hexbytes);
  d.rec = make_record(d.bytes, link, orig_len);
  decode(d.rec, d.pkt);
  return d;
}

std::string testdata(const std::string& rel) { return std::string(CTANA_TESTDATA) + "/" + rel; }

std::vector<std::uint8_t> tcp_packet(std::uint32_t seq, std::uint8_t flags, const std::string& payload, bool back,
                                     std::uint16_t port) {
  auto p = hex("45000000 00010000 40060000 0A000001 0A000002 9C400000 00000000 00000000 50000FFF 00000000");
  p[22] = static_cast<std::uint8_t>(port >> 8), p[23] = static_cast<std::uint8_t>(port);
  if (back) {
    std::swap_ranges(p.begin() + 12, p.begin() + 16, p.begin() + 16);
    std::swap_ranges(p.begin() + 20, p.begin() + 22, p.begin() + 22);
  }
  for (int i = 0; i < 4; ++i) p[24 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq >> (24 - 8 * i));
  p[33] = flags;
  p.insert(p.end(), payload.begin(), payload.end());
  p[2] = static_cast<std::uint8_t>(p.size() >> 8), p[3] = static_cast<std::uint8_t>(p.size());
  return p;
}

}  // namespace ctana::test
