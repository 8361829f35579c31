// CTRACE data trace connections and their streams (ctana/datatrace.hpp, docs/ctrace.md). Bounded
// state: open connections are capped and finished when their end record comes, when they are
// idle past the timeout, or at the end; finished ones are kept for the report up to a cap.
#include "ctana/datatrace.hpp"

#include <algorithm>
#include <map>
#include <string>

#include <absl/container/flat_hash_map.h>

#include "analyze/table_util.hpp"
#include "ctana/ctrace.hpp"

namespace ctana {

namespace {

using Row = CtraceReport::DataConnection;
using Analysis = Row::Analysis;

constexpr std::int64_t kClaimWindowNs = 60'000'000'000;  // an ended data trace connection still claims its ports
constexpr std::int64_t kSweepNs = 1'000'000'000;

// Addresses and ports (normalised, lower endpoint first) when the header has them; otherwise the
// job name and the connection id.
struct Key {
  IpAddr a, b;
  std::uint16_t pa = 0, pb = 0;
  std::uint32_t cid = 0;
  std::array<char, 8> job{};
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    std::uint64_t tag = k.cid;
    for (const char c : k.job) tag = tag * 131 + static_cast<unsigned char>(c);
    return hash_endpoints(k.a, k.b, k.pa, k.pb, tag);
  }
};

Key tuple_key(const IpAddr& x, std::uint16_t px, const IpAddr& y, std::uint16_t py) {
  return detail::endpoint_key<Key>(x, px, y, py);
}

struct Conn {
  TcpConnection c;             // what the sinks see
  Row row;
  std::uint64_t sinks = 0;     // bit i: sinks[i] gets this connection's data
  std::uint64_t off[2] = {0, 0};
  std::uint64_t seq = 0;       // order of creation
  bool by_tuple = false, live = false;
  Key key;
};

}  // namespace

struct DataTraceStreams::Impl {
  DataTraceOptions opt;
  CtraceReport& out;
  TcpAnalyzer* tcp;
  detail::Slots<Conn> conns;
  std::vector<std::uint32_t> free_slots;
  absl::flat_hash_map<Key, std::uint32_t, KeyHash> by_key;  // endpoints -> slot in conns
  absl::flat_hash_map<Key, std::int64_t, KeyHash> ended;  // data-trace analysed, ended: end time
  std::vector<std::pair<std::uint64_t, Row>> rows;         // finished, kept for the report
  std::map<std::string, CtraceReport::Job, std::less<>> jobs;
  std::vector<std::function<void(const TcpConnection&)>> conn_cbs;
  std::uint64_t next_seq = 0;
  std::uint64_t last_id = 0;  // last_connection()
  std::int64_t now = INT64_MIN, last_sweep = INT64_MIN;
  static constexpr std::size_t kMaxJobs = 10'000;

  Impl(DataTraceOptions o, CtraceReport& r, TcpAnalyzer* t) : opt(std::move(o)), out(r), tcp(t) {}

  const std::vector<TcpStreamSink*>* sinks() const { return tcp ? &tcp->stream_sinks() : nullptr; }

  // Whether the data trace delivers (or just delivered) the payload of this TCP connection.
  bool claims(const TcpConnection& c) const {
    const Key k = tuple_key(c.client, c.client_port, c.server, c.server_port);
    if (auto it = by_key.find(k); it != by_key.end()) return conns[it->second].row.analysis == Analysis::data_trace;
    auto e = ended.find(k);
    return e != ended.end() && c.first_ns - e->second <= kClaimWindowNs;
  }

  CtraceReport::Job* job_row(std::string_view name) {
    auto it = jobs.find(name);
    if (it == jobs.end()) {
      if (jobs.size() >= kMaxJobs) return nullptr;
      it = jobs.emplace(std::string(name), CtraceReport::Job{}).first;
      it->second.name = std::string(name);
    }
    return &it->second;
  }

