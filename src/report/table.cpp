// Tables for spreadsheets and scripts (--format csv|tsv): sessions, exceptions, flow and records,
// one row per connection, finding, packet or record under a header of stable column names
// (docs/cli.md "Tables"). A row holds the values of the command's JSON object under the same
// names, so the CSV and the JSON say the same thing.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ctana/records.hpp"
#include "ctana/ctrace.hpp"
#include "ctana/render.hpp"
#include "report/json_parts.hpp"

namespace ctana {

using json = nlohmann::ordered_json;

namespace {

constexpr const char* kSideNames[2] = {"client", "server"};

// One value as a cell: null -> empty; strings as they are; arrays joined with ","; numbers and
// booleans as JSON writes them.
std::string cell_text(const json& v) {
  if (v.is_null()) return {};
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& e : v) s += (s.empty() ? "" : ",") + cell_text(e);
    return s;
  }
  return json_text(v);
}

std::string row_of(const json& obj, const std::vector<std::string>& columns, TableFormat f) {
  std::vector<std::string> cells;
  cells.reserve(columns.size());
  for (const auto& c : columns) {
    const auto it = obj.find(c);
    cells.push_back(it == obj.end() ? std::string() : cell_text(*it));
  }
  return table_row(cells, f);
}

// A connection's JSON object flattened: the top-level values, then each direction's values and
// analysis counts prefixed with its sender (client_packets, server_retransmission...).
json flat_connection(const TcpConnection& c) {
  json j = tcp_connection_json(c);
  json flat = json::object();
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!it.value().is_structured()) flat[it.key()] = it.value();
  const json& dirs = j["directions"];
  for (std::size_t d = 0; d < 2 && d < dirs.size(); ++d) {
    const std::string p = std::string(kSideNames[d]) + "_";
    for (auto it = dirs[d].begin(); it != dirs[d].end(); ++it)
      if (!it.value().is_structured() && it.key() != "from") flat[p + it.key()] = it.value();
    const json& a = dirs[d]["analysis"];
    for (int b = 0; b < tcpa::kCount; ++b) {
      const std::string n(tcpa::name(b));
      flat[p + n] = a.contains(n) ? a[n] : json(0);
    }
  }
  return flat;
}

std::string hex8(std::uint32_t v) { return fmt::format("{:08X}", v); }

}  // namespace

std::string table_row(const std::vector<std::string>& cells, TableFormat f) {
  std::string o;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string& c = cells[i];
    if (i) o += f == TableFormat::csv ? ',' : '\t';
    if (f == TableFormat::tsv) {  // no tab or line break inside a value: a blank instead
      for (char ch : c) o += ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch;
    } else if (c.find_first_of(",\"\r\n") != std::string::npos) {  // RFC 4180: quoted, quotes doubled
      o += '"';
      for (char ch : c) {
        if (ch == '"') o += '"';
        o += ch;
      }
      o += '"';
    } else {
      o += c;
    }
  }
  o += f == TableFormat::csv ? "\r\n" : "\n";
  return o;
}

const std::vector<std::string>& sessions_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> c = {"id", "client", "client_port", "server", "server_port", "application", "state",
                                  "roles_known", "local", "first", "last", "first_frame", "last_frame", "elapsed_s",
                                  "saw_start", "reset_by", "handshake_rtt_s", "syn_to_synack_s", "synack_to_ack_s",
                                  "exchanges", "response_time_avg_s", "response_time_max_s", "server_time_s",
                                  "client_time_s", "stall_time_s", "network_time_s", "idle_time_s",
                                  "idle_evicted"};
    for (const char* s : kSideNames) {
      for (const char* k : {"packets", "ip_bytes", "payload_bytes", "first", "last", "syn", "fin", "rst", "mss",
                            "window_scale", "sack_permitted", "timestamps", "initial_window", "min_window",
                            "max_window", "untraced"})
        c.push_back(fmt::format("{}_{}", s, k));
      for (int b = 0; b < tcpa::kCount; ++b) c.push_back(fmt::format("{}_{}", s, tcpa::name(b)));
    }
    return c;
  }();
  return cols;
}

const std::vector<std::string>& exceptions_columns() {
  static const std::vector<std::string> cols = {"severity", "category", "area", "kind", "cause", "module",
                                                "time", "last_time", "connection", "first_frame", "last_frame",
                                                "client", "client_port", "server", "server_port", "count",
                                                "subject", "summary", "explanation", "hint"};
  return cols;
}

const std::vector<std::string>& flow_columns() {
  static const std::vector<std::string> cols = {"nr", "frame", "connection", "time", "delta_s", "from", "io",
                                                "flags", "category", "seq", "ack", "relative_seq", "relative_ack",
                                                "window", "data", "analysis", "application"};
  return cols;
}

const std::vector<std::string>& records_columns() {
  static const std::vector<std::string> cols = {
      "frame", "time", "direction", "protocol", "link", "ip_id", "data_length", "source", "source_port",
      "destination", "destination_port", "tcp_flags", "seq", "ack", "window", "icmp_type", "icmp_code", "job", "cid",
      "discard_code", "discard", "ids_probe", "malformed", "application"};
  return cols;
}

