// TCP session analysis: connection tracking, per-packet analysis flags with Wireshark's
// definitions (tcp.analysis.*), IPCS SESSION categories, handshake and response times, end
// states, and the findings that feed the exception report. Definitions: docs/tcp.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctana/analyzer.hpp"
#include "ctana/findings.hpp"
#include "ctana/packet.hpp"
#include "ctana/stats.hpp"

namespace ctana {

// The two ends of a TCP connection: the client opened it (sent the SYN), the server answered.
// When no SYN was seen, the roles are inferred (see client_by_ports).
enum class Side : std::uint8_t { client, server };
constexpr Side other(Side s) { return s == Side::client ? Side::server : Side::client; }
// 0 for the client, 1 for the server: the index into per-side arrays such as TcpConnection::dir.
constexpr std::size_t index(Side s) { return static_cast<std::size_t>(s); }
inline constexpr std::array<Side, 2> kSides = {Side::client, Side::server};
std::string_view side_name(Side s);  // "client", "server"

// Wireshark tcp.analysis.* flags of one packet.
namespace tcpa {
inline constexpr std::uint32_t retransmission = 1u << 0, fast_retransmission = 1u << 1,
                               spurious_retransmission = 1u << 2, out_of_order = 1u << 3,
                               lost_segment = 1u << 4, ack_lost_segment = 1u << 5, duplicate_ack = 1u << 6,
                               zero_window = 1u << 7, zero_window_probe = 1u << 8,
                               zero_window_probe_ack = 1u << 9, keep_alive = 1u << 10, keep_alive_ack = 1u << 11,
                               window_update = 1u << 12, window_full = 1u << 13, reused_ports = 1u << 14;
inline constexpr int kCount = 15;
std::string_view name(int bit);  // "retransmission", ... as in tcp.analysis.<name>
}  // namespace tcpa

// IPCS SESSION packet categories; each packet gets exactly one (docs/tcp.md gives the order).
enum class TcpCat : std::uint8_t {
  in_order,        // (.) data that does not acknowledge new data
  ack,             // (a) pure acknowledgment
  data_ack,        // (+) data that also acknowledges new data
  dup_ack,         // (u)
  window_update,   // (w)
  zero_window,     // (z)
  probe,           // (p) zero window probe
  keepalive,       // (k)
  retransmission,  // (r) incl. fast and spurious
  out_of_order,    // (o)
  delayed_ack,     // (d)
  fragment,        // (f) carried in an IP fragment
  dropped,         // (!) CTRACE discard code
  control,         // (s) SYN, FIN or RST without data (ctana's addition)
  count
};
inline constexpr int kTcpCats = static_cast<int>(TcpCat::count);
char tcp_cat_letter(TcpCat c);
std::string_view tcp_cat_name(TcpCat c);

struct TcpOptions {
  std::int64_t delayed_ack_ns = 200'000'000;   // an ACK this late after the data is delayed
  std::int64_t idle_timeout_ns = 600'000'000'000;  // connections quiet this long are finished
  std::int64_t rt_threshold_ns = 1'000'000'000;    // response time over this is a finding
  std::int64_t end_grace_ns = 3'000'000'000;       // a handshake begun this close to the trace's end is no error
  std::size_t max_connections = 1'000'000;     // open at once; beyond: counted, not tracked
  std::vector<std::pair<std::string, std::uint16_t>> port_names;  // --port NAME=N
  std::vector<std::pair<IpAddr, int>> local_nets;                 // --local CIDR
  std::size_t reassembly_conn_bytes = 1u << 20;   // out-of-order bytes held per connection
  std::size_t reassembly_total_bytes = 64u << 20; // ... and in all connections together
};

struct TcpDirection {
  std::uint64_t packets = 0, ip_bytes = 0, payload_bytes = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  bool syn = false, fin = false, rst = false;
  std::int64_t fin_ns = 0, rst_ns = 0;
  std::uint64_t rst_frame = 0;     // the frame of the first RST
  // from this side's SYN
  bool has_mss = false, sack_permitted = false, timestamps = false;
  std::uint16_t mss = 0;
  int wscale = -1;                 // -1: no window scale option
  std::uint32_t initial_window = 0;
  std::uint64_t min_window = UINT64_MAX, max_window = 0;  // scaled, SYN excluded
  std::array<std::uint32_t, tcpa::kCount> flags{};   // packets with each tcp.analysis flag
  std::array<std::uint32_t, kTcpCats> cats{};        // packets in each category
  std::uint64_t untraced = 0;      // (x): gaps in this side's data never seen in the trace
};

enum class TcpState : std::uint8_t {
  syn_sent,        // SYN seen, nothing back
  refused,         // SYN answered by RST
  syn_received,    // SYN/ACK seen, no final ACK
  established,     // data can flow, no close seen
  closing,         // FIN from one side
  closed,          // FIN both ways
  reset,           // RST after establishment
};
std::string_view tcp_state_name(TcpState s);

struct TcpConnection {
  std::uint64_t id = 0;            // 1-based, in order of first packet
  IpAddr client, server;           // when the roles are unknown: client = first sender
  std::uint16_t client_port = 0, server_port = 0;
  bool roles_known = false;        // the SYN was seen
  std::string app;                 // by server port
  std::optional<Side> local;       // the traced host's side; none: unknown
  std::string local_rule;          // how local was decided
  std::array<TcpDirection, 2> dir; // indexed by the sender: [index(client)] client -> server
  TcpDirection& sent_by(Side s) { return dir[index(s)]; }
  const TcpDirection& sent_by(Side s) const { return dir[index(s)]; }
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t first_frame = 0, last_frame = 0;  // frame numbers (Packet::frame()) of the first and last packet
  TcpState state = TcpState::established;
  bool saw_start = false;          // SYN in the trace
  std::optional<Side> reset_by;    // who sent the RST that reset the connection
  std::optional<Side> first_fin_by;
  static constexpr std::int64_t kNoTime = INT64_MIN;
  std::int64_t syn_ns = kNoTime, synack_ns = kNoTime, ack_ns = kNoTime;  // first SYN, SYN/ACK, final ACK
  std::int64_t handshake_rtt_ns = -1;   // SYN -> ACK of SYN/ACK
  std::int64_t syn_synack_ns = -1;      // SYN -> SYN/ACK (server side of the capture point)
  std::int64_t synack_ack_ns = -1;      // SYN/ACK -> ACK (client side of the capture point)
  // request/response exchanges: client data then server data
  std::uint64_t exchanges = 0;
  std::int64_t rt_total_ns = 0, rt_max_ns = 0;
  // Where the time went (docs/tcp.md "Where the time went"): each pause between two packets of the
  // connection is given to one of these, so they sum to elapsed_ns() when the packets are in time order.
  std::int64_t server_time_ns = 0;      // host time: the server's turn (answering, or sending unasked)
  std::int64_t client_time_ns = 0;      // the client's turn (think time before its next request)
  std::int64_t stall_time_ns = 0;       // receiver stall: a zero window, or the sender's window full
  std::int64_t network_time_ns = 0;     // round trips, transfer and loss recovery
  std::int64_t idle_time_ns = 0;        // nothing outstanding and nobody's turn; keepalives
  std::uint64_t slow_responses = 0;
  bool evicted_idle = false;            // finished because idle past the timeout
  std::int64_t elapsed_ns() const { return last_ns - first_ns; }
};

struct TcpTotals {
  std::uint64_t connections = 0, packets = 0;
  std::array<std::uint64_t, tcpa::kCount> flags{};
  std::array<std::uint64_t, kTcpCats> cats{};
  std::uint64_t resets = 0;             // packets with RST
  std::uint64_t refused = 0, syn_unanswered = 0, handshake_incomplete = 0;
  std::uint64_t closed = 0, reset_connections = 0, open_at_end = 0;
  std::uint64_t untracked_packets = 0;  // connection table full
  std::uint64_t evicted_idle = 0;
  std::uint64_t peak_open = 0;
};

// Per-packet result, for the sequence-of-execution report.
struct TcpPacketInfo {
  std::uint64_t connection = 0;
  Side from = Side::client;        // the sender
  std::uint32_t flags = 0;         // tcpa bits
  TcpCat cat = TcpCat::ack;
  std::uint32_t rel_seq = 0, rel_ack = 0;
  std::uint64_t window = 0;        // scaled
};

// Ordered payload delivery to application analyzers (FTP, DNS over TCP, TLS...). Each direction
// of a connection is reassembled: bytes are handed over once, in order; what cannot be (never
// captured, cut by the snap length, or dropped when a buffer cap was reached) is announced as a
// gap, so the application analyzer knows exactly where its view of the stream has a hole.
class TcpStreamSink {
 public:
  virtual ~TcpStreamSink() = default;
  // A new connection: return true to receive its payload.
  virtual bool wants(const TcpConnection& c) = 0;
  // In-order bytes sent by `from` at stream offset `offset` (0 = first byte after the SYN, or the
  // first byte seen).
  virtual void on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts_ns) = 0;
  // Bytes [offset, offset + length) sent by `from` will never be delivered.
  virtual void on_gap(const TcpConnection& c, Side from, std::uint64_t offset, std::uint64_t length,
                      std::int64_t ts_ns) = 0;
  // The connection is finished; nothing more will come.
  virtual void on_close(const TcpConnection& c) = 0;
  // Asked after each on_data: false once the sink needs no more of this connection's payload (it
  // is not the protocol the sink looks for). The sink then gets nothing more for it, not even
  // on_close; a connection no sink keeps is no longer reassembled.
  virtual bool keeps(const TcpConnection& /*c*/) { return true; }
};

