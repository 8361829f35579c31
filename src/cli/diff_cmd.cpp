// ctana diff BASELINE CURRENT: what changed between two traces (or stored summaries), gated by
// rules (docs/ci.md).
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "ctana/diff.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {

struct DiffArgs {
  InputArgs in;
  std::string baseline, current, format = "text";
  GateArgs gate;
  bool all = false, ignore_addresses = false;
};

// A stored summary starts with '{'; anything else is a trace for the pipeline.
bool looks_like_json(const std::string& path) {
  if (path == "-") return false;
  std::ifstream f(path, std::ios::binary);
  char c = 0;
  while (f.get(c))
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c == '{';
  return false;
}

// Loads one side as a profile; returns an exit code (0 ok, 3 partial trace) or a failure code.
int load_side(const DiffArgs& a, const std::string& path, Profile& out, bool& ok) {
  ok = false;
  ProfileOptions po;
  po.match_addresses = !a.ignore_addresses;
  std::string err;
  if (looks_like_json(path)) {
    std::ifstream f(path, std::ios::binary);
    Json doc = Json::parse(f, nullptr, false);
    if (doc.is_discarded()) {
      spdlog::error("{}: not valid JSON (a stored baseline must be the output of ctana summary --json)", path);
      return kExitUnreadable;
    }
    if (!make_profile(doc, path, "json", po, out, err)) {
      spdlog::error("{}", err);
      return kExitUnreadable;
    }
    ok = true;
    const auto code = doc.contains("exit") && doc["exit"].contains("code") && doc["exit"]["code"].is_number_integer()
                          ? doc["exit"]["code"].get<int>()
                          : 0;
    return code == kExitPartial ? kExitPartial : kExitOk;
  }
  InputArgs in = a.in;
  in.file = path;
  RunResult res;
  int code = 0;
  if (!run_command(in, res, code)) return code;
  const Json doc = Json::parse(render_summary_json(res.report));
  if (!make_profile(doc, path, "trace", po, out, err)) {
    spdlog::error("{}", err);
    return kExitInternal;
  }
  ok = true;
  return code;
}

int run_diff(const DiffArgs& a) {
  std::vector<Rule> rules;
  if (!load_rules(a.gate, rules)) return kExitUsage;
  std::string format = a.in.json ? "json" : a.format;
  Profile base, cur;
  bool ok = false;
  const int bc = load_side(a, a.baseline, base, ok);
  if (!ok) return bc;
  const int cc = load_side(a, a.current, cur, ok);
  if (!ok) return cc;
  DiffOptions opt;
  opt.all = a.all;
  const DiffResult r = diff_profiles(std::move(base), std::move(cur), rules, opt);
  // A failed rule outranks a partial input: the regression is what a pipeline must act on.
  const int code = r.failed ? kExitRegression : (bc == kExitPartial || cc == kExitPartial) ? kExitPartial : kExitOk;
  const std::string text = render_diff_text(r, a.all);
  const std::string junit = render_junit("ctana diff " + a.baseline + " " + a.current, r.rules, text);
  std::string out = format == "json" ? render_diff_json(r, code) : format == "junit" ? junit : text;
  if (!write_output(out, a.in.output)) return kExitUnreadable;
  if (!a.gate.junit.empty() && !write_output(junit, a.gate.junit)) return kExitUnreadable;
  return code;
}

}  // namespace

Command add_diff_command(CLI::App& app) {
  auto args = std::make_shared<DiffArgs>();
  auto* sub = app.add_subcommand("diff", "Compare a trace with a baseline (trace or stored summary JSON); "
                                         "gate with --fail-on rules (exit 4 on a regression)");
  sub->add_option("BASELINE", args->baseline, "Known-good trace, or its summary JSON (ctana summary --json)")->required()->type_name("FILE")->group(kGroupInput);
  sub->add_option("CURRENT", args->current, "Trace to check, or its summary JSON")->required()->type_name("FILE")->group(kGroupInput);
  add_input_options(sub, args->in, true, false);
  sub->add_option("--format", args->format, "text (default), json or junit")
      ->check(one_of({"text", "json", "junit"}))->group(kGroupInput);
  add_gate_options(sub, args->gate);
  sub->add_flag("--all", args->all, "List every metric, not only changes above the reporting thresholds");
  sub->add_flag("--ignore-addresses", args->ignore_addresses,
                "Match TCP services by server port and application only, not by server address");
  sub->footer("Examples:\n  ctana diff good.pcap today.pcap\n  ctana summary --json -o baseline.json good.pcap\n"
              "  ctana diff --fail-on 'retrans_rate>+50%' --fail-on new:error --junit rules.xml baseline.json today.pcap");
  return {sub, [args] { return run_diff(*args); }};
}

}  // namespace ctana::cli
