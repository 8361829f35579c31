// TCP session analysis. The per-packet analysis follows Wireshark's tcp_analyze_sequence_number()
// (epan/dissectors/packet-tcp.c) check by check, so that counts agree with tshark's
// tcp.analysis.* flags; docs/tcp.md defines each flag, the IPCS categories and every finding.
#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <unordered_map>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

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

std::string_view side_name(Side s) { return s == Side::client ? "client" : "server"; }

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
  std::int64_t nextseq_ns = 0;
  std::int64_t lastack_ns = 0;
  std::uint32_t base_seq = 0;
  std::uint32_t nextseq = 0;
  std::uint32_t maxseqtobeacked = 0;
  std::uint32_t lastack = 0;
  std::uint32_t window = kNone;  // last raw (unscaled) window, as sent
  std::int32_t dupacks = 0;
  std::uint32_t lastsegmentflags = 0;
  std::int8_t win_scale = -1;    // -1 unknown, -2 not in use, >= 0 shift
  bool base_set = false;
  bool is_first_ack = false;     // a SYN was sent and no ACK without SYN since
  // ctana: data segments of this side not yet acknowledged by the peer (at most kPending), for
  // delayed ACKs: the sequence number after each and its time. Two fit in the flow; more (a bulk
  // transfer) move to `more`, allocated then.
  static constexpr std::uint8_t kPending = 8, kInline = 2;
  std::uint8_t pending_n = 0;
  std::array<std::uint32_t, kInline> end_inline{};
  std::array<std::int64_t, kInline> ns_inline{};
  struct More {
    std::array<std::uint32_t, kPending> end{};
    std::array<std::int64_t, kPending> ns{};
  };
  std::unique_ptr<More> more;
  std::uint32_t* pending_end() { return more ? more->end.data() : end_inline.data(); }
  std::int64_t* pending_ns() { return more ? more->ns.data() : ns_inline.data(); }
  // Room for one more pending segment (pending_n < kPending).
  void make_room() {
    if (pending_n < kInline || more) return;
    more = std::make_unique<More>();
    std::copy(end_inline.begin(), end_inline.end(), more->end.begin());
    std::copy(ns_inline.begin(), ns_inline.end(), more->ns.begin());
  }
};

// One value per side of a connection, indexed by Side.
template <class T>
struct PerSide {
  std::array<T, 2> v{};
  T& operator[](Side s) { return v[index(s)]; }
  const T& operator[](Side s) const { return v[index(s)]; }
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

// Per-connection state for findings that only unusual traffic needs (retransmission back-off,
// zero windows, keepalives, throughput falls, sequence gaps): allocated the first time one of
// them is seen, so that the common connection does not carry it (Watch::rare).
struct WatchRare {
  // retransmission back-off: consecutive retransmissions of the same sequence number
  std::uint32_t rto_seq = 0;
  std::uint32_t rto_run = 0, rto_run_max = 0;
  std::int64_t rto_last_ns = 0, rto_last_gap_ns = 0;
  bool rto_growing = true, rto_backoff = false;
  std::int64_t rto_backoff_first_ns = 0;
  // zero window, per side
  PerSide<std::int64_t> zw_since, zw_longest, zw_longest_start;
  PerSide<std::uint32_t> zw_probes;
  PerSide<bool> zw_open;
  // keepalives without an answer, per sender
  PerSide<std::uint32_t> ka_unanswered, ka_total;
  PerSide<std::int64_t> ka_first_unanswered_ns;  // the first keepalive of the current unanswered run
  // a fall of each side's throughput (see track_throughput)
  PerSide<std::uint64_t> low_rate;
  PerSide<std::uint32_t> low_secs, collapse_secs;
  PerSide<std::int64_t> low_since, collapse_ns;
  PerSide<std::uint64_t> collapse_peak, collapse_rate;
  // the largest sequence gap (lost_segment) per side
  PerSide<std::uint32_t> gap_max;
  PerSide<std::int64_t> gap_ns;
  // copies of packets (track_copies) that Wireshark's analysis calls retransmissions
  PerSide<std::uint32_t> copies_retrans;
};

// Per-connection state for findings.
struct Watch {
  std::uint32_t syns = 0, synacks = 0;
  std::int64_t last_syn_ns = 0, max_syn_gap_ns = 0;
  // throughput per second of each side's new data, for throughput collapses
  PerSide<std::int64_t> sec_start;
  PerSide<std::uint64_t> sec_bytes, peak_rate;
  std::int64_t last_data_ns = 0;       // any side
  std::int64_t idle_before_rst_ns = 0;
  std::int64_t last_client_data_ns = 0;
  bool any_data = false;
  bool awaiting_response = false;
  // where the time went (track_time): each side's last packet the other may answer (data, FIN,
  // an ACK of new data, the handshake's ACK); 0: none yet
  PerSide<std::int64_t> stimulus_ns;
  std::unique_ptr<WatchRare> rare_;    // none until needed
  WatchRare& rare() {
    if (!rare_) rare_ = std::make_unique<WatchRare>();
    return *rare_;
  }
  // What the findings read: the rare part, or its initial values.
  const WatchRare& seen() const {
    static const WatchRare kNothing{};
    return rare_ ? *rare_ : kNothing;
  }
  // A fingerprint of the packet before from each side, to recognise copies (track_copies); the
  // time of that packet is the flow's lastack_ns (PacketCtx::prev_ns).
  PerSide<std::uint64_t> last_print;
};

// Payload reassembly of a connection whose payload an application analyzer wants.
struct Streams {
  PerSide<detail::StreamReassembler> dir;  // by sender
  std::uint64_t sinks = 0;  // bit i: sinks[i] wants this connection
};

// Everything tracked about one connection.
struct ConnState {
  TcpConnection conn;                 // what is reported
  std::unique_ptr<Streams> streams;   // only while some sink wants the payload
  PerSide<Flow> flow;                 // by sender
  Watch watch;
  std::int64_t first_rtt_ns = 0;  // Wireshark ts_first_rtt (last SYN -> first ACK)
  std::int64_t mru_syn_ns = TcpConnection::kNoTime;  // Wireshark ts_mru_syn
  std::uint32_t lru_prev = kNone, lru_next = kNone;
  std::uint8_t lru_list = 0;      // 0 open, 1 closed
  bool live = false;
};

// The index of the connection table: a set of slot numbers, hashed and compared by the
// endpoints of the connection in the slot (4 bytes an entry instead of a copy of the endpoints),
// and looked up by the endpoints of a packet (Key).
Key key_of(const TcpConnection& c) { return detail::endpoint_key<Key>(c.client, c.client_port, c.server, c.server_port); }
struct SlotHash {
  using is_transparent = void;
  const detail::Slots<ConnState>* conns;
  std::size_t operator()(const Key& k) const noexcept { return KeyHash{}(k); }
  std::size_t operator()(std::uint32_t slot) const noexcept { return KeyHash{}(key_of((*conns)[slot].conn)); }
};
struct SlotEq {
  using is_transparent = void;
  const detail::Slots<ConnState>* conns;
  bool operator()(std::uint32_t x, std::uint32_t y) const noexcept { return x == y; }
  bool operator()(std::uint32_t slot, const Key& k) const noexcept { return key_of((*conns)[slot].conn) == k; }
  bool operator()(const Key& k, std::uint32_t slot) const noexcept { return (*this)(slot, k); }
};

// The side that sent packet p of connection c.
Side sender(const TcpConnection& c, const Packet& p) {
  return p.src == c.client && p.tcp.sport == c.client_port ? Side::client : Side::server;
}

constexpr std::uint32_t kAnyRetransmission =
    tcpa::retransmission | tcpa::fast_retransmission | tcpa::spurious_retransmission;

// What the steps of TcpAnalyzer::Impl::analyze() know about the packet at hand: its facts first,
// then what the steps decide, in their order.
struct PacketCtx {
  PacketCtx(const Packet& packet, std::uint32_t conn_slot, ConnState& state)
      : p(packet),
        ts(packet.rec->ts_ns),
        syn(packet.tcp.flags & tcpflag::syn),
        ack(packet.tcp.flags & tcpflag::ack),
        fin(packet.tcp.flags & tcpflag::fin),
        rst(packet.tcp.flags & tcpflag::rst),
        seglen(packet.malformed() ? 0 : packet.payload_len),
        slot(conn_slot),
        st(state),
        conn(state.conn),
        from(sender(state.conn, packet)),
        sent(conn.sent_by(from)),
        fwd(state.flow[from]),
        rev(state.flow[other(from)]) {}

  const Packet& p;
  const std::int64_t ts;
  const bool syn, ack, fin, rst;  // the TCP flags
  const std::uint32_t seglen;     // payload length; 0 when the packet is malformed
  const std::uint32_t slot;       // the connection's slot in Impl::conns
  ConnState& st;
  TcpConnection& conn;
  const Side from;                // the sender
  TcpDirection& sent;             // the sender's counters
  Flow& fwd;                      // Wireshark's flow of the sender
  Flow& rev;                      // ... and of its peer

