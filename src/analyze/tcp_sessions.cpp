// TCP session analysis. The per-packet analysis follows Wireshark's tcp_analyze_sequence_number()
// (epan/dissectors/packet-tcp.c) check by check, so that counts agree with tshark's
// tcp.analysis.* flags; docs/tcp.md defines each flag, the IPCS categories and every finding.
#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <absl/container/flat_hash_map.h>

#include "ctana/tcp.hpp"

#include "analyze/table_util.hpp"
#include "analyze/tcp_reassembly.hpp"

namespace ctana {

namespace tcpa {
std::string_view name(int bit) {
  static constexpr std::string_view kNames[kCount] = {
      "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order", "lost_segment",
      "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe", "zero_window_probe_ack",
      "keep_alive", "keep_alive_ack", "window_update", "window_full", "reused_ports"};
  return bit >= 0 && bit < kCount ? kNames[bit] : "";
}
}  // namespace tcpa

char tcp_cat_letter(TcpCat c) {
  static constexpr char kLetters[kTcpCats] = {'.', 'a', '+', 'u', 'w', 'z', 'p', 'k', 'r', 'o', 'd', 'f', '!', 's'};
  return kLetters[static_cast<int>(c)];
}

std::string_view tcp_cat_name(TcpCat c) {
  static constexpr std::string_view kNames[kTcpCats] = {
      "In-order data", "Acknowledgments", "Data and ACK",   "Duplicate ACKs", "Window size updates",
      "Zero window sizes", "Window probes", "Keepalive segments", "Retransmissions", "Out-of-order",
      "Delayed ACKs",  "Fragments",       "Dropped",        "SYN/FIN/RST"};
  return kNames[static_cast<int>(c)];
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    default: return "info";
  }
}

std::string_view tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::syn_sent: return "SYN unanswered";
    case TcpState::refused: return "refused";
    case TcpState::syn_received: return "handshake incomplete";
    case TcpState::established: return "open";
    case TcpState::closing: return "half-closed";
    case TcpState::closed: return "closed";
    case TcpState::reset: return "reset";
  }
  return "";
}

std::string app_name_for_port(std::uint16_t port) {
  switch (port) {
    case 20: return "ftp-data";
    case 21: return "ftp";
    case 22: return "ssh";
    case 23: return "telnet";
    case 25: return "smtp";
    case 53: return "dns";
    case 80: return "http";
    case 110: return "pop3";
    case 111: return "rpc";
    case 143: return "imap";
    case 389: return "ldap";
    case 443: return "https";
    case 445: return "smb";
    case 446: return "drda";
    case 465: return "smtps";
    case 514: return "syslog";
    case 623: return "rmcp";
    case 636: return "ldaps";
    case 989: return "ftps-data";
    case 990: return "ftps";
    case 992: return "telnets";
    case 993: return "imaps";
    case 1414: return "mq";
    case 1433: return "mssql";
    case 1521: return "oracle";
    case 3270: return "tn3270";
    case 3306: return "mysql";
    case 5432: return "postgresql";
    case 6379: return "redis";
    case 8080: return "http-alt";
    case 8443: return "https-alt";
    default: return "";
  }
}

std::string app_for_port(std::uint16_t port, const std::vector<std::pair<std::string, std::uint16_t>>& names) {
  for (const auto& [name, p] : names)
    if (p == port) return name;
  return app_name_for_port(port);
}

bool client_by_ports(std::uint16_t sport, std::uint16_t dport,
                     const std::vector<std::pair<std::string, std::uint16_t>>& names) {
  // The well-known (or lower) port is taken to be the server's.
  auto known = [&names](std::uint16_t port) { return port < 1024 || !app_for_port(port, names).empty(); };
  const bool s = known(sport), d = known(dport);
  if (s != d) return d;
  return sport >= dport;
}

bool in_networks(const IpAddr& a, const std::vector<std::pair<IpAddr, int>>& nets) {
  for (const auto& [net, bits] : nets) {
    if (net.version != a.version) continue;
    int left = bits;
    bool match = true;
    for (std::size_t i = 0; i < 16 && left > 0; ++i, left -= 8) {
      const auto mask = static_cast<std::uint8_t>(left >= 8 ? 0xff : (0xff << (8 - left)));
      if ((a.b[i] & mask) != (net.b[i] & mask)) {
        match = false;
        break;
      }
    }
    if (match) return true;
  }
  return false;
}

bool parse_cidr(const std::string& s, std::pair<IpAddr, int>& out) {
  const auto slash = s.find('/');
  const std::string addr = s.substr(0, slash);
  IpAddr a;
  std::uint8_t buf[16] = {0};
  int max_bits;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    a = IpAddr::v4(buf);
    max_bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    a = IpAddr::v6(buf);
    max_bits = 128;
  } else {
    return false;
  }
  int bits = max_bits;
  if (slash != std::string::npos) {
    const std::string b = s.substr(slash + 1);
    if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos) return false;
    bits = std::stoi(b);
    if (bits > max_bits) return false;
  }
  out = {a, bits};
  return true;
}

namespace {

// Sequence number comparisons modulo 2^32 (RFC 1982).
bool seq_lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
bool seq_gt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }
bool seq_le(std::uint32_t a, std::uint32_t b) { return !seq_gt(a, b); }

constexpr std::uint32_t kNone = 0xffffffffu;

// Wireshark's per-direction analysis state (struct tcp_flow_t / tcp_analyze_seq_flow_info_t of
// Wireshark 4.0). As there, sequence numbers are raw and 0 means "not seen yet".
struct Flow {
  bool base_set = false;
  std::uint32_t base_seq = 0;
  std::uint32_t nextseq = 0;
  std::int64_t nextseq_ns = 0;
  std::uint32_t maxseqtobeacked = 0;
  std::uint32_t lastack = 0;
  std::int64_t lastack_ns = 0;
  std::uint32_t window = kNone;  // last raw (unscaled) window, as sent
  std::int32_t dupacks = 0;
  std::uint32_t lastsegmentflags = 0;
  int win_scale = -1;            // -1 unknown, -2 not in use, >= 0 shift
  bool is_first_ack = false;     // a SYN was sent and no ACK without SYN since
  // ctana: data segments of this side not yet acknowledged by the peer, for delayed ACKs
  struct Pending {
    std::uint32_t end;
    std::int64_t ns;
  };
  std::array<Pending, 8> pending{};
  std::uint8_t pending_n = 0;
};

struct Key {
  IpAddr a, b;
  std::uint16_t pa = 0, pb = 0;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept { return hash_endpoints(k.a, k.b, k.pa, k.pb); }
};

struct AddrHash {
  std::size_t operator()(const IpAddr& a) const noexcept { return hash_endpoints(a, IpAddr{}, 0, 0); }
};

