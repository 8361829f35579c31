// Comparing two traces, and gating a trace or a comparison with rules (docs/ci.md).
//
// Both sides of a comparison are summary JSON documents: a trace is analysed and its summary
// rendered in memory, a stored baseline is read back. So a trace and its own JSON compare equal,
// and the comparison only ever depends on documented keys of the summary schema.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctana {

using Json = nlohmann::ordered_json;

// What a metric measures, for units in rules and in the report.
enum class Unit : std::uint8_t { count, percent, seconds, bytes, bytes_per_s };
// Which direction of change is a regression.
enum class Better : std::uint8_t { lower, higher, neutral };

struct MetricDef {
  std::string name;
  Unit unit = Unit::count;
  Better better = Better::lower;
  std::string meaning;
};

// The metrics rules can name, in the order the report lists them. Names with a variable part
// (exception.KIND, ftp.reply.CODE, proto.NAME) are matched by prefix: see find_metric.
const std::vector<MetricDef>& metric_defs();
// The definition for `name`, including the prefixed families; nullptr when unknown.
std::optional<MetricDef> find_metric(const std::string& name);

// One kind of exception seen in a trace.
struct KindInfo {
  std::string category, severity;  // severity: error, warning, info
  std::uint64_t count = 0;
};

// A thing matched between the two sides (a TCP service, an FTP user's session, a DNS question, a
// TLS server name) with its figures and facts.
struct Entity {
  std::string section;  // service, ftp, dns, tls
  std::string key;      // what it is matched by
  struct Field {
    std::string name;
    Unit unit = Unit::count;
    Better better = Better::lower;
    std::optional<double> number;  // numeric field (missing = no value)
    std::string text;              // text field when number is unset and text non-empty
  };
  std::vector<Field> fields;
};

// Everything a comparison or a rule looks at, extracted from one summary document.
struct Profile {
  std::string source;   // the path given on the command line
  std::string kind;     // "trace" or "json"
  Json input;           // the document's "input" object
  std::uint64_t packets = 0;
  std::optional<double> span_s;
  std::map<std::string, std::optional<double>> metrics;  // every metric in metric_defs() + families
  std::map<std::string, KindInfo> kinds;
  std::vector<Entity> entities;
  std::vector<std::string> notes;  // e.g. a listing cap that makes entity matching partial
};

struct ProfileOptions {
  bool match_addresses = true;  // services by server address and port (false: port and application)
};

// Builds a profile from a summary JSON document; false with a message when it is not one.
bool make_profile(const Json& doc, const std::string& source, const std::string& kind, const ProfileOptions& opt,
                  Profile& out, std::string& error);

// A gating rule (docs/ci.md "Rules").
struct Rule {
  std::string text;  // as written
  enum class Type : std::uint8_t { metric, new_kind, gone_kind } type = Type::metric;
  std::string metric;    // metric name, or for new_/gone_kind: error, warning, info, any or a kind name
  std::string op;        // > >= < <= == !=
  double value = 0;      // in the metric's unit (percent points for percent metrics; relative: percent)
  enum class Mode : std::uint8_t { absolute, change, relative } mode = Mode::absolute;
};

// Parses one rule; false with a message naming the rule and what is wrong.
bool parse_rule(const std::string& text, Rule& out, std::string& error);
// Parses --fail-on values (each may hold several rules separated by commas) and rules files (one
// rule per line, # comments). false with a message naming the file and line.
bool collect_rules(const std::vector<std::string>& fail_on, const std::vector<std::string>& files,
                   std::vector<Rule>& out, std::string& error);

struct RuleResult {
  Rule rule;
  enum class Status : std::uint8_t { pass, fail, not_evaluated } status = Status::pass;
  std::optional<double> baseline, current, change;  // change: absolute or relative (%) as the rule says
  std::string message;  // one line: what was compared and why it passed or failed
};

// One difference between baseline and current.
struct Change {
  // same: listed only with --all, the values are equal
  enum class Level : std::uint8_t { regression, change, improvement, same } level = Level::change;
  std::string subject;   // metric name, "exception KIND", "service 10.0.0.2:21 (ftp)", ...
  std::string what;      // the field for entities ("retransmissions"), empty for metrics
  Unit unit = Unit::count;
  std::string baseline, current;                 // formatted for people
  std::optional<double> baseline_value, current_value, relative;  // relative change, % (inf if base 0)
  double score = 0;      // for ordering: larger is worse
};

struct DiffOptions {
  bool all = false;  // every metric, not only significant changes
};

struct DiffResult {
  Profile baseline, current;
  std::vector<RuleResult> rules;
  std::vector<Change> changes;  // worst first
  int failed = 0, not_evaluated = 0;
  std::size_t changed = 0;      // changes that are not Level::same
};

// Compares two profiles (worst changes first) and evaluates the rules against them.
DiffResult diff_profiles(Profile baseline, Profile current, const std::vector<Rule>& rules, const DiffOptions& opt);
// Evaluates rules: against a pair, or (base == nullptr) against one profile.
std::vector<RuleResult> evaluate_rules(const Profile* base, const Profile& cur, const std::vector<Rule>& rules);
// Evaluates rules against one profile, without a baseline: new:X means "any X"; relative and
// change rules are not allowed (an error names the first such rule).
bool single_trace_rules(const std::vector<Rule>& rules, std::string& error);
bool gate_profile(const Profile& p, const std::vector<Rule>& rules, std::vector<RuleResult>& out, std::string& error);

// "10.0.0.1:21", "[fd00::1]:21".
std::string endpoint_text(const std::string& addr, unsigned port);
// Formatting of values in the metric's unit, for people.
std::string format_value(std::optional<double> v, Unit u);

// Renderers (src/report/diff_render.cpp).
std::string render_diff_text(const DiffResult& r, bool all);
std::string render_diff_json(const DiffResult& r, int exit_code);
// JUnit XML: one test case per rule (a single passing case "diff" when there are no rules).
std::string render_junit(const std::string& suite, const std::vector<RuleResult>& rules, const std::string& details);
std::string render_rules_text(const std::vector<RuleResult>& rules);
Json rules_json(const std::vector<RuleResult>& rules);

}  // namespace ctana
