// Findings: what the analyzers conclude (the exception report). Any analyzer emits them through a
// FindingSink; the FindingCollector of a run keeps them, within the listing cap, in one top-level
// list of the report (SummaryReport::findings), whichever analyzers ran. Definitions: docs/tcp.md
// "Findings" and each protocol's page for its kinds.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctana/packet.hpp"

namespace ctana {

enum class Severity : std::uint8_t { info, warning, error };
std::string_view severity_name(Severity s);
// "info", "warning", "error" (also "warn", "err"); nullopt for anything else.
std::optional<Severity> parse_severity(std::string_view s);

// Where the trouble lies, for the reader who must pass the ticket on (docs/findings.md).
enum class Area : std::uint8_t { network, host, application, configuration, capture };
std::string_view area_name(Area a);

// The catalogue of finding kinds: every kind an analyzer may emit, with its area and the title of a
// group of them. docs/findings.md lists the same kinds (a unit test compares them).
struct FindingKindInfo {
  std::string_view kind, module;
  Area area;
  std::string_view title;  // e.g. "connection attempts never answered"
};
std::span<const FindingKindInfo> finding_kinds();
const FindingKindInfo* find_kind(std::string_view kind);

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
  Area area = Area::network;  // set by the collector from the catalogue unless the analyzer set `area_set`
  bool area_set = false;

  // Structured evidence (docs/findings.md, JSON): who, what, how often. Optional: version 0 / empty
  // when the finding is not about one pair of hosts.
  IpAddr client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::int64_t last_ns = 0;     // the last event it stands for; 0: same as ts_ns
  std::uint64_t count = 1;      // events it stands for (segments, replies, queries, ...)
  std::string cause;            // splits a kind into groups: a DNS rcode, an ICMP type, a TLS alert, ...
  std::string subject;          // counted in the group's top list: an FTP user, a DNS name, ...
  std::string hint;             // what to look at on z/OS, when there is something specific

  Finding& between(const IpAddr& c, std::uint16_t cport, const IpAddr& s, std::uint16_t sport) {
    client = c, client_port = cport, server = s, server_port = sport;
    return *this;
  }
  Finding& because(std::string c) {
    cause = std::move(c);
    return *this;
  }
  Finding& about(std::string s) {
    subject = std::move(s);
    return *this;
  }
  std::int64_t last() const { return last_ns ? last_ns : ts_ns; }
};

using FindingSink = std::function<void(const Finding&)>;

// One kind of finding: its category, its (highest) severity and how often it was found.
struct FindingKindRow {
  std::string kind, category, module;
  Severity severity = Severity::info;
  std::uint64_t count = 0;
};

// Findings of one kind and cause (docs/findings.md, "Groups"), over every finding of the run, not
// only the listed ones.
struct FindingGroup {
  std::string kind, cause, module, category;
  Area area = Area::network;
  Severity severity = Severity::info;  // the highest of the group
  std::uint64_t findings = 0;          // how many findings
  std::uint64_t events = 0;            // the sum of their counts
  std::uint64_t connections = 0;       // distinct TCP connections they are about
  std::int64_t first_ns = 0, last_ns = 0;
  struct Top {
    std::string key;
    std::uint64_t count = 0;
  };
  std::vector<Top> clients, servers, subjects;  // most events first, at most 5 each
  std::uint64_t top_others = 0;                 // distinct keys beyond the tracking cap (not ranked)
  std::vector<Finding> examples;                // the first 3
  std::string explanation, hint;                // of the first finding: said once for the group
  std::string title() const;                    // the catalogue's title, or the kind
};

// Every finding of a run: the list (by time, at most the listing cap) and counts over all of them.
struct FindingsReport {
  std::vector<Finding> list;
  // Groups ranked most important first: severity, then connections, findings and events affected.
  std::vector<FindingGroup> groups;
  std::uint64_t omitted = 0;                   // beyond the cap
  std::array<std::uint64_t, 3> by_severity{};  // info, warning, error
  std::vector<FindingKindRow> kinds;           // every kind found, by name
  std::uint64_t total() const { return by_severity[0] + by_severity[1] + by_severity[2]; }
  // Counts and groups again from `list` (after it was narrowed, e.g. to one connection or kind).
  void recount();
  // The groups of the verdict: at most `n` of severity warning or above, in rank order.
  std::vector<const FindingGroup*> verdict(std::size_t n = 5) const;
};

// Builds groups from findings one at a time (the collector feeds it every finding, listed or not).
class FindingGrouper {
 public:
  FindingGrouper();
  ~FindingGrouper();
  FindingGrouper(const FindingGrouper&) = delete;
  FindingGrouper& operator=(const FindingGrouper&) = delete;
  void add(const Finding& f);
  std::vector<FindingGroup> finish();  // ranked

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Which findings a run keeps (exceptions --min-severity/--kind/--conn): the others are not listed,
// counted or grouped.
struct FindingFilter {
  Severity min_severity = Severity::info;
  std::vector<std::string> kinds;  // empty: every kind
  std::uint64_t connection = 0;    // 0: any; else only the findings about this TCP connection
  bool keeps(const Finding& f) const;
};

// Collects the findings of every analyzer of a run into one FindingsReport.
class FindingCollector {
 public:
  FindingCollector(FindingsReport& out, std::size_t max_listed, FindingFilter filter = {})
      : out_(out), max_listed_(max_listed), filter_(std::move(filter)) {}
  void add(Finding f);
  // A sink for one module's findings: stamps them with the module's name.
  FindingSink sink(std::string module);
  // Orders the list by time (stable: same-time findings keep their emission order) and fills the kinds.
  void finish();

 private:
  FindingsReport& out_;
  std::size_t max_listed_;
  FindingFilter filter_;
  std::map<std::string, FindingKindRow> kinds_;
  FindingGrouper groups_;
};

}  // namespace ctana