// Per-connection state for findings.
struct Watch {
  std::uint32_t syns = 0, synacks = 0;
  std::int64_t last_syn_ns = 0, max_syn_gap_ns = 0;
  // retransmission back-off: consecutive retransmissions of the same sequence number
  std::uint32_t rto_seq = 0;
  std::uint32_t rto_run = 0, rto_run_max = 0;
  std::int64_t rto_last_ns = 0, rto_last_gap_ns = 0;
  bool rto_growing = true, rto_backoff = false;
  std::int64_t rto_backoff_first_ns = 0;
  // zero window, per side
  std::array<std::int64_t, 2> zw_since{};
  std::array<std::int64_t, 2> zw_longest{};
  std::array<std::int64_t, 2> zw_longest_start{};
  std::array<std::uint32_t, 2> zw_probes{};
  std::array<bool, 2> zw_open{};
  // keepalives without an answer, per sender
  std::array<std::uint32_t, 2> ka_unanswered{};
  std::array<std::uint32_t, 2> ka_total{};
  // throughput per second of each side's new data, for throughput collapses
  std::array<std::int64_t, 2> sec_start{};
  std::array<std::uint64_t, 2> sec_bytes{}, peak_rate{}, low_rate{};
  std::array<std::uint32_t, 2> low_secs{}, collapse_secs{};
  std::array<std::int64_t, 2> low_since{}, collapse_ns{};
  std::array<std::uint64_t, 2> collapse_peak{}, collapse_rate{};
  // the largest sequence gap (lost_segment) per side
  std::array<std::uint32_t, 2> gap_max{};
  std::array<std::int64_t, 2> gap_ns{};
  std::int64_t last_data_ns = 0;       // any side
  bool any_data = false;
  std::int64_t idle_before_rst_ns = 0;
  std::int64_t last_client_data_ns = 0;
  bool awaiting_response = false;
};

// Payload reassembly of a connection whose payload an application analyzer wants.
struct Streams {
  detail::StreamReassembler dir[2];
  std::uint64_t sinks = 0;  // bit i: sinks[i] wants this connection
};

struct Conn {
  TcpConnection c;
  std::unique_ptr<Streams> streams;
  Flow flow[2];
  Watch w;
  std::int64_t first_rtt_ns = 0;  // Wireshark ts_first_rtt (last SYN -> first ACK)
  std::int64_t mru_syn_ns = TcpConnection::kNoTime;  // Wireshark ts_mru_syn
  std::uint32_t lru_prev = kNone, lru_next = kNone;
  std::uint8_t lru_list = 0;      // 0 open, 1 closed
  bool live = false;
};

struct SourceStats {  // per source address: scans and bursts of short connections
  std::uint32_t refused_listed = 0, refused_more = 0;  // refused connections listed one by one / not
  std::unordered_map<std::uint64_t, std::uint32_t> ports;  // (dst addr hash, port) -> SYNs
  std::uint32_t syns = 0, refused_or_unanswered = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint32_t short_conns = 0;
  IpAddr last_dst;
  std::uint16_t last_port = 0;
};

}  // namespace

struct TcpAnalyzer::Impl {
  TcpOptions opt;
  detail::Slots<Conn> conns;
  std::vector<std::uint32_t> free_slots;
  absl::flat_hash_map<Key, std::uint32_t, KeyHash> index;
  std::uint32_t lru_head[2] = {kNone, kNone}, lru_tail[2] = {kNone, kNone};
  std::uint64_t next_id = 1;
  std::uint64_t open = 0;
  std::int64_t now = 0, last_sweep = 0;
  TcpTotals totals;
  Samples response_times;
  std::vector<std::function<void(const TcpConnection&)>> conn_cbs;
  std::function<void(const Packet&, const TcpPacketInfo&, const TcpConnection&)> pkt_cb;
  std::function<void(const Finding&)> finding_cb;
  std::vector<TcpStreamSink*> sinks;
  std::function<bool(const TcpConnection&)> claim;
  ReassemblyStats rstats;
  std::vector<std::pair<IpAddr, SourceStats>> sources;  // small: per source address
  absl::flat_hash_map<IpAddr, std::size_t, AddrHash> source_index;
  static constexpr std::size_t kMaxSources = 4096;

  explicit Impl(TcpOptions o) : opt(std::move(o)) {}

  // ---- LRU lists (open connections, closed ones) ----
  void lru_unlink(std::uint32_t i) {
    Conn& c = conns[i];
    const int l = c.lru_list;
    if (c.lru_prev != kNone) conns[c.lru_prev].lru_next = c.lru_next;
    else lru_head[l] = c.lru_next;
    if (c.lru_next != kNone) conns[c.lru_next].lru_prev = c.lru_prev;
    else lru_tail[l] = c.lru_prev;
    c.lru_prev = c.lru_next = kNone;
  }
  void lru_push(std::uint32_t i, std::uint8_t l) {
    Conn& c = conns[i];
    c.lru_list = l;
    c.lru_prev = lru_tail[l];
    c.lru_next = kNone;
    if (lru_tail[l] != kNone) conns[lru_tail[l]].lru_next = i;
    else lru_head[l] = i;
    lru_tail[l] = i;
  }

  void emit(Finding f) {
    if (finding_cb) finding_cb(f);
  }

  bool is_local(const IpAddr& a) const { return in_networks(a, opt.local_nets); }

  std::string app_for(std::uint16_t port) const { return app_for_port(port, opt.port_names); }

  std::uint32_t create(const Packet& p, const Key& k) {
    const std::uint32_t i = conns.take(free_slots);
    Conn& cn = conns[i];
    cn.live = true;
    TcpConnection& c = cn.c;
    c.id = next_id++;
    const bool syn = p.tcp.flags & tcpflag::syn, ackf = p.tcp.flags & tcpflag::ack;
    bool src_is_client = true;
    if (syn) {
      c.roles_known = true;
      src_is_client = !ackf;  // SYN/ACK comes from the server
    } else {
      src_is_client = client_by_ports(p.tcp.sport, p.tcp.dport, opt.port_names);
    }
    c.client = src_is_client ? p.src : p.dst;
    c.server = src_is_client ? p.dst : p.src;
    c.client_port = src_is_client ? p.tcp.sport : p.tcp.dport;
    c.server_port = src_is_client ? p.tcp.dport : p.tcp.sport;
    c.first_ns = c.last_ns = p.rec->ts_ns;
    c.app = app_for(c.server_port);
    if (c.app.empty()) c.app = app_for(c.client_port);
    if (!sinks.empty() && !(claim && claim(c))) {  // a data trace may already deliver its payload
      std::uint64_t mask = 0;
      for (std::size_t s = 0; s < sinks.size() && s < 64; ++s)
        if (sinks[s]->wants(c)) mask |= std::uint64_t{1} << s;
      if (mask) {
        cn.streams = std::make_unique<Streams>();
        cn.streams->sinks = mask;
      }
    }
    index[k] = i;
    lru_push(i, 0);
    ++open;
    ++totals.connections;
    totals.peak_open = std::max(totals.peak_open, open);
    return i;
  }