  std::uint32_t create(const Record& r, const Key& k, bool by_tuple) {
    const std::uint32_t i = conns.take(free_slots);
    Conn& cn = conns[i];
    const auto& m = r.meta;
    const auto& dt = m.dt;
    cn.key = k;
    cn.by_tuple = by_tuple;
    cn.live = true;
    cn.seq = next_seq++;
    TcpConnection& c = cn.c;
    c.roles_known = false;  // a data trace has no SYN
    if (by_tuple) {
      const bool src_client = client_by_ports(dt.sport, dt.dport, opt.port_names);
      c.client = src_client ? dt.src : dt.dst;
      c.server = src_client ? dt.dst : dt.src;
      c.client_port = src_client ? dt.sport : dt.dport;
      c.server_port = src_client ? dt.dport : dt.sport;
    }
    c.first_ns = c.last_ns = r.ts_ns;
    c.first_frame = c.last_frame = r.index;
    c.app = app_for_port(c.server_port, opt.port_names);
    if (c.app.empty()) c.app = app_for_port(c.client_port, opt.port_names);
    c.state = TcpState::established;
    Row& row = cn.row;
    row.job = std::string(m.job_name);
    row.cid = m.cid;
    row.client = c.client, row.server = c.server;
    row.client_port = c.client_port, row.server_port = c.server_port;
    row.domain = dt.domain, row.type = dt.type, row.proto = dt.proto;
    row.first_ns = row.last_ns = r.ts_ns;
    // A TCP socket may say protocol 0 (the default of socket()); the stream type is what counts.
    const bool stream = dt.type == ctrace::kDtStream && (dt.proto == 6 || dt.proto == 0);
    if (!tcp) {
      row.analysis = Analysis::tcp_off;
    } else if (!stream) {
      row.analysis = Analysis::not_stream;
    } else if (const std::uint64_t id = by_tuple ? tcp->open_connection_id(c.client, c.client_port, c.server, c.server_port) : 0) {
      row.analysis = Analysis::packet_trace;  // the packet trace was first: analysed from there
      c.id = row.connection = id;
    } else {
      row.analysis = Analysis::data_trace;
      c.id = row.connection = r.connection ? r.connection : tcp->new_connection_id();
      const auto& s = *sinks();
      for (std::size_t b = 0; b < s.size() && b < 64; ++b)
        if (s[b]->wants(c)) cn.sinks |= std::uint64_t{1} << b;
    }
    if (auto* j = job_row(row.job)) ++j->connections;
    by_key[k] = i;
    return i;
  }

  void deliver(Conn& cn, Side side, Bytes data, std::uint64_t missing, std::int64_t ts) {
    const auto& s = *sinks();
    std::uint64_t& off = cn.off[index(side)];
    if (!data.empty()) {
      for (std::size_t b = 0; b < s.size() && b < 64; ++b) {
        const std::uint64_t bit = std::uint64_t{1} << b;
        if (!(cn.sinks & bit)) continue;
        s[b]->on_data(cn.c, side, off, data, ts);
        if (!s[b]->keeps(cn.c)) cn.sinks &= ~bit;
      }
      off += data.size();
    }
    if (missing) {  // an abbreviated record: the rest of the data is not in the trace
      for (std::size_t b = 0; b < s.size() && b < 64; ++b)
        if (cn.sinks & (std::uint64_t{1} << b)) s[b]->on_gap(cn.c, side, off, missing, ts);
      off += missing;
    }
  }

  void finish_conn(std::uint32_t i) {
    Conn& cn = conns[i];
    TcpConnection& c = cn.c;
    c.state = cn.row.end ? TcpState::closed : TcpState::established;
    if (cn.sinks) {
      const auto& s = *sinks();
      for (std::size_t b = 0; b < s.size() && b < 64; ++b)
        if (cn.sinks & (std::uint64_t{1} << b)) s[b]->on_close(c);
    }
    if (cn.row.analysis == Analysis::data_trace) {
      for (const auto& cb : conn_cbs) cb(c);
      if (cn.by_tuple) ended[cn.key] = c.last_ns;
    }
    ++out.data_connections_total;
    if (rows.size() < opt.max_listed) rows.emplace_back(cn.seq, std::move(cn.row));
    by_key.erase(cn.key);
    cn.live = false;
    free_slots.push_back(i);
  }

  void sweep(std::int64_t t) {
    for (std::uint32_t i = 0; i < conns.size(); ++i) {
      if (conns[i].live && conns[i].c.last_ns < t - opt.idle_timeout_ns) finish_conn(i);
    }
    for (auto it = ended.begin(); it != ended.end();) {
      if (it->second < t - kClaimWindowNs) ended.erase(it++);
      else ++it;
    }
    last_sweep = t;
  }

