// ctana summary FILE: the protocol summary (docs/summary.md).
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.hpp"
#include "ctana/render.hpp"
#include "ctana/summary.hpp"

namespace ctana::cli {

namespace {
struct SummaryArgs {
  std::string file, output;
  bool json = false;
  RunOptions opt;
};

int run_summary_command(const SummaryArgs& a) {
  RunResult res = run_summary(a.file, a.opt);
  if (!res.error.empty()) {
    spdlog::error("{}", res.error);
    return res.exit_code;
  }
  const auto& rd = res.report.read;
  for (const auto& is : rd.issues) spdlog::warn("{}: offset {}: {}", res.report.path, is.offset, is.message);
  if (rd.issues_dropped) spdlog::warn("{}: {} more read problems not shown", res.report.path, rd.issues_dropped);
  if (res.exit_code == kExitPartial)
    spdlog::warn("{}: partial result: the input is {}; all records that could be read are reported", res.report.path,
                 rd.truncated ? "truncated" : rd.io_error ? "unreadable in part" : "damaged");
  const std::string text = a.json ? render_summary_json(res.report) : render_summary_text(res.report);
  if (!write_output(text, a.output)) return kExitUnreadable;
  return res.exit_code;
}
}  // namespace

Command add_summary_command(CLI::App& app) {
  auto args = std::make_shared<SummaryArgs>();
  auto* sub = app.add_subcommand("summary", "Protocol summary of a trace: counts, bytes, time span, conversations");
  sub->add_option("FILE", args->file, "Trace file (pcap, pcapng, z/OS CTRACE), or - for standard input")->required();
  sub->add_flag("--json", args->json, "Write the summary as JSON (schema: docs/summary.md)");
  sub->add_option("-f,--filter", args->opt.filter, "Only packets matching this tcpdump-style filter expression");
  sub->add_option("-o,--output", args->output, "Write the report to this file instead of standard output");
  sub->add_option("--top", args->opt.summary.top_conversations, "Conversations to list (default 10)")
      ->check(CLI::Range(0, 1'000'000));
  sub->add_option("--max-conversations", args->opt.summary.max_conversations,
                  "Most conversations tracked at once (default 200000)")
      ->check(CLI::Range(1, 100'000'000));
  add_ctrace_open_options(sub, args->opt.open);
  return {sub, [args] { return run_summary_command(*args); }};
}

}  // namespace ctana::cli
