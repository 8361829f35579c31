// ctana sessions / flow / exceptions: the TCP session analysis reports (docs/tcp.md).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "cli/time_arg.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {

// A connection named on the command line: its number, or its endpoints "A:P-B:P" (IPv6 in
// brackets: "[fd00::1]:4000-[fd00::2]:21"), in either order.
struct ConnSpec {
  std::uint64_t id = 0;
  IpAddr a, b;
  std::uint16_t pa = 0, pb = 0;
  bool by_endpoints() const { return id == 0; }
  bool matches(const TcpConnection& c) const {
    if (!by_endpoints()) return c.id == id;
    return (c.client == a && c.client_port == pa && c.server == b && c.server_port == pb) ||
           (c.client == b && c.client_port == pb && c.server == a && c.server_port == pa);
  }
  std::string text;
};

bool parse_endpoint(std::string_view s, IpAddr& addr, std::uint16_t& port) {
  std::string_view host;
  std::string_view num;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    host = s.substr(1, close - 1);
    num = s.substr(close + 2);
  } else {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) return false;  // IPv6 needs brackets
    host = s.substr(0, colon);
    num = s.substr(colon + 1);
  }
  std::pair<IpAddr, int> net;
  if (!parse_cidr(std::string(host), net) || host.find('/') != std::string_view::npos) return false;
  if (num.empty() || num.size() > 5 || num.find_first_not_of("0123456789") != std::string_view::npos) return false;
  const unsigned long v = std::stoul(std::string(num));
  if (v > 65535) return false;
  addr = net.first;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// N, or A:P-B:P. The '-' between the endpoints is the first one after the first endpoint's port.
bool parse_conn_spec(const std::string& option, const std::string& s, ConnSpec& out, std::string& error) {
  out = ConnSpec{};
  out.text = s;
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19) {
    out.id = std::stoull(s);
    if (out.id > 0) return true;
  }
  std::size_t dash = std::string::npos;
  for (std::size_t i = s.find('-'); i != std::string::npos; i = s.find('-', i + 1))
    if (parse_endpoint(std::string_view(s).substr(0, i), out.a, out.pa)) {
      dash = i;
      break;
    }
  if (dash == std::string::npos || !parse_endpoint(std::string_view(s).substr(dash + 1), out.b, out.pb)) {
    error = fmt::format("{} {}: not a connection number (1, 2, ...) nor endpoints ADDR:PORT-ADDR:PORT "
                        "(IPv6 in brackets: [fd00::1]:4000-[fd00::2]:21)", option, s);
    return false;
  }
  out.id = 0;
  return true;
}

struct SessionsArgs {
  InputArgs in;
  bool table = false;
  std::string conn;
  std::string at;
};

int run_sessions(const SessionsArgs& a) {
  ConnSpec spec;
  std::string error;
  if (!a.conn.empty() && !parse_conn_spec("--conn", a.conn, spec, error)) {
    spdlog::error("{}", error);
    return kExitUsage;
  }
  TimeArg at;
  Zone zone;
  if (!a.at.empty() && (!parse_time_arg("--at", a.at, at, error) || !apply_tz(a.in.tz, zone, error))) {
    spdlog::error("{}", error);
    return kExitUsage;
  }
  RunResult res;
  int code = 0;
  std::optional<std::int64_t> first_record;  // of the whole trace, for --at hh:mm and +S
  const auto adjust = [&first_record](RunOptions& opt) {
    opt.resolve_window = [&first_record, window = opt.resolve_window](std::int64_t first_ns, std::int64_t& s,
                                                                      std::int64_t& e) {
      first_record = first_ns;
      if (window) window(first_ns, s, e);
    };
  };
  if (!run_command(a.in, res, code, adjust)) return code;
  auto& conns = res.report.tcp.connections;
  if (!a.conn.empty()) {
    const std::uint64_t in_trace = res.report.tcp.trace_connections();
    if (!spec.by_endpoints() && spec.id > in_trace) {
      spdlog::error("--conn {}: the trace has {} TCP connections", spec.id, in_trace);
      return kExitUsage;
    }
    std::erase_if(conns, [&spec](const TcpConnection& c) { return !spec.matches(c); });
    if (conns.empty()) {
      spdlog::error("--conn {}: no TCP connection {}{} (see ctana sessions --table)", a.conn,
                    spec.by_endpoints() ? "between these endpoints" : "listed with this number",
                    res.report.tcp.connections_in_trace ? " among those the filter and time window keep" : "");
      return kExitUsage;
    }
  }
  if (!a.at.empty()) {
    // Open at that moment: begun at or before it, and its last packet at or after it (or still
    // open when the trace ended).
    const std::int64_t t = resolve_time(at, first_record.value_or(0), zone);
    std::erase_if(conns, [t](const TcpConnection& c) {
      const bool open_at_end = (c.state == TcpState::established || c.state == TcpState::closing) && !c.evicted_idle;
      return c.first_ns > t || (c.last_ns < t && !open_at_end);
    });
    spdlog::info("--at {}: {} connection{} open at {}", a.at, conns.size(), conns.size() == 1 ? "" : "s", iso_time(t));
  }
  // csv and tsv are the table (one line per connection) for scripts
  const OutFormat f = output_format(a.in);
  const std::string text = f == OutFormat::json  ? render_sessions_json(res.report)
                           : f == OutFormat::csv ? render_sessions_table(res.report, TableFormat::csv)
                           : f == OutFormat::tsv ? render_sessions_table(res.report, TableFormat::tsv)
                           : a.table             ? render_sessions_table(res.report)
                                                 : render_sessions_text(res.report);
  if (!write_output(text, a.in.output)) return kExitUnreadable;
  return code;
}