  void finish_conn(std::uint32_t i, bool idle) {
    Conn& cn = conns[i];
    TcpConnection& c = cn.c;
    c.evicted_idle = idle;
    if (idle) ++totals.evicted_idle;
    c.app = app_for(c.server_port);
    if (c.app.empty()) c.app = app_for(c.client_port);  // e.g. active FTP data from port 20
    decide_local(c);
    // Final state.
    switch (c.state) {
      case TcpState::syn_sent: ++totals.syn_unanswered; break;
      case TcpState::refused: ++totals.refused; break;
      case TcpState::syn_received: ++totals.handshake_incomplete; break;
      case TcpState::closed: ++totals.closed; break;
      case TcpState::reset: ++totals.reset_connections; break;
      default: ++totals.open_at_end; break;
    }
    connection_findings(cn);
    track_source_end(cn);
    if (cn.streams) {
      detail::ReassemblyBudget b = budget();
      for (int d = 0; d < 2; ++d) cn.streams->dir[d].flush(c.last_ns, b, data_fn(cn, d), gap_fn(cn, d));
      for_sinks(cn, [&c](TcpStreamSink* s) { s->on_close(c); });
      cn.streams.reset();
    }
    for (const auto& cb : conn_cbs) cb(c);
    Key k = key_of(c);
    index.erase(k);
    lru_unlink(i);
    cn.live = false;
    free_slots.push_back(i);
    --open;
  }

  static Key key_of(const TcpConnection& c) {
    return detail::endpoint_key<Key>(c.client, c.client_port, c.server, c.server_port);
  }

  void decide_local(TcpConnection& c) const {
    if (!opt.local_nets.empty()) {
      const bool cl = is_local(c.client), sl = is_local(c.server);
      if (cl != sl) {
        c.local = cl ? 0 : 1;
        c.local_rule = "--local";
        return;
      }
    }
    if (c.local >= 0) return;  // decided from the trace's direction (CTRACE)
    c.local = 1;
    c.local_rule = c.roles_known ? "server side (default)" : "server side, inferred from ports (default)";
  }

