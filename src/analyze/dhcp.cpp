// DHCP exchanges by transaction id (docs/dhcp.md).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "ctana/dhcp.hpp"

namespace ctana {

namespace {
constexpr std::size_t kMaxLeases = 1000;
struct Exchange {
  std::int64_t start_ns = 0;
  bool offered = false, discover = false;
  std::string client;
};
}  // namespace

struct DhcpAnalyzer::Impl {
  DhcpReport& out;
  FindingSink emit;
  std::unordered_map<std::uint32_t, Exchange> open;  // by xid
  std::uint32_t nak_findings = 0;
  std::size_t max_open;
  Impl(DhcpReport& r, FindingSink f, std::size_t m) : out(r), emit(std::move(f)), max_open(m) {}
};

DhcpAnalyzer::DhcpAnalyzer(DhcpReport& out, FindingSink findings, std::size_t max_open)
    : impl_(std::make_unique<Impl>(out, std::move(findings), max_open)) {
  out.present = true;
}
DhcpAnalyzer::~DhcpAnalyzer() = default;

void DhcpAnalyzer::on_packet(const Packet& p) {
  if (p.l4 != L4::udp || p.malformed() || p.fragment) return;
  const bool port = p.udp.sport == 67 || p.udp.dport == 67 || p.udp.sport == 68 || p.udp.dport == 68;
  if (!port || p.payload.size() < p.payload_len) return;
  auto& im = *impl_;
  dhcp::Message m;
  const char* err = nullptr;
  if (!dhcp::parse(p.payload, m, err)) {
    ++im.out.malformed;
    return;
  }
  ++im.out.messages;
  ++im.out.by_type[m.type < im.out.by_type.size() ? m.type : 0];
  if (m.relay_info || !(m.giaddr == IpAddr::v4(std::array<std::uint8_t, 4>{}.data()))) ++im.out.relayed;
  const std::int64_t ts = p.rec->ts_ns;
  auto framed = [&p](Finding f) {  // about this packet
    f.first_frame = f.last_frame = p.frame();
    return f;
  };
  switch (m.type) {
    case 1:  // DISCOVER
    case 3:  // REQUEST
      if (im.open.count(m.xid)) break;
      if (im.open.size() < im.max_open) im.open[m.xid] = Exchange{ts, false, m.type == 1, m.chaddr};
      else ++im.out.untracked_exchanges;
      break;
    case 2:  // OFFER
      if (auto it = im.open.find(m.xid); it != im.open.end()) it->second.offered = true;
      break;
    case 5: {  // ACK
      DhcpLease l;
      l.client = m.chaddr;
      l.address = m.yiaddr;
      l.server = m.server_id;
      l.router = m.router;
      l.lease_s = m.lease_s;
      l.ts_ns = ts;
      if (auto it = im.open.find(m.xid); it != im.open.end()) {
        l.exchange_ns = ts - it->second.start_ns;
        im.open.erase(it);
      }
      if (im.out.leases.size() < kMaxLeases && m.lease_s) im.out.leases.push_back(l);
      break;
    }
    case 6:  // NAK
      ++im.out.naks;
      im.open.erase(m.xid);
      if (im.nak_findings++ < 10 && im.emit) {
        Finding f{Severity::warning, "application", "dhcp_nak", ts, 0,
                        fmt::format("DHCP server {} refused the address client {} asked for (NAK)",
                                    m.server_id.version ? m.server_id.str() : p.src.str(), m.chaddr),
                        "The client asked to keep an address the server will not give it: the client moved to "
                        "another network, or its lease is unknown to this server. It starts over with DISCOVER; "
                        "repeated NAKs point at two servers that disagree."};
        f.server = m.server_id.version ? m.server_id : p.src;
        im.emit(framed(f.about(m.chaddr)));
      }
      break;
    case 4:  // DECLINE
      ++im.out.declines;
      if (im.emit) {
        Finding f{Severity::error, "application", "dhcp_decline", ts, 0,
                        fmt::format("DHCP client {} declined {}: the address is already in use", m.chaddr,
                                    m.requested.str()),
                        "The client found another host using the address it was given (an address conflict): "
                        "a static address inside the server's pool."};
        im.emit(framed(f.about(m.chaddr)));
      }
      break;
    default:
      break;
  }
}

void DhcpAnalyzer::finish() {
  auto& im = *impl_;
  std::int64_t first = INT64_MAX;  // the first exchange whose DISCOVER got no OFFER
  for (const auto& [xid, e] : im.open)
    if (e.discover && !e.offered) {
      ++im.out.discovers_unanswered;
      first = std::min(first, e.start_ns);
    }
  if (im.out.discovers_unanswered && im.emit) {
    Finding f{Severity::error, "application", "dhcp_no_offer", first, 0,
                    fmt::format("{} DHCP DISCOVER{} got no OFFER", im.out.discovers_unanswered,
                                im.out.discovers_unanswered == 1 ? "" : "s"),
                    "No DHCP server answered: none on this network, a relay agent (ip helper) missing or "
                    "misconfigured, or the server's pool is exhausted."};
    f.count = im.out.discovers_unanswered;
    im.emit(f);
  }
}

}  // namespace ctana
