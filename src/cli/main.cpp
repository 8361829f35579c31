// ctana command line: global options and the subcommands (src/cli/*_cmd.cpp).
// Exit codes (docs/cli.md): 0 ok, 1 usage, 2 unreadable input or not a trace, 3 partial.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <vector>

#include "cli/commands.hpp"

namespace ctana::cli {

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

namespace {

int run(int argc, char** argv) {
  CLI::App app{"ctana: analyze network packet traces (z/OS CTRACE, pcap, pcapng)", "ctana"};
  app.set_version_flag("--version", std::string("ctana ") + CTANA_VERSION);
  app.require_subcommand(1);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More diagnostics on stderr (repeat for more)");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");

  std::vector<Command> commands;
  commands.push_back(add_summary_command(app));
  commands.push_back(add_sessions_command(app));
  commands.push_back(add_flow_command(app));
  commands.push_back(add_exceptions_command(app));
  commands.push_back(add_convert_command(app));
  commands.push_back(add_ctrace_command(app));
  commands.push_back(add_records_command(app));
  commands.push_back(add_diff_command(app));
  commands.push_back(add_unterse_command(app));

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

  for (const auto& c : commands)
    if (c.app->parsed()) return c.run();
  return kExitUsage;
}

}  // namespace
}  // namespace ctana::cli

int main(int argc, char** argv) {
  try {
    return ctana::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctana: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "ctana: internal error\n");
  }
  return ctana::cli::kExitInternal;
}