  void sweep(std::int64_t t) {
    // Closed connections are finished after a short quiet time, open ones after idle_timeout.
    const std::int64_t closed_quiet = std::min<std::int64_t>(opt.idle_timeout_ns, 60'000'000'000);
    for (int l = 1; l >= 0; --l) {
      const std::int64_t limit = l == 1 ? closed_quiet : opt.idle_timeout_ns;
      while (lru_head[l] != kNone && conns[lru_head[l]].c.last_ns < t - limit) finish_conn(lru_head[l], l == 0);
    }
    last_sweep = t;
  }

  detail::ReassemblyBudget budget() {
    return detail::ReassemblyBudget{opt.reassembly_conn_bytes, opt.reassembly_total_bytes, rstats};
  }
  template <class F>
  void for_sinks(const Conn& cn, F&& f) {
    for (std::size_t s = 0; s < sinks.size() && s < 64; ++s)
      if (cn.streams->sinks & (std::uint64_t{1} << s)) f(sinks[s]);
  }
  detail::StreamReassembler::DataFn data_fn(Conn& cn, int d) {
    return [this, &cn, d](std::uint64_t off, Bytes b, std::int64_t ts) {
      for (std::size_t s = 0; s < sinks.size() && s < 64; ++s) {
        const std::uint64_t bit = std::uint64_t{1} << s;
        if (!(cn.streams->sinks & bit)) continue;
        sinks[s]->on_data(cn.c, d, off, b, ts);
        if (!sinks[s]->keeps(cn.c)) cn.streams->sinks &= ~bit;  // no more for that sink
      }
    };
  }
  detail::StreamReassembler::GapFn gap_fn(Conn& cn, int d) {
    return [this, &cn, d](std::uint64_t off, std::uint64_t len, std::int64_t ts) {
      for_sinks(cn, [&](TcpStreamSink* s) { s->on_gap(cn.c, d, off, len, ts); });
    };
  }
  void analyze(const Packet& p);
  std::uint32_t wireshark_flags(Conn& cn, int d, const Packet& p, std::uint32_t seglen, std::int64_t ts,
                                std::uint32_t f);
  void connection_findings(Conn& cn);
  void track_source_syn(const Packet& p, const TcpConnection& c);
  // The first 5 refused connections of a source are findings of their own; the rest are summed
  // up in one finding at the end (a scan would bury the report otherwise).
  bool refused_listed(const TcpConnection& c) {
    SourceStats* s = source(c.client);
    if (!s) return true;
    if (s->refused_listed < 5) {
      ++s->refused_listed;
      return true;
    }
    ++s->refused_more;
    return false;
  }
  void track_source_end(const Conn& cn);
  void global_findings();
  SourceStats* source(const IpAddr& a);
};

// ---------------------------------------------------------------------------------------------
// Wireshark's analysis, in its order. Returns the tcpa bits of this segment and updates the flows.

std::uint32_t TcpAnalyzer::Impl::wireshark_flags(Conn& cn, int d, const Packet& p, std::uint32_t seglen,
                                                 std::int64_t ts, std::uint32_t f) {
  Flow& fwd = cn.flow[d];
  Flow& rev = cn.flow[1 - d];
  const std::uint32_t seq = p.tcp.seq, ack = p.tcp.ack;
  const std::uint8_t fl = p.tcp.flags;
  const bool syn = fl & tcpflag::syn, fin = fl & tcpflag::fin, rst = fl & tcpflag::rst, ackf = fl & tcpflag::ack;
  const bool sfr = syn || fin || rst;
  const std::uint32_t window = p.tcp.window;

  // ZERO WINDOW PROBE
  if (seglen == 1 && seq == fwd.nextseq && rev.window == 0) {
    f |= tcpa::zero_window_probe;
    goto finished_fwd;
  }
  // ZERO WINDOW
  if (window == 0 && !sfr) f |= tcpa::zero_window;
  // LOST PACKET (previous segment not captured)
  if (fwd.nextseq && seq_gt(seq, fwd.nextseq) && !rst) f |= tcpa::lost_segment;
  // KEEP ALIVE
  if ((seglen == 0 || seglen == 1) && seq == fwd.nextseq - 1 && !sfr) f |= tcpa::keep_alive;
  // WINDOW UPDATE
  if (seglen == 0 && window && window != fwd.window && seq == fwd.nextseq && ack == fwd.lastack && !sfr)
    f |= tcpa::window_update;
  // WINDOW FULL
  if (seglen > 0 && rev.win_scale != -1 && !sfr) {
    const int shift = rev.is_first_ack ? 0 : (rev.win_scale == -2 ? 0 : rev.win_scale);
    if (seq + seglen == rev.lastack + (rev.window << shift)) f |= tcpa::window_full;
  }
  // KEEP ALIVE ACK
  if (seglen == 0 && window && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack &&
      (rev.lastsegmentflags & tcpa::keep_alive) && !sfr) {
    f |= tcpa::keep_alive_ack;
    goto finished_fwd;
  }
  // ZERO WINDOW PROBE ACK
  if (seglen == 0 && window == 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack &&
      (rev.lastsegmentflags & tcpa::zero_window_probe) && !sfr) {
    f |= tcpa::zero_window_probe_ack;
    goto finished_fwd;
  }
  // DUPLICATE ACK
  if (seglen == 0 && window && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack && !sfr) {
    fwd.dupacks = fwd.dupacks == -1 ? 1 : fwd.dupacks + 1;
    f |= tcpa::duplicate_ack;
  }

finished_fwd:
  if (ack != fwd.lastack) fwd.dupacks = 0;

  // ACKED LOST PACKET
  if (rev.maxseqtobeacked && seq_gt(ack, rev.maxseqtobeacked) && ackf) {
    if (seq_lt(rev.maxseqtobeacked, rev.nextseq)) {
      rev.maxseqtobeacked = rev.nextseq;
      f |= tcpa::ack_lost_segment;
    } else {
      if (rev.dupacks == 0) f |= tcpa::ack_lost_segment;
      rev.dupacks = -1;
    }
  }

  // RETRANSMISSION / SPURIOUS / FAST RETRANSMISSION / OUT-OF-ORDER
  if (seglen > 0 || syn || fin) {
    bool not_advanced = fwd.nextseq && seq_lt(seq, fwd.nextseq);
    if (f & tcpa::keep_alive) goto finished_retrans;
    if (seglen > 1 && fwd.nextseq - 1 == seq) not_advanced = false;
    if (seglen > 0 && rev.lastack && seq_le(seq + seglen, rev.lastack)) {
      f |= tcpa::spurious_retransmission;
      goto finished_retrans;
    }
    if (not_advanced && rev.dupacks >= 2 && rev.lastack == seq && ts - rev.lastack_ns < 20'000'000) {
      f |= tcpa::fast_retransmission;
      goto finished_retrans;
    }
    const std::int64_t ooo_thres = cn.first_rtt_ns ? cn.first_rtt_ns : 3'000'000;
    if (not_advanced && ts - fwd.nextseq_ns < ooo_thres && fwd.nextseq != seq + seglen + ((syn || fin) ? 1u : 0u)) {
      f |= tcpa::out_of_order;
      goto finished_retrans;
    }
    if (not_advanced) f |= tcpa::retransmission;
  }

finished_retrans:
  {
    std::uint32_t nextseq = seq + seglen;
    if ((seglen || syn || fin) && (syn || fin)) ++nextseq;
    if (seq_gt(nextseq, fwd.nextseq) || !fwd.nextseq) {
      if (!(f & tcpa::zero_window_probe)) {
        fwd.nextseq = nextseq;
        fwd.nextseq_ns = ts;
      }
    }
    if (seq == fwd.maxseqtobeacked || !fwd.maxseqtobeacked) {
      if (!(f & tcpa::zero_window_probe)) fwd.maxseqtobeacked = fwd.nextseq;
    }
  }
  fwd.window = window;
  fwd.lastack = ack;
  fwd.lastack_ns = ts;
  fwd.lastsegmentflags = f;
  return f;
}

// ---------------------------------------------------------------------------------------------

void TcpAnalyzer::Impl::analyze(const Packet& p) {
  const std::int64_t ts = p.rec->ts_ns;
  now = std::max(now, ts);
  if (now - last_sweep > 1'000'000'000) sweep(now);

  const Key k = detail::endpoint_key<Key>(p.src, p.tcp.sport, p.dst, p.tcp.dport);

  const std::uint8_t fl = p.tcp.flags;
  const bool syn = fl & tcpflag::syn, ackf = fl & tcpflag::ack, fin = fl & tcpflag::fin, rst = fl & tcpflag::rst;
  std::uint32_t f = 0;
  auto it = index.find(k);
  std::uint32_t i;
  if (it == index.end()) {
    if (open >= opt.max_connections) {
      ++totals.untracked_packets;
      return;
    }
    i = create(p, k);
  } else {
    i = it->second;
    Conn& old = conns[i];
    Flow& of = old.flow[(p.src == old.c.client && p.tcp.sport == old.c.client_port) ? 0 : 1];
    // Wireshark: a SYN whose sequence number differs from the flow's first one starts a new
    // conversation on the same ports; a repeated SYN restores the flow's next sequence number.
    if (syn && !ackf && of.base_set) {
      if (p.tcp.seq != of.base_seq) {
        finish_conn(i, false);
        i = create(p, k);
        f |= tcpa::reused_ports;
      } else {
        of.nextseq = of.maxseqtobeacked;
      }
    } else if (syn && ackf && of.base_set && p.tcp.seq != of.base_seq) {
      of.base_seq = p.tcp.seq;
      f |= tcpa::reused_ports;
    }
  }
  Conn& cn = conns[i];
  TcpConnection& c = cn.c;
  const int d = (p.src == c.client && p.tcp.sport == c.client_port) ? 0 : 1;
  TcpDirection& D = c.dir[d];
  Flow& fwd = cn.flow[d];
  Flow& rev = cn.flow[1 - d];
  const std::uint32_t seglen = p.malformed() ? 0 : p.payload_len;

  // The traced host's side, where the trace records directions (CTRACE, pcapng flags, SLL).
  if (c.local < 0 && p.dir != Direction::unknown) {
    c.local = p.dir == Direction::out ? d : 1 - d;
    c.local_rule = "trace direction";
  }

  // Relative sequence numbers start at the ISN (SYN) or one before the first segment seen.
  if (!fwd.base_set) {
    fwd.base_seq = syn ? p.tcp.seq : p.tcp.seq - 1;
    fwd.base_set = true;
  }
  if (!rev.base_set && ackf) {
    rev.base_seq = p.tcp.ack - 1;
    rev.base_set = true;
  }

  const bool ack_advances = ackf && fwd.lastack && seq_gt(p.tcp.ack, fwd.lastack);
  const std::uint32_t prev_nextseq = fwd.nextseq;
  // Wireshark does not analyse TCP inside IP fragments (it analyses the reassembled segment).
  if (!p.fragment && !p.malformed()) f = wireshark_flags(cn, d, p, seglen, ts, f);

  // After the analysis, as Wireshark does: window scaling from the SYN options
  // (verify_tcp_window_scaling), the first RTT, and the first-ACK marker.
  if (syn) {
    if (p.tcp.has_wscale) fwd.win_scale = std::min<int>(p.tcp.wscale, 14);
    if (fwd.win_scale == -1) {
      fwd.win_scale = -2;
      rev.win_scale = -2;
    } else if (ackf && rev.win_scale == -2) {
      fwd.win_scale = -2;
    }
    fwd.is_first_ack = true;
  }
  if (ackf && !syn) {
    if (cn.first_rtt_ns == 0 && cn.mru_syn_ns != TcpConnection::kNoTime) cn.first_rtt_ns = ts - cn.mru_syn_ns;
    fwd.is_first_ack = false;
  }
  if (syn && !ackf) {
    cn.mru_syn_ns = ts;
    if (c.syn_ns == TcpConnection::kNoTime) c.syn_ns = ts;
  }

  // Delayed ACK: a pure ACK for data of the peer that waited longer than the threshold.
  bool delayed = false;
  if (ackf && !syn && !fin && !rst) {
    auto& pend = rev.pending;
    std::uint8_t n = rev.pending_n, keep = 0;
    std::int64_t oldest = 0;
    bool covered = false;
    for (std::uint8_t j = 0; j < n; ++j) {
      if (seq_le(pend[j].end, p.tcp.ack)) {
        if (!covered) oldest = pend[j].ns;
        covered = true;
      } else {
        pend[keep++] = pend[j];
      }
    }
    rev.pending_n = keep;
    if (covered && seglen == 0 && ts - oldest >= opt.delayed_ack_ns) delayed = true;
  }
  if (seglen > 0 && !(f & (tcpa::retransmission | tcpa::fast_retransmission | tcpa::spurious_retransmission))) {
    auto& pend = fwd.pending;
    if (fwd.pending_n == pend.size()) {  // keep the oldest: drop the second oldest
      std::move(pend.begin() + 2, pend.end(), pend.begin() + 1);
      --fwd.pending_n;
    }
    pend[fwd.pending_n++] = {p.tcp.seq + seglen, ts};
  }

  // The packet's category.
  TcpCat cat;
  const std::uint32_t any_retrans = tcpa::retransmission | tcpa::fast_retransmission | tcpa::spurious_retransmission;
  if (p.rec->meta.discard_code) cat = TcpCat::dropped;
  else if (p.fragment) cat = TcpCat::fragment;
  else if (f & any_retrans) cat = TcpCat::retransmission;
  else if (f & tcpa::out_of_order) cat = TcpCat::out_of_order;
  else if (f & tcpa::zero_window_probe) cat = TcpCat::probe;
  else if (f & tcpa::keep_alive) cat = TcpCat::keepalive;
  else if (f & tcpa::zero_window) cat = TcpCat::zero_window;
  else if (f & tcpa::duplicate_ack) cat = TcpCat::dup_ack;
  else if (f & tcpa::window_update) cat = TcpCat::window_update;
  else if (seglen > 0) cat = ack_advances ? TcpCat::data_ack : TcpCat::in_order;
  else if (syn || fin || rst) cat = TcpCat::control;
  else if (delayed) cat = TcpCat::delayed_ack;
  else cat = TcpCat::ack;

  // Counters.
  ++totals.packets;
  ++D.packets;
  D.ip_bytes += p.ip_len;
  D.payload_bytes += seglen;
  if (D.packets == 1) D.first_ns = ts;
  D.last_ns = ts;
  c.last_ns = ts;
  c.first_ns = std::min(c.first_ns, ts);
  for (int b = 0; b < tcpa::kCount; ++b) {
    if (f & (1u << b)) {
      ++D.flags[static_cast<std::size_t>(b)];
      ++totals.flags[static_cast<std::size_t>(b)];
    }
  }
  ++D.cats[static_cast<std::size_t>(cat)];
  ++totals.cats[static_cast<std::size_t>(cat)];
  if (f & tcpa::lost_segment) ++D.untraced;
  if (rst) ++totals.resets;

  // Window sizes (scaled) and the SYN's options.
  if (syn) {
    D.syn = true;
    D.has_mss = p.tcp.has_mss;
    D.mss = p.tcp.mss;
    D.wscale = p.tcp.has_wscale ? p.tcp.wscale : -1;
    D.sack_permitted = p.tcp.sack_permitted;
    D.timestamps = p.tcp.has_timestamps;
    D.initial_window = p.tcp.window;
  } else {
    const std::uint64_t w = std::uint64_t{p.tcp.window} << (fwd.win_scale >= 0 ? fwd.win_scale : 0);
    D.min_window = std::min(D.min_window, w);
    D.max_window = std::max(D.max_window, w);
  }

  // Handshake and state machine.
  Watch& w = cn.w;
  if (syn && !ackf) {
    c.saw_start = true;
    ++w.syns;
    if (w.syns > 1) w.max_syn_gap_ns = std::max(w.max_syn_gap_ns, ts - w.last_syn_ns);
    w.last_syn_ns = ts;
    if (c.state == TcpState::established && !c.dir[1].packets) c.state = TcpState::syn_sent;
    if (w.syns == 1) {
      c.state = TcpState::syn_sent;
      track_source_syn(p, c);
    }
  } else if (syn && ackf) {
    ++w.synacks;
    if (c.synack_ns == TcpConnection::kNoTime) {
      c.synack_ns = ts;
      if (c.syn_ns != TcpConnection::kNoTime) c.syn_synack_ns = ts - c.syn_ns;
    }
    if (c.state == TcpState::syn_sent || !c.saw_start) c.state = TcpState::syn_received;
  }
  if (!syn && ackf && c.state == TcpState::syn_received && d == 0) {
    c.state = TcpState::established;
    if (c.ack_ns == TcpConnection::kNoTime) {
      c.ack_ns = ts;
      if (c.synack_ns != TcpConnection::kNoTime) c.synack_ack_ns = ts - c.synack_ns;
      if (c.syn_ns != TcpConnection::kNoTime) c.handshake_rtt_ns = ts - c.syn_ns;
    }
  }
  if (rst) {
    D.rst = true;
    if (!D.rst_ns) D.rst_ns = ts;
    if (c.state == TcpState::syn_sent && d == 1) {
      c.state = TcpState::refused;
    } else if (c.state != TcpState::refused && c.state != TcpState::reset) {
      c.state = TcpState::reset;
      c.reset_by = d;
      w.idle_before_rst_ns = w.any_data ? ts - w.last_data_ns : ts - c.first_ns;
    }
  }
  if (fin && !D.fin) {
    D.fin = true;
    D.fin_ns = ts;
    if (c.first_fin_by < 0) c.first_fin_by = d;
    if (c.state == TcpState::established || c.state == TcpState::syn_received || c.state == TcpState::syn_sent)
      c.state = TcpState::closing;
    if (c.dir[0].fin && c.dir[1].fin && c.state != TcpState::reset) c.state = TcpState::closed;
  }
  if (!syn && !rst && (c.state == TcpState::syn_sent) && d == 1) c.state = TcpState::established;
  if (seglen > 0 && (c.state == TcpState::syn_received || c.state == TcpState::syn_sent) && !syn)
    c.state = TcpState::established;
  if ((c.state == TcpState::closed || c.state == TcpState::reset || c.state == TcpState::refused) &&
      cn.lru_list == 0) {
    lru_unlink(i);
    lru_push(i, 1);
  }

  // Throughput per second of new data: a fall to under a tenth of the peak for 3 seconds or more
  // while the transfer goes on is a collapse.
  if (seglen > 0 && !(f & any_retrans)) {
    if (w.sec_start[d] == 0) w.sec_start[d] = ts;
    while (ts - w.sec_start[d] >= 1'000'000'000) {
      const std::uint64_t rate = w.sec_bytes[d];
      if (w.peak_rate[d] >= 100'000 && rate * 10 < w.peak_rate[d]) {
        if (w.low_secs[d]++ == 0) {
          w.low_since[d] = w.sec_start[d];
          w.low_rate[d] = rate;
        }
        w.low_rate[d] = std::max(w.low_rate[d], rate);
      } else {
        if (w.low_secs[d] >= 3 && w.low_secs[d] > w.collapse_secs[d]) {
          w.collapse_secs[d] = w.low_secs[d];
          w.collapse_ns[d] = w.low_since[d];
          w.collapse_peak[d] = w.peak_rate[d];
          w.collapse_rate[d] = w.low_rate[d];
        }
        w.low_secs[d] = 0;
        w.peak_rate[d] = std::max(w.peak_rate[d], rate);
      }
      w.sec_bytes[d] = 0;
      w.sec_start[d] += 1'000'000'000;
      if (ts - w.sec_start[d] > 3'600'000'000'000) w.sec_start[d] = ts;  // a long pause: start over
    }
    w.sec_bytes[d] += seglen;
  }

  // Request/response exchanges (client data, then server data).
  if (seglen > 0 && !(f & any_retrans)) {
    w.last_data_ns = ts;
    w.any_data = true;
    if (d == 0) {
      w.last_client_data_ns = ts;
      w.awaiting_response = true;
    } else if (w.awaiting_response) {
      const std::int64_t rt = ts - w.last_client_data_ns;
      ++c.exchanges;
      c.rt_total_ns += rt;
      c.rt_max_ns = std::max(c.rt_max_ns, rt);
      c.server_time_ns += rt;
      response_times.add(rt);
      if (rt > opt.rt_threshold_ns) ++c.slow_responses;
      w.awaiting_response = false;
    }
  }

  // Findings state.
  if (f & any_retrans && seglen > 0) {
    if (w.rto_run && p.tcp.seq == w.rto_seq) {
      const std::int64_t gap = ts - w.rto_last_ns;
      if (w.rto_run >= 2 && gap < w.rto_last_gap_ns * 9 / 10) w.rto_growing = false;
      w.rto_last_gap_ns = gap;
      ++w.rto_run;
    } else {
      w.rto_seq = p.tcp.seq;
      w.rto_run = 1;
      w.rto_growing = true;
      w.rto_last_gap_ns = ts - fwd.nextseq_ns;
      if (w.rto_last_gap_ns <= 0) w.rto_last_gap_ns = 1;
    }
    w.rto_last_ns = ts;
    if (w.rto_run >= 3 && w.rto_growing && !w.rto_backoff) {
      w.rto_backoff = true;
      w.rto_backoff_first_ns = ts;
    }
    w.rto_run_max = std::max(w.rto_run_max, w.rto_run);
  }
  if (ack_advances) {
    // The peer acknowledged: a back-off run in the other direction is over.
    if (w.rto_run && seq_gt(p.tcp.ack, w.rto_seq)) w.rto_run = 0;
  }
  // zero window advertised by d
  if (f & tcpa::zero_window) {
    if (!w.zw_open[d]) {
      w.zw_open[d] = true;
      w.zw_since[d] = ts;
    }
  } else if (w.zw_open[d] && !(f & tcpa::zero_window_probe_ack) && p.tcp.window > 0) {
    const std::int64_t dur = ts - w.zw_since[d];
    if (dur > w.zw_longest[d]) {
      w.zw_longest[d] = dur;
      w.zw_longest_start[d] = w.zw_since[d];
    }
    w.zw_open[d] = false;
  }
  // Any packet from this side answers the other side's keepalives.
  w.ka_unanswered[1 - d] = 0;
  if (f & tcpa::zero_window_probe) {
    ++w.zw_probes[1 - d];  // probes against the other side's window
  } else if (f & tcpa::keep_alive) {
    // Linux probes a zero window with keepalive-like segments: while the peer's window is closed
    // they are window probes, not keepalives.
    if (w.zw_open[1 - d]) {
      ++w.zw_probes[1 - d];
    } else {
      ++w.ka_unanswered[d];
      ++w.ka_total[d];
    }
  }
  if ((f & tcpa::lost_segment) && prev_nextseq) {
    const std::uint32_t gap = p.tcp.seq - prev_nextseq;
    if (gap > w.gap_max[d]) {
      w.gap_max[d] = gap;
      w.gap_ns[d] = ts;
    }
  }

  // Ordered payload for the application analyzers.
  if (cn.streams && !p.malformed() && !p.fragment) {
    detail::ReassemblyBudget b = budget();
    if (syn) cn.streams->dir[d].syn(p.tcp.seq);
    if (seglen) {
      const Bytes cap = head(p.payload, seglen);
      cn.streams->dir[d].segment(p.tcp.seq, seglen, cap, ts, b, data_fn(cn, d), gap_fn(cn, d));
    }
    if (fin) cn.streams->dir[d].fin(p.tcp.seq + seglen);
    if (ackf) cn.streams->dir[1 - d].acked(p.tcp.ack, ts, b, data_fn(cn, 1 - d), gap_fn(cn, 1 - d));
    if (cn.streams->sinks == 0) {  // every sink let go: release what is held, stop reassembling
      for (int e = 0; e < 2; ++e) cn.streams->dir[e].flush(ts, b, data_fn(cn, e), gap_fn(cn, e));
      cn.streams.reset();
    }
  }

  // LRU: most recently active at the tail.
  lru_unlink(i);
  lru_push(i, cn.lru_list);

  if (pkt_cb) {
    TcpPacketInfo info;
    info.connection = c.id;
    info.from = d;
    info.flags = f;
    info.cat = cat;
    info.rel_seq = fwd.base_set ? p.tcp.seq - fwd.base_seq : p.tcp.seq;
    info.rel_ack = (ackf && rev.base_set) ? p.tcp.ack - rev.base_seq : 0;
    info.window = syn ? p.tcp.window : std::uint64_t{p.tcp.window} << (fwd.win_scale >= 0 ? fwd.win_scale : 0);
    pkt_cb(p, info, c);
  }
}

// ---------------------------------------------------------------------------------------------
// Findings about one connection, made when it is finished.

namespace {
std::string ms(std::int64_t ns) { return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6); }
std::string secs(std::int64_t ns) { return fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9); }
}  // namespace

