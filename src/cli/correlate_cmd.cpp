// ctana correlate A B: the same traffic captured at two points, matched packet by packet
// (docs/correlate.md).
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ui.hpp"
#include "ctana/correlate.hpp"

namespace ctana::cli {

namespace {

struct CorrelateArgs {
  std::string a, b, output, tz;
  bool json = false, list = false;
  double offset = 0;
  bool offset_given = false;
  correlate::Options opt;
  OpenOptions open;
};

int run_correlate(const CorrelateArgs& a) {
  Zone zone;
  std::string err;
  if (!apply_tz(a.tz, zone, err)) {
    spdlog::error("--tz: {}", err);
    return kExitUsage;
  }
  correlate::Options opt = a.opt;
  if (a.offset_given) opt.offset_s = a.offset;
  correlate::Report rep;
  if (!correlate::run(a.a, a.b, opt, a.open, rep, err)) {
    spdlog::error("{}", err);
    return kExitUnreadable;
  }
  if (rep.a.partial) spdlog::warn("{}: read problems: the result is partial", a.a);
  if (rep.b.partial) spdlog::warn("{}: read problems: the result is partial", a.b);
  if (rep.matched == 0 && rep.a.ip_packets && rep.b.ip_packets)
    spdlog::warn("no packet of {} was found in {}: not the same traffic, or not at the same time (see --horizon, "
                 "--offset)", a.a, a.b);
  const int code = rep.a.partial || rep.b.partial ? kExitPartial : kExitOk;
  const std::string text = a.json ? correlate::render_json(rep, code) : correlate::render_text(rep, a.list);
  if (!write_output(text, a.output)) return kExitUnreadable;
  return code;
}

}  // namespace

Command add_correlate_command(CLI::App& app) {
  auto args = std::make_shared<CorrelateArgs>();
  auto* sub = app.add_subcommand("correlate", "Two traces of the same traffic taken at two points, matched packet by "
                                              "packet: loss, delay and what the path changed (docs/correlate.md)");
  sub->add_option("A", args->a, "Trace taken at point A (any format ctana reads)")->required()->type_name("FILE")
      ->group(kGroupInput);
  sub->add_option("B", args->b, "Trace taken at point B")->required()->type_name("FILE")->group(kGroupInput);
  sub->add_flag("--json", args->json, "JSON instead of text (docs/schema/correlate.schema.json)")->group(kGroupInput);
  sub->add_option("-o,--output", args->output, "Write the report to this file instead of standard output")
      ->type_name("FILE")
      ->group(kGroupInput);
  sub->add_option_function<double>("--offset", [a = args.get()](double v) { a->offset = v, a->offset_given = true; },
                                   "B's clock minus A's in seconds, instead of estimating it (e.g. 3600 when B was "
                                   "taken in local time one hour ahead)")
      ->type_name("SECONDS");
  sub->add_option("--horizon", args->opt.horizon_s,
                  "How long a packet waits for its copy in the other trace, in seconds (default 10): bounds "
                  "the memory")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 3600.0));
  sub->add_flag("--list", args->list, "List every unmatched packet kept (text; default: the first 50)");
  sub->add_option("--max-listed", args->opt.max_listed, "Unmatched packets kept for the listing, and flows listed (default 1000)")
      ->type_name("N")
      ->check(int_range(0, 10'000'000));
  sub->add_option("--max-flows", args->opt.max_flows, "Flows tracked (default 100000); beyond, matched but not listed")
      ->type_name("N")
      ->check(int_range(1, 10'000'000));
  add_tz_option(sub, args->tz);
  add_ctrace_open_options(sub, args->open);
  sub->footer("Examples:\n  ctana correlate SYSTCPDA.bin client.pcapng\n"
              "  ctana correlate --offset 3600 --list zos.pcap pc.pcapng\n"
              "  ctana correlate --json -o corr.json before-fw.pcap after-fw.pcap");
  return {sub, [args] { return run_correlate(*args); }};
}

}  // namespace ctana::cli