struct ReassemblyStats {
  std::uint64_t bytes_delivered = 0, bytes_gap = 0, segments_buffered = 0, overflow_bytes = 0;
  std::uint64_t buffered_now = 0, buffered_peak = 0;
};

class TcpAnalyzer final : public Analyzer {
 public:
  explicit TcpAnalyzer(TcpOptions opt);
  ~TcpAnalyzer() override;
  void on_packet(const Packet& p) override;
  bool takes_datagrams() const override { return true; }  // reassembled IP datagrams
  void on_idle(std::int64_t now_ns) override;
  void finish() override;

  // Called for every connection when it is finished (closed and quiet, idle, or at the end).
  // Several listeners may be added; they are called in the order they were added.
  void on_connection(std::function<void(const TcpConnection&)> f);
  // Called for every TCP packet after it was analysed.
  void on_tcp_packet(std::function<void(const Packet&, const TcpPacketInfo&, const TcpConnection&)> f);
  // Called for every finding, as it is found.
  void on_finding(FindingSink f);
  // Ordered payload delivery (see TcpStreamSink); the sink must outlive the analyzer's run.
  void add_stream_sink(TcpStreamSink* sink);
  const std::vector<TcpStreamSink*>& stream_sinks() const;
  // Other sources of ordered payload (the CTRACE data trace, DataTraceStreams) share the sinks and
  // the connection numbers. `claim` is asked for every new connection: true when that source
  // already delivers this connection's payload, which then is not reassembled for the sinks.
  void set_stream_claim(std::function<bool(const TcpConnection&)> claim);
  std::uint64_t new_connection_id();  // the next connection number, taken from the TCP numbering
  // Connections take their numbers from Record::connection (given by a pass over the whole trace,
  // before --filter and the time window): a packet without one is not tracked, and a packet whose
  // number differs from its endpoints' tracked connection starts a new connection.
  void number_from_records();
  // The number of the tracked connection between these endpoints (either order), 0 if none.
  std::uint64_t open_connection_id(const IpAddr& a, std::uint16_t pa, const IpAddr& b, std::uint16_t pb) const;
  const TcpOptions& options() const;
  const ReassemblyStats& reassembly() const;