void TcpAnalyzer::Impl::connection_findings(Conn& cn) {
  TcpConnection& c = cn.c;
  Watch& w = cn.w;
  auto ep = [](const IpAddr& a, std::uint16_t port) {
    return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
  };
  // built only when a finding needs them: most connections have none
  auto conn = [&c, &ep] { return fmt::format("{} -> {}", ep(c.client, c.client_port), ep(c.server, c.server_port)); };
  auto side = [&c](int d) { return d == 0 ? fmt::format("client {}", c.client.str()) : fmt::format("server {}", c.server.str()); };
  auto add = [&](Severity s, const char* cat, const char* kind, std::int64_t ts, std::string sum, std::string expl) {
    emit(Finding{s, cat, kind, ts, c.id, std::move(sum), std::move(expl)});
  };

  if (c.state == TcpState::syn_sent) {
    add(Severity::error, "init", "syn_unanswered", c.syn_ns,
        fmt::format("{}: connection attempt never answered ({} SYN{}{})", conn(), w.syns, w.syns == 1 ? "" : "s",
                    w.syns > 1 ? fmt::format(", longest gap {}", secs(w.max_syn_gap_ns)) : ""),
        "The client sent SYN and retransmitted it, but neither a SYN/ACK nor a RST came back. A firewall "
        "dropping the SYN, a routing problem, or a server host that is down are the usual causes; a refused "
        "port would have answered with RST.");
  } else if (c.state == TcpState::refused && refused_listed(c)) {
    add(Severity::warning, "init", "refused", c.dir[1].rst_ns,
        fmt::format("{}: connection refused (SYN answered by RST)", conn()),
        "The server host answered the SYN with a reset: nothing listens on that port, or the listener's "
        "backlog was full, or a firewall rejects the connection.");
  } else if (c.state == TcpState::syn_received) {
    add(Severity::error, "init", "handshake_incomplete", c.synack_ns,
        fmt::format("{}: SYN/ACK sent {} time{} but the final ACK never came", conn(), w.synacks,
                    w.synacks == 1 ? "" : "s"),
        "The server answered the SYN, but the client's ACK did not arrive: the server's replies are "
        "probably not reaching the client (asymmetric routing, a firewall on the return path).");
  }

  if (w.rto_backoff && c.state == TcpState::reset) {
    add(Severity::error, "traffic", "retransmission_backoff_reset", w.rto_backoff_first_ns,
        fmt::format("{}: data retransmitted {} times with growing back-off, then the connection was reset", conn(),
                    w.rto_run_max),
        "One side kept retransmitting the same data with increasing intervals (exponential back-off) and was "
        "never acknowledged; then the connection was reset. The peer stopped acknowledging: it is gone, "
        "unreachable, or its replies are lost.");
  } else if (w.rto_run_max >= 3) {
    add(Severity::warning, "traffic", "retransmission_backoff", w.rto_backoff_first_ns ? w.rto_backoff_first_ns : c.first_ns,
        fmt::format("{}: the same segment was retransmitted {} times", conn(), w.rto_run_max),
        "Repeated retransmissions of one segment mean the receiver did not acknowledge it for a long time: "
        "heavy loss on the path or an unresponsive peer.");
  }

  for (int d = 0; d < 2; ++d) {
    const TcpDirection& D = c.dir[d];
    // zero window: still open at the end, or long
    std::int64_t longest = w.zw_longest[d], start = w.zw_longest_start[d];
    bool open_at_end = false;
    if (w.zw_open[d] && c.last_ns - w.zw_since[d] >= longest) {
      longest = c.last_ns - w.zw_since[d];
      start = w.zw_since[d];
      open_at_end = true;
    }
    if (D.flags[7] > 0 && longest >= 500'000'000) {
      add(open_at_end ? Severity::error : Severity::warning, "traffic", "zero_window", start,
          fmt::format("{}: {} advertised a zero window for {}{} ({} window probes)", conn(), side(d), secs(longest),
                      open_at_end ? (c.state == TcpState::reset ? ", then the connection was reset" : ", until the end")
                                  : ", then opened it again",
                      w.zw_probes[d]),
          "A zero window means the receiving application is not reading its data: the sender must stop. "
          "Look at the receiving application (busy, blocked, waiting on something else), not at the network.");
    }
    if (w.ka_unanswered[d] >= 2) {
      add(Severity::warning, "session", "keepalive_unanswered", c.last_ns,
          fmt::format("{}: the last {} keepalives from {} were not answered", conn(), w.ka_unanswered[d], side(d)),
          "Keepalive probes that get no reply mean the peer host or the path to it is gone; the connection "
          "will be dropped without a FIN or RST from the peer.");
    }
    if (w.gap_max[d] > 0) {
      // The receiver's MSS bounds this side's segments; without SYNs assume Ethernet's 1460.
      const std::uint32_t mss = c.dir[1 - d].has_mss && c.dir[1 - d].mss ? c.dir[1 - d].mss : 1460;
      const std::uint32_t segs = (w.gap_max[d] + mss - 1) / mss;
      if (segs >= 3) {
        add(Severity::warning, "traffic", "sequence_gap", w.gap_ns[d],
            fmt::format("{}: data from {} jumped {} bytes ahead: roughly {} segment{} missing", conn(), side(d),
                        w.gap_max[d], segs, segs == 1 ? "" : "s"),
            "Segments arrived with a large hole before them: packets were lost upstream of the capture point "
            "(or the trace dropped them). Retransmissions should follow; if they do not, the trace missed them.");
      }
    }
    const std::uint64_t data_pkts = D.cats[0] + D.cats[2] + D.cats[8];
    const std::uint64_t retrans = D.flags[0] + D.flags[1] + D.flags[2];
    // (a back-off of one segment is reported above and explains the rate)
    if (retrans >= 5 && data_pkts > 0 && retrans * 20 >= data_pkts && w.rto_run_max < 3) {
      add(Severity::warning, "traffic", "high_retransmission_rate", c.first_ns,
          fmt::format("{}: {} of {} data segments from {} were retransmissions ({:.1f}%)", conn(), retrans, data_pkts,
                      side(d), 100.0 * static_cast<double>(retrans) / static_cast<double>(data_pkts)),
          "More than 5% of the data was sent twice: packet loss or heavy reordering on the path slows this "
          "connection down.");
    }
    if (w.collapse_secs[d] >= 3) {
      add(Severity::warning, "traffic", "throughput_collapse", w.collapse_ns[d],
          fmt::format("{}: data from {} fell from {} B/s to at most {} B/s for {} s before it picked up again", conn(),
                      side(d), w.collapse_peak[d], w.collapse_rate[d], w.collapse_secs[d]),
          "The transfer slowed to a crawl and recovered: retransmission timeouts after losses, a stalled "
          "receiver (look for zero windows), or a sender waiting on its own disk or application.");
    }
    // window full: this side's data kept hitting the edge of the peer's receive window
    if (D.flags[13] >= 10 && data_pkts > 0 && std::uint64_t{D.flags[13]} * 20 >= data_pkts) {
      add(Severity::warning, "traffic", "window_limited", c.first_ns,
          fmt::format("{}: {} of {} data segments from {} filled the receiver's window (largest window {})", conn(),
                      D.flags[13], data_pkts, side(d),
                      c.dir[1 - d].max_window ? std::to_string(c.dir[1 - d].max_window) : std::string("unknown")),
          "The sender had more to send but the receiver's advertised window was full: throughput was limited by "
          "the receiver (a small receive buffer, or an application that reads slowly), not by the network.");
    }
    if (D.flags[4] > 0) {
      add(Severity::info, "traffic", "segments_not_captured", c.first_ns,
          fmt::format("{}: {} time{} data from {} continued past a gap: segments missing from the trace", conn(),
                      D.flags[4], D.flags[4] == 1 ? "" : "s", side(d)),
          "The sequence numbers jumped forward: the trace did not see some segments (lost before the capture "
          "point, or dropped by the capture itself).");
    }
  }

  if (c.state == TcpState::reset && c.reset_by >= 0) {
    const bool long_idle = w.idle_before_rst_ns >= 10'000'000'000;
    add(long_idle ? Severity::warning : Severity::info, "term", long_idle ? "reset_after_idle" : "reset",
        c.dir[c.reset_by].rst_ns,
        fmt::format("{}: reset by {} after {} without new data", conn(), side(c.reset_by), secs(w.idle_before_rst_ns)),
        long_idle ? "The connection was idle for a long time and then reset: one side gave up waiting (an "
                    "idle timeout, a keepalive failure, or a firewall that forgot the connection)."
                  : "The connection ended with a reset instead of an orderly FIN exchange.");
  }
  if (c.state == TcpState::closing && !c.evicted_idle) {
    add(Severity::info, "term", "half_closed", c.dir[c.first_fin_by].fin_ns,
        fmt::format("{}: {} sent FIN, the other side never did", conn(), side(c.first_fin_by)),
        "Only one side closed its half of the connection before the trace ended.");
  }
  if (c.slow_responses > 0) {
    add(Severity::warning, "response time", "slow_response", c.first_ns,
        fmt::format("{}: {} of {} responses took longer than {} (longest {})", conn(), c.slow_responses, c.exchanges,
                    ms(opt.rt_threshold_ns), ms(c.rt_max_ns)),
        "The server took long to answer a request once it had arrived: host (server) time, not network time.");
  }
}

