// ctana summary FILE: the protocol summary (docs/summary.md).
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {
struct SummaryArgs {
  InputArgs in;
  SummaryOptions summary;
};

int run_summary_command(const SummaryArgs& a) {
  RunResult res;
  int code = 0;
  if (!run_command(a.in, res, code, [&a](RunOptions& opt) { opt.summary = a.summary; })) return code;
  const std::string text = a.in.json ? render_summary_json(res.report) : render_summary_text(res.report);
  if (!write_output(text, a.in.output)) return kExitUnreadable;
  return code;
}
}  // namespace

Command add_summary_command(CLI::App& app) {
  auto args = std::make_shared<SummaryArgs>();
  auto* sub = app.add_subcommand("summary", "Protocol summary of a trace: counts, bytes, time span, conversations, "
                                            "TCP sessions and exceptions");
  add_input_options(sub, args->in, true);
  sub->add_option("--top", args->summary.top_conversations, "Conversations to list (default 10)")
      ->check(CLI::Range(0, 1'000'000));
  sub->add_option("--max-conversations", args->summary.max_conversations,
                  "Most conversations tracked at once (default 200000)")
      ->check(CLI::Range(1, 100'000'000));
  return {sub, [args] { return run_summary_command(*args); }};
}

}  // namespace ctana::cli
