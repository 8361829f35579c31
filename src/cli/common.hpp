// Options shared by the commands that read a trace: input, filters, TCP analysis settings.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "ctana/summary.hpp"

namespace ctana::cli {

struct InputArgs {
  std::string file, output;
  bool json = false;
  std::string filter;                 // -f BPF
  std::vector<std::string> ips;       // --ip
  std::vector<std::uint16_t> ports;   // --port
  std::string start, end;             // --start / --end
  std::vector<std::string> local;     // --local CIDR
  std::vector<std::string> apps;      // --app NAME=PORT
  double delayed_ack_ms = 200, idle_timeout_s = 600, rt_threshold_ms = 1000;
  std::size_t max_listed = 10'000;
  bool show_secrets = false;
  OpenOptions open;                   // --ctrace-field, --tod-leap-seconds
};

// Adds FILE, --json, -o and the filter and TCP options to `sub`.
void add_input_options(CLI::App* sub, InputArgs& a, bool tcp_options);
// Turns the parsed arguments into run options; false with a message naming the option if bad.
bool make_run_options(const InputArgs& a, RunOptions& opt, std::string& error);
// Runs the pipeline and logs read problems; returns false (with the exit code) if nothing could be read.
bool run_and_report(const InputArgs& a, const RunOptions& opt, RunResult& res, int& exit_code);

}  // namespace ctana::cli