  const TcpTotals& totals() const;
  // The traced host of a trace without direction (pcap): the address that is an endpoint of more
  // than half of the finished connections, if there is one (found whenever it is in more than
  // 56 % of them; a bounded count, docs/tcp.md "Local side"). Known after finish().
  std::optional<IpAddr> trace_host() const;
  const Samples& response_times() const;     // each request/response exchange, ns
  std::size_t bytes_per_connection() const;  // memory of one tracked connection

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A connection whose local side is the server's by default takes the trace's host (trace_host())
// as its local side when the host is one of its ends.
void take_trace_host(TcpConnection& c, const IpAddr& host);

std::string app_name_for_port(std::uint16_t port);
// The --app name of a port, else app_name_for_port().
std::string app_for_port(std::uint16_t port, const std::vector<std::pair<std::string, std::uint16_t>>& names);
// When the roles of a connection are not known (no SYN): whether the side with port `sport` is the
// client; the well-known (or lower) port is taken to be the server's.
bool client_by_ports(std::uint16_t sport, std::uint16_t dport,
                     const std::vector<std::pair<std::string, std::uint16_t>>& names);
// Whether `a` lies in one of the networks (address, prefix length).
bool in_networks(const IpAddr& a, const std::vector<std::pair<IpAddr, int>>& nets);
// Parse "10.1.0.0/16" or "2001:db8::/32" or a plain address (full length).
bool parse_cidr(const std::string& s, std::pair<IpAddr, int>& out);

}  // namespace ctana
