// Gating rules: parsing (docs/ci.md "Rules") and evaluation against one profile or a pair.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "ctana/diff.hpp"
#include "ctana/strings.hpp"

namespace ctana {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string suggest(const std::string& name) {
  std::vector<std::pair<std::size_t, std::string>> near;
  for (const auto& d : metric_defs()) near.emplace_back(edit_distance(name, d.name), d.name);
  std::sort(near.begin(), near.end());
  std::string o;
  for (std::size_t i = 0; i < near.size() && i < 3 && near[i].first <= 4; ++i) o += (o.empty() ? "" : ", ") + near[i].second;
  return o.empty() ? "" : fmt::format(" (did you mean {}?)", o);
}

bool valid_selector(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool compare(double a, const std::string& op, double b) {
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == "==") return a == b;
  return a != b;
}

bool severity_selector(const std::string& s) { return s == "error" || s == "warning" || s == "info" || s == "any"; }

bool kind_matches(const std::string& sel, const std::string& kind, const KindInfo& k) {
  if (sel == "any") return true;
  if (severity_selector(sel)) return k.severity == sel;
  return kind == sel;
}

std::optional<double> metric_value(const Profile& p, const std::string& name) {
  auto it = p.metrics.find(name);
  if (it != p.metrics.end()) return it->second;
  // A family member absent from the document: none counted (only if the family's source exists).
  if (name.rfind("exception.", 0) == 0) return p.metrics.count("exceptions.error") ? std::optional<double>(0) : std::nullopt;
  if (name.rfind("ftp.reply.", 0) == 0) {
    auto s = p.metrics.find("ftp.sessions");
    return s != p.metrics.end() && s->second ? std::optional<double>(0) : std::nullopt;
  }
  if (name.rfind("proto.", 0) == 0) return 0.0;
  return std::nullopt;
}

std::string describe_kinds(const std::vector<std::string>& v) {
  std::string o;
  for (std::size_t i = 0; i < v.size() && i < 8; ++i) o += (o.empty() ? "" : ", ") + v[i];
  if (v.size() > 8) o += fmt::format(" and {} more", v.size() - 8);
  return o;
}

}  // namespace

