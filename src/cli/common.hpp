// Options shared by the commands that read a trace: input, filters, TCP analysis settings.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ctana/diff.hpp"
#include "ctana/summary.hpp"
#include "cli/time_arg.hpp"

namespace ctana::cli {

struct InputArgs {
  std::string file, output;
  bool json = false;
  std::string format = "text";        // --format (sessions, flow, exceptions); --json = json
  std::string filter;                 // -f BPF
  std::vector<std::string> ips;       // --ip
  std::vector<std::uint16_t> ports;   // --port
  std::string start, end;             // --start / --end (cli/time_arg.hpp)
  std::string tz;                     // --tz
  std::vector<std::string> local;     // --local CIDR
  std::vector<std::string> apps;      // --app NAME=PORT
  double delayed_ack_ms = 200, idle_timeout_s = 600, rt_threshold_ms = 1000, end_grace_s = 3;
  std::size_t max_listed = 10'000;
  std::size_t max_connections = 1'000'000;  // --max-connections
  bool show_secrets = false;
  unsigned threads = 0;               // --threads (0: as many as help, at most 2)
  bool no_reassembly = false;         // --no-reassembly: IP fragments not reassembled
  bool no_tunnels = false;            // --no-tunnels: tunnel payloads not decoded
  OpenOptions open;                   // --ctrace-field, --tod-leap-seconds
};

// FILE, also as -r FILE, required.
CLI::Option* add_file_option(CLI::App* sub, std::string& file, const std::string& what);
// Adds FILE (unless `file` is false), --json, -o and the filter and TCP options to `sub`.
void add_input_options(CLI::App* sub, InputArgs& a, bool tcp_options, bool file = true);
// Adds only the filter options: -f, --ip, --port, --start, --end and --tz.
void add_filter_options(CLI::App* sub, InputArgs& a);

// --format text|csv|tsv|json (docs/cli.md "Tables"); --json stays the same as --format json.
void add_format_option(CLI::App* sub, InputArgs& a, const std::string& what);
enum class OutFormat : std::uint8_t { text, json, csv, tsv };
OutFormat output_format(const InputArgs& a);

// Rule gates (docs/ci.md): --fail-on, --rules, --junit.
struct GateArgs {
  std::vector<std::string> fail_on, rule_files;
  std::string junit;  // JUnit XML written here
};
void add_gate_options(CLI::App* sub, GateArgs& g);
// Parses the rules of --fail-on and --rules; false (the error logged) on a bad rule or file.
bool load_rules(const GateArgs& g, std::vector<Rule>& rules);
// --show-secrets and --app for the commands that show or copy packet bytes (records, convert,
// ctrace probe): the FTP control ports (21, and PORT of every --app ftp=PORT) whose PASS and
// ACCT arguments are masked in packet data unless the secrets are shown.
struct SecretArgs {
  bool show = false;
  std::vector<std::string> apps;
};
void add_secret_options(CLI::App* sub, SecretArgs& s);
// The FTP control ports; false with a message for a bad --app.
bool ftp_ports(const SecretArgs& s, std::vector<std::uint16_t>& ports, std::string& error);
// A masker for these options (nullptr with --show-secrets); false with a message for a bad --app.
bool make_masker(const SecretArgs& s, std::unique_ptr<ftp::SecretMasker>& m, std::string& error);

// --tz: the zone of times without one in --start/--end and of the text reports' times; adds the
// option to `sub`.
void add_tz_option(CLI::App* sub, std::string& tz);
// Parses --tz (empty: UTC) and makes it the text reports' zone; false with a message if unknown.
bool apply_tz(const std::string& tz, Zone& zone, std::string& error);
// Turns the parsed arguments into run options; false with a message naming the option if bad.
bool make_run_options(const InputArgs& a, RunOptions& opt, std::string& error);
// Builds the run options (then lets `adjust` change them), runs the pipeline and logs read
// problems. Returns false, with the exit code, for a bad option or an input that cannot be read.
bool run_command(const InputArgs& a, RunResult& res, int& exit_code,
                 const std::function<void(RunOptions&)>& adjust = {});

}  // namespace ctana::cli
