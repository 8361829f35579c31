// Comparing two profiles: what changed, how much, and whether it is worse (docs/ci.md "What diff
// reports").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "ctana/diff.hpp"
#include "ctana/render.hpp"

namespace ctana {

std::string format_value(std::optional<double> v, Unit u) {
  if (!v) return "-";
  const double x = *v;
  switch (u) {
    case Unit::percent: return fmt::format("{:.2f}%", x);
    case Unit::seconds: return human_duration(static_cast<std::int64_t>(std::llround(x * 1e9)));
    case Unit::bytes_per_s: return human_rate(static_cast<std::int64_t>(std::llround(x)));
    case Unit::bytes:
    case Unit::count:
      if (x == std::floor(x) && std::abs(x) < 1e18) return group_digits(static_cast<std::uint64_t>(std::abs(x)));
      return fmt::format("{:.2f}", x);
  }
  return fmt::format("{}", x);
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::optional<double> relative(std::optional<double> b, std::optional<double> c) {
  if (!b || !c) return std::nullopt;
  if (*b == 0) return *c == 0 ? 0.0 : std::copysign(kInf, *c);
  return (*c - *b) / std::abs(*b) * 100.0;
}

// Whether a change is worth listing (docs/ci.md "What diff reports": the thresholds).
bool significant(Unit u, Better better, std::optional<double> b, std::optional<double> c) {
  if (!b && !c) return false;
  if (!b || !c) return true;
  const double d = std::abs(*c - *b);
  if (d == 0) return false;
  const double rel = *b == 0 ? kInf : d / std::abs(*b) * 100.0;
  const bool one_zero = *b == 0 || *c == 0;
  switch (u) {
    case Unit::count:
      return better == Better::neutral ? (one_zero || rel >= 10) : (one_zero || rel >= 10);
    case Unit::bytes: return one_zero || rel >= 10;
    case Unit::percent: return better == Better::neutral ? d >= 1.0 : (d >= 0.1 && rel >= 10);
    case Unit::seconds: return d >= 1e-3 && rel >= 20;
    case Unit::bytes_per_s: return rel >= 20;
  }
  return false;
}

Change::Level level_of(Better better, std::optional<double> b, std::optional<double> c) {
  if (better == Better::neutral || !b || !c || *b == *c) return Change::Level::change;
  const bool up = *c > *b;
  return (better == Better::lower) == up ? Change::Level::regression : Change::Level::improvement;
}

double magnitude(std::optional<double> rel) {
  if (!rel) return 50;
  return std::min(std::abs(*rel), 1000.0) / 10.0;  // 0 .. 100
}

double base_score(Change::Level l) {
  switch (l) {
    case Change::Level::regression: return 1000;
    case Change::Level::change: return 500;
    case Change::Level::improvement: return 0;
    case Change::Level::same: return -1000;
  }
  return 0;
}

Change number_change(std::string subject, std::string what, Unit u, Better better, std::optional<double> b,
                     std::optional<double> c) {
  Change ch;
  ch.subject = std::move(subject);
  ch.what = std::move(what);
  ch.unit = u;
  ch.baseline_value = b;
  ch.current_value = c;
  ch.baseline = format_value(b, u);
  ch.current = format_value(c, u);
  ch.relative = relative(b, c);
  ch.level = b == c ? Change::Level::same : level_of(better, b, c);
  ch.score = base_score(ch.level) + magnitude(ch.relative);
  return ch;
}

void compare_metrics(const Profile& b, const Profile& c, bool all, std::vector<Change>& out) {
  // the fixed metrics in their documented order (most telling first), then the families by name
  std::vector<std::string> names;
  for (const auto& d : metric_defs()) names.push_back(d.name);
  std::set<std::string> family;
  for (const auto* p : {&b, &c})
    for (const auto& [n, v] : p->metrics)
      if (std::find(names.begin(), names.end(), n) == names.end()) family.insert(n);
  names.insert(names.end(), family.begin(), family.end());
  for (const auto& name : names) {
    // a kind that appears or vanishes is reported as such, not as a count change
    if (name.rfind("exception.", 0) == 0) {
      const std::string kind = name.substr(10);
      if (!b.kinds.count(kind) || !c.kinds.count(kind)) continue;
    }
    const auto def = find_metric(name);
    if (!def) continue;
    auto get = [&name](const Profile& p) -> std::optional<double> {
      auto it = p.metrics.find(name);
      if (it != p.metrics.end()) return it->second;
      return name.rfind("ftp.reply.", 0) == 0 || name.rfind("proto.", 0) == 0 ? std::optional<double>(0) : std::nullopt;
    };
    const auto bv = get(b), cv = get(c);
    if (!all && !significant(def->unit, def->better, bv, cv)) continue;
    if (all && !bv && !cv) continue;
    out.push_back(number_change(name, "", def->unit, def->better, bv, cv));
  }
}

int severity_rank(const std::string& s) { return s == "error" ? 3 : s == "warning" ? 2 : s == "info" ? 1 : 0; }

void compare_kinds(const Profile& b, const Profile& c, std::vector<Change>& out) {
  auto one = [&out](const std::string& kind, const KindInfo& k, bool appeared) {
    Change ch;
    ch.subject = "exception " + kind;
    ch.what = k.severity.empty() ? std::string() : k.severity;
    ch.baseline = appeared ? "-" : fmt::format("{}x", k.count);
    ch.current = appeared ? fmt::format("{}x", k.count) : "-";
    ch.baseline_value = appeared ? std::nullopt : std::optional<double>(static_cast<double>(k.count));
    ch.current_value = appeared ? std::optional<double>(static_cast<double>(k.count)) : std::nullopt;
    const int rank = severity_rank(k.severity);
    if (appeared) {
      ch.level = rank >= 2 || rank == 0 ? Change::Level::regression : Change::Level::change;
      ch.score = base_score(ch.level) + 200.0 * rank + 100;
    } else {
      ch.level = Change::Level::improvement;
      ch.score = 100.0 * rank;
    }
    out.push_back(std::move(ch));
  };
  for (const auto& [kind, k] : c.kinds)
    if (!b.kinds.count(kind)) one(kind, k, true);
  for (const auto& [kind, k] : b.kinds)
    if (!c.kinds.count(kind)) one(kind, k, false);
}

std::string section_label(const std::string& s) {
  if (s == "service") return "service";
  if (s == "ftp") return "FTP";
  if (s == "dns") return "DNS";
  if (s == "tls") return "TLS";
  return s;
}

void compare_entities(const Profile& b, const Profile& c, bool all, std::vector<Change>& out) {
  std::map<std::pair<std::string, std::string>, const Entity*> bm, cm;
  for (const auto& e : b.entities) bm[{e.section, e.key}] = &e;
  for (const auto& e : c.entities) cm[{e.section, e.key}] = &e;
  // "2 connections, 1 failed connections": the entity's first figure, then what went wrong
  auto summary_of = [](const Entity& e) {
    std::string o;
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
      const auto& f = e.fields[i];
      if (f.number && (i == 0 || (*f.number != 0 && f.better == Better::lower && f.unit != Unit::seconds)))
        o += fmt::format("{}{} {}", o.empty() ? "" : ", ", format_value(f.number, f.unit), f.name);
    }
    return o;
  };
  auto bad = [](const Entity& e) {
    for (const auto& f : e.fields)
      if (f.number && *f.number > 0 && f.better == Better::lower && f.unit != Unit::seconds) return true;
    return false;
  };
  for (const auto& [key, e] : cm) {
    auto it = bm.find(key);
    if (it == bm.end()) {
      Change ch;
      ch.subject = fmt::format("{} {}", section_label(e->section), e->key);
      ch.what = "new";
      ch.baseline = "-";
      const std::string s = summary_of(*e);
      ch.current = s.empty() ? "seen" : s;
      ch.level = bad(*e) ? Change::Level::regression : Change::Level::change;
      ch.score = base_score(ch.level) + 60;
      out.push_back(std::move(ch));
      continue;
    }
    const Entity& be = *it->second;
    for (const auto& f : e->fields) {
      const auto bf = std::find_if(be.fields.begin(), be.fields.end(), [&f](const Entity::Field& x) { return x.name == f.name; });
      if (bf == be.fields.end()) continue;
      const std::string subject = fmt::format("{} {}", section_label(e->section), e->key);
      if (f.number || bf->number) {
        if (!all && !significant(f.unit, f.better, bf->number, f.number)) continue;
        if (!all && bf->number == f.number) continue;
        out.push_back(number_change(subject, f.name, f.unit, f.better, bf->number, f.number));
      } else if (bf->text != f.text) {
        Change ch;
        ch.subject = subject;
        ch.what = f.name;
        ch.baseline = bf->text.empty() ? "-" : bf->text;
        ch.current = f.text.empty() ? "-" : f.text;
        const bool login_lost = f.name == "login" && bf->text == "ok";
        ch.level = login_lost ? Change::Level::regression : f.name == "login" && f.text == "ok" ? Change::Level::improvement
                                                                                               : Change::Level::change;
        ch.score = base_score(ch.level) + (login_lost ? 150 : 40);  // a login that stopped working is headline news
        out.push_back(std::move(ch));
      }
    }
  }
  for (const auto& [key, e] : bm) {
    if (cm.count(key)) continue;
    Change ch;
    ch.subject = fmt::format("{} {}", section_label(e->section), e->key);
    ch.what = "vanished";
    const std::string s = summary_of(*e);
    ch.baseline = s.empty() ? "seen" : s;
    ch.current = "-";
    ch.level = Change::Level::change;
    ch.score = base_score(ch.level) + 50;
    out.push_back(std::move(ch));
  }
}

}  // namespace

DiffResult diff_profiles(Profile baseline, Profile current, const std::vector<Rule>& rules, const DiffOptions& opt) {
  DiffResult r;
  r.baseline = std::move(baseline);
  r.current = std::move(current);
  compare_kinds(r.baseline, r.current, r.changes);
  compare_metrics(r.baseline, r.current, opt.all, r.changes);
  compare_entities(r.baseline, r.current, opt.all, r.changes);
  std::stable_sort(r.changes.begin(), r.changes.end(), [](const Change& a, const Change& b) { return a.score > b.score; });
  for (const auto& c : r.changes) r.changed += c.level != Change::Level::same;
  r.rules = evaluate_rules(&r.baseline, r.current, rules);
  for (const auto& x : r.rules) {
    if (x.status == RuleResult::Status::fail) ++r.failed;
    if (x.status == RuleResult::Status::not_evaluated) ++r.not_evaluated;
  }
  return r;
}

}  // namespace ctana
