// ctana command line: global options and the subcommands (src/cli/*_cmd.cpp).
// Exit codes (docs/cli.md): 0 ok, 1 usage, 2 unreadable input or not a trace, 3 partial.
#include <CLI/Version.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pcap/pcap.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <spdlog/version.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "cli/commands.hpp"
#include "cli/ui.hpp"

namespace ctana::cli {

extern const char* const kGitCommit;  // build_info.cpp, written at build time

bool write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    errno = 0;
    const bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
    if (!ok) spdlog::error("standard output: cannot write: {}", std::strerror(errno ? errno : EIO));
    return ok;
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    spdlog::error("{}: cannot write: {}", path, std::strerror(errno));
    return false;
  }
  errno = 0;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  int err = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) spdlog::error("{}: cannot write: {}", path, std::strerror(err ? err : EIO));
  return ok;
}

std::string version_text() {
  return fmt::format(
      "ctana {} (commit {})\n{}\nfmt {}.{}.{}, spdlog {}.{}.{}, CLI11 {}, nlohmann_json {}.{}.{}", CTANA_VERSION,
      kGitCommit, pcap_lib_version(), FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100,
      SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH, CLI11_VERSION, NLOHMANN_JSON_VERSION_MAJOR,
      NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH);
}

namespace {

struct Globals {
  int verbose = 0;
  bool quiet = false;
  std::string color = "auto";
};

// -v, -q and --color on `app` and every subcommand, so that they may follow the command too.
void add_global_options(CLI::App* app, Globals& g) {
  app->add_flag_function("-v,--verbose", [&g](std::int64_t n) { g.verbose += static_cast<int>(n); },
                         "More diagnostics on stderr (repeat for more)")
      ->group(kGroupGlobal);
  app->add_flag_callback("-q,--quiet", [&g] { g.quiet = true; }, "Only errors on stderr")->group(kGroupGlobal);
  app->add_option_function<std::string>("--color", [&g](const std::string& c) { g.color = c; },
                                        "Colour on stderr: auto (default: on a terminal, unless NO_COLOR is set), "
                                        "always or never")
      ->check(one_of({"auto", "always", "never"}))
      ->group(kGroupGlobal);
  for (CLI::App* s : app->get_subcommands([](CLI::App*) { return true; })) add_global_options(s, g);
}

constexpr const char* kExamples =
    "Examples:\n"
    "  ctana summary trace.pcapng                   protocol summary\n"
    "  ctana summary -f 'tcp port 21' SYSTCPDA.bin  only FTP control traffic of a CTRACE\n"
    "  ctana exceptions --by severity trace.pcap    what went wrong, worst first\n"
    "  ctana sessions --table trace.pcap            one line per TCP connection\n"
    "  ctana flow trace.pcap 3                      connection 3 packet by packet\n"
    "  ctana records --format -r SYSTCPDA.bin       IPCS FORMAT-style detail of each record\n"
    "  ctana ftp trace.pcap                         FTP commands, replies and latencies\n"
    "  ctana convert SYSTCPDA.bin -o trace.pcapng   open a z/OS trace in Wireshark\n"
    "  ctana diff --fail-on 'retrans_rate>+50%' good.pcap new.pcap   gate a CI job\n"
    "  ctana correlate SYSTCPDA.bin client.pcap    where packets die between two capture points\n"
    "Run 'ctana COMMAND --help' for the options of a command; docs/cli.md for all.";

int run(int argc, char** argv) {
  CLI::App app{"ctana: analyze network packet traces (z/OS CTRACE, pcap, pcapng)", "ctana"};
  app.formatter(make_help_formatter());
  app.option_defaults()->group(kGroupOptions);
  app.set_version_flag("--version", [] { return version_text(); }, "Print the version, commit and library versions")
      ->group(kGroupGlobal);
  app.set_help_flag("-h,--help", "Print this help and exit")->group(kGroupGlobal);
  app.require_subcommand(1);
  app.footer(kExamples);

  std::vector<Command> commands;
  commands.push_back(add_summary_command(app));
  commands.push_back(add_sessions_command(app));
  commands.push_back(add_flow_command(app));
  commands.push_back(add_exceptions_command(app));
  commands.push_back(add_convert_command(app));
  commands.push_back(add_ctrace_command(app));
  commands.push_back(add_records_command(app));
  commands.push_back(add_ftp_command(app));
  commands.push_back(add_dns_command(app));
  commands.push_back(add_diff_command(app));
  commands.push_back(add_correlate_command(app));
  commands.push_back(add_unterse_command(app));
  commands.push_back(add_report_command(app));
  Globals g;
  add_global_options(&app, g);
  for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; })) {
    s->get_help_ptr()->group(kGroupGlobal);
    for (CLI::App* s2 : s->get_subcommands([](CLI::App*) { return true; })) s2->get_help_ptr()->group(kGroupGlobal);
  }
  // The man page and the shell completions (built by CMake from this definition).
  std::string generate, generate_to;
  app.add_option("--generate", generate)->group("")->check(one_of({"man", "bash", "zsh"}));
  app.add_option("--generate-to", generate_to)->group("");

  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (!generate.empty() && app.get_subcommands().empty() && dynamic_cast<const CLI::RequiredError*>(&e)) {
      const std::string text = generate == "man" ? generate_man_page(app)
                               : generate == "bash" ? generate_bash_completion(app)
                                                    : generate_zsh_completion(app);
      return write_output(text, generate_to) ? kExitOk : kExitUnreadable;
    }
    print_usage_error(usage_error_message(app, e, args), use_colour(g.color));
    return kExitUsage;
  }

  const auto mode = use_colour(g.color) ? spdlog::color_mode::always : spdlog::color_mode::never;
  auto logger = spdlog::stderr_color_mt("ctana", mode);
  logger->set_pattern("ctana: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(g.quiet ? spdlog::level::err
                            : g.verbose >= 2 ? spdlog::level::trace
                            : g.verbose == 1 ? spdlog::level::debug
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
