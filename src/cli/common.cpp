#include "cli/common.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "cli/commands.hpp"
#include "ctana/render.hpp"
#include "cli/ui.hpp"

namespace ctana::cli {

namespace {
// The progress line on stderr (docs/cli.md): only on a terminal, not with -q, and only once a run
// has taken a second; erased when the run ends, before any message is logged.
class ProgressLine {
 public:
  ProgressLine()
      : on_(::isatty(STDERR_FILENO) && spdlog::get_level() <= spdlog::level::warn),
        start_(std::chrono::steady_clock::now()) {}
  ~ProgressLine() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  bool on() const { return on_; }

  void update(std::uint64_t done, std::uint64_t total) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (s < 1.0 || done == 0) return;
    const double rate = static_cast<double>(done) / s;  // bytes per second
    std::string line = fmt::format("\rctana: {:.0f} MB", static_cast<double>(done) / 1e6);
    if (total >= done && total > 0) {
      line += fmt::format(" of {:.0f} MB ({:.0f}%)", static_cast<double>(total) / 1e6, 100.0 * static_cast<double>(done) / static_cast<double>(total));
      line += fmt::format(", {:.0f} MB/s, {:.0f} s left", rate / 1e6, static_cast<double>(total - done) / rate);
    } else {
      line += fmt::format(", {:.0f} MB/s", rate / 1e6);
    }
    line += "\x1b[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }

