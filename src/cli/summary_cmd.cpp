// ctana summary FILE: the protocol summary (docs/summary.md).
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "ctana/diff.hpp"
#include "ctana/render.hpp"
#include "report/json_parts.hpp"

namespace ctana::cli {

namespace {
struct SummaryArgs {
  InputArgs in;
  SummaryOptions summary;
  GateArgs gate;
};

int run_summary_command(const SummaryArgs& a) {
  std::vector<Rule> rules;
  if (!load_rules(a.gate, rules)) return kExitUsage;
  // rules that need a baseline are refused before the trace is read
  std::vector<RuleResult> results;
  std::string err;
  if (!single_trace_rules(rules, err)) {
    spdlog::error("{}", err);
    return kExitUsage;
  }
  RunResult res;
  int code = 0;
  if (!run_command(a.in, res, code, [&a](RunOptions& opt) { opt.summary = a.summary; })) return code;
  std::string text = a.in.json ? render_summary_json(res.report) : render_summary_text(res.report);
  if (!rules.empty() || !a.gate.junit.empty()) {
    Json doc = Json::parse(render_summary_json(res.report));
    Profile p;
    if (!make_profile(doc, res.report.path, "trace", {}, p, err) || !gate_profile(p, rules, results, err)) {
      spdlog::error("{}", err);
      return kExitInternal;
    }
    int failed = 0;
    for (const auto& r : results) failed += r.status == RuleResult::Status::fail;
    if (failed) code = kExitRegression;
    const std::string rules_text = render_rules_text(results);
    if (a.in.json) {
      doc["rules"] = rules_json(results);
      doc["exit"] = {{"code", code}, {"meaning", code == 0 ? "ok" : code == kExitRegression ? "regression" : "partial"}};
      text = json_text(doc, 2) + "\n";
    } else {
      text += "\n" + rules_text;
    }
    if (!a.gate.junit.empty() &&
        !write_output(render_junit("ctana summary " + res.report.path, results, rules_text), a.gate.junit))
      return kExitUnreadable;
  }
  if (!write_output(text, a.in.output)) return kExitUnreadable;
  return code;
}
}  // namespace

Command add_summary_command(CLI::App& app) {
  auto args = std::make_shared<SummaryArgs>();
  auto* sub = app.add_subcommand("summary", "Protocol summary of a trace: counts, bytes, time span, conversations, "
                                            "TCP sessions and exceptions");
  add_input_options(sub, args->in, true);
  add_gate_options(sub, args->gate);
  sub->add_option("--top", args->summary.top_conversations, "Conversations to list (default 10)")
      ->type_name("N")->check(int_range(0, 1'000'000));
  sub->add_option("--max-conversations", args->summary.max_conversations,
                  "Most conversations tracked at once (default 200000)")
      ->type_name("N")->check(int_range(1, 100'000'000));
  sub->footer("Examples:\n  ctana summary trace.pcapng\n  ctana summary --json -o summary.json SYSTCPDA.bin\n"
              "  ctana summary -f 'host 10.1.1.1 and tcp port 21' --start 14:02:00 --end 14:05:00 trace.pcap\n"
              "  ctana summary --start +30 trace.pcap   (from 30 s after the first packet)\n"
              "  ctana summary --tz Europe/Berlin --start 2024-05-02T16:02:00 SYSTCPDA.bin\n"
              "  zcat trace.pcap.gz | ctana summary -");
  return {sub, [args] { return run_summary_command(*args); }};
}

}  // namespace ctana::cli
