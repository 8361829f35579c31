// The command line's manners (docs/cli.md): help wrapped to the terminal, readable option checks,
// usage errors as "ctana: error: ..." with a did-you-mean, colour (--color, NO_COLOR), and the
// man page and shell completions generated from the app definition.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ctana::cli {

// Help groups, in the order they are listed.
inline constexpr const char* kGroupInput = "Input and output";
inline constexpr const char* kGroupFilter = "Filters";
inline constexpr const char* kGroupTcp = "TCP analysis";
inline constexpr const char* kGroupCtrace = "CTRACE input";
inline constexpr const char* kGroupRules = "Rules (exit 4 on a regression)";
inline constexpr const char* kGroupOptions = "Options";
inline constexpr const char* kGroupGlobal = "Global options";

// A help formatter that wraps descriptions to the terminal's width (COLUMNS, else the width of
// stdout if it is a terminal, else 80).
std::shared_ptr<CLI::Formatter> make_help_formatter();
std::size_t terminal_width();

// Checks with readable messages naming the bounds ("must be a whole number from 0 to 100").
CLI::Validator int_range(std::int64_t lo, std::int64_t hi);
CLI::Validator real_range(double lo, double hi, const char* unit = "");
CLI::Validator one_of(std::vector<std::string> values);

// Closest candidate to `word` by edit distance, "" when none is close enough.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// The message for a usage error: first what CLI11 threw, then the argument list is examined for
// an unknown command or option (with a did-you-mean). Without the "ctana: error: " prefix.
std::string usage_error_message(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args);

// Colour: "auto" (stderr is a terminal and NO_COLOR is unset or empty), "always" or "never".
bool use_colour(const std::string& mode);
// "ctana: error: MESSAGE" on stderr, "error" in red when `colour`.
void print_usage_error(const std::string& message, bool colour);

// The man page (roff) and the bash and zsh completions, from the app's commands and options.
std::string generate_man_page(const CLI::App& app);
std::string generate_bash_completion(const CLI::App& app);
std::string generate_zsh_completion(const CLI::App& app);

}  // namespace ctana::cli