 private:
  bool on_, shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

// --app NAME=PORT
bool parse_app(const std::string& app, std::pair<std::string, std::uint16_t>& out, std::string& error) {
  const auto eq = app.find('=');
  int port = -1;
  if (eq != std::string::npos && eq > 0) {
    const std::string p = app.substr(eq + 1);
    if (!p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string::npos) port = std::stoi(p);
  }
  if (port < 0 || port > 65535) {
    error = fmt::format("--app {}: expected NAME=PORT, e.g. --app payroll=5001", app);
    return false;
  }
  out = {app.substr(0, eq), static_cast<std::uint16_t>(port)};
  return true;
}
}  // namespace

void add_secret_options(CLI::App* sub, SecretArgs& s) {
  sub->add_flag("--show-secrets", s.show,
                "Show FTP PASS and ACCT arguments in packet data instead of masking them with '*'")
      ->group(kGroupInput);
  sub->add_option("--app", s.apps, "NAME=PORT: with ftp=PORT, PORT is an FTP control port too (masking; repeatable)")
      ->type_name("NAME=PORT")
      ->group(kGroupInput);
}

CLI::Option* add_file_option(CLI::App* sub, std::string& file, const std::string& what) {
  return sub->add_option("FILE,-r", file, what + ", or - for standard input; also as -r FILE")
      ->required()
      ->type_name("FILE")
      ->group(kGroupInput);
}

bool ftp_ports(const SecretArgs& s, std::vector<std::uint16_t>& ports, std::string& error) {
  ports = {21};
  for (const auto& app : s.apps) {
    std::pair<std::string, std::uint16_t> a;
    if (!parse_app(app, a, error)) return false;
    if (a.first == "ftp") ports.push_back(a.second);
  }
  return true;
}

bool make_masker(const SecretArgs& s, std::unique_ptr<ftp::SecretMasker>& m, std::string& error) {
  std::vector<std::uint16_t> ports;
  if (!ftp_ports(s, ports, error)) return false;
  if (!s.show) m = std::make_unique<ftp::SecretMasker>(ports);
  return true;
}

void add_gate_options(CLI::App* sub, GateArgs& g) {
  sub->add_option("--fail-on", g.fail_on,
                  "Exit 4 when this rule fails, e.g. 'retrans_rate>+50%', new:error, dns.servfail>0 "
                  "(repeatable or comma-separated; docs/ci.md)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("RULE")
      ->group(kGroupRules);
  sub->add_option("--rules", g.rule_files, "Read rules from this file: one per line, # comments (repeatable)")
      ->allow_extra_args(false)
      ->type_name("FILE")
      ->group(kGroupRules);
  sub->add_option("--junit", g.junit, "Also write the rule results as JUnit XML to this file")
      ->type_name("FILE")
      ->group(kGroupRules);
}

bool load_rules(const GateArgs& g, std::vector<Rule>& rules) {
  std::string err;
  if (collect_rules(g.fail_on, g.rule_files, rules, err)) return true;
  spdlog::error("{}", err);
  return false;
}

void add_format_option(CLI::App* sub, InputArgs& a, const std::string& what) {
  sub->add_option("--format", a.format, "Output: text (default), csv or tsv (" + what + ", docs/cli.md Tables), or json (= --json)")
      ->check(one_of({"text", "csv", "tsv", "json"}))
      ->group(kGroupInput);
}

OutFormat output_format(const InputArgs& a) {
  if (a.json || a.format == "json") return OutFormat::json;
  if (a.format == "csv") return OutFormat::csv;
  if (a.format == "tsv") return OutFormat::tsv;
  return OutFormat::text;
}

void add_filter_options(CLI::App* sub, InputArgs& a) {
  sub->add_option("-f,--filter", a.filter, "Only packets matching this tcpdump-style filter expression")
      ->type_name("EXPR")
      ->group(kGroupFilter);
  // One value per --ip/--port (repeat the option for more), so that a FILE after them stays the FILE.
  sub->add_option("--ip", a.ips, "Only packets to or from this address (repeatable)")
      ->allow_extra_args(false)
      ->type_name("ADDR")
      ->group(kGroupFilter);
  sub->add_option("--port", a.ports, "Only packets to or from this TCP/UDP port (repeatable)")
      ->allow_extra_args(false)
      ->type_name("PORT")
      ->check(int_range(0, 65535))
      ->group(kGroupFilter);
  sub->add_option("--start", a.start,
                  "Only packets at or after this time: 2024-01-02T03:04:05[.f][Z|+hh:mm], seconds since 1970, "
                  "hh:mm[:ss[.f]] on the trace's first day, or +SECONDS after its first packet")
      ->type_name("TIME")
      ->group(kGroupFilter);
  sub->add_option("--end", a.end, "Only packets before this time (same forms as --start)")
      ->type_name("TIME")
      ->group(kGroupFilter);
  add_tz_option(sub, a.tz);
}

void add_input_options(CLI::App* sub, InputArgs& a, bool tcp_options, bool file) {
  if (file) add_file_option(sub, a.file, "Trace file (pcap, pcapng, z/OS CTRACE)");
  sub->add_flag("--json", a.json, "Write JSON instead of text")->group(kGroupInput);
  sub->add_option("-o,--output", a.output, "Write the report to this file instead of standard output")
      ->type_name("FILE")
      ->group(kGroupInput);
  add_filter_options(sub, a);
  sub->add_option("--threads", a.threads,
                  "1: read and analyse on one thread; 2: analyse on a second thread (default: 2 on a machine "
                  "with two cores or more). The report is the same")
      ->type_name("N")
      ->check(int_range(1, 2))
      ->group(kGroupInput);
  sub->add_flag("--no-reassembly", a.no_reassembly,
                "Do not reassemble IP fragments: their payload is then not analysed (fragments are counted either way)")
      ->group(kGroupInput);
  sub->add_flag("--no-tunnels", a.no_tunnels,
                "Do not decode what GRE, IP-in-IP, Teredo, VXLAN and Geneve tunnels carry: their packets are then "
                "analysed by the outer header only")
      ->group(kGroupInput);
  add_ctrace_open_options(sub, a.open);
  if (!tcp_options) return;
  sub->add_option("--local", a.local, "The traced host's addresses (CIDR, repeatable or comma-separated)")
      ->delimiter(',')
      ->type_name("CIDR")
      ->group(kGroupTcp);
  sub->add_option("--app", a.apps, "Name an application by its server port: NAME=PORT (repeatable)")
      ->type_name("NAME=PORT")
      ->group(kGroupTcp);
  sub->add_option("--delayed-ack", a.delayed_ack_ms, "An ACK later than this (ms) counts as delayed (default 200)")
      ->type_name("MS")
      ->check(real_range(0.0, 1e7, " ms"))
      ->group(kGroupTcp);
  sub->add_option("--idle-timeout", a.idle_timeout_s,
                  "Finish connections idle this long (s, default 600); bounds memory on long traces")
      ->type_name("S")
      ->check(real_range(0.001, 1e9, " s"))
      ->group(kGroupTcp);
  sub->add_option("--rt-threshold", a.rt_threshold_ms, "A response slower than this (ms) is a finding (default 1000)")
      ->type_name("MS")
      ->check(real_range(0.0, 1e9, " ms"))
      ->group(kGroupTcp);
  sub->add_option("--end-grace", a.end_grace_s,
                  "A connection attempt begun this close to the trace's end (s, default 3) is reported as info "
                  "'attempt_at_end_of_trace', not as unanswered")
      ->type_name("S")
      ->check(real_range(0.0, 1e6, " s"))
      ->group(kGroupTcp);
  sub->add_option("--max-listed", a.max_listed, "Most connections and findings listed (default 10000)")
      ->type_name("N")
      ->check(int_range(0, 100'000'000))
      ->group(kGroupTcp);
  sub->add_option("--max-connections", a.max_connections,
                  "Most TCP connections tracked at once (default 1000000); packets of further ones are counted "
                  "as untracked, so memory stays bounded")
      ->type_name("N")
      ->check(int_range(1, 100'000'000))
      ->group(kGroupTcp);
  sub->add_flag("--show-secrets", a.show_secrets, "Show FTP PASS and ACCT arguments and the credentials protocol modules mask (docs/security.md) instead of *****")->group(kGroupInput);
}

void add_tz_option(CLI::App* sub, std::string& tz) {
  sub->add_option("--tz", tz,
                  "Show the text reports' times in this zone (local, UTC, Europe/Berlin, +02:00; JSON stays UTC); "
                  "--start/--end without a zone are read in it too")
      ->type_name("ZONE")
      ->group(kGroupInput);
}

bool apply_tz(const std::string& tz, Zone& zone, std::string& error) {
  zone = Zone();
  if (tz.empty()) return true;
  if (!Zone::parse(tz, zone, error)) return false;
  if (!zone.utc()) set_text_zone([zone](std::int64_t s) { return zone.offset_at(s); });
  return true;
}

bool make_run_options(const InputArgs& a, RunOptions& opt, std::string& error) {
  std::vector<std::string> parts;
  if (!a.filter.empty()) parts.push_back("(" + a.filter + ")");
  if (!a.ips.empty()) {
    std::string e;
    for (const auto& ip : a.ips) {
      std::pair<IpAddr, int> net;
      if (!parse_cidr(ip, net)) {
        error = fmt::format("--ip {}: not an IPv4 or IPv6 address", ip);
        return false;
      }
      e += fmt::format("{}host {}", e.empty() ? "" : " or ", ip);
    }
    parts.push_back("(" + e + ")");
  }
  if (!a.ports.empty()) {
    std::string e;
    for (auto p : a.ports) e += fmt::format("{}port {}", e.empty() ? "" : " or ", p);
    parts.push_back("(" + e + ")");
  }
  opt.filter.clear();
  for (const auto& p : parts) opt.filter += (opt.filter.empty() ? "" : " and ") + p;
  if (parts.size() == 1 && !a.filter.empty()) opt.filter = a.filter;
  TimeArg start, end;
  Zone zone;
  if (!apply_tz(a.tz, zone, error)) return false;
  if (!a.start.empty() && !parse_time_arg("--start", a.start, start, error)) return false;
  if (!a.end.empty() && !parse_time_arg("--end", a.end, end, error)) return false;
  if (start.kind != TimeArg::Kind::none || end.kind != TimeArg::Kind::none)
    opt.resolve_window = [start, end, zone](std::int64_t first_ns, std::int64_t& s, std::int64_t& e) {
      resolve_window(start, end, first_ns, zone, s, e);
    };
  for (const auto& l : a.local) {
    std::pair<IpAddr, int> net;
    if (!parse_cidr(l, net)) {
      error = fmt::format("--local {}: not an address or CIDR network", l);
      return false;
    }
    opt.tcp_options.local_nets.push_back(net);
  }
  for (const auto& app : a.apps) {
    std::pair<std::string, std::uint16_t> named;
    if (!parse_app(app, named, error)) return false;
    opt.tcp_options.port_names.push_back(named);
  }
  opt.tcp_options.delayed_ack_ns = static_cast<std::int64_t>(a.delayed_ack_ms * 1e6);
  opt.tcp_options.idle_timeout_ns = static_cast<std::int64_t>(a.idle_timeout_s * 1e9);
  opt.tcp_options.rt_threshold_ns = static_cast<std::int64_t>(a.rt_threshold_ms * 1e6);
  opt.tcp_options.end_grace_ns = static_cast<std::int64_t>(a.end_grace_s * 1e9);
  opt.tcp_options.max_connections = a.max_connections;
  opt.ftp_options.show_secrets = a.show_secrets;
  opt.show_secrets = a.show_secrets;
  opt.open = a.open;
  opt.threads = a.threads;
  opt.ip_reassembly.enabled = !a.no_reassembly;
  opt.tunnels = !a.no_tunnels;
  opt.max_listed_connections = a.max_listed;
  opt.max_listed_findings = a.max_listed;
  return true;
}

void log_read_problems(const std::string& path, const ReadStats& rd) {
  if (!rd.ascii_transfer.empty()) spdlog::warn("{}: {}", path, ascii_transfer_message(rd.ascii_transfer));
  for (const auto& is : rd.issues) spdlog::warn("{}: offset {}: {}", path, is.offset, is.message);
  if (rd.issues_dropped) spdlog::warn("{}: {} more read problems not shown", path, rd.issues_dropped);
  if (rd.partial())
    spdlog::warn("{}: partial result: the input is {}; all records that could be read are reported", path,
                 rd.truncated ? "truncated" : rd.io_error ? "unreadable in part" : "damaged");
}

bool run_command(const InputArgs& a, RunResult& res, int& exit_code, const std::function<void(RunOptions&)>& adjust) {
  RunOptions opt;
  std::string err;
  if (!make_run_options(a, opt, err)) {
    spdlog::error("{}", err);
    exit_code = kExitUsage;
    return false;
  }
  if (adjust) adjust(opt);
  {
    ProgressLine progress;
    if (progress.on()) opt.progress = [&progress](std::uint64_t done, std::uint64_t total) { progress.update(done, total); };
    res = run_summary(a.file, opt);
  }
  if (!res.error.empty()) {
    spdlog::error("{}", res.error);
    exit_code = res.exit_code;
    return false;
  }
  log_read_problems(res.report.path, res.report.read);
  exit_code = res.exit_code;
  return true;
}

}  // namespace ctana::cli