bool parse_rule(const std::string& text_in, Rule& out, std::string& error) {
  const std::string text = trim(text_in);
  out = Rule{};
  out.text = text;
  auto fail = [&](const std::string& why) {
    error = fmt::format("rule '{}': {}", text, why);
    return false;
  };
  for (const auto& [prefix, type] : {std::pair{"new:", Rule::Type::new_kind}, std::pair{"gone:", Rule::Type::gone_kind}}) {
    if (text.rfind(prefix, 0) == 0) {
      out.type = type;
      out.metric = trim(text.substr(std::string(prefix).size()));
      if (!valid_selector(out.metric)) return fail("expected error, warning, info, any or an exception kind after the colon");
      return true;
    }
  }
  const auto at = text.find_first_of("<>=!");
  if (at == std::string::npos || at == 0)
    return fail("expected METRIC OP VALUE (e.g. retrans_rate>+50%), new:SEVERITY or gone:KIND");
  std::string name = trim(text.substr(0, at));
  std::size_t vpos = at + 1;
  out.op = text.substr(at, 1);
  if (vpos < text.size() && text[vpos] == '=') {
    out.op += '=';
    ++vpos;
  }
  if (out.op == "=" || out.op == "!") return fail("the comparison must be one of > >= < <= == !=");
  std::optional<MetricDef> def = find_metric(name);
  if (!def && name.rfind("tcp.", 0) == 0) {
    name = name.substr(4);
    def = find_metric(name);
  }
  if (!def) return fail(fmt::format("unknown metric '{}'{}; docs/ci.md lists them", name, suggest(name)));
  out.metric = name;

  const std::string v = trim(text.substr(vpos));
  if (v.empty()) return fail("missing value after the comparison");
  const bool signed_value = v[0] == '+' || v[0] == '-';
  const char* begin = v.c_str();
  char* end = nullptr;
  const double x = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(x)) return fail(fmt::format("'{}' is not a number", v));
  const std::string unit = trim(std::string(end));
  const Unit mu = def->unit;
  double scale = 1;
  if (unit == "%") {
    if (signed_value) {
      out.mode = Rule::Mode::relative;
      out.value = x;
      return true;
    }
    if (mu != Unit::percent)
      return fail(fmt::format("{} is not a percentage: write a signed change for a relative limit, e.g. {}{}+{}%",
                              name, name, out.op, x));
  } else if (unit == "pp") {
    if (mu != Unit::percent) return fail(fmt::format("pp (percentage points) only applies to rates; {} is not one", name));
  } else if (unit == "ms" || unit == "us" || unit == "s" || unit == "ns") {
    if (mu != Unit::seconds) return fail(fmt::format("{} is not a time: drop the unit '{}'", name, unit));
    scale = unit == "s" ? 1 : unit == "ms" ? 1e-3 : unit == "us" ? 1e-6 : 1e-9;
  } else if (unit == "kB" || unit == "MB" || unit == "GB" || unit == "kB/s" || unit == "MB/s" || unit == "GB/s") {
    const bool per_s = unit.size() > 2;
    if (!(mu == Unit::bytes && !per_s) && !(mu == Unit::bytes_per_s))
      return fail(fmt::format("{} is not measured in {}", name, per_s ? "bytes per second" : "bytes"));
    scale = unit[0] == 'k' ? 1e3 : unit[0] == 'M' ? 1e6 : 1e9;
  } else if (unit == "k" || unit == "M") {
    if (mu == Unit::seconds || mu == Unit::percent) return fail(fmt::format("{} is not a count", name));
    scale = unit == "k" ? 1e3 : 1e6;
  } else if (!unit.empty()) {
    return fail(fmt::format("unknown unit '{}' (use %, pp, ns, us, ms, s, k, M, kB, MB, GB, kB/s, MB/s, GB/s)", unit));
  }
  out.mode = signed_value ? Rule::Mode::change : Rule::Mode::absolute;
  out.value = x * scale;
  return true;
}

bool collect_rules(const std::vector<std::string>& fail_on, const std::vector<std::string>& files, std::vector<Rule>& out,
                   std::string& error) {
  auto add = [&](const std::string& text, const std::string& where) {
    Rule r;
    std::string e;
    if (!parse_rule(text, r, e)) {
      error = where.empty() ? e : where + ": " + e;
      return false;
    }
    out.push_back(std::move(r));
    return true;
  };
  for (const auto& f : fail_on) {
    std::size_t start = 0;
    while (start <= f.size()) {
      const auto comma = f.find(',', start);
      const std::string part = trim(f.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!part.empty() && !add(part, "--fail-on")) return false;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const auto& path : files) {
    std::ifstream in(path);
    if (!in) {
      error = fmt::format("--rules {}: cannot be read", path);
      return false;
    }
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      const auto hash = line.find('#');
      const std::string r = trim(hash == std::string::npos ? line : line.substr(0, hash));
      if (!r.empty() && !add(r, fmt::format("{}:{}", path, n))) return false;
    }
  }
  return true;
}

