// The report model: plain data filled by analyzers and the pipeline, turned into text or JSON by
// renderers. Every field is defined in docs/summary.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctana/packet.hpp"
#include "ctana/reader.hpp"
#include "ctana/dhcp.hpp"
#include "ctana/findings.hpp"
#include "ctana/dns.hpp"
#include "ctana/ftp.hpp"
#include "ctana/icmp.hpp"
#include "ctana/module.hpp"
#include "ctana/ip_reassembly.hpp"
#include "ctana/network.hpp"
#include "ctana/tls.hpp"
#include "ctana/tcp.hpp"

namespace ctana {

struct Count {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // wire (original) length
  void add(std::uint64_t b) { ++packets; bytes += b; }
};

struct LinkTypeRow {
  std::uint16_t link = 0;
  std::uint64_t records = 0;
  bool supported = false;
};

struct ProtocolRow {
  std::string name;
  Count count;
};

// One tunnel of the summary's `tunnels` (docs/decoding.md "Tunnels"): its kind, what it carries,
// the outer endpoints (a sent the first packet seen) and key / VNI; the packets it carried and
// their inner protocols (the next tunnel's kind for a tunnel in a tunnel), most packets first.
struct TunnelRow {
  std::string kind, payload;
  IpAddr a, b;
  std::optional<std::uint32_t> id;  // GRE key, VXLAN / Geneve VNI
  Count count;
  std::vector<std::pair<std::string, std::uint64_t>> inner;
};

struct TunnelStats {
  std::uint64_t packets = 0;    // packets that came through at least one tunnel
  std::uint64_t too_deep = 0;   // packets with more than kMaxTunnelDepth tunnels (the rest opaque)
  std::uint64_t untracked = 0;  // tunnel layers not counted in a row: the table was full
  std::size_t max_depth = 0;    // kMaxTunnelDepth
  std::vector<TunnelRow> rows;  // most packets first
};

struct ConversationRow {
  std::string proto;            // "tcp", "udp", "icmp", "icmpv6", "ipv4-fragment", ip protocol name
  IpAddr a, b;                  // a is the side that sent the first packet
  std::uint16_t a_port = 0, b_port = 0;
  Count a_to_b, b_to_a;
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t bytes() const { return a_to_b.bytes + b_to_a.bytes; }
};

struct DecodeProblemRow {
  std::string layer;
  std::string what;
  bool truncated = false;       // snapped capture, not an error in the packet
  std::uint64_t count = 0;
  std::uint64_t first_record = 0;
  std::uint64_t first_offset = 0;   // file offset of that record
  std::uint32_t first_byte = 0;     // offset within that record
};

// A distribution summarised for the report: -1 where there were no samples.
struct LatencyStat {
  std::uint64_t samples = 0;
  std::int64_t median = -1, p95 = -1, max = -1;
};

// TCP session analysis results (docs/tcp.md).
struct TcpReport {
  bool present = false;
  TcpTotals totals;
  std::vector<TcpConnection> connections;  // in order of first packet, at most the listing cap
  std::uint64_t connections_omitted = 0;   // beyond the cap
  std::size_t bytes_per_connection = 0;
  ReassemblyStats reassembly;  // payload delivery to FTP, DNS over TCP, TLS (docs/tcp.md)
  // Over every connection, not only the listed ones (docs/tcp.md "Latency and throughput"):
  LatencyStat handshake_rtt;   // ns, SYN -> ACK of the SYN/ACK
  LatencyStat response_time;   // ns, each request/response exchange
  LatencyStat throughput;      // bytes/s of the busier direction, connections with >= 64 KiB in it
  // With --filter or a time window: connections keep their whole-trace numbers, and this is how
  // many the whole trace has (0: no filter or window, connections_total is the whole trace's).
  std::uint64_t connections_in_trace = 0;
  // The address in more than half of the connections (TcpAnalyzer::trace_host): the local side of
  // the connections whose local side was not otherwise known.
  std::optional<IpAddr> local_host;
  std::uint64_t trace_connections() const { return connections_in_trace ? connections_in_trace : totals.connections; }
  // A listed connection still open where the time window ends, as the whole trace goes on: its
  // state and last packet there (docs/tcp.md "Connection numbers").
  struct AfterWindow {
    std::uint64_t id = 0;
    TcpState state = TcpState::established;
    std::int64_t last_ns = 0;
    std::uint64_t last_frame = 0;
  };
  std::vector<AfterWindow> after_window;  // by id
  const AfterWindow* after_window_of(std::uint64_t id) const {
    const auto it = std::lower_bound(after_window.begin(), after_window.end(), id,
                                     [](const AfterWindow& a, std::uint64_t i) { return a.id < i; });
    return it != after_window.end() && it->id == id ? &*it : nullptr;
  }
};

// What a CTRACE input adds to the summary (docs/summary.md, `ctrace` key). The framing figures
// and the calibrated layout are in SummaryReport::read.ctrace.
struct CtraceReport {
  struct Link {
    std::string name;            // interface name (data trace: job name)
    std::uint16_t device_type = 0;
    std::string device;          // device type label, "Unknown:n" when the code is not known
    std::uint16_t link = 0;      // link type handed to the decoders
    std::uint64_t records = 0, in = 0, out = 0;
  };
  struct Kind {
    std::uint32_t format_id = 0;
    std::string name;            // packet, data, osaenta, ids, ...
    std::uint64_t records = 0;
  };
  struct Discard {
    std::uint16_t code = 0;
    std::string name, meaning, range;
    std::uint64_t packets = 0;
  };
  struct Probe {
    std::uint32_t probe = 0;
    std::string group, description;
    std::uint64_t events = 0;
  };
  struct Source {
    IpAddr address;
    std::uint64_t events = 0;
  };
  struct Job {
    std::string name;
    std::uint64_t records = 0, bytes = 0;    // every data trace record of the job, socket data traced
    std::uint64_t bytes_in = 0, bytes_out = 0;  // received / sent by the job (direction bit; unknown: neither)
    std::uint64_t start_records = 0, end_records = 0;  // "API Data Flow Starts" / "Ends"
    std::uint64_t connections = 0;           // data trace connections whose first record was the job's
  };
  // One connection of the data trace (docs/ctrace.md "Data trace connections").
  struct DataConnection {
    enum class Analysis : std::uint8_t {
      data_trace,    // its socket data went to the application analyzers (FTP, DNS, TLS)
      packet_trace,  // the packet trace carries it: analysed from there, not twice
      not_stream,    // datagram or raw socket: no ordered stream to analyse
      tcp_off,       // the TCP analysis (and with it the application analysis) is off
    };
    std::uint64_t connection = 0;  // connection number (shared with TCP); 0 when not analysed
    std::string job;
    std::uint32_t cid = 0;
    IpAddr client, server;         // by ports when the roles are not known; none when the header has none
    std::uint16_t client_port = 0, server_port = 0;
    std::uint8_t domain = 0, type = 0, proto = 0;
    std::array<std::uint64_t, 2> records{}, bytes{};  // data records / socket data: [0] client -> server, [1] back
    bool start = false, end = false;  // start / end record seen
    std::int64_t first_ns = 0, last_ns = 0;
    Analysis analysis = Analysis::data_trace;
  };
  std::vector<Link> links;
  std::vector<Kind> kinds;
  std::vector<Discard> discards;
  std::vector<Probe> ids_probes;
  std::vector<Source> ids_sources;     // top 20 by events
  std::vector<Job> data_jobs;
  std::vector<DataConnection> data_connections;  // the first 10,000, in order of first record
  std::uint64_t data_connections_total = 0;
  std::uint64_t data_records_untracked = 0;      // records beyond the open-connection cap
  std::uint64_t abbreviated = 0, segmented = 0, local = 0, atls_clear = 0, atls_confidential = 0;
};

struct SummaryReport {
  // input
  std::string path;
  Format format = Format::unknown;  // of the unpacked data when the file is TERSE-packed
  std::uint64_t file_size = 0;
  std::optional<PackedInfo> packed;  // TERSE/AMATERSE packed input
  std::string filter;
  std::vector<InterfaceInfo> interfaces;
  std::vector<LinkTypeRow> link_types;
  ReadStats read;

