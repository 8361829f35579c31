// Text of the findings: the verdict ("What went wrong") that opens summary and exceptions, and the
// exception report, grouped by kind and cause or one finding at a time (docs/findings.md).
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "ctana/render.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace {

using text::clock_time;
using text::line;
using text::wrap;

std::string tops(const std::vector<FindingGroup::Top>& v) {
  std::string o;
  for (const auto& t : v) o += fmt::format("{}{} ({})", o.empty() ? "" : ", ", t.key, group_digits(t.count));
  return o;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", group_digits(n), n == 1 ? one : many);
}

// "syn_unanswered" or "dns_error SERVFAIL": what the group is, in the reader's words where the
// catalogue has them.
std::string group_name(const FindingGroup& g) {
  return g.cause.empty() ? g.kind : fmt::format("{} {}", g.kind, g.cause);
}

// The evidence of a group of more than one finding on one line: how many, where, when.
std::string group_evidence(const FindingGroup& g) {
  std::string o = plural(g.findings, "finding", "findings");
  if (g.events > g.findings) o += fmt::format(" ({} events)", group_digits(g.events));
  if (g.connections) o += ", " + plural(g.connections, "connection", "connections");
  if (!g.clients.empty()) o += fmt::format(", from {}", g.clients.front().key);
  if (g.clients.size() > 1) o += fmt::format(" and {} more", g.clients.size() - 1);
  if (!g.servers.empty()) o += fmt::format(", to {}", g.servers.front().key);
  if (g.servers.size() > 1) o += fmt::format(" and {} more", g.servers.size() - 1);
  o += fmt::format(", {}", clock_time(g.first_ns));
  if (g.last_ns > g.first_ns) o += fmt::format(" to {}", clock_time(g.last_ns));
  return o;
}

std::string finding_head(const Finding& f) {
  return fmt::format("{} {:<7} {:<13} conn {:>5}  {}", clock_time(f.ts_ns), severity_name(f.severity), f.category,
                     f.connection ? std::to_string(f.connection) : std::string("-"), f.summary);
}

void finding_lines(std::string& o, const Finding& f) {
  line(o, "{}", finding_head(f));
  o += wrap(f.explanation, 8, 92);
  if (!f.hint.empty()) o += wrap("z/OS: " + f.hint, 8, 92);
}

void group_lines(std::string& o, const FindingGroup& g) {
  if (g.findings == 1 && !g.examples.empty()) {  // a group of one is the finding itself
    finding_lines(o, g.examples.front());
    return;
  }
  line(o, "{:<7} {} x {} ({}, {}): {}", severity_name(g.severity), group_digits(g.findings), g.title(), group_name(g),
       area_name(g.area), group_evidence(g));
  // (events in parentheses)
  if (!g.clients.empty()) line(o, "        from: {}", tops(g.clients));
  if (!g.servers.empty()) line(o, "        to: {}", tops(g.servers));
  if (!g.subjects.empty()) line(o, "        about: {}", tops(g.subjects));
  for (const auto& f : g.examples) line(o, "      {}", finding_head(f));
  if (g.findings > g.examples.size())
    line(o, "      ... {} more (ctana exceptions --no-group --kind {})", group_digits(g.findings - g.examples.size()),
         g.kind);
  o += wrap(g.explanation, 8, 92);
  if (!g.hint.empty()) o += wrap("z/OS: " + g.hint, 8, 92);
}

}  // namespace

std::string render_verdict_text(const FindingsReport& f) {
  std::string o;
  const auto top = f.verdict();
  if (top.empty()) {
    line(o, "What went wrong: nothing above informational ({}).",
         f.total() ? plural(f.total(), "informational finding", "informational findings") : "no findings");
    return o;
  }
  std::uint64_t serious = 0;
  for (const auto& g : f.groups)
    if (g.severity >= Severity::warning) ++serious;
  line(o, "What went wrong{}:", serious > top.size() ? fmt::format(" (the first {} of {} problems)", top.size(), serious)
                                                      : std::string());
  std::size_t n = 0;
  for (const FindingGroup* g : top) {
    ++n;
    if (g->findings == 1 && !g->examples.empty()) {
      const auto& x = g->examples.front();
      line(o, "  {}. {:<7} {}{} [{}, {}]", n, severity_name(g->severity), x.summary,
           x.connection ? fmt::format(" (conn {})", x.connection) : std::string(), group_name(*g), area_name(g->area));
    } else {
      line(o, "  {}. {:<7} {} x {} [{}, {}]: {}", n, severity_name(g->severity), group_digits(g->findings), g->title(),
           group_name(*g), area_name(g->area), group_evidence(*g));
    }
  }
  return o;
}

std::string render_exceptions_text(const SummaryReport& r, const ExceptionsTextOptions& opt) {
  std::string o;
  const auto& t = r.findings;
  line(o, "ctana {} exception report of {}", CTANA_VERSION, r.path);
  line(o, "{} findings: {} errors, {} warnings, {} informational", t.total(), t.by_severity[2], t.by_severity[1],
       t.by_severity[0]);
  if (!t.kinds.empty()) {
    std::string kinds;
    for (const auto& k : t.kinds) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", k.count, k.kind);
    line(o, "By kind: {}", kinds);
  }
  line(o, "");
  o += render_verdict_text(t);

  if (opt.group) {
    std::vector<const FindingGroup*> groups;
    for (const auto& g : t.groups) groups.push_back(&g);
    if (opt.order == FindingOrder::time)
      std::stable_sort(groups.begin(), groups.end(),
                       [](const FindingGroup* a, const FindingGroup* b) { return a->first_ns < b->first_ns; });
    if (!groups.empty()) {
      line(o, "");
      line(o, "Findings by kind and cause, {} (--no-group: one at a time)",
           opt.order == FindingOrder::time ? "by first time" : "most important first");
    }
    for (const FindingGroup* g : groups) {
      line(o, "");
      group_lines(o, *g);
    }
  } else {
    std::vector<const Finding*> list;
    for (const auto& f : t.list) list.push_back(&f);
    if (opt.order != FindingOrder::time)
      std::stable_sort(list.begin(), list.end(),
                       [](const Finding* a, const Finding* b) { return a->severity > b->severity; });
    for (const Finding* f : list) {
      line(o, "");
      finding_lines(o, *f);
    }
  }
  if (t.omitted) line(o, "\n{} more findings not listed one by one (counted and grouped above)", t.omitted);
  return o;
}

}  // namespace ctana
