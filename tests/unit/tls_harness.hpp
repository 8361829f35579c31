// Shared by the TLS analyzer tests: record builders and a harness that feeds one connection's
// bytes to a TlsAnalyzer the way the TCP reassembly would.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ctana/tls.hpp"

namespace ctana {
namespace {

std::string header(std::uint8_t type, std::uint16_t version, std::uint16_t len) {
  std::string h(5, '\0');
  h[0] = static_cast<char>(type);
  h[1] = static_cast<char>(version >> 8);
  h[2] = static_cast<char>(version & 0xff);
  h[3] = static_cast<char>(len >> 8);
  h[4] = static_cast<char>(len & 0xff);
  return h;
}
// A record of `len` body bytes that hold no plausible header themselves (0x01 bytes).
std::string rec(std::uint8_t type, std::uint16_t len, std::uint16_t version = 0x0303) {
  return header(type, version, len) + std::string(len, '\x01');
}
[[maybe_unused]] std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g() & 0xff);
  return s;
}

struct Harness {
  TlsReport rep;
  std::vector<Finding> findings;
  TlsAnalyzer an{rep, [this](const Finding& f) { findings.push_back(f); }};
  TcpConnection c;
  std::uint64_t off[2] = {0, 0};
  bool open = true;

  explicit Harness(std::uint16_t port, bool syn = false) {
    c.id = 7;
    const std::array<std::uint8_t, 4> ca{10, 0, 0, 1}, sa{10, 0, 0, 2};
    c.client = IpAddr::v4(ca);
    c.server = IpAddr::v4(sa);
    c.client_port = 40000;
    c.server_port = port;
    c.roles_known = syn;  // no SYN: the capture may have started mid-stream
    open = an.wants(c);
  }
  void send(int from, std::string_view s, std::int64_t ts = 0) {
    if (!open) return;
    an.on_data(c, from == 0 ? Side::client : Side::server, off[from], as_bytes(s), ts);
    off[from] += s.size();
    open = an.keeps(c);
  }
  const TlsReport& finish() {
    if (open) an.on_close(c);
    an.finish();
    return rep;
  }
  const TlsSession* session() {
    const auto& r = finish();
    return r.sessions.empty() ? nullptr : &r.sessions.front();
  }
};

}  // namespace
}  // namespace ctana