SourceStats* TcpAnalyzer::Impl::source(const IpAddr& a) {
  auto it = source_index.find(a);
  if (it != source_index.end()) return &sources[it->second].second;
  if (sources.size() >= kMaxSources) return nullptr;
  source_index.emplace(a, sources.size());
  sources.emplace_back(a, SourceStats{});
  return &sources.back().second;
}

void TcpAnalyzer::Impl::track_source_syn(const Packet& p, const TcpConnection& c) {
  SourceStats* s = source(c.client);
  if (!s) return;
  if (!s->syns) s->first_ns = p.rec->ts_ns;
  s->last_ns = p.rec->ts_ns;
  ++s->syns;
  KeyHash h;
  Key k;
  k.a = c.server;
  k.pa = c.server_port;
  // Bounded: 1024 distinct destinations are plenty to recognise a scan (20 make one).
  const std::uint64_t key = h(k);
  if (s->ports.size() < 1024 || s->ports.count(key)) ++s->ports[key];
}

void TcpAnalyzer::Impl::track_source_end(const Conn& cn) {
  const TcpConnection& c = cn.c;
  if (!c.saw_start) return;
  SourceStats* s = source(c.client);
  if (!s) return;
  if (c.state == TcpState::refused || c.state == TcpState::syn_sent) ++s->refused_or_unanswered;
  if ((c.state == TcpState::closed || c.state == TcpState::reset) && c.elapsed_ns() < 2'000'000'000) {
    ++s->short_conns;
    s->last_dst = c.server;
    s->last_port = c.server_port;
  }
}

