// ctana diff and rule gates as text, JSON and JUnit XML (docs/ci.md).
#include <fmt/format.h>

#include <cmath>

#include "ctana/diff.hpp"
#include "ctana/render.hpp"
#include "report/json_parts.hpp"
#include "report/text_util.hpp"

namespace ctana {

using text::line;

namespace {

const char* status_name(RuleResult::Status s) {
  switch (s) {
    case RuleResult::Status::pass: return "pass";
    case RuleResult::Status::fail: return "fail";
    case RuleResult::Status::not_evaluated: return "not_evaluated";
  }
  return "?";
}

const char* level_name(Change::Level l) {
  switch (l) {
    case Change::Level::regression: return "worse";
    case Change::Level::change: return "changed";
    case Change::Level::improvement: return "better";
    case Change::Level::same: return "same";
  }
  return "?";
}

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::count: return "count";
    case Unit::percent: return "percent";
    case Unit::seconds: return "seconds";
    case Unit::bytes: return "bytes";
    case Unit::bytes_per_s: return "bytes_per_s";
  }
  return "?";
}

std::string rel_text(const Change& c) {
  if (!c.relative) return "";
  if (std::isinf(*c.relative)) return *c.relative > 0 ? "(was 0)" : "";
  if (std::abs(*c.relative) < 0.05) return "";
  return fmt::format("({:+.0f}%)", *c.relative);
}

std::string side_text(const Profile& p) {
  std::string o = fmt::format("{} ({}", p.source, p.kind == "json" ? "summary JSON" : "trace");
  if (p.input.is_object() && p.input.contains("format") && p.input["format"].is_string())
    o += ", " + p.input["format"].get<std::string>();
  o += fmt::format(", {} packets", group_digits(p.packets));
  if (p.span_s) o += fmt::format(", {}", human_duration(static_cast<std::int64_t>(std::llround(*p.span_s * 1e9))));
  return o + ")";
}

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped
        if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') o += fmt::format("\\x{:02x}", ch);
        else o += static_cast<char>(ch);
    }
  }
  return o;
}

Json opt_num(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

}  // namespace

std::string render_rules_text(const std::vector<RuleResult>& rules) {
  std::string o;
  int failed = 0;
  for (const auto& r : rules) failed += r.status == RuleResult::Status::fail;
  line(o, "Rules: {} of {} failed", failed, rules.size());
  std::size_t w = 0;
  for (const auto& r : rules) w = std::max(w, r.rule.text.size());
  for (const auto& r : rules) {
    const char* tag = r.status == RuleResult::Status::fail ? "FAIL" : r.status == RuleResult::Status::pass ? "pass" : "n/a ";
    line(o, "  {}  {:<{}}  {}", tag, r.rule.text, w, r.message);
  }
  return o;
}

Json rules_json(const std::vector<RuleResult>& rules) {
  Json a = Json::array();
  for (const auto& r : rules) {
    const char* mode = r.rule.type != Rule::Type::metric ? "kinds"
                       : r.rule.mode == Rule::Mode::absolute ? "absolute"
                       : r.rule.mode == Rule::Mode::change   ? "change"
                                                             : "relative";
    Json change = nullptr;
    if (r.change) change = std::isfinite(*r.change) ? Json(*r.change) : Json(*r.change > 0 ? "inf" : "-inf");
    a.push_back({{"rule", r.rule.text},
                 {"status", status_name(r.status)},
                 {"metric", r.rule.metric},
                 {"mode", mode},
                 {"baseline", opt_num(r.baseline)},
                 {"current", opt_num(r.current)},
                 {"change", std::move(change)},
                 {"message", r.message}});
  }
  return a;
}

std::string render_diff_text(const DiffResult& r, bool all) {
  std::string o;
  line(o, "ctana {} diff", CTANA_VERSION);
  line(o, "");
  line(o, "Baseline : {}", side_text(r.baseline));
  line(o, "Current  : {}", side_text(r.current));
  for (const auto& n : r.baseline.notes) line(o, "Note     : {}", n);
  for (const auto& n : r.current.notes) line(o, "Note     : {}", n);
  int worse = 0;
  for (const auto& c : r.changes) worse += c.level == Change::Level::regression;
  const bool none = r.changed == 0;
  std::string verdict;
  if (!r.rules.empty())
    verdict = r.failed ? fmt::format("REGRESSION: {} of {} rules failed", r.failed, r.rules.size())
                       : fmt::format("within rules ({} rules{})", r.rules.size(),
                                     r.not_evaluated ? fmt::format(", {} not evaluated", r.not_evaluated) : "");
  else
    verdict = none ? "no change" : fmt::format("{} changes, {} for the worse (no rules given)", r.changed, worse);
  if (!r.rules.empty() && none) verdict += "; no change";
  line(o, "Verdict  : {}", verdict);
  if (!r.rules.empty()) {
    line(o, "");
    o += render_rules_text(r.rules);
  }
  line(o, "");
  if (r.changes.empty()) {
    line(o, "No change above the reporting thresholds (--all lists every metric).");
    return o;
  }
  if (all) line(o, "Every metric, worst change first ({} changed)", r.changed);
  else line(o, "Changes, worst first ({}; --all lists every metric)", r.changed);
  std::size_t ws = 7, wb = 8, wc = 7;
  std::vector<std::string> subjects;
  for (const auto& c : r.changes) {
    subjects.push_back(c.what.empty() ? c.subject : c.subject + ": " + c.what);
    ws = std::max(ws, std::min<std::size_t>(subjects.back().size(), 60));
    wb = std::max(wb, std::min<std::size_t>(c.baseline.size(), 40));
    wc = std::max(wc, std::min<std::size_t>(c.current.size(), 40));
  }
  line(o, "  {:<7} {:<{}}  {:>{}}  {:>{}}", "", "What", ws, "Baseline", wb, "Current", wc);
  for (std::size_t i = 0; i < r.changes.size(); ++i) {
    const auto& c = r.changes[i];
    line(o, "  {:<7} {:<{}}  {:>{}}  {:>{}}  {}", level_name(c.level), subjects[i], ws, c.baseline, wb, c.current, wc,
         rel_text(c));
  }
  return o;
}