  std::uint32_t analysis = 0;      // tcpa bits
  bool ack_advances = false;       // the ACK acknowledges new data of the peer
  std::uint32_t prev_nextseq = 0;  // the sender's next sequence number before this packet
  std::int64_t prev_ns = 0;        // the time of the sender's packet before (its flow's lastack_ns)
  bool delayed_ack = false;
  TcpCat cat = TcpCat::ack;
  bool copy = false;               // the same packet as the sender's one before (track_copies)
  // The connection as it was before this packet, for where the time went (track_time).
  struct Before {
    std::int64_t gap_ns = 0;       // since the connection's packet before
    PerSide<bool> outstanding;     // each side's sequence space (data, SYN, FIN) not yet acknowledged
    bool stall = false;            // a zero window in force, or the last segment filled the window
    bool awaiting = false;         // client data waiting for the server's answer
  } before;

  bool retransmitted() const { return analysis & kAnyRetransmission; }
  std::uint64_t scaled_window() const {
    return std::uint64_t{p.tcp.window} << (fwd.win_scale >= 0 ? fwd.win_scale : 0);
  }
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
  detail::Slots<ConnState> conns;                      // the tracked connections
  std::vector<std::uint32_t> free_slots;
  // endpoints -> slot in conns (a slot is in it from create() until finish_conn())
  absl::flat_hash_set<std::uint32_t, SlotHash, SlotEq> by_key{0, SlotHash{&conns}, SlotEq{&conns}};
  // LRU lists: [0] open connections, [1] closed ones; the least recently active at the head.
  std::uint32_t lru_head[2] = {kNone, kNone}, lru_tail[2] = {kNone, kNone};
  std::uint64_t next_id = 1;
  std::uint64_t open_conns = 0;                        // tracked now
  std::int64_t now = 0, last_sweep = 0;
  bool at_trace_end = false;                           // finish(): the connections left at the end
  bool numbered = false;                               // number_from_records()
  TcpTotals totals;
  // The endpoints of the finished connections, for trace_host(): the Misra–Gries summary (a
  // bounded count: each counter is at most 2C/(k+1) below its address's true count).
  struct HostCount {
    IpAddr addr;
    std::uint64_t n = 0;
    std::uint64_t served = 0;  // of those, as the server (while counted)
  };
  std::array<HostCount, 31> host_counts{};
  std::uint64_t host_conns = 0;
  void count_host(const IpAddr& a, bool server) {
    HostCount* free_slot = nullptr;
    for (HostCount& h : host_counts) {
      if (h.n && h.addr == a) {
        ++h.n;
        h.served += server;
        return;
      }
      if (!h.n && !free_slot) free_slot = &h;
    }
    if (free_slot) {
      *free_slot = {a, 1, server};
      return;
    }
    for (HostCount& h : host_counts)
      if (!--h.n) h.served = 0;
  }
  // copies of packets with the same TTL (track_copies), for the finding duplicate_packets
  struct {
    std::uint64_t packets = 0, as_retransmission = 0, as_dup_ack = 0, first_frame = 0, last_frame = 0;
    std::int64_t first_ns = 0, last_ns = 0, max_gap_ns = 0;
  } copies;
  Samples response_times;
  std::vector<std::function<void(const TcpConnection&)>> conn_cbs;
  std::function<void(const Packet&, const TcpPacketInfo&, const TcpConnection&)> packet_cb;
  FindingSink finding_cb;
  std::vector<TcpStreamSink*> sinks;
  std::function<bool(const TcpConnection&)> claim;
  ReassemblyStats reassembly_stats;
  std::vector<std::pair<IpAddr, SourceStats>> sources;  // small: per source address
  absl::flat_hash_map<IpAddr, std::size_t, AddrHash> source_index;
  static constexpr std::size_t kMaxSources = 4096;

  explicit Impl(TcpOptions o) : opt(std::move(o)) {}

  // ---- LRU lists (open connections, closed ones) ----
  void lru_unlink(std::uint32_t slot) {
    ConnState& st = conns[slot];
    const int l = st.lru_list;
    if (st.lru_prev != kNone) conns[st.lru_prev].lru_next = st.lru_next;
    else lru_head[l] = st.lru_next;
    if (st.lru_next != kNone) conns[st.lru_next].lru_prev = st.lru_prev;
    else lru_tail[l] = st.lru_prev;
    st.lru_prev = st.lru_next = kNone;
  }
  void lru_push(std::uint32_t slot, std::uint8_t l) {
    ConnState& st = conns[slot];
    st.lru_list = l;
    st.lru_prev = lru_tail[l];
    st.lru_next = kNone;
    if (lru_tail[l] != kNone) conns[lru_tail[l]].lru_next = slot;
    else lru_head[l] = slot;
    lru_tail[l] = slot;
  }

  void emit(Finding f) {
    if (finding_cb) finding_cb(f);
  }

  bool is_local(const IpAddr& a) const { return in_networks(a, opt.local_nets); }

  std::string app_for(std::uint16_t port) const { return app_for_port(port, opt.port_names); }

  std::uint32_t create(const Packet& p) {
    const std::uint32_t slot = conns.take(free_slots);
    ConnState& st = conns[slot];
    st.live = true;
    TcpConnection& c = st.conn;
    c.id = numbered ? p.rec->connection : next_id++;
    const bool syn = p.tcp.flags & tcpflag::syn, ack = p.tcp.flags & tcpflag::ack;
    bool src_is_client = true;
    if (syn) {
      c.roles_known = true;
      src_is_client = !ack;  // SYN/ACK comes from the server
    } else {
      src_is_client = client_by_ports(p.tcp.sport, p.tcp.dport, opt.port_names);
    }
    c.client = src_is_client ? p.src : p.dst;
    c.server = src_is_client ? p.dst : p.src;
    c.client_port = src_is_client ? p.tcp.sport : p.tcp.dport;
    c.server_port = src_is_client ? p.tcp.dport : p.tcp.sport;
    c.first_ns = c.last_ns = p.rec->ts_ns;
    c.first_frame = c.last_frame = p.frame();
    c.app = app_for(c.server_port);
    if (c.app.empty()) c.app = app_for(c.client_port);
    if (!sinks.empty() && !(claim && claim(c))) {  // a data trace may already deliver its payload
      std::uint64_t mask = 0;
      for (std::size_t s = 0; s < sinks.size() && s < 64; ++s)
        if (sinks[s]->wants(c)) mask |= std::uint64_t{1} << s;
      if (mask) {
        st.streams = std::make_unique<Streams>();
        st.streams->sinks = mask;
      }
    }
    by_key.insert(slot);  // (hashed by the endpoints just set: those of k)
    lru_push(slot, 0);
    ++open_conns;
    ++totals.connections;
    totals.peak_open = std::max(totals.peak_open, open_conns);
    return slot;
  }

  void finish_conn(std::uint32_t slot, bool idle) {
    ConnState& st = conns[slot];
    TcpConnection& c = st.conn;
    c.evicted_idle = idle;
    if (idle) ++totals.evicted_idle;
    c.app = app_for(c.server_port);
    if (c.app.empty()) c.app = app_for(c.client_port);  // e.g. active FTP data from port 20
    decide_local(c);
    ++host_conns;
    count_host(c.client, false);
    if (!(c.server == c.client)) count_host(c.server, true);
    // Final state.
    switch (c.state) {
      case TcpState::syn_sent: ++totals.syn_unanswered; break;
      case TcpState::refused: ++totals.refused; break;
      case TcpState::syn_received: ++totals.handshake_incomplete; break;
      case TcpState::closed: ++totals.closed; break;
      case TcpState::reset: ++totals.reset_connections; break;
      default: ++totals.open_at_end; break;
    }
    connection_findings(st);
    track_source_end(st);
    if (st.streams) {
      detail::ReassemblyBudget b = budget();
      for (const Side s : kSides) st.streams->dir[s].flush(c.last_ns, b, data_fn(st, s), gap_fn(st, s));
      for_sinks(st, [&c](TcpStreamSink* sink) { sink->on_close(c); });
      st.streams.reset();
    }
    for (const auto& cb : conn_cbs) cb(c);
    by_key.erase(slot);  // before the slot can be reused
    lru_unlink(slot);
    st.live = false;
    free_slots.push_back(slot);
    --open_conns;
  }


  void decide_local(TcpConnection& c) const {
    if (!opt.local_nets.empty()) {
      const bool client_local = is_local(c.client), server_local = is_local(c.server);
      if (client_local != server_local) {
        c.local = client_local ? Side::client : Side::server;
        c.local_rule = "--local";
        return;
      }
    }
    if (c.local) return;  // decided from the trace's direction (CTRACE)
    c.local = Side::server;
    c.local_rule = c.roles_known ? "server side (default)" : "server side, inferred from ports (default)";
  }