void TcpAnalyzer::Impl::global_findings() {
  if (totals.open_at_end > 0) {
    emit(Finding{Severity::info, "term", "still_open", now, 0,
                 fmt::format("{} connection{} still open at the end of the trace (no FIN or RST seen)",
                             totals.open_at_end, totals.open_at_end == 1 ? " was" : "s were"),
                 "Connections without a close are normal when the trace stops while they are in use; a "
                 "connection that should have ended may have been left open by its application."});
  }
  if (totals.evicted_idle > 0) {
    emit(Finding{Severity::info, "term", "idle_without_close", now, 0,
                 fmt::format("{} connection{} went quiet for longer than the idle timeout without a FIN or RST",
                             totals.evicted_idle, totals.evicted_idle == 1 ? "" : "s"),
                 "Idle connections that are never closed tie up resources on both hosts; a firewall may drop "
                 "them silently, and the next send will then fail."});
  }
  for (const auto& [addr, s] : sources) {
    if (s.refused_more) {
      emit(Finding{Severity::warning, "init", "refused", s.last_ns, 0,
                   fmt::format("{} more connections from {} were refused (the first 5 are listed one by one)",
                               s.refused_more, addr.str()),
                   "The server host answered these SYNs with resets: nothing listens on those ports."});
    }
    if (s.ports.size() >= 20 && s.refused_or_unanswered * 2 >= s.syns) {
      emit(Finding{Severity::warning, "session", "port_scan", s.first_ns, 0,
                   fmt::format("{} sent SYNs to {} different ports in {}; {} of {} were refused or unanswered",
                               addr.str(), s.ports.size(), secs(s.last_ns - s.first_ns), s.refused_or_unanswered,
                               s.syns),
                   "Many connection attempts from one host to many ports, most of them failing, is the pattern "
                   "of a port scan (or of a badly configured client trying ports in turn)."});
    }
    if (s.short_conns >= 20) {
      emit(Finding{Severity::warning, "session", "many_short_connections", s.first_ns, 0,
                   fmt::format("{} opened {} connections that lasted under 2 s each", addr.str(), s.short_conns),
                   "A burst of short connections from one source can be a login brute force, a health checker, "
                   "or a client without connection reuse."});
    }
  }
}

