// The ctana subcommands. Each command file registers its subcommand and its options with CLI11
// and returns what to run when that subcommand is chosen on the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "ctana/reader.hpp"

namespace ctana::cli {

// Exit codes, documented in docs/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreadable = 2;
inline constexpr int kExitPartial = 3;
inline constexpr int kExitRegression = 4;  // a --fail-on rule failed
inline constexpr int kExitInternal = 70;

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_summary_command(CLI::App& app);
Command add_sessions_command(CLI::App& app);
Command add_flow_command(CLI::App& app);
Command add_exceptions_command(CLI::App& app);
Command add_convert_command(CLI::App& app);
Command add_ctrace_command(CLI::App& app);
Command add_records_command(CLI::App& app);
Command add_diff_command(CLI::App& app);
Command add_unterse_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_ftp_command(CLI::App& app);
Command add_dns_command(CLI::App& app);
Command add_correlate_command(CLI::App& app);

// The CTRACE reading options (--ctrace-field, --tod-leap-seconds) of a subcommand.
void add_ctrace_open_options(CLI::App* sub, OpenOptions& opt);

// The problems reading `path` as warnings on stderr: ASCII-mode transfer damage, each issue with
// its offset, and whether the result is partial.
void log_read_problems(const std::string& path, const ReadStats& rd);

// Write a report to standard output or to `path`; false (and an error logged) on failure.
bool write_output(const std::string& text, const std::string& path);

}  // namespace ctana::cli