struct FlowArgs {
  InputArgs in;
  std::string conn;
  bool relative = false;
};

int run_flow(const FlowArgs& a) {
  ConnSpec spec;
  std::string error;
  if (!parse_conn_spec("CONN", a.conn, spec, error)) {
    spdlog::error("{}", error);
    return kExitUsage;
  }
  std::uint64_t id = spec.id;  // by endpoints: the first connection between them
  // The rows as seen by either side: which one is the traced host's is known at the end (--local,
  // else the trace's direction, else the host in most connections, else the server's).
  std::string rows[2];
  std::optional<TcpConnection> conn;  // as at its first packet
  std::uint64_t nr = 0;
  std::int64_t last_ns = 0;
  std::vector<std::pair<IpAddr, int>> nets;
  const OutFormat f = output_format(a.in);
  const TableFormat tf = f == OutFormat::tsv ? TableFormat::tsv : TableFormat::csv;
  auto hook = [&](TcpAnalyzer& tcp) {
    tcp.on_tcp_packet([&](const Packet& p, const TcpPacketInfo& info, const TcpConnection& c) {
      if (id == 0 && spec.matches(c)) id = info.connection;
      if (info.connection != id) return;
      if (nr == 0) conn = c;
      if (!conn->local && c.local) conn->local = c.local;  // the trace's direction, once known
      ++nr;
      const std::int64_t delta = nr == 1 ? 0 : p.rec->ts_ns - last_ns;
      for (const Side local : kSides)
        rows[index(local)] += f == OutFormat::json ? render_flow_json_row(nr, p, info, local, delta)
                                         : f == OutFormat::text ? render_flow_row(nr, p, info, local, delta, a.relative)
                                                                : render_flow_table_row(nr, p, info, local, delta, tf);
      last_ns = p.rec->ts_ns;
    });
  };
  RunResult res;
  int code = 0;
  if (!run_command(a.in, res, code, [&](RunOptions& opt) {
        opt.summary.top_conversations = 0;
        nets = opt.tcp_options.local_nets;
        opt.tcp_hook = hook;
      }))
    return code;
  if (nr == 0) {
    spdlog::error("CONN {}: no such TCP connection{} (the trace has {}; see ctana sessions --table)", a.conn,
                  res.report.tcp.connections_in_trace ? " among those the filter and time window keep" : "",
                  res.report.tcp.trace_connections());
    return kExitUsage;
  }
  if (spec.by_endpoints()) {  // port reuse: more than one connection between the same endpoints
    std::string others;
    for (const auto& c : res.report.tcp.connections)
      if (c.id != id && spec.matches(c)) others += fmt::format("{}{}", others.empty() ? "" : ", ", c.id);
    if (!others.empty())
      spdlog::warn("CONN {}: connection {} shown; the same endpoints also carried connection(s) {}", a.conn, id, others);
  }
  TcpConnection& c = *conn;
  if (!nets.empty() && in_networks(c.client, nets) != in_networks(c.server, nets)) {
    c.local = in_networks(c.client, nets) ? Side::client : Side::server;
  } else if (!c.local) {
    c.local_rule = "server side (default)";
    if (res.report.tcp.local_host) take_trace_host(c, *res.report.tcp.local_host);
  }
  const Side local = c.local.value_or(Side::server);
  std::string out = f == OutFormat::text                        ? render_flow_header(c, a.relative)
                    : f == OutFormat::csv || f == OutFormat::tsv ? render_flow_table_header(tf)
                                                                 : std::string();
  out += rows[index(local)];
  if (!write_output(out, a.in.output)) return kExitUnreadable;
  return code;
}

struct ExceptionsArgs {
  InputArgs in;
  std::string order = "rank";
  std::uint64_t conn = 0;
  bool no_group = false;
  std::string min_severity = "info";
  std::vector<std::string> kinds;
};

