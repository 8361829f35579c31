// ICMP and ICMPv6: messages by type and code, echo request/reply round trips, and the errors
// (unreachable, time exceeded, packet too big / fragmentation needed, redirect) with the packet
// they quote. Definitions: docs/icmp.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctana/analyzer.hpp"
#include "ctana/findings.hpp"

namespace ctana {

struct IcmpTypeRow {
  bool v6 = false;
  std::uint8_t type = 0, code = 0;
  std::string name;
  std::uint64_t count = 0;
};

struct IcmpErrorRow {
  bool v6 = false;
  std::uint8_t type = 0, code = 0;
  std::string what;         // "Port Unreachable", ...
  IpAddr reporter;          // who sent the error
  std::string about;        // "UDP 10.0.0.1:4096 -> 10.0.0.2:53" from the quoted packet
  std::uint64_t connection = 0;  // the TCP connection the quoted packet belongs to, 0 if none
  std::uint32_t mtu = 0;    // fragmentation needed / packet too big
  bool traceroute = false;  // it quotes a UDP datagram to a traceroute port (33434-33534)
  std::uint64_t count = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t first_frame = 0, last_frame = 0;  // of the first and the last of these messages
};

struct IcmpReport {
  bool present = false;
  std::uint64_t messages = 0;
  std::vector<IcmpTypeRow> types;    // by count
  std::uint64_t echo_requests = 0, echo_replies = 0, echo_answered = 0, echo_unanswered = 0;
  std::int64_t echo_rtt_median_ns = -1, echo_rtt_max_ns = -1;
  std::uint64_t echo_untracked = 0;  // requests not matched: 100,000 were waiting for replies
  std::vector<IcmpErrorRow> errors;  // aggregated, by count, at most 100
};

class IcmpAnalyzer final : public Analyzer {
 public:
  IcmpAnalyzer(IcmpReport& out, FindingSink findings);
  ~IcmpAnalyzer() override;
  // The number of the TCP connection an error's quoted packet belongs to (see
  // TcpAnalyzer::open_connection_id); without it, errors name no connection.
  void set_connection_lookup(ConnectionLookup f);
  void on_packet(const Packet& p) override;
  bool takes_datagrams() const override { return true; }  // reassembled IP datagrams
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
