// ctana report FILE -o report.html: one self-contained HTML triage report (docs/report.md), made
// from the same single run as `summary --json`, with a SeriesCollector added for the plots.
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ui.hpp"
#include "ctana/html_report.hpp"
#include "ctana/summary.hpp"

namespace ctana::cli {

namespace {
struct ReportArgs {
  InputArgs in;
  HtmlOptions html;
  bool no_plots = false;
};

int run_report_command(const ReportArgs& a) {
  ReportSeries series;
  std::unique_ptr<SeriesCollector> collector;
  const bool plots = html_plots_available() && !a.no_plots;
  if (plots) collector = std::make_unique<SeriesCollector>(series);
  RunResult res;
  int code = 0;
  if (!run_command(a.in, res, code, [&collector](RunOptions& opt) {
        if (!collector) return;
        opt.extra.push_back(collector.get());
        SeriesCollector* c = collector.get();
        opt.tcp_hook = [c](TcpAnalyzer& tcp) { c->attach(tcp); };
      }))
    return code;
  HtmlOptions h = a.html;
  h.plots = plots;
  if (!write_output(render_report_html(res.report, series, h), a.in.output)) return kExitUnreadable;
  return code;
}
}  // namespace

Command add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* sub = app.add_subcommand("report", "One self-contained HTML triage report: verdict, findings, connections, "
                                           "plots, applications (docs/report.md)");
  add_input_options(sub, args->in, true);
  sub->remove_option(sub->get_option("--json"));  // the report is HTML
  sub->get_option("--output")->description("Write the HTML report to this file instead of standard output");
  sub->add_option("--title", args->html.title, "The page's title (default: the trace's file name)")
      ->type_name("TEXT")
      ->group(kGroupInput);
  sub->add_option("--max-plots", args->html.max_detail,
                  "Most connections with their own plots: those with findings first, then the biggest (default 16)")
      ->type_name("N")
      ->check(int_range(0, 64))
      ->group(kGroupInput);
  sub->add_option("--max-rows", args->html.max_table_rows, "Most rows of the connections table (default 5000)")
      ->type_name("N")
      ->check(int_range(0, 1'000'000))
      ->group(kGroupInput);
  sub->add_flag("--no-plots", args->no_plots, "Text and tables only: no charting library, no plots (a smaller file)")
      ->group(kGroupInput);
  sub->footer("Examples:\n  ctana report trace.pcapng -o report.html\n"
              "  ctana report -f 'tcp port 21' --start 14:02 --end 14:05 SYSTCPDA.bin -o ftp.html\n"
              "  ctana report --no-plots trace.pcap -o small.html");
  return {sub, [args] { return run_report_command(*args); }};
}

}  // namespace ctana::cli