  void sweep(std::int64_t t) {
    // Closed connections are finished after a short quiet time, open ones after idle_timeout.
    const std::int64_t closed_quiet = std::min<std::int64_t>(opt.idle_timeout_ns, 60'000'000'000);
    for (int l = 1; l >= 0; --l) {
      const std::int64_t limit = l == 1 ? closed_quiet : opt.idle_timeout_ns;
      while (lru_head[l] != kNone && conns[lru_head[l]].conn.last_ns < t - limit) finish_conn(lru_head[l], l == 0);
    }
    last_sweep = t;
  }

  detail::ReassemblyBudget budget() {
    return detail::ReassemblyBudget{opt.reassembly_conn_bytes, opt.reassembly_total_bytes, reassembly_stats};
  }
  template <class F>
  void for_sinks(const ConnState& st, F&& f) {
    for (std::size_t s = 0; s < sinks.size() && s < 64; ++s)
      if (st.streams->sinks & (std::uint64_t{1} << s)) f(sinks[s]);
  }
  detail::StreamReassembler::DataFn data_fn(ConnState& st, Side from) {
    return [this, &st, from](std::uint64_t off, Bytes b, std::int64_t ts) {
      for (std::size_t s = 0; s < sinks.size() && s < 64; ++s) {
        const std::uint64_t bit = std::uint64_t{1} << s;
        if (!(st.streams->sinks & bit)) continue;
        sinks[s]->on_data(st.conn, from, off, b, ts);
        if (!sinks[s]->keeps(st.conn)) st.streams->sinks &= ~bit;  // no more for that sink
      }
    };
  }
  detail::StreamReassembler::GapFn gap_fn(ConnState& st, Side from) {
    return [this, &st, from](std::uint64_t off, std::uint64_t len, std::int64_t ts) {
      for_sinks(st, [&](TcpStreamSink* s) { s->on_gap(st.conn, from, off, len, ts); });
    };
  }

  // ---- one packet: analyze() and its steps, in their order ----
  void analyze(const Packet& p);
  void advance_clock(std::int64_t ts);
  // The slot of p's connection, made if new (or when p's SYN starts a new one on the same ports,
  // which adds tcpa::reused_ports to `analysis`); none when the table is full.
  std::optional<std::uint32_t> connection_for(const Packet& p, std::uint32_t& analysis);
  void note_trace_direction(PacketCtx& x);
  void set_sequence_bases(PacketCtx& x);
  std::uint32_t wireshark_flags(PacketCtx& x);
  void after_wireshark_analysis(PacketCtx& x);
  bool is_delayed_ack(PacketCtx& x);
  void remember_unacked_data(PacketCtx& x);
  static TcpCat category(const PacketCtx& x);
  void count_packet(PacketCtx& x);
  void record_windows_and_syn_options(PacketCtx& x);
  void track_handshake(PacketCtx& x);
  void track_close(PacketCtx& x);
  void track_throughput(PacketCtx& x);
  void track_exchanges(PacketCtx& x);
  void track_retransmission_backoff(PacketCtx& x);
  void track_zero_window(PacketCtx& x);
  void track_keepalives(PacketCtx& x);
  void track_sequence_gap(PacketCtx& x);
  void track_copies(PacketCtx& x);
  static void note_before(PacketCtx& x);
  void track_time(PacketCtx& x);
  void deliver_payload(PacketCtx& x);
  void report_packet(const PacketCtx& x);

  // ---- findings ----
  void connection_findings(ConnState& st);
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
  void track_source_end(const ConnState& st);
  void global_findings();
  SourceStats* source(const IpAddr& a);
};

// ---------------------------------------------------------------------------------------------
// Wireshark's analysis, in its order. Returns the tcpa bits of this segment and updates the flows.

std::uint32_t TcpAnalyzer::Impl::wireshark_flags(PacketCtx& x) {
  Flow& fwd = x.fwd;
  Flow& rev = x.rev;
  const std::uint32_t seq = x.p.tcp.seq, ack = x.p.tcp.ack, seglen = x.seglen;
  const std::int64_t ts = x.ts;
  const bool syn = x.syn, fin = x.fin, rst = x.rst, ackf = x.ack;
  const bool sfr = syn || fin || rst;
  const std::uint32_t window = x.p.tcp.window;
  std::uint32_t f = x.analysis;

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
    const std::int64_t ooo_thres = x.st.first_rtt_ns ? x.st.first_rtt_ns : 3'000'000;
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
// One packet, step by step. Each step reads what the steps before it decided (in PacketCtx) and
// updates the connection; their order is the order of the checks and is part of the result.

void TcpAnalyzer::Impl::analyze(const Packet& p) {
  advance_clock(p.rec->ts_ns);
  std::uint32_t analysis = 0;  // tcpa bits decided before the per-packet analysis (reused ports)
  const std::optional<std::uint32_t> slot = connection_for(p, analysis);
  if (!slot) return;  // the connection table is full
  PacketCtx x(p, *slot, conns[*slot]);
  x.analysis = analysis;

  note_trace_direction(x);
  set_sequence_bases(x);
  x.ack_advances = x.ack && x.fwd.lastack && seq_gt(p.tcp.ack, x.fwd.lastack);
  x.prev_nextseq = x.fwd.nextseq;
  x.prev_ns = x.fwd.lastack_ns;
  note_before(x);
  // Wireshark does not analyse TCP inside IP fragments (it analyses the reassembled segment).
  if (!p.fragment && !p.malformed()) x.analysis = wireshark_flags(x);
  after_wireshark_analysis(x);
  x.delayed_ack = is_delayed_ack(x);
  remember_unacked_data(x);
  x.cat = category(x);
  track_copies(x);

  count_packet(x);
  record_windows_and_syn_options(x);
  track_handshake(x);
  track_close(x);
  track_throughput(x);
  track_time(x);
  track_exchanges(x);
  track_retransmission_backoff(x);
  track_zero_window(x);
  track_keepalives(x);
  track_sequence_gap(x);
  deliver_payload(x);

  // LRU: most recently active at the tail.
  lru_unlink(x.slot);
  lru_push(x.slot, x.st.lru_list);

  if (packet_cb) report_packet(x);
}

void TcpAnalyzer::Impl::advance_clock(std::int64_t ts) {
  now = std::max(now, ts);
  if (now - last_sweep > 1'000'000'000) sweep(now);
}

std::optional<std::uint32_t> TcpAnalyzer::Impl::connection_for(const Packet& p, std::uint32_t& analysis) {
  const Key k = detail::endpoint_key<Key>(p.src, p.tcp.sport, p.dst, p.tcp.dport);
  const auto it = by_key.find(k);
  // Numbered by the whole trace: its numbering decides where a connection ends and the next on the
  // same endpoints begins (it saw the packets a filter or the time window drop).
  if (numbered && !p.rec->connection) {  // the whole trace's table was full
    ++totals.untracked_packets;
    return std::nullopt;
  }
  if (it == by_key.end()) {
    if (open_conns >= opt.max_connections) {
      ++totals.untracked_packets;
      return std::nullopt;
    }
    return create(p);
  }
  const std::uint32_t slot = *it;
  ConnState& old = conns[slot];
  Flow& flow = old.flow[sender(old.conn, p)];
  const bool syn = p.tcp.flags & tcpflag::syn, ack = p.tcp.flags & tcpflag::ack;
  if (numbered && old.conn.id != p.rec->connection) {
    const bool new_isn = syn && !ack && flow.base_set && p.tcp.seq != flow.base_seq;
    finish_conn(slot, false);
    if (new_isn) analysis |= tcpa::reused_ports;
    return create(p);
  }
  // Wireshark: a SYN whose sequence number differs from the flow's first one starts a new
  // conversation on the same ports (unless numbered: the numbering said it does not); a repeated
  // SYN restores the flow's next sequence number.
  if (syn && !ack && flow.base_set) {
    if (p.tcp.seq != flow.base_seq && !numbered) {
      finish_conn(slot, false);
      analysis |= tcpa::reused_ports;
      return create(p);
    }
    flow.nextseq = flow.maxseqtobeacked;
  } else if (syn && ack && flow.base_set && p.tcp.seq != flow.base_seq) {
    flow.base_seq = p.tcp.seq;
    analysis |= tcpa::reused_ports;
  }
  return slot;
}

// The traced host's side, where the trace records directions (CTRACE, pcapng flags, SLL).
void TcpAnalyzer::Impl::note_trace_direction(PacketCtx& x) {
  if (x.conn.local || x.p.dir == Direction::unknown) return;
  x.conn.local = x.p.dir == Direction::out ? x.from : other(x.from);
  x.conn.local_rule = "trace direction";
}

// Relative sequence numbers start at the ISN (SYN) or one before the first segment seen.
void TcpAnalyzer::Impl::set_sequence_bases(PacketCtx& x) {
  if (!x.fwd.base_set) {
    x.fwd.base_seq = x.syn ? x.p.tcp.seq : x.p.tcp.seq - 1;
    x.fwd.base_set = true;
  }
  if (!x.rev.base_set && x.ack) {
    x.rev.base_seq = x.p.tcp.ack - 1;
    x.rev.base_set = true;
  }
}

// After the analysis, as Wireshark does: window scaling from the SYN options
// (verify_tcp_window_scaling), the first RTT, and the first-ACK marker.
void TcpAnalyzer::Impl::after_wireshark_analysis(PacketCtx& x) {
  if (x.syn) {
    if (x.p.tcp.has_wscale) x.fwd.win_scale = static_cast<std::int8_t>(std::min<int>(x.p.tcp.wscale, 14));
    if (x.fwd.win_scale == -1) {
      x.fwd.win_scale = -2;
      x.rev.win_scale = -2;
    } else if (x.ack && x.rev.win_scale == -2) {
      x.fwd.win_scale = -2;
    }
    x.fwd.is_first_ack = true;
  }
  if (x.ack && !x.syn) {
    if (x.st.first_rtt_ns == 0 && x.st.mru_syn_ns != TcpConnection::kNoTime) x.st.first_rtt_ns = x.ts - x.st.mru_syn_ns;
    x.fwd.is_first_ack = false;
  }
  if (x.syn && !x.ack) {
    x.st.mru_syn_ns = x.ts;
    if (x.conn.syn_ns == TcpConnection::kNoTime) x.conn.syn_ns = x.ts;
  }
}

// Delayed ACK: a pure ACK for data of the peer that waited longer than the threshold. The peer's
// data this packet acknowledges is no longer pending.
bool TcpAnalyzer::Impl::is_delayed_ack(PacketCtx& x) {
  if (!x.ack || x.syn || x.fin || x.rst) return false;
  Flow& rev = x.rev;
  std::uint32_t* end = rev.pending_end();
  std::int64_t* ns = rev.pending_ns();
  std::uint8_t kept = 0;
  std::int64_t oldest_ns = 0;
  bool covered = false;
  for (std::uint8_t j = 0; j < rev.pending_n; ++j) {
    if (seq_le(end[j], x.p.tcp.ack)) {
      if (!covered) oldest_ns = ns[j];
      covered = true;
    } else {
      end[kept] = end[j];
      ns[kept++] = ns[j];
    }
  }
  rev.pending_n = kept;
  return covered && x.seglen == 0 && x.ts - oldest_ns >= opt.delayed_ack_ns;
}

// New data of this side waits for the peer's ACK (for the peer's delayed ACKs).
void TcpAnalyzer::Impl::remember_unacked_data(PacketCtx& x) {
  if (x.seglen == 0 || x.retransmitted()) return;
  Flow& fwd = x.fwd;
  if (fwd.pending_n == Flow::kPending) {  // keep the oldest: drop the second oldest
    std::move(fwd.pending_end() + 2, fwd.pending_end() + Flow::kPending, fwd.pending_end() + 1);
    std::move(fwd.pending_ns() + 2, fwd.pending_ns() + Flow::kPending, fwd.pending_ns() + 1);
    --fwd.pending_n;
  }
  fwd.make_room();
  fwd.pending_end()[fwd.pending_n] = x.p.tcp.seq + x.seglen;
  fwd.pending_ns()[fwd.pending_n++] = x.ts;
}

// The packet's category: the first that applies, in this order (docs/tcp.md).
TcpCat TcpAnalyzer::Impl::category(const PacketCtx& x) {
  const std::uint32_t f = x.analysis;
  if (x.p.rec->meta.discard_code) return TcpCat::dropped;
  if (x.p.fragment) return TcpCat::fragment;
  if (x.retransmitted()) return TcpCat::retransmission;
  if (f & tcpa::out_of_order) return TcpCat::out_of_order;
  if (f & tcpa::zero_window_probe) return TcpCat::probe;
  if (f & tcpa::keep_alive) return TcpCat::keepalive;
  if (f & tcpa::zero_window) return TcpCat::zero_window;
  if (f & tcpa::duplicate_ack) return TcpCat::dup_ack;
  if (f & tcpa::window_update) return TcpCat::window_update;
  if (x.seglen > 0) return x.ack_advances ? TcpCat::data_ack : TcpCat::in_order;
  if (x.syn || x.fin || x.rst) return TcpCat::control;
  if (x.delayed_ack) return TcpCat::delayed_ack;
  return TcpCat::ack;
}

void TcpAnalyzer::Impl::count_packet(PacketCtx& x) {
  TcpDirection& sent = x.sent;
  ++totals.packets;
  ++sent.packets;
  sent.ip_bytes += x.p.ip_len;
  sent.payload_bytes += x.seglen;
  if (sent.packets == 1) sent.first_ns = x.ts;
  sent.last_ns = x.ts;
  x.conn.last_ns = x.ts;
  x.conn.last_frame = x.p.frame();
  x.conn.first_ns = std::min(x.conn.first_ns, x.ts);
  for (int b = 0; b < tcpa::kCount; ++b) {
    if (x.analysis & (1u << b)) {
      ++sent.flags[static_cast<std::size_t>(b)];
      ++totals.flags[static_cast<std::size_t>(b)];
    }
  }
  ++sent.cats[static_cast<std::size_t>(x.cat)];
  ++totals.cats[static_cast<std::size_t>(x.cat)];
  if (x.analysis & tcpa::lost_segment) ++sent.untraced;
  if (x.rst) ++totals.resets;
}

// Window sizes (scaled) and the SYN's options.
void TcpAnalyzer::Impl::record_windows_and_syn_options(PacketCtx& x) {
  TcpDirection& sent = x.sent;
  const TcpInfo& h = x.p.tcp;
  if (x.syn) {
    sent.syn = true;
    sent.has_mss = h.has_mss;
    sent.mss = h.mss;
    sent.wscale = h.has_wscale ? h.wscale : -1;
    sent.sack_permitted = h.sack_permitted;
    sent.timestamps = h.has_timestamps;
    sent.initial_window = h.window;
  } else {
    const std::uint64_t window = x.scaled_window();
    sent.min_window = std::min(sent.min_window, window);
    sent.max_window = std::max(sent.max_window, window);
  }
}

// The handshake: SYN, SYN/ACK and the final ACK, their times, and the state they lead to.
void TcpAnalyzer::Impl::track_handshake(PacketCtx& x) {
  TcpConnection& c = x.conn;
  Watch& watch = x.st.watch;
  if (x.syn && !x.ack) {
    c.saw_start = true;
    ++watch.syns;
    if (watch.syns > 1) watch.max_syn_gap_ns = std::max(watch.max_syn_gap_ns, x.ts - watch.last_syn_ns);
    watch.last_syn_ns = x.ts;
    if (c.state == TcpState::established && !c.sent_by(Side::server).packets) c.state = TcpState::syn_sent;
    if (watch.syns == 1) {
      c.state = TcpState::syn_sent;
      track_source_syn(x.p, c);
    }
  } else if (x.syn && x.ack) {
    ++watch.synacks;
    if (c.synack_ns == TcpConnection::kNoTime) {
      c.synack_ns = x.ts;
      if (c.syn_ns != TcpConnection::kNoTime) c.syn_synack_ns = x.ts - c.syn_ns;
    }
    if (c.state == TcpState::syn_sent || !c.saw_start) c.state = TcpState::syn_received;
  }
  if (!x.syn && x.ack && c.state == TcpState::syn_received && x.from == Side::client) {
    c.state = TcpState::established;
    if (c.ack_ns == TcpConnection::kNoTime) {
      c.ack_ns = x.ts;
      if (c.synack_ns != TcpConnection::kNoTime) c.synack_ack_ns = x.ts - c.synack_ns;
      if (c.syn_ns != TcpConnection::kNoTime) c.handshake_rtt_ns = x.ts - c.syn_ns;
    }
  }
}

// RST and FIN, the states they lead to, and the move to the closed connections' LRU list.
void TcpAnalyzer::Impl::track_close(PacketCtx& x) {
  TcpConnection& c = x.conn;
  TcpDirection& sent = x.sent;
  Watch& watch = x.st.watch;
  if (x.rst) {
    sent.rst = true;
    if (!sent.rst_ns) {
      sent.rst_ns = x.ts;
      sent.rst_frame = x.p.frame();
    }
    if (c.state == TcpState::syn_sent && x.from == Side::server) {
      c.state = TcpState::refused;
    } else if (c.state != TcpState::refused && c.state != TcpState::reset) {
      c.state = TcpState::reset;
      c.reset_by = x.from;
      watch.idle_before_rst_ns = watch.any_data ? x.ts - watch.last_data_ns : x.ts - c.first_ns;
    }
  }
  if (x.fin && !sent.fin) {
    sent.fin = true;
    sent.fin_ns = x.ts;
    if (!c.first_fin_by) c.first_fin_by = x.from;
    if (c.state == TcpState::established || c.state == TcpState::syn_received || c.state == TcpState::syn_sent)
      c.state = TcpState::closing;
    if (c.sent_by(Side::client).fin && c.sent_by(Side::server).fin && c.state != TcpState::reset)
      c.state = TcpState::closed;
  }
  // Traffic that shows the connection got past its handshake.
  if (!x.syn && !x.rst && c.state == TcpState::syn_sent && x.from == Side::server) c.state = TcpState::established;
  if (x.seglen > 0 && (c.state == TcpState::syn_received || c.state == TcpState::syn_sent) && !x.syn)
    c.state = TcpState::established;
  if ((c.state == TcpState::closed || c.state == TcpState::reset || c.state == TcpState::refused) &&
      x.st.lru_list == 0) {
    lru_unlink(x.slot);
    lru_push(x.slot, 1);
  }
}

// Throughput per second of new data: a fall to under a tenth of the peak for 3 seconds or more
// while the transfer goes on is a collapse.
void TcpAnalyzer::Impl::track_throughput(PacketCtx& x) {
  if (x.seglen == 0 || x.retransmitted()) return;
  Watch& w = x.st.watch;
  const Side d = x.from;
  if (w.sec_start[d] == 0) w.sec_start[d] = x.ts;
  while (x.ts - w.sec_start[d] >= 1'000'000'000) {
    const std::uint64_t rate = w.sec_bytes[d];
    if (w.peak_rate[d] >= 100'000 && rate * 10 < w.peak_rate[d]) {
      WatchRare& r = w.rare();
      if (r.low_secs[d]++ == 0) {
        r.low_since[d] = w.sec_start[d];
        r.low_rate[d] = rate;
      }
      r.low_rate[d] = std::max(r.low_rate[d], rate);
    } else {
      if (WatchRare* r = w.rare_.get()) {
        if (r->low_secs[d] >= 3 && r->low_secs[d] > r->collapse_secs[d]) {
          r->collapse_secs[d] = r->low_secs[d];
          r->collapse_ns[d] = r->low_since[d];
          r->collapse_peak[d] = w.peak_rate[d];
          r->collapse_rate[d] = r->low_rate[d];
        }
        r->low_secs[d] = 0;
      }
      w.peak_rate[d] = std::max(w.peak_rate[d], rate);
    }
    w.sec_bytes[d] = 0;
    w.sec_start[d] += 1'000'000'000;
    if (x.ts - w.sec_start[d] > 3'600'000'000'000) w.sec_start[d] = x.ts;  // a long pause: start over
  }
  w.sec_bytes[d] += x.seglen;
}

// Request/response exchanges (client data, then server data).
void TcpAnalyzer::Impl::track_exchanges(PacketCtx& x) {
  if (x.seglen == 0 || x.retransmitted()) return;
  Watch& w = x.st.watch;
  TcpConnection& c = x.conn;
  w.last_data_ns = x.ts;
  w.any_data = true;
  if (x.from == Side::client) {
    w.last_client_data_ns = x.ts;
    w.awaiting_response = true;
  } else if (w.awaiting_response) {
    const std::int64_t rt = x.ts - w.last_client_data_ns;
    ++c.exchanges;
    c.rt_total_ns += rt;
    c.rt_max_ns = std::max(c.rt_max_ns, rt);
    response_times.add(rt);
    if (rt > opt.rt_threshold_ns) ++c.slow_responses;
    w.awaiting_response = false;
  }
}

// Where the time went. The pause since the connection's packet before goes to one part, by the
// state before this packet and by what this packet is, in this order:
//  - a receiver stall: a zero window in force (either side), or the sender's window was full;
//  - idle: this packet is a keepalive or its answer;
//  - the sender's turn (client: think time; server: host time): new data from a side with nothing
//    outstanding, or a pure ACK of the peer's data, FIN excluded (the receiving host's time to
//    acknowledge, after the round trip below);
//  - network: data, SYN or FIN outstanding (round trips, transfer, loss recovery);
//  - the server's turn: a request (client data) waiting for its answer, acknowledged;
//  - idle: nothing outstanding and nobody's turn.
// A turn includes the round trip between the capture point and that side (measured by the
// handshake: SYN -> SYN/ACK for the server, SYN/ACK -> ACK for the client): what of the turn lies
// within that round trip after the other side's last packet it may answer (data, FIN, an ACK of new
// data) is network time. So a capture at the client does not count the path to the server as host
// time, nor a capture at the server the path to the client as client time.
void TcpAnalyzer::Impl::note_before(PacketCtx& x) {
  PacketCtx::Before& b = x.before;
  const TcpConnection& c = x.conn;
  if (c.dir[0].packets + c.dir[1].packets == 0) return;
  b.gap_ns = std::max<std::int64_t>(0, x.ts - c.last_ns);
  for (const Side d : kSides) {
    const Flow& sent = x.st.flow[d];
    const Flow& peer = x.st.flow[other(d)];
    b.outstanding[d] = sent.nextseq && (!peer.lastack || seq_gt(sent.nextseq, peer.lastack));
    if ((sent.lastsegmentflags & tcpa::window_full) && b.outstanding[d]) b.stall = true;
  }
  if (const WatchRare* r = x.st.watch.rare_.get(); r && (r->zw_open[Side::client] || r->zw_open[Side::server]))
    b.stall = true;
  b.awaiting = x.st.watch.awaiting_response;
}

void TcpAnalyzer::Impl::track_time(PacketCtx& x) {
  const PacketCtx::Before& b = x.before;
  TcpConnection& c = x.conn;
  Watch& w = x.st.watch;
  const bool new_data =
      x.seglen > 0 && !x.retransmitted() && !(x.analysis & (tcpa::keep_alive | tcpa::zero_window_probe));
  const std::int64_t gap = b.gap_ns;
  const bool handshake_done = x.from == Side::client && !x.syn && c.ack_ns == x.ts;
  const bool acks_peer = x.ack_advances && x.seglen == 0 && !x.syn && !x.fin && !x.rst && !handshake_done &&
                         !b.outstanding[x.from] && b.outstanding[other(x.from)];
  std::optional<Side> turn;
  std::int64_t* part = nullptr;
  if (gap <= 0) {
    // nothing to share out
  } else if (b.stall) {
    part = &c.stall_time_ns;
  } else if (x.analysis & (tcpa::keep_alive | tcpa::keep_alive_ack)) {
    part = &c.idle_time_ns;
  } else if ((new_data && !b.outstanding[x.from]) || acks_peer) {
    turn = x.from;
  } else if (b.outstanding[Side::client] || b.outstanding[Side::server]) {
    part = &c.network_time_ns;
  } else if (b.awaiting) {
    turn = Side::server;
  } else {
    part = &c.idle_time_ns;
  }
  if (turn) {
    // the part of the pause within a round trip (capture point <-> this side) after what it answers
    std::int64_t network = 0;
    if (const std::int64_t stimulus = w.stimulus_ns[other(*turn)]) {
      const std::int64_t rtt = *turn == Side::server ? c.syn_synack_ns : c.synack_ack_ns;
      network = std::clamp<std::int64_t>(stimulus + std::max<std::int64_t>(rtt, 0) - (x.ts - gap), 0, gap);
    }
    c.network_time_ns += network;
    (*turn == Side::client ? c.client_time_ns : c.server_time_ns) += gap - network;
  } else if (part) {
    *part += gap;
  }
  if (x.seglen > 0 || x.fin || x.ack_advances || handshake_done) w.stimulus_ns[x.from] = x.ts;
}

// A copy: the same IP packet as the one the same side sent before (same IP ID, TTL, TCP sequence and
// acknowledgment numbers, flags, window, length and timestamp value) within 10 ms. A span port that
// copies both directions, two capture interfaces, or a capture on both sides of a device deliver a
// packet twice; Wireshark's analysis calls the second one a retransmission or a duplicate ACK (and
// ctana's counts keep its flags), but the findings about loss and back-off leave copies out. A TCP
// retransmission gets a new IP ID (and a new timestamp value) and comes an RTO or a round trip later.
// A copy with another TTL is a packet passing the capture point again (a routing loop, counted by
// the network analyzer), one with the same TTL a duplicate of the capture (duplicate_packets).
void TcpAnalyzer::Impl::track_copies(PacketCtx& x) {
  if (x.p.l3 != L3::ipv4 || x.p.fragment || x.p.malformed()) return;
  const TcpInfo& h = x.p.tcp;
  // 56 bits of a hash of the fields, and the TTL in the low byte; never 0 (0: nothing yet)
  std::uint64_t v = x.p.ip_id;
  for (const std::uint64_t f : {std::uint64_t{h.seq}, std::uint64_t{h.ack}, std::uint64_t{h.ts_val},
                                std::uint64_t{x.seglen}, (std::uint64_t{h.window} << 8) | h.flags})
    v = (v ^ f) * 0x9E3779B97F4A7C15ULL + (v >> 29);
  const std::uint64_t print = (v & ~std::uint64_t{0xFF}) | x.p.ttl | (v == 0 ? 0x100 : 0);
  std::uint64_t& last = x.st.watch.last_print[x.from];
  const bool same = last && (last >> 8) == (print >> 8) && x.ts >= x.prev_ns && x.ts - x.prev_ns <= 10'000'000;
  if (!same) {
    last = print;
    return;
  }
  // the original stays the packet to compare with
  x.copy = true;
  if (x.retransmitted() && x.seglen > 0) ++x.st.watch.rare().copies_retrans[x.from];
  if ((last & 0xFF) == x.p.ttl) {
    if (!copies.packets++) {
      copies.first_ns = x.ts;
      copies.first_frame = x.p.frame();
    }
    copies.last_ns = x.ts;
    copies.last_frame = x.p.frame();
    copies.max_gap_ns = std::max(copies.max_gap_ns, x.ts - x.prev_ns);
    if (x.retransmitted()) ++copies.as_retransmission;
    if (x.analysis & tcpa::duplicate_ack) ++copies.as_dup_ack;
  }
}

// Retransmissions of the same segment with growing intervals (exponential back-off).
void TcpAnalyzer::Impl::track_retransmission_backoff(PacketCtx& x) {
  Watch& watch = x.st.watch;
  if (x.retransmitted() && x.seglen > 0 && !x.copy) {
    WatchRare& w = watch.rare();
    if (w.rto_run && x.p.tcp.seq == w.rto_seq) {
      const std::int64_t gap = x.ts - w.rto_last_ns;
      if (w.rto_run >= 2 && gap < w.rto_last_gap_ns * 9 / 10) w.rto_growing = false;
      w.rto_last_gap_ns = gap;
      ++w.rto_run;
    } else {
      w.rto_seq = x.p.tcp.seq;
      w.rto_run = 1;
      w.rto_growing = true;
      w.rto_last_gap_ns = x.ts - x.fwd.nextseq_ns;
      if (w.rto_last_gap_ns <= 0) w.rto_last_gap_ns = 1;
    }
    w.rto_last_ns = x.ts;
    if (w.rto_run >= 3 && w.rto_growing && !w.rto_backoff) {
      w.rto_backoff = true;
      w.rto_backoff_first_ns = x.ts;
    }
    w.rto_run_max = std::max(w.rto_run_max, w.rto_run);
  }
  // The peer acknowledged: a back-off run in the other direction is over.
  WatchRare* w = watch.rare_.get();
  if (w && x.ack_advances && w->rto_run && seq_gt(x.p.tcp.ack, w->rto_seq)) w->rto_run = 0;
}

// A zero window advertised by the sender: since when, and the longest one.
void TcpAnalyzer::Impl::track_zero_window(PacketCtx& x) {
  Watch& watch = x.st.watch;
  const Side d = x.from;
  if (x.analysis & tcpa::zero_window) {
    WatchRare& w = watch.rare();
    if (!w.zw_open[d]) {
      w.zw_open[d] = true;
      w.zw_since[d] = x.ts;
    }
  } else if (WatchRare* w = watch.rare_.get();
             w && w->zw_open[d] && !(x.analysis & tcpa::zero_window_probe_ack) && x.p.tcp.window > 0) {
    const std::int64_t duration = x.ts - w->zw_since[d];
    if (duration > w->zw_longest[d]) {
      w->zw_longest[d] = duration;
      w->zw_longest_start[d] = w->zw_since[d];
    }
    w->zw_open[d] = false;
  }
}

// Keepalives without an answer, and window probes against the peer's zero window.
void TcpAnalyzer::Impl::track_keepalives(PacketCtx& x) {
  if (x.copy) return;  // a keepalive captured twice is one keepalive
  Watch& watch = x.st.watch;
  const Side peer = other(x.from);
  // Any packet from this side answers the other side's keepalives.
  if (watch.rare_) watch.rare_->ka_unanswered[peer] = 0;
  if (x.analysis & tcpa::zero_window_probe) {
    ++watch.rare().zw_probes[peer];  // probes against the other side's window
  } else if (x.analysis & tcpa::keep_alive) {
    WatchRare& w = watch.rare();
    // Linux probes a zero window with keepalive-like segments: while the peer's window is closed
    // they are window probes, not keepalives.
    if (w.zw_open[peer]) {
      ++w.zw_probes[peer];
    } else {
      if (!w.ka_unanswered[x.from]++) w.ka_first_unanswered_ns[x.from] = x.ts;
      ++w.ka_total[x.from];
    }
  }
}

// The largest jump ahead of the sender's sequence numbers (segments lost before the capture).
void TcpAnalyzer::Impl::track_sequence_gap(PacketCtx& x) {
  if (!(x.analysis & tcpa::lost_segment) || !x.prev_nextseq) return;
  WatchRare& w = x.st.watch.rare();
  const std::uint32_t gap = x.p.tcp.seq - x.prev_nextseq;
  if (gap > w.gap_max[x.from]) {
    w.gap_max[x.from] = gap;
    w.gap_ns[x.from] = x.ts;
  }
}

// Ordered payload for the application analyzers.
void TcpAnalyzer::Impl::deliver_payload(PacketCtx& x) {
  ConnState& st = x.st;
  if (!st.streams || x.p.malformed() || x.p.fragment) return;
  const Side from = x.from, peer = other(x.from);
  detail::ReassemblyBudget b = budget();
  detail::StreamReassembler& sent = st.streams->dir[from];
  if (x.syn) sent.syn(x.p.tcp.seq);
  if (x.seglen) {
    const Bytes captured = head(x.p.payload, x.seglen);
    sent.segment(x.p.tcp.seq, x.seglen, captured, x.ts, b, data_fn(st, from), gap_fn(st, from));
  }
  if (x.fin) sent.fin(x.p.tcp.seq + x.seglen);
  if (x.ack) st.streams->dir[peer].acked(x.p.tcp.ack, x.ts, b, data_fn(st, peer), gap_fn(st, peer));
  if (st.streams->sinks == 0) {  // every sink let go: release what is held, stop reassembling
    for (const Side s : kSides) st.streams->dir[s].flush(x.ts, b, data_fn(st, s), gap_fn(st, s));
    st.streams.reset();
  }
}

void TcpAnalyzer::Impl::report_packet(const PacketCtx& x) {
  TcpPacketInfo info;
  info.connection = x.conn.id;
  info.from = x.from;
  info.flags = x.analysis;
  info.cat = x.cat;
  info.rel_seq = x.fwd.base_set ? x.p.tcp.seq - x.fwd.base_seq : x.p.tcp.seq;
  info.rel_ack = (x.ack && x.rev.base_set) ? x.p.tcp.ack - x.rev.base_seq : 0;
  info.window = x.syn ? x.p.tcp.window : x.scaled_window();
  packet_cb(x.p, info, x.conn);
}

// ---------------------------------------------------------------------------------------------
// Findings about one connection, made when it is finished.

namespace {
std::string ms(std::int64_t ns) { return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6); }
std::string secs(std::int64_t ns) { return fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9); }
// Packets of one side with the tcpa bit `flag`, and in the category `cat`.
std::uint32_t flagged(const TcpDirection& d, std::uint32_t flag) {
  return d.flags[static_cast<std::size_t>(std::countr_zero(flag))];
}
std::uint32_t in_cat(const TcpDirection& d, TcpCat cat) { return d.cats[static_cast<std::size_t>(cat)]; }
std::uint64_t sub_floor(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }
}  // namespace

void TcpAnalyzer::Impl::connection_findings(ConnState& st) {
  TcpConnection& c = st.conn;
  const Watch& w = st.watch;
  const WatchRare& r = w.seen();
  auto ep = [](const IpAddr& a, std::uint16_t port) {
    return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
  };
  // built only when a finding needs them: most connections have none
  auto conn = [&c, &ep] { return fmt::format("{} -> {}", ep(c.client, c.client_port), ep(c.server, c.server_port)); };
  auto side = [&c](Side s) {
    return fmt::format("{} {}", side_name(s), (s == Side::client ? c.client : c.server).str());
  };
  // Frames: the connection's first, and the packet that showed it (`last`: the RST of a refusal or
  // a reset) or else the connection's last.
  auto add = [&](Severity s, const char* cat, const char* kind, std::int64_t ts, std::string sum, std::string expl,
                 std::uint64_t last = 0) {
    Finding f{s, cat, kind, ts, c.id, std::move(sum), std::move(expl)};
    f.first_frame = c.first_frame;
    f.last_frame = last ? last : c.last_frame;
    emit(f.between(c.client, c.client_port, c.server, c.server_port));
  };

  // A handshake begun in the last moments of the trace may simply not have had its answer yet.
  const std::int64_t began = c.syn_ns != TcpConnection::kNoTime ? c.syn_ns : c.first_ns;
  const bool at_end = at_trace_end && (c.state == TcpState::syn_sent || c.state == TcpState::syn_received) &&
                      now - began < opt.end_grace_ns;
  if (at_end) {
    add(Severity::info, "init", "attempt_at_end_of_trace", began,
        fmt::format("{}: {} {} before the end of the trace, not answered yet", conn(),
                    c.state == TcpState::syn_sent ? "connection attempt" : "SYN/ACK", secs(now - began)),
        "The handshake began too close to the end of the trace to tell whether it would have been answered: "
        "the capture stopped first. Not a failure by itself (--end-grace sets how close counts).");
  } else if (c.state == TcpState::syn_sent) {
    add(Severity::error, "init", "syn_unanswered", c.syn_ns,
        fmt::format("{}: connection attempt never answered ({} SYN{}{})", conn(), w.syns, w.syns == 1 ? "" : "s",
                    w.syns > 1 ? fmt::format(", longest gap {}", secs(w.max_syn_gap_ns)) : ""),
        "The client sent SYN and retransmitted it, but neither a SYN/ACK nor a RST came back. A firewall "
        "dropping the SYN, a routing problem, or a server host that is down are the usual causes; a refused "
        "port would have answered with RST.");
  } else if (c.state == TcpState::refused && refused_listed(c)) {
    add(Severity::warning, "init", "refused", c.sent_by(Side::server).rst_ns,
        fmt::format("{}: connection refused (SYN answered by RST)", conn()),
        "The server host answered the SYN with a reset: nothing listens on that port, or the listener's "
        "backlog was full, or a firewall rejects the connection.",
        c.sent_by(Side::server).rst_frame);
  } else if (c.state == TcpState::syn_received) {
    add(Severity::error, "init", "handshake_incomplete", c.synack_ns,
        fmt::format("{}: SYN/ACK sent {} time{} but the final ACK never came", conn(), w.synacks,
                    w.synacks == 1 ? "" : "s"),
        "The server answered the SYN, but the client's ACK did not arrive: the server's replies are "
        "probably not reaching the client (asymmetric routing, a firewall on the return path).");
  }

  if (r.rto_backoff && c.state == TcpState::reset) {
    add(Severity::error, "traffic", "retransmission_backoff_reset", r.rto_backoff_first_ns,
        fmt::format("{}: data retransmitted {} times with growing back-off, then the connection was reset", conn(),
                    r.rto_run_max),
        "One side kept retransmitting the same data with increasing intervals (exponential back-off) and was "
        "never acknowledged; then the connection was reset. The peer stopped acknowledging: it is gone, "
        "unreachable, or its replies are lost.");
  } else if (r.rto_run_max >= 3) {
    add(Severity::warning, "traffic", "retransmission_backoff", r.rto_backoff_first_ns ? r.rto_backoff_first_ns : c.first_ns,
        fmt::format("{}: the same segment was retransmitted {} times", conn(), r.rto_run_max),
        "Repeated retransmissions of one segment mean the receiver did not acknowledge it for a long time: "
        "heavy loss on the path or an unresponsive peer.");
  }

  for (const Side d : kSides) {
    const TcpDirection& sent = c.sent_by(d);
    const TcpDirection& received = c.sent_by(other(d));
    // zero window: still open at the end, or long
    std::int64_t longest = r.zw_longest[d], start = r.zw_longest_start[d];
    bool open_at_end = false;
    if (r.zw_open[d] && c.last_ns - r.zw_since[d] >= longest) {
      longest = c.last_ns - r.zw_since[d];
      start = r.zw_since[d];
      open_at_end = true;
    }
    if (flagged(sent, tcpa::zero_window) > 0 && longest >= 500'000'000) {
      add(open_at_end ? Severity::error : Severity::warning, "traffic", "zero_window", start,
          fmt::format("{}: {} advertised a zero window for {}{} ({} window probes); receiver stalls {} of the "
                      "connection's {}",
                      conn(), side(d), secs(longest),
                      open_at_end ? (c.state == TcpState::reset ? ", then the connection was reset" : ", until the end")
                                  : ", then opened it again",
                      r.zw_probes[d], secs(c.stall_time_ns), secs(c.elapsed_ns())),
          "A zero window means the receiving application is not reading its data: the sender must stop. "
          "Look at the receiving application (busy, blocked, waiting on something else), not at the network.");
    }
    if (r.ka_unanswered[d] >= 2) {
      add(Severity::warning, "session", "keepalive_unanswered", r.ka_first_unanswered_ns[d],
          fmt::format("{}: the last {} keepalives from {} were not answered", conn(), r.ka_unanswered[d], side(d)),
          "Keepalive probes that get no reply mean the peer host or the path to it is gone; the connection "
          "will be dropped without a FIN or RST from the peer.");
    }
    if (r.gap_max[d] > 0) {
      // The receiver's MSS bounds this side's segments; without SYNs assume Ethernet's 1460.
      const std::uint32_t mss = received.has_mss && received.mss ? received.mss : 1460;
      const std::uint32_t segs = (r.gap_max[d] + mss - 1) / mss;
      if (segs >= 3) {
        add(Severity::warning, "traffic", "sequence_gap", r.gap_ns[d],
            fmt::format("{}: data from {} jumped {} bytes ahead: roughly {} segment{} missing", conn(), side(d),
                        r.gap_max[d], segs, segs == 1 ? "" : "s"),
            "Segments arrived with a large hole before them: packets were lost upstream of the capture point "
            "(or the trace dropped them). Retransmissions should follow; if they do not, the trace missed them.");
      }
    }
    // Retransmitted SYNs and SYN/ACKs are the handshake's findings (syn_unanswered, handshake_incomplete),
    // not data: a SYN-only connection is one finding, not two.
    const std::uint32_t handshake_tries = d == Side::client ? w.syns : w.synacks;
    const std::uint64_t handshake_retrans = handshake_tries > 1 ? handshake_tries - 1 : 0;
    const std::uint64_t data_pkts = sub_floor(
        in_cat(sent, TcpCat::in_order) + in_cat(sent, TcpCat::data_ack) + in_cat(sent, TcpCat::retransmission),
        handshake_retrans + r.copies_retrans[d]);
    // ... nor are copies of packets (a span port's duplicates, a routing loop's passes)
    const std::uint64_t retrans = sub_floor(flagged(sent, tcpa::retransmission) +
                                                flagged(sent, tcpa::fast_retransmission) +
                                                flagged(sent, tcpa::spurious_retransmission),
                                            handshake_retrans + r.copies_retrans[d]);
    // The damage loss does: 5% of the segments sent again, or 2% (10 or more) with the receiver's
    // duplicate ACKs asking for them: at that rate loss recovery already cuts TCP's throughput
    // several-fold (Mathis: rate ~ MSS / (RTT sqrt(p))). Where the segments were lost: gaps in the data
    // seen here (lost before the capture point), or originals captured (lost after it).
    // (a back-off of one segment is reported above and explains the rate)
    const std::uint64_t dupacks = flagged(received, tcpa::duplicate_ack);
    const bool heavy = retrans * 20 >= data_pkts;
    const bool recovery = retrans >= 10 && retrans * 50 >= data_pkts && dupacks >= 3;
    if (retrans >= 5 && data_pkts > 0 && (heavy || recovery) && r.rto_run_max < 3) {
      add(Severity::warning, "traffic", "high_retransmission_rate", c.first_ns,
          fmt::format("{}: {} of {} data segments from {} were retransmissions ({:.1f}%), {} duplicate ACK{} from {}; "
                      "{}",
                      conn(), retrans, data_pkts, side(d),
                      100.0 * static_cast<double>(retrans) / static_cast<double>(data_pkts), dupacks,
                      dupacks == 1 ? "" : "s", side(other(d)),
                      sent.untraced * 2 >= retrans
                          ? "lost before the capture point (the trace shows gaps in the data)"
                          : "lost after the capture point (the originals are in the trace)"),
          heavy ? "More than 5% of the data was sent twice: packet loss or heavy reordering on the path slows this "
                  "connection down."
                : "The receiver's duplicate ACKs asked for lost segments and the sender sent them again: 2% loss "
                  "or more cuts TCP's throughput several-fold (loss recovery halves the congestion window each "
                  "time). Packet loss on the path: a congested or faulty link, a policer, a duplex mismatch.");
    }
    if (r.collapse_secs[d] >= 3) {
      add(Severity::warning, "traffic", "throughput_collapse", r.collapse_ns[d],
          fmt::format("{}: data from {} fell from {} B/s to at most {} B/s for {} s before it picked up again", conn(),
                      side(d), r.collapse_peak[d], r.collapse_rate[d], r.collapse_secs[d]),
          "The transfer slowed to a crawl and recovered: retransmission timeouts after losses, a stalled "
          "receiver (look for zero windows), or a sender waiting on its own disk or application.");
    }
    // window full: this side's data kept hitting the edge of the peer's receive window
    const std::uint32_t window_full = flagged(sent, tcpa::window_full);
    if (window_full >= 10 && data_pkts > 0 && std::uint64_t{window_full} * 20 >= data_pkts) {
      add(Severity::warning, "traffic", "window_limited", c.first_ns,
          fmt::format("{}: {} of {} data segments from {} filled the receiver's window (largest window {})", conn(),
                      window_full, data_pkts, side(d),
                      received.max_window ? std::to_string(received.max_window) : std::string("unknown")),
          "The sender had more to send but the receiver's advertised window was full: throughput was limited by "
          "the receiver (a small receive buffer, or an application that reads slowly), not by the network.");
    }
    const std::uint32_t lost = flagged(sent, tcpa::lost_segment);
    if (lost > 0) {
      add(Severity::info, "traffic", "segments_not_captured", c.first_ns,
          fmt::format("{}: {} time{} data from {} continued past a gap: segments missing from the trace", conn(),
                      lost, lost == 1 ? "" : "s", side(d)),
          "The sequence numbers jumped forward: the trace did not see some segments (lost before the capture "
          "point, or dropped by the capture itself).");
    }
  }

  if (c.state == TcpState::reset && c.reset_by) {
    const bool long_idle = w.idle_before_rst_ns >= 10'000'000'000;
    add(long_idle ? Severity::warning : Severity::info, "term", long_idle ? "reset_after_idle" : "reset",
        c.sent_by(*c.reset_by).rst_ns,
        fmt::format("{}: reset by {} after {} without new data", conn(), side(*c.reset_by), secs(w.idle_before_rst_ns)),
        long_idle ? "The connection was idle for a long time and then reset: one side gave up waiting (an "
                    "idle timeout, a keepalive failure, or a firewall that forgot the connection)."
                  : "The connection ended with a reset instead of an orderly FIN exchange.",
        c.sent_by(*c.reset_by).rst_frame);
  }
  if (c.state == TcpState::closing && !c.evicted_idle && c.first_fin_by) {  // closing: a FIN was seen
    add(Severity::info, "term", "half_closed", c.sent_by(*c.first_fin_by).fin_ns,
        fmt::format("{}: {} sent FIN, the other side never did", conn(), side(*c.first_fin_by)),
        "Only one side closed its half of the connection before the trace ended.");
  }
  if (c.slow_responses > 0) {
    add(Severity::warning, "response time", "slow_response", c.first_ns,
        fmt::format("{}: {} of {} responses took longer than {} (longest {}); host time {} of the connection's {}",
                    conn(), c.slow_responses, c.exchanges, ms(opt.rt_threshold_ns), ms(c.rt_max_ns),
                    secs(c.server_time_ns), secs(c.elapsed_ns())),
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

void TcpAnalyzer::Impl::track_source_end(const ConnState& st) {
  const TcpConnection& c = st.conn;
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
  if (copies.packets > 0) {
    Finding f{Severity::info, "traffic", "duplicate_packets", copies.first_ns, 0,
              fmt::format("{} TCP packet{} captured twice (the same IP packet again within {}): {} of them look "
                          "like retransmissions and {} like duplicate ACKs to Wireshark; ctana's findings leave "
                          "them out",
                          copies.packets, copies.packets == 1 ? " was" : "s were",
                          copies.max_gap_ns < 1'000'000 ? fmt::format("{} µs", copies.max_gap_ns / 1000)
                                                        : secs(copies.max_gap_ns),
                          copies.as_retransmission, copies.as_dup_ack),
              "The capture holds some packets twice: a span (mirror) port copying both directions of a link or "
              "VLAN, two capture interfaces merged, or a capture on both sides of a device. The copies are not "
              "retransmissions; the retransmission and duplicate ACK counts (as Wireshark's) include them, the "
              "findings about loss do not. editcap -D removes such duplicates."};
    f.area = Area::capture;
    f.area_set = true;
    f.count = copies.packets;
    f.last_ns = copies.last_ns;
    f.first_frame = copies.first_frame;
    f.last_frame = copies.last_frame;
    emit(f);
  }
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
  // A finding about one source address, standing for `count` events up to `last_ns`.
  auto from_source = [this](Finding f, const IpAddr& addr, std::uint64_t count, std::int64_t last_ns) {
    f.client = addr;
    f.count = count;
    f.last_ns = last_ns;
    emit(f);
  };
  for (const auto& [addr, s] : sources) {
    if (s.refused_more) {
      from_source(Finding{Severity::warning, "init", "refused", s.last_ns, 0,
                          fmt::format("{} more connections from {} were refused (the first 5 are listed one by one)",
                                      s.refused_more, addr.str()),
                          "The server host answered these SYNs with resets: nothing listens on those ports."},
                  addr, s.refused_more, 0);
    }
    if (s.ports.size() >= 20 && s.refused_or_unanswered * 2 >= s.syns) {
      from_source(Finding{Severity::warning, "session", "port_scan", s.first_ns, 0,
                          fmt::format("{} sent SYNs to {} different ports in {}; {} of {} were refused or unanswered",
                                      addr.str(), s.ports.size(), secs(s.last_ns - s.first_ns),
                                      s.refused_or_unanswered, s.syns),
                          "Many connection attempts from one host to many ports, most of them failing, is the "
                          "pattern of a port scan (or of a badly configured client trying ports in turn)."},
                  addr, s.syns, s.last_ns);
    }
    if (s.short_conns >= 20) {
      from_source(Finding{Severity::warning, "session", "many_short_connections", s.first_ns, 0,
                          fmt::format("{} opened {} connections that lasted under 2 s each", addr.str(), s.short_conns),
                          "A burst of short connections from one source can be a login brute force, a health "
                          "checker, or a client without connection reuse."},
                  addr, s.short_conns, s.last_ns);
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
  if (p.reassembling) return;  // analysed as the reassembled segment (docs/decoding.md "IP reassembly")
  impl_->analyze(p);
}

void TcpAnalyzer::on_idle(std::int64_t now_ns) { impl_->sweep(now_ns); }

void TcpAnalyzer::finish() {
  // Everything still tracked is finished, in order of first packet.
  std::vector<std::uint32_t> live;
  for (std::uint32_t i = 0; i < impl_->conns.size(); ++i)
    if (impl_->conns[i].live) live.push_back(i);
  std::sort(live.begin(), live.end(),
            [this](std::uint32_t a, std::uint32_t b) { return impl_->conns[a].conn.id < impl_->conns[b].conn.id; });
  impl_->at_trace_end = true;
  for (std::uint32_t i : live) impl_->finish_conn(i, false);
  impl_->global_findings();
}

void TcpAnalyzer::on_connection(std::function<void(const TcpConnection&)> f) { impl_->conn_cbs.push_back(std::move(f)); }
void TcpAnalyzer::on_tcp_packet(std::function<void(const Packet&, const TcpPacketInfo&, const TcpConnection&)> f) {
  impl_->packet_cb = std::move(f);
}
void TcpAnalyzer::on_finding(FindingSink f) { impl_->finding_cb = std::move(f); }
void TcpAnalyzer::add_stream_sink(TcpStreamSink* sink) { impl_->sinks.push_back(sink); }
const std::vector<TcpStreamSink*>& TcpAnalyzer::stream_sinks() const { return impl_->sinks; }
void TcpAnalyzer::set_stream_claim(std::function<bool(const TcpConnection&)> f) { impl_->claim = std::move(f); }
std::uint64_t TcpAnalyzer::new_connection_id() { return impl_->next_id++; }
void TcpAnalyzer::number_from_records() { impl_->numbered = true; }
std::uint64_t TcpAnalyzer::open_connection_id(const IpAddr& a, std::uint16_t pa, const IpAddr& b, std::uint16_t pb) const {
  const auto it = impl_->by_key.find(detail::endpoint_key<Key>(a, pa, b, pb));
  return it == impl_->by_key.end() ? 0 : impl_->conns[*it].conn.id;
}
const TcpOptions& TcpAnalyzer::options() const { return impl_->opt; }
const ReassemblyStats& TcpAnalyzer::reassembly() const { return impl_->reassembly_stats; }
const TcpTotals& TcpAnalyzer::totals() const { return impl_->totals; }

void take_trace_host(TcpConnection& c, const IpAddr& host) {
  if (c.local_rule != "server side (default)" && c.local_rule != "server side, inferred from ports (default)") return;
  if ((c.client == host) == (c.server == host)) return;  // not the host's, or both ends are
  c.local = c.client == host ? Side::client : Side::server;
  c.local_rule = "the host in most connections";
}

std::optional<IpAddr> TcpAnalyzer::trace_host() const {
  const auto& hc = impl_->host_counts;
  // Two hosts in every connection (a trace of one client and one server): the one that serves more.
  const auto top = std::max_element(hc.begin(), hc.end(), [](const auto& a, const auto& b) {
    return a.n != b.n ? a.n < b.n : a.served < b.served;
  });
  // The summary's count is a lower bound of the true one: above half, the host is certainly in more
  // than half of the connections (and found whenever it is in more than 2/(k+1) + 1/2 of them).
  if (top == hc.end() || top->n * 2 <= impl_->host_conns) return std::nullopt;
  return top->addr;
}
const Samples& TcpAnalyzer::response_times() const { return impl_->response_times; }
std::size_t TcpAnalyzer::bytes_per_connection() const {
  // the slot, and its entry in the index (a slot number and a control byte) at the index's
  // lowest load (7/16 after it doubled): about two entries' room per connection
  return sizeof(ConnState) + 2 * (sizeof(std::uint32_t) + 1);
}

}  // namespace ctana