int run_exceptions(const ExceptionsArgs& a) {
  RunResult res;
  int code = 0;
  // The filters act on the run's findings before they are counted, listed and grouped.
  const auto adjust = [&a](RunOptions& opt) {
    opt.finding_filter.min_severity = parse_severity(a.min_severity).value_or(Severity::info);
    opt.finding_filter.kinds = a.kinds;
    opt.finding_filter.connection = a.conn;
  };
  if (!run_command(a.in, res, code, adjust)) return code;
  ExceptionsTextOptions view;
  view.group = !a.no_group;
  view.order = a.order == "time" ? FindingOrder::time : a.order == "severity" ? FindingOrder::severity : FindingOrder::rank;
  const OutFormat f = output_format(a.in);
  const bool by_severity = a.order == "severity";  // tables: one row per finding, by time unless so
  const std::string text = f == OutFormat::json  ? render_exceptions_json(res.report)
                           : f == OutFormat::csv ? render_exceptions_table(res.report, TableFormat::csv, by_severity)
                           : f == OutFormat::tsv ? render_exceptions_table(res.report, TableFormat::tsv, by_severity)
                                                 : render_exceptions_text(res.report, view);
  if (!write_output(text, a.in.output)) return kExitUnreadable;
  return code;
}

std::vector<std::string> kind_names() {
  std::vector<std::string> v;
  for (const auto& k : finding_kinds()) v.emplace_back(k.kind);
  return v;
}

}  // namespace

Command add_sessions_command(CLI::App& app) {
  auto args = std::make_shared<SessionsArgs>();
  auto* sub = app.add_subcommand("sessions", "IPCS-style SESSION report: one block per TCP connection");
  add_input_options(sub, args->in, true);
  sub->add_flag("--table", args->table, "One line per connection instead of the IPCS blocks")->group(kGroupInput);
  add_format_option(sub, args->in, "one row per connection");
  sub->add_option("--conn", args->conn, "Only this connection: its number, or its endpoints ADDR:PORT-ADDR:PORT")
      ->type_name("N|ENDPOINTS")
      ->group(kGroupFilter);
  sub->add_option("--at", args->at, "Only the connections open at this time (ISO, epoch s, hh:mm[:ss], +S)")
      ->type_name("TIME")
      ->group(kGroupFilter);
  sub->footer("Examples:\n  ctana sessions --table trace.pcap\n  ctana sessions --at 14:02:10 --table trace.pcap\n  ctana sessions --format csv -o sessions.csv trace.pcap\n  ctana sessions --conn 3 --local 10.1.0.0/16 SYSTCPDA.bin");
  return {sub, [args] { return run_sessions(*args); }};
}

Command add_flow_command(CLI::App& app) {
  auto args = std::make_shared<FlowArgs>();
  auto* sub = app.add_subcommand("flow", "Sequence of execution of one TCP connection, packet by packet");
  add_input_options(sub, args->in, true);
  sub->add_option("CONN", args->conn, "Connection number (from ctana sessions), or its endpoints ADDR:PORT-ADDR:PORT")
      ->required()
      ->type_name("N|ENDPOINTS")
      ->group(kGroupInput);
  sub->add_flag("--relative", args->relative, "Relative sequence and acknowledgment numbers")->group(kGroupInput);
  add_format_option(sub, args->in, "one row per packet");
  sub->footer("Examples:\n  ctana sessions --table trace.pcap     (find the connection's number)\n"
              "  ctana flow trace.pcap 3\n  ctana flow trace.pcap 10.1.1.1:1234-10.2.2.2:21\n  ctana flow --relative --json trace.pcap 3\n  ctana flow --format tsv trace.pcap 3");
  return {sub, [args] { return run_flow(*args); }};
}

Command add_exceptions_command(CLI::App& app) {
  auto args = std::make_shared<ExceptionsArgs>();
  auto* sub = app.add_subcommand("exceptions", "Exception report: what went wrong, with explanations");
  add_input_options(sub, args->in, true);
  sub->add_option("--by", args->order,
                  "Order: rank (default: most important first), time, or severity (with --no-group)")
      ->check(one_of({"rank", "time", "severity"}))
      ->group(kGroupInput);
  sub->add_flag("--no-group", args->no_group, "One finding at a time instead of grouped by kind and cause")
      ->group(kGroupInput);
  add_format_option(sub, args->in, "one row per finding");
  sub->add_option("--min-severity", args->min_severity, "Only findings of this severity or above: info (default), warning, error")
      ->check(one_of({"info", "warning", "error"}))
      ->group(kGroupFilter);
  sub->add_option("--kind", args->kinds, "Only findings of these kinds (docs/findings.md; repeat or separate by commas)")
      ->delimiter(',')
      ->type_name("KIND")
      ->check(one_of(kind_names()).description(""))
      ->group(kGroupFilter);
  sub->add_option("--conn", args->conn, "Only the findings about this connection")->type_name("N")->check(int_range(1, INT64_MAX))->group(kGroupFilter);
  sub->footer("Examples:\n  ctana exceptions trace.pcap\n  ctana exceptions --min-severity warning --no-group --by time trace.pcap\n"
              "  ctana exceptions --kind syn_unanswered,refused --json SYSTCPDA.bin\n"
              "  ctana exceptions --format csv -o findings.csv trace.pcap");
  return {sub, [args] { return run_exceptions(*args); }};
}

}  // namespace ctana::cli
