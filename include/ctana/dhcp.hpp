// DHCP / BOOTP (RFC 2131, 2132): messages decoded with their options, exchanges followed by
// transaction id (DISCOVER, OFFER, REQUEST, ACK / NAK), leases granted. Definitions: docs/dhcp.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctana/analyzer.hpp"
#include "ctana/findings.hpp"

namespace ctana {

namespace dhcp {
struct Message {
  std::uint8_t op = 0, htype = 0, hlen = 0;
  std::uint32_t xid = 0;
  std::uint16_t flags = 0;
  IpAddr ciaddr, yiaddr, siaddr, giaddr;
  std::string chaddr;             // "02:00:00:dd:00:02"
  std::uint8_t type = 0;          // option 53; 0 for plain BOOTP
  IpAddr requested, server_id, router, subnet_mask;  // options 50, 54, 3, 1
  std::vector<IpAddr> dns;        // option 6
  std::uint32_t lease_s = 0;      // option 51
  std::string hostname;           // option 12
  bool relay_info = false;        // option 82
};
bool parse(Bytes b, Message& out, const char*& error);
std::string_view type_name(std::uint8_t t);  // DISCOVER, OFFER, ...
}  // namespace dhcp

struct DhcpLease {
  std::string client;   // hardware address
  IpAddr address, server, router;
  std::uint32_t lease_s = 0;
  std::int64_t ts_ns = 0;
  std::int64_t exchange_ns = -1;  // first DISCOVER/REQUEST of the exchange -> ACK
};

struct DhcpReport {
  bool present = false;
  std::uint64_t messages = 0, malformed = 0;
  std::array<std::uint64_t, 19> by_type{};  // index: option 53 value; 0 = BOOTP
  std::uint64_t naks = 0, declines = 0, discovers_unanswered = 0, relayed = 0;
  std::vector<DhcpLease> leases;  // the first 1000 ACKs
  std::uint64_t untracked_exchanges = 0;  // DISCOVER/REQUEST not followed: max_open were open
};

class DhcpAnalyzer final : public Analyzer {
 public:
  // At most `max_open` exchanges (by transaction id) are followed at once.
  DhcpAnalyzer(DhcpReport& out, FindingSink findings, std::size_t max_open = 100'000);
  ~DhcpAnalyzer() override;
  void on_packet(const Packet& p) override;
  bool takes_datagrams() const override { return true; }  // reassembled IP datagrams
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