  // accounting: read = filtered_out + decoded + malformed + truncated + unsupported
  struct {
    std::uint64_t read = 0, filtered_out = 0, decoded = 0, malformed = 0, truncated = 0, unsupported = 0;
  } records;

  struct {
    std::uint64_t total = 0, ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0, icmp = 0, icmpv6 = 0, arp = 0, other = 0,
                  fragments = 0, malformed = 0, truncated = 0;
  } packets;

  struct {
    std::uint64_t total = 0, captured = 0, ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0, icmp = 0, icmpv6 = 0, arp = 0,
                  other = 0;
  } bytes;

  std::optional<std::int64_t> first_ns, last_ns;

  std::vector<ProtocolRow> protocols;        // every top protocol seen, by bytes
  std::vector<ConversationRow> conversations; // top N by bytes
  std::uint64_t conversations_total = 0;      // distinct conversations tracked
  std::uint64_t conversations_untracked = 0;  // packets not tracked because the table was full

  struct {
    std::uint64_t ipv4 = 0, tcp = 0, udp = 0, icmp = 0, icmpv6 = 0;
  } checksum_errors;

  std::vector<DecodeProblemRow> decode_problems;
  IpReassemblyStats ip_reassembly;  // docs/decoding.md "IP reassembly"
  TunnelStats tunnels;              // docs/decoding.md "Tunnels"; shown when packets > 0

  FindingsReport findings;  // of every analyzer (include/ctana/findings.hpp)
  TcpReport tcp;
  FtpReport ftp;
  DnsReport dns;
  IcmpReport icmp;
  NetworkReport network;
  TlsReport tls;
  DhcpReport dhcp;
  std::optional<CtraceReport> ctrace;  // CTRACE input only
  // The sections of the protocol modules that ran (include/ctana/module.hpp), in registry order:
  // module name and section.
  std::vector<std::pair<std::string, std::shared_ptr<const ModuleSection>>> modules;

  int exit_code = 0;
};

}  // namespace ctana
