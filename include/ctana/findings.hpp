// Findings: what the analyzers conclude (the exception report). Any analyzer emits them through a
// FindingSink; the FindingCollector of a run keeps them, within the listing cap, in one top-level
// list of the report (SummaryReport::findings), whichever analyzers ran. Definitions: docs/tcp.md
// "Findings" and each protocol's page for its kinds.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctana {

enum class Severity : std::uint8_t { info, warning, error };
std::string_view severity_name(Severity s);

struct Finding {
  Finding() = default;
  Finding(Severity sev, std::string cat, std::string k, std::int64_t ts, std::uint64_t conn, std::string sum,
          std::string expl)
      : severity(sev), category(std::move(cat)), kind(std::move(k)), ts_ns(ts), connection(conn),
        summary(std::move(sum)), explanation(std::move(expl)) {}

  Severity severity = Severity::info;
  std::string category;   // init, traffic, session, term, response time, application
  std::string kind;       // stable identifier: syn_unanswered, refused, dns_error, ...
  std::int64_t ts_ns = 0;
  std::uint64_t connection = 0;  // TCP connection number; 0 when not about one connection
  std::string summary;    // one line
  std::string explanation;  // what it means and what to look at, for a ticket
  std::string module;     // the analyzer that found it: tcp, ftp, dns, ... (set by the collector)
  // The frames (Packet::frame()) it is about: the first and the last, e.g. a connection's first
  // frame and the packet that showed the problem; 0 when not known (docs/tcp.md "Findings").
  std::uint64_t first_frame = 0, last_frame = 0;
};

using FindingSink = std::function<void(const Finding&)>;

// One kind of finding: its category, its (highest) severity and how often it was found.
struct FindingKindRow {
  std::string kind, category, module;
  Severity severity = Severity::info;
  std::uint64_t count = 0;
};

// Every finding of a run: the list (by time, at most the listing cap) and counts over all of them.
struct FindingsReport {
  std::vector<Finding> list;
  std::uint64_t omitted = 0;                   // beyond the cap
  std::array<std::uint64_t, 3> by_severity{};  // info, warning, error
  std::vector<FindingKindRow> kinds;           // every kind found, by name
  std::uint64_t total() const { return by_severity[0] + by_severity[1] + by_severity[2]; }
  // Counts again from `list` (after it was narrowed, e.g. to one connection).
  void recount();
};

// Collects the findings of every analyzer of a run into one FindingsReport.
class FindingCollector {
 public:
  FindingCollector(FindingsReport& out, std::size_t max_listed) : out_(out), max_listed_(max_listed) {}
  void add(Finding f);
  // A sink for one module's findings: stamps them with the module's name.
  FindingSink sink(std::string module);
  // Orders the list by time (stable: same-time findings keep their emission order) and fills the kinds.
  void finish();

 private:
  FindingsReport& out_;
  std::size_t max_listed_;
  std::map<std::string, FindingKindRow> kinds_;
};

}  // namespace ctana
