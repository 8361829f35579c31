// ctana ftp / ctana dns: the application logs as text (docs/cli.md).
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ui.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {

struct AppLogArgs {
  InputArgs in;
};

int run_app_log(const AppLogArgs& a, bool ftp) {
  if (a.in.json) {
    spdlog::error("--json: ctana {} writes text; the same log is in ctana summary --json ({})", ftp ? "ftp" : "dns",
                  ftp ? "ftp.sessions[].log" : "dns.transactions");
    return kExitUsage;
  }
  RunResult res;
  int code = 0;
  if (!run_command(a.in, res, code)) return code;
  const std::string text = ftp ? render_ftp_log_text(res.report) : render_dns_log_text(res.report);
  if (!write_output(text, a.in.output)) return kExitUnreadable;
  return code;
}

}  // namespace

Command add_ftp_command(CLI::App& app) {
  auto args = std::make_shared<AppLogArgs>();
  auto* sub = app.add_subcommand("ftp", "FTP command log: each command, its reply and the latency, per session");
  add_input_options(sub, args->in, true);
  sub->footer("Examples:\n  ctana ftp trace.pcap\n  ctana ftp --ip 10.1.1.1 SYSTCPDA.bin");
  return {sub, [args] { return run_app_log(*args, true); }};
}

Command add_dns_command(CLI::App& app) {
  auto args = std::make_shared<AppLogArgs>();
  auto* sub = app.add_subcommand("dns", "DNS transactions: each query, its outcome, latency and first answer");
  add_input_options(sub, args->in, true);
  sub->footer("Examples:\n  ctana dns trace.pcap\n  ctana dns --start 10:15 --end 10:20 trace.pcap");
  return {sub, [args] { return run_app_log(*args, false); }};
}

}  // namespace ctana::cli