  void record(const Record& r) {
    const auto& m = r.meta;
    const auto& dt = m.dt;
    const std::int64_t ts = r.ts_ns;
    now = std::max(now, ts);
    if (last_sweep == INT64_MIN) last_sweep = ts;
    // Idle connections are looked for every quarter of the idle timeout (at least every second):
    // a sweep visits every open connection.
    if (now - last_sweep > std::max(kSweepNs, opt.idle_timeout_ns / 4)) sweep(now);

    const bool start = dt.state == ctrace::kDtStart, end = dt.state == ctrace::kDtEnd;
    if (auto* j = job_row(m.job_name)) {
      ++j->records;
      j->bytes += r.data.size();
      if (r.dir == Direction::in) j->bytes_in += r.data.size();
      if (r.dir == Direction::out) j->bytes_out += r.data.size();
      j->start_records += start;
      j->end_records += end;
    }

    const bool by_tuple = dt.src.version != 0 && dt.dst.version != 0 && (dt.sport | dt.dport) != 0;
    Key k;
    if (by_tuple) {
      k = tuple_key(dt.src, dt.sport, dt.dst, dt.dport);
    } else {
      k.cid = m.cid;
      std::copy_n(m.job_name.begin(), std::min<std::size_t>(8, m.job_name.size()), k.job.begin());
    }
    auto it = by_key.find(k);
    // The same ports with another connection id: the ports were reused by a new connection.
    if (it != by_key.end() && by_tuple && m.cid && conns[it->second].row.cid && m.cid != conns[it->second].row.cid) {
      finish_conn(it->second);
      it = by_key.end();
    }
    std::uint32_t i;
    if (it != by_key.end()) {
      i = it->second;
    } else {
      if (by_key.size() >= opt.max_open) {
        ++out.data_records_untracked;
        return;
      }
      i = create(r, k, by_tuple);
    }
    Conn& cn = conns[i];
    last_id = cn.c.id;
    cn.c.last_ns = std::max(cn.c.last_ns, ts);
    cn.c.last_frame = r.index;
    cn.row.last_ns = cn.c.last_ns;
    if (start) cn.row.start = true;
    if (end) cn.row.end = true;
    if (!start && !end) {
      // Which side sent the data: the header's sender; without addresses, the direction bit with
      // the job taken as the server.
      Side side = r.dir == Direction::out ? Side::server : Side::client;
      if (cn.by_tuple) side = dt.src == cn.c.client && dt.sport == cn.c.client_port ? Side::client : Side::server;
      ++cn.row.records[index(side)];
      cn.row.bytes[index(side)] += r.data.size();
      TcpDirection& d = cn.c.sent_by(side);
      if (d.packets++ == 0) d.first_ns = ts;
      d.last_ns = ts;
      d.payload_bytes += std::max<std::uint64_t>(r.orig_len, r.data.size());
      if (cn.sinks)
        deliver(cn, side, r.data, r.orig_len > r.data.size() ? r.orig_len - r.data.size() : 0, ts);
    }
    if (end) finish_conn(i);
  }
};

DataTraceStreams::DataTraceStreams(DataTraceOptions opt, CtraceReport& out, TcpAnalyzer* tcp)
    : impl_(std::make_unique<Impl>(std::move(opt), out, tcp)) {
  if (tcp) tcp->set_stream_claim([im = impl_.get()](const TcpConnection& c) { return im->claims(c); });
}
DataTraceStreams::~DataTraceStreams() = default;

void DataTraceStreams::on_packet(const Packet& p) {
  const Record& r = *p.rec;
  impl_->last_id = 0;
  if (!(r.meta.flags & SourceMeta::kCtrace) || r.meta.format_id != ctrace::kFmtData) return;
  impl_->record(r);
}

void DataTraceStreams::finish() {
  auto& im = *impl_;
  // Still open at the end, in order of their first record.
  std::vector<std::uint32_t> live;
  for (const auto& [k, i] : im.by_key) live.push_back(i);
  std::sort(live.begin(), live.end(), [&im](std::uint32_t a, std::uint32_t b) { return im.conns[a].seq < im.conns[b].seq; });
  for (std::uint32_t i : live) im.finish_conn(i);
  std::sort(im.rows.begin(), im.rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, row] : im.rows) im.out.data_connections.push_back(std::move(row));
  for (auto& [name, j] : im.jobs) im.out.data_jobs.push_back(std::move(j));
}

void DataTraceStreams::on_connection(std::function<void(const TcpConnection&)> f) {
  impl_->conn_cbs.push_back(std::move(f));
}

std::uint64_t DataTraceStreams::last_connection() const { return impl_->last_id; }

}  // namespace ctana
