// The protocol summary: counts, bytes, time span, protocol mix and top conversations.
#pragma once

#include <memory>
#include <string>

#include "ctana/analyzer.hpp"
#include "ctana/dns.hpp"
#include "ctana/ftp.hpp"
#include "ctana/report.hpp"
#include "ctana/tcp.hpp"

#include <functional>
#include <vector>

namespace ctana {

struct SummaryOptions {
  std::size_t top_conversations = 10;
  std::size_t max_conversations = 200'000;  // table cap; packets beyond it are counted as untracked
};

class SummaryAnalyzer final : public Analyzer {
 public:
  SummaryAnalyzer(SummaryReport& out, SummaryOptions opt);
  ~SummaryAnalyzer() override;
  void on_packet(const Packet& p) override;
  void finish() override;

 private:
  struct State;
  void tunnel(const Packet& p, std::uint32_t code, std::uint64_t wire, bool& v4, bool& v6, bool& bad_ip, bool& bad_udp);
  SummaryReport& out_;
  SummaryOptions opt_;
  std::unique_ptr<State> st_;
};

struct RunOptions {
  std::string filter;       // tcpdump-style BPF expression, "" for none
  std::int64_t start_ns = INT64_MIN, end_ns = INT64_MAX;  // time window: [start, end)
  // When set, called with the first record's time before it is filtered, to set a window given
  // relative to the trace (--start +10, --end 14:05:00 on the first day).
  std::function<void(std::int64_t first_ns, std::int64_t& start_ns, std::int64_t& end_ns)> resolve_window;
  SummaryOptions summary;
  IpReassemblyOptions ip_reassembly;  // enabled: IP fragments reassembled (--no-reassembly)
  bool tunnels = true;      // decode what tunnels carry (--no-tunnels; docs/decoding.md "Tunnels")
  bool tcp = true;          // run the TCP session analysis
  TcpOptions tcp_options;
  bool ftp = true;          // follow FTP sessions (needs tcp)
  FtpOptions ftp_options;
  bool tls = true;          // TLS handshakes (needs tcp)
  bool dhcp = true;         // DHCP / BOOTP exchanges
  bool icmp = true;         // ICMP/ICMPv6 types, pings, errors
  bool network = true;      // routing loops and broadcast storms
  NetworkOptions network_options;
  bool dns = true;          // match DNS queries and responses (UDP, and TCP when tcp is on)
  DnsOptions dns_options;
  bool modules = true;      // run the protocol modules (src/protocols/registry.cpp; need tcp)
  bool show_secrets = false;  // --show-secrets, for the protocol modules (FTP: ftp_options)
  std::size_t max_listed_connections = 10'000;  // connections[] and exceptions[] caps
  std::size_t max_listed_findings = 10'000;
  FindingFilter finding_filter;  // exceptions --min-severity/--kind/--conn
  // Further analyzers to run on every decoded packet (e.g. a per-packet listing).
  std::vector<Analyzer*> extra;
  // Called with the TCP analyzer before the run, to attach callbacks.
  std::function<void(TcpAnalyzer&)> tcp_hook;
  OpenOptions open;         // format options (CTRACE field map overrides, TOD leap seconds)
  // Threads: 1 reads and analyses on the calling thread; 2 adds an analysis thread; 0 picks 2
  // when the machine has two cores or more and the input is not a file under 4 MiB. The report
  // is the same whatever the number.
  unsigned threads = 0;
  // Called about every 100 ms while reading: bytes read so far and the file size (0 if unknown).
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// Read, filter, decode and summarise a whole trace. Never throws on bad input: open errors
// return exit_code 2 with `error` set; a damaged/truncated input gives exit_code 3.
struct RunResult {
  SummaryReport report;
  int exit_code = 0;
  std::string error;        // one-line message when nothing could be read
};
RunResult run_summary(const std::string& path, const RunOptions& opt);

}  // namespace ctana