std::string render_sessions_table(const SummaryReport& r, TableFormat f, std::uint64_t only_conn) {
  std::string o = table_row(sessions_columns(), f);
  for (const auto& c : r.tcp.connections)
    if (!only_conn || c.id == only_conn) o += row_of(flat_connection(c), sessions_columns(), f);
  return o;
}

std::string render_exceptions_table(const SummaryReport& r, TableFormat f, bool by_severity) {
  std::vector<const Finding*> list;
  for (const auto& x : r.findings.list) list.push_back(&x);
  if (by_severity)
    std::stable_sort(list.begin(), list.end(), [](const Finding* a, const Finding* b) { return a->severity > b->severity; });
  std::string o = table_row(exceptions_columns(), f);
  for (const Finding* x : list) o += row_of(finding_json(*x), exceptions_columns(), f);
  return o;
}

std::string render_flow_table_header(TableFormat f) { return table_row(flow_columns(), f); }

std::string render_flow_table_row(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                                  std::int64_t delta_ns, TableFormat f) {
  return row_of(flow_row_json(nr, p, info, local, delta_ns), flow_columns(), f);
}

std::string render_records_table_header(TableFormat f) { return table_row(records_columns(), f); }

std::string render_record_table_row(const Packet& p, TableFormat f) {
  return row_of(record_row_json(p), records_columns(), f);
}

std::string render_record_json_row(const Packet& p) { return json_text(record_row_json(p)) + "\n"; }

json record_row_json(const Packet& p) {
  const Record& r = *p.rec;
  const auto& m = r.meta;
  const bool data_trace = (m.flags & SourceMeta::kCtrace) && m.format_id == ctrace::kFmtData;
  const bool ip = p.l3 == L3::ipv4 || p.l3 == L3::ipv6;
  std::string proto = "other";
  if (r.link == linktype::ctrace_data) proto = "data";
  else if (p.l4 == L4::tcp) proto = "tcp";
  else if (p.l4 == L4::udp) proto = "udp";
  else if (p.l4 == L4::icmp) proto = "icmp";
  else if (p.l4 == L4::icmpv6) proto = "icmpv6";
  else if (ip && p.ip_proto == 2) proto = "igmp";
  else if (ip) proto = "ip";
  else if (p.l3 == L3::arp) proto = "arp";
  json src = nullptr, dst = nullptr, sport = nullptr, dport = nullptr;
  if (ip && p.src.version && p.dst.version) {  // (a malformed IP header has none)
    src = p.src.str();
    dst = p.dst.str();
    if (p.l4 == L4::tcp) sport = p.tcp.sport, dport = p.tcp.dport;
    if (p.l4 == L4::udp) sport = p.udp.sport, dport = p.udp.dport;
  } else if (data_trace && m.dt.src.version && m.dt.dst.version) {
    src = m.dt.src.str();
    dst = m.dt.dst.str();
    sport = m.dt.sport;
    dport = m.dt.dport;
  }
  const bool tcp = p.l4 == L4::tcp, icmp = p.l4 == L4::icmp || p.l4 == L4::icmpv6;
  std::string flags;
  const char* names = "FSRPAUEC";
  for (int i = 0; i < 8; ++i)
    if (p.tcp.flags & (1u << i)) flags += names[i];
  const bool ctrace_data = r.link == linktype::ctrace_data;
  const std::string app = application_info(p);
  return {{"frame", r.index},
          {"time", iso_time(r.ts_ns)},
          {"direction", r.dir == Direction::unknown ? json(nullptr) : json(std::string(direction_name(r.dir)))},
          {"protocol", proto},
          {"link", r.interface_name.empty() ? json(nullptr) : json(std::string(r.interface_name))},
          {"ip_id", p.l3 == L3::ipv4 ? json(p.ip_id) : json(nullptr)},
          {"data_length", ctrace_data ? r.data.size() : p.payload_len},
          {"source", src},
          {"source_port", sport},
          {"destination", dst},
          {"destination_port", dport},
          {"tcp_flags", tcp ? json(flags) : json(nullptr)},
          {"seq", tcp ? json(p.tcp.seq) : json(nullptr)},
          {"ack", tcp ? json(p.tcp.ack) : json(nullptr)},
          {"window", tcp ? json(p.tcp.window) : json(nullptr)},
          {"icmp_type", icmp ? json(p.icmp.type) : json(nullptr)},
          {"icmp_code", icmp ? json(p.icmp.code) : json(nullptr)},
          {"job", m.job_name.empty() ? json(nullptr) : json(std::string(m.job_name))},
          {"cid", m.cid ? json(hex8(m.cid)) : json(nullptr)},
          {"discard_code", m.discard_code ? json(m.discard_code) : json(nullptr)},
          {"discard", m.discard_code ? json(std::string(ctrace::discard_label(m.discard_code))) : json(nullptr)},
          {"ids_probe", ctrace::is_ids_probe(m.format_id) ? json(hex8(m.format_id)) : json(nullptr)},
          {"malformed", p.malformed() ? json(fmt::format("{}: {}", layer_name(p.problem.layer), p.problem.what))
                                      : json(nullptr)},
          {"application", app.empty() ? json(nullptr) : json(app)}};
}

}  // namespace ctana