std::string render_diff_json(const DiffResult& r, int exit_code) {
  Json j;
  j["schema_version"] = kSchemaVersion;
  j["document"] = "diff";
  j["generator"] = {{"name", "ctana"}, {"version", CTANA_VERSION}};
  auto side = [](const Profile& p) {
    Json notes = Json::array();
    for (const auto& n : p.notes) notes.push_back(n);
    return Json{{"source", p.source},
                {"kind", p.kind},
                {"format", p.input.is_object() && p.input.contains("format") ? p.input["format"] : Json(nullptr)},
                {"packets", p.packets},
                {"span_s", opt_num(p.span_s)},
                {"notes", std::move(notes)}};
  };
  j["baseline"] = side(r.baseline);
  j["current"] = side(r.current);
  const char* verdict = r.failed ? "regression" : r.changed == 0 ? "no_change" : "changed";
  j["verdict"] = verdict;
  j["rules"] = rules_json(r.rules);
  Json changes = Json::array();
  for (const auto& c : r.changes) {
    Json rel = nullptr;
    if (c.relative) rel = std::isfinite(*c.relative) ? Json(*c.relative) : Json(*c.relative > 0 ? "inf" : "-inf");
    changes.push_back({{"level", level_name(c.level)},
                       {"subject", c.subject},
                       {"field", c.what.empty() ? Json(nullptr) : Json(c.what)},
                       {"unit", c.baseline_value || c.current_value ? Json(unit_name(c.unit)) : Json(nullptr)},
                       {"baseline", opt_num(c.baseline_value)},
                       {"current", opt_num(c.current_value)},
                       {"baseline_text", c.baseline},
                       {"current_text", c.current},
                       {"relative_percent", std::move(rel)}});
  }
  j["changes"] = std::move(changes);
  Json metrics = Json::array();
  for (const auto& d : metric_defs()) {
    auto b = r.baseline.metrics.find(d.name), c = r.current.metrics.find(d.name);
    metrics.push_back({{"name", d.name},
                       {"unit", unit_name(d.unit)},
                       {"baseline", b != r.baseline.metrics.end() ? opt_num(b->second) : Json(nullptr)},
                       {"current", c != r.current.metrics.end() ? opt_num(c->second) : Json(nullptr)}});
  }
  j["metrics"] = std::move(metrics);
  j["exit"] = {{"code", exit_code},
               {"meaning", exit_code == 0 ? "ok" : exit_code == 4 ? "regression" : exit_code == 3 ? "partial" : "error"}};
  return json_text(j, 2) + "\n";
}

std::string render_junit(const std::string& suite, const std::vector<RuleResult>& rules, const std::string& details) {
  int failures = 0, skipped = 0;
  for (const auto& r : rules) {
    failures += r.status == RuleResult::Status::fail;
    skipped += r.status == RuleResult::Status::not_evaluated;
  }
  const std::size_t tests = rules.empty() ? 1 : rules.size();
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += fmt::format("<testsuites name=\"ctana\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n", tests, failures,
                   skipped);
  o += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n",
                   xml_escape(suite), tests, failures, skipped);
  const std::string cls = xml_escape(suite);
  if (rules.empty()) o += fmt::format("    <testcase classname=\"{}\" name=\"no rules given\"/>\n", cls);
  for (const auto& r : rules) {
    o += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", cls, xml_escape(r.rule.text));
    if (r.status == RuleResult::Status::pass) {
      o += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(r.message));
    } else if (r.status == RuleResult::Status::fail) {
      o += fmt::format(">\n      <failure message=\"{}\" type=\"regression\">{}</failure>\n    </testcase>\n",
                       xml_escape(r.message), xml_escape(r.message));
    } else {
      o += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(r.message));
    }
  }
  o += fmt::format("    <system-out>{}</system-out>\n", xml_escape(details));
  o += "  </testsuite>\n</testsuites>\n";
  return o;
}

}  // namespace ctana