namespace {

std::string change_text(const Rule& r, double change) {
  if (r.mode == Rule::Mode::relative) {
    if (std::isinf(change)) return change > 0 ? "was 0" : "was 0, now negative";
    return fmt::format("{:+.1f}%", change);
  }
  const auto def = find_metric(r.metric);
  const std::string v = format_value(std::abs(change), def ? def->unit : Unit::count);
  return (change < 0 ? "-" : "+") + v;
}

std::string limit_text(const Rule& r) {
  const auto def = find_metric(r.metric);
  const Unit u = def ? def->unit : Unit::count;
  if (r.mode == Rule::Mode::relative) return fmt::format("{:+g}%", r.value);
  if (r.mode == Rule::Mode::change) return (r.value < 0 ? "-" : "+") + format_value(std::abs(r.value), u);
  return format_value(r.value, u);
}

RuleResult eval_metric(const Rule& r, const Profile* base, const Profile& cur) {
  RuleResult res;
  res.rule = r;
  const auto def = find_metric(r.metric);
  const Unit u = def ? def->unit : Unit::count;
  res.current = metric_value(cur, r.metric);
  if (base) res.baseline = metric_value(*base, r.metric);
  const std::string now = format_value(res.current, u);
  if (!res.current || (r.mode != Rule::Mode::absolute && !res.baseline)) {
    res.status = RuleResult::Status::not_evaluated;
    res.message = fmt::format("{} has no value in the {} (nothing measured)", r.metric,
                              !res.current ? "current trace" : "baseline");
    return res;
  }
  double x = *res.current;
  if (r.mode == Rule::Mode::change) {
    x = *res.current - *res.baseline;
  } else if (r.mode == Rule::Mode::relative) {
    const double b = *res.baseline;
    x = b != 0 ? (*res.current - b) / std::abs(b) * 100.0
               : (*res.current == 0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), *res.current));
  }
  if (r.mode != Rule::Mode::absolute) res.change = x;
  const bool failed = compare(x, r.op, r.value);
  res.status = failed ? RuleResult::Status::fail : RuleResult::Status::pass;
  if (r.mode == Rule::Mode::absolute)
    res.message = fmt::format("{} is {}; limit {} {}", r.metric, now, r.op, limit_text(r));
  else
    res.message = fmt::format("{} {} -> {} ({}); limit {} {}", r.metric, format_value(res.baseline, u), now,
                              change_text(r, x), r.op, limit_text(r));
  return res;
}

RuleResult eval_kinds(const Rule& r, const Profile* base, const Profile& cur) {
  RuleResult res;
  res.rule = r;
  std::vector<std::string> hits;
  const Profile& from = r.type == Rule::Type::new_kind ? cur : *base;
  for (const auto& [kind, k] : from.kinds) {
    if (!kind_matches(r.metric, kind, k)) continue;
    const Profile* other = r.type == Rule::Type::new_kind ? base : &cur;
    if (other && other->kinds.count(kind)) continue;
    hits.push_back(fmt::format("{}{} x{}", kind, k.severity.empty() ? "" : " (" + k.severity + ")", k.count));
  }
  res.current = static_cast<double>(hits.size());
  res.status = hits.empty() ? RuleResult::Status::pass : RuleResult::Status::fail;
  // without a baseline every kind in the trace counts as new
  const char* what = r.type == Rule::Type::new_kind ? (base ? "new " : "") : "vanished ";
  const std::string sel = severity_selector(r.metric) ? (r.metric == "any" ? "exception kinds" : r.metric + " kinds")
                                                      : "exception kind " + r.metric;
  res.message = hits.empty() ? fmt::format("no {}{}", what, sel)
                             : fmt::format("{}{}: {}", what, sel, describe_kinds(hits));
  return res;
}

}  // namespace

std::vector<RuleResult> evaluate_rules(const Profile* base, const Profile& cur, const std::vector<Rule>& rules) {
  std::vector<RuleResult> out;
  for (const auto& r : rules) out.push_back(r.type == Rule::Type::metric ? eval_metric(r, base, cur) : eval_kinds(r, base, cur));
  return out;
}

bool single_trace_rules(const std::vector<Rule>& rules, std::string& error) {
  for (const auto& r : rules) {
    if (r.type == Rule::Type::gone_kind || (r.type == Rule::Type::metric && r.mode != Rule::Mode::absolute)) {
      error = fmt::format("rule '{}' compares with a baseline: use it with ctana diff BASELINE CURRENT", r.text);
      return false;
    }
  }
  return true;
}

bool gate_profile(const Profile& p, const std::vector<Rule>& rules, std::vector<RuleResult>& out, std::string& error) {
  if (!single_trace_rules(rules, error)) return false;
  out = evaluate_rules(nullptr, p, rules);
  return true;
}

}  // namespace ctana