// ---------------------------------------------------------------------------------------------

TcpAnalyzer::TcpAnalyzer(TcpOptions opt) : impl_(std::make_unique<Impl>(std::move(opt))) {}
TcpAnalyzer::~TcpAnalyzer() = default;

void TcpAnalyzer::on_packet(const Packet& p) {
  // The ports and flags must be there (a complete 20-byte header); a packet whose options or
  // lengths are malformed still belongs to its connection, as in Wireshark, but is not analysed.
  if (p.l4 != L4::tcp || p.tcp.header_len < 20) return;
  impl_->analyze(p);
}

void TcpAnalyzer::on_idle(std::int64_t now_ns) { impl_->sweep(now_ns); }

void TcpAnalyzer::finish() {
  // Everything still tracked is finished, in order of first packet.
  std::vector<std::uint32_t> live;
  for (std::uint32_t i = 0; i < impl_->conns.size(); ++i)
    if (impl_->conns[i].live) live.push_back(i);
  std::sort(live.begin(), live.end(),
            [this](std::uint32_t a, std::uint32_t b) { return impl_->conns[a].c.id < impl_->conns[b].c.id; });
  for (std::uint32_t i : live) impl_->finish_conn(i, false);
  impl_->global_findings();
}

void TcpAnalyzer::on_connection(std::function<void(const TcpConnection&)> f) { impl_->conn_cbs.push_back(std::move(f)); }
void TcpAnalyzer::on_tcp_packet(std::function<void(const Packet&, const TcpPacketInfo&, const TcpConnection&)> f) {
  impl_->pkt_cb = std::move(f);
}
void TcpAnalyzer::on_finding(std::function<void(const Finding&)> f) { impl_->finding_cb = std::move(f); }
void TcpAnalyzer::add_stream_sink(TcpStreamSink* sink) { impl_->sinks.push_back(sink); }
const std::vector<TcpStreamSink*>& TcpAnalyzer::stream_sinks() const { return impl_->sinks; }
void TcpAnalyzer::set_stream_claim(std::function<bool(const TcpConnection&)> f) { impl_->claim = std::move(f); }
std::uint64_t TcpAnalyzer::new_connection_id() { return impl_->next_id++; }
std::uint64_t TcpAnalyzer::open_connection_id(const IpAddr& a, std::uint16_t pa, const IpAddr& b, std::uint16_t pb) const {
  const auto it = impl_->index.find(detail::endpoint_key<Key>(a, pa, b, pb));
  return it == impl_->index.end() ? 0 : impl_->conns[it->second].c.id;
}
const TcpOptions& TcpAnalyzer::options() const { return impl_->opt; }
const ReassemblyStats& TcpAnalyzer::reassembly() const { return impl_->rstats; }
const TcpTotals& TcpAnalyzer::totals() const { return impl_->totals; }
const Samples& TcpAnalyzer::response_times() const { return impl_->response_times; }
std::size_t TcpAnalyzer::bytes_per_connection() const {
  // slot + hash-map node (key, value, next pointer, cached hash) + bucket pointer
  return sizeof(Conn) + sizeof(Key) + sizeof(std::uint32_t) + 2 * sizeof(void*) + sizeof(std::size_t);
}

}  // namespace ctana
