// ctana command line. Exit codes (docs/cli.md): 0 ok, 1 usage, 2 unreadable input or not a
// trace, 3 partial (input truncated or damaged; what could be read is still reported).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>

#include "ctana/render.hpp"
#include "ctana/summary.hpp"

namespace {

constexpr int kExitUsage = 1;
constexpr int kExitInternal = 70;  // never expected: an escaped exception (a bug)

bool write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0;
  }
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) {
    spdlog::error("--output {}: cannot write", path);
    return false;
  }
  return true;
}

int run(int argc, char** argv) {
  CLI::App app{"ctana: analyze network packet traces (z/OS CTRACE, pcap, pcapng)", "ctana"};
  app.set_version_flag("--version", std::string("ctana ") + CTANA_VERSION);
  app.require_subcommand(1);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More diagnostics on stderr (repeat for more)");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");

  auto* summary = app.add_subcommand("summary", "Protocol summary of a trace: counts, bytes, time span, conversations");
  std::string file, filter, output;
  bool json = false;
  ctana::RunOptions opt;
  summary->add_option("FILE", file, "Trace file (pcap, pcapng), or - for standard input")->required();
  summary->add_flag("--json", json, "Write the summary as JSON (schema: docs/summary.md)");
  summary->add_option("-f,--filter", filter, "Only packets matching this tcpdump-style filter expression");
  summary->add_option("-o,--output", output, "Write the report to this file instead of standard output");
  summary->add_option("--top", opt.summary.top_conversations, "Conversations to list (default 10)")
      ->check(CLI::Range(0, 1'000'000));
  summary->add_option("--max-conversations", opt.summary.max_conversations,
                      "Most conversations tracked at once (default 200000)")
      ->check(CLI::Range(1, 100'000'000));

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  auto logger = spdlog::stderr_color_mt("ctana");
  logger->set_pattern("ctana: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(quiet ? spdlog::level::err
                          : verbose >= 2 ? spdlog::level::trace
                          : verbose == 1 ? spdlog::level::debug
                                         : spdlog::level::warn);

  if (*summary) {
    opt.filter = filter;
    ctana::RunResult res = ctana::run_summary(file, opt);
    if (!res.error.empty()) {
      spdlog::error("{}", res.error);
      return res.exit_code;
    }
    const auto& rd = res.report.read;
    for (const auto& is : rd.issues) spdlog::warn("{}: offset {}: {}", res.report.path, is.offset, is.message);
    if (rd.issues_dropped) spdlog::warn("{}: {} more read problems not shown", res.report.path, rd.issues_dropped);
    if (res.exit_code == 3)
      spdlog::warn("{}: partial result: the input is {}; all records that could be read are reported", res.report.path,
                   rd.truncated ? "truncated" : rd.io_error ? "unreadable in part" : "damaged");
    const std::string text = json ? ctana::render_summary_json(res.report) : ctana::render_summary_text(res.report);
    if (!write_output(text, output)) return 2;
    return res.exit_code;
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctana: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "ctana: internal error\n");
  }
  return kExitInternal;
}
