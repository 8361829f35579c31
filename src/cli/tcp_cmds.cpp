// ctana sessions / flow / exceptions: the TCP session analysis reports (docs/tcp.md).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {

struct SessionsArgs {
  InputArgs in;
  bool table = false;
  std::uint64_t conn = 0;
};

int run_sessions(const SessionsArgs& a) {
  RunResult res;
  int code = 0;
  if (!run_command(a.in, res, code)) return code;
  if (a.conn && (a.conn > res.report.tcp.totals.connections)) {
    spdlog::error("--conn {}: the trace has {} TCP connections", a.conn, res.report.tcp.totals.connections);
    return kExitUsage;
  }
  // csv and tsv are the table (one line per connection) for scripts
  const OutFormat f = output_format(a.in);
  const std::string text = f == OutFormat::json  ? render_sessions_json(res.report, a.conn)
                           : f == OutFormat::csv ? render_sessions_table(res.report, TableFormat::csv, a.conn)
                           : f == OutFormat::tsv ? render_sessions_table(res.report, TableFormat::tsv, a.conn)
                           : a.table             ? render_sessions_table(res.report)
                                                 : render_sessions_text(res.report, a.conn);
  if (!write_output(text, a.in.output)) return kExitUnreadable;
  return code;
}

struct FlowArgs {
  InputArgs in;
  std::uint64_t conn = 0;
  bool relative = false;
};

int run_flow(const FlowArgs& a) {
  std::string out;
  std::uint64_t nr = 0;
  std::int64_t last_ns = 0;
  std::vector<std::pair<IpAddr, int>> nets;
  const OutFormat f = output_format(a.in);
  const TableFormat tf = f == OutFormat::tsv ? TableFormat::tsv : TableFormat::csv;
  auto hook = [&](TcpAnalyzer& tcp) {
    tcp.on_tcp_packet([&](const Packet& p, const TcpPacketInfo& info, const TcpConnection& c) {
      if (info.connection != a.conn) return;
      // The traced host's side: --local, else from the trace, else the server's.
      Side local = c.local.value_or(Side::server);
      if (!nets.empty() && in_networks(c.client, nets) != in_networks(c.server, nets))
        local = in_networks(c.client, nets) ? Side::client : Side::server;
      if (nr == 0 && f == OutFormat::text) out += render_flow_header(c, a.relative);
      if (nr == 0 && (f == OutFormat::csv || f == OutFormat::tsv)) out += render_flow_table_header(tf);
      ++nr;
      const std::int64_t delta = nr == 1 ? 0 : p.rec->ts_ns - last_ns;
      out += f == OutFormat::json ? render_flow_json_row(nr, p, info, local, delta)
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
    spdlog::error("--conn {}: no such TCP connection (the trace has {}; see ctana sessions --table)", a.conn,
                  res.report.tcp.totals.connections);
    return kExitUsage;
  }
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
  sub->add_option("--conn", args->conn, "Only this connection (its number in the report)")->type_name("N")->check(int_range(1, INT64_MAX))->group(kGroupFilter);
  sub->footer("Examples:\n  ctana sessions --table trace.pcap\n  ctana sessions --format csv -o sessions.csv trace.pcap\n  ctana sessions --conn 3 --local 10.1.0.0/16 SYSTCPDA.bin");
  return {sub, [args] { return run_sessions(*args); }};
}

Command add_flow_command(CLI::App& app) {
  auto args = std::make_shared<FlowArgs>();
  auto* sub = app.add_subcommand("flow", "Sequence of execution of one TCP connection, packet by packet");
  add_input_options(sub, args->in, true);
  sub->add_option("CONN", args->conn, "Connection number (from ctana sessions)")->required()->type_name("N")->check(int_range(1, INT64_MAX))->group(kGroupInput);
  sub->add_flag("--relative", args->relative, "Relative sequence and acknowledgment numbers")->group(kGroupInput);
  add_format_option(sub, args->in, "one row per packet");
  sub->footer("Examples:\n  ctana sessions --table trace.pcap     (find the connection's number)\n"
              "  ctana flow trace.pcap 3\n  ctana flow --relative --json trace.pcap 3\n  ctana flow --format tsv trace.pcap 3");
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
