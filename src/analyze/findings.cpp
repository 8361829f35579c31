// The findings collector (include/ctana/findings.hpp).
#include "ctana/findings.hpp"

#include <algorithm>

namespace ctana {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    default: return "info";
  }
}

namespace {
void count(std::map<std::string, FindingKindRow>& kinds, FindingsReport& out, const Finding& f) {
  ++out.by_severity[static_cast<std::size_t>(f.severity)];
  auto& k = kinds[f.kind];
  if (!k.count++) {
    k.kind = f.kind;
    k.category = f.category;
    k.module = f.module;
  }
  k.severity = std::max(k.severity, f.severity);
}

void fill_kinds(const std::map<std::string, FindingKindRow>& kinds, FindingsReport& out) {
  out.kinds.clear();
  for (const auto& [name, k] : kinds) out.kinds.push_back(k);
}
}  // namespace

void FindingsReport::recount() {
  by_severity = {};
  omitted = 0;
  std::map<std::string, FindingKindRow> rows;
  for (const auto& f : list) count(rows, *this, f);
  fill_kinds(rows, *this);
}

void FindingCollector::add(Finding f) {
  count(kinds_, out_, f);
  if (out_.list.size() < max_listed_) out_.list.push_back(std::move(f));
  else ++out_.omitted;
}

FindingSink FindingCollector::sink(std::string module) {
  return [this, module = std::move(module)](const Finding& f) {
    Finding copy = f;
    if (copy.module.empty()) copy.module = module;
    add(std::move(copy));
  };
}

void FindingCollector::finish() {
  std::stable_sort(out_.list.begin(), out_.list.end(),
                   [](const Finding& a, const Finding& b) { return a.ts_ns < b.ts_ns; });
  fill_kinds(kinds_, out_);
}

}  // namespace ctana
