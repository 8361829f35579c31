// The findings collector (include/ctana/findings.hpp).
#include "ctana/findings.hpp"
#include "ctana/module.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <tuple>
#include <unordered_set>

#include <fmt/format.h>

namespace ctana {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    default: return "info";
  }
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "info") return Severity::info;
  if (s == "warning" || s == "warn") return Severity::warning;
  if (s == "error" || s == "err") return Severity::error;
  return std::nullopt;
}

std::string_view area_name(Area a) {
  switch (a) {
    case Area::host: return "host";
    case Area::application: return "application";
    case Area::configuration: return "configuration";
    case Area::capture: return "capture";
    default: return "network";
  }
}

namespace {
using A = Area;
// Keep in step with docs/findings.md (tests/unit/findings_test.cpp compares the two).
constexpr std::array kKinds{
    // tcp
    FindingKindInfo{"syn_unanswered", "tcp", A::network, "connection attempts never answered"},
    FindingKindInfo{"handshake_incomplete", "tcp", A::network, "handshakes not completed"},
    FindingKindInfo{"attempt_at_end_of_trace", "tcp", A::capture, "connection attempts in the last moments of the trace"},
    FindingKindInfo{"refused", "tcp", A::configuration, "connection attempts refused (nothing listening)"},
    FindingKindInfo{"high_retransmission_rate", "tcp", A::network, "connections with many retransmissions"},
    FindingKindInfo{"retransmission_backoff", "tcp", A::network, "retransmissions with growing back-off"},
    FindingKindInfo{"retransmission_backoff_reset", "tcp", A::network, "retransmission back-off ended by a reset"},
    FindingKindInfo{"throughput_collapse", "tcp", A::network, "throughput collapses"},
    FindingKindInfo{"window_limited", "tcp", A::configuration, "transfers limited by the receive window"},
    FindingKindInfo{"zero_window", "tcp", A::host, "receivers that stopped reading (zero window)"},
    FindingKindInfo{"keepalive_unanswered", "tcp", A::network, "keepalives not answered"},
    FindingKindInfo{"sequence_gap", "tcp", A::capture, "data missing from the trace (sequence gaps)"},
    FindingKindInfo{"segments_not_captured", "tcp", A::capture, "segments acknowledged but not captured"},
    FindingKindInfo{"duplicate_packets", "tcp", A::capture, "packets captured twice (duplicates)"},
    FindingKindInfo{"still_open", "tcp", A::capture, "connections still open at the end of the trace"},
    FindingKindInfo{"idle_without_close", "tcp", A::application, "idle connections never closed"},
    FindingKindInfo{"reset", "tcp", A::application, "connections reset"},
    FindingKindInfo{"reset_after_idle", "tcp", A::network, "connections reset after being idle"},
    FindingKindInfo{"half_closed", "tcp", A::application, "connections closed from one side only"},
    FindingKindInfo{"slow_response", "tcp", A::host, "slow responses"},
    FindingKindInfo{"port_scan", "tcp", A::network, "port scans"},
    FindingKindInfo{"many_short_connections", "tcp", A::application, "bursts of short connections"},
    // ftp
    FindingKindInfo{"ftp_error_reply", "ftp", A::application, "FTP error replies"},
    FindingKindInfo{"ftp_login_failed", "ftp", A::application, "failed FTP logins"},
    FindingKindInfo{"ftp_brute_force", "ftp", A::application, "FTP login brute force"},
    FindingKindInfo{"ftp_data_connection_missing", "ftp", A::network, "FTP transfers whose data connection never came"},
    FindingKindInfo{"ftp_data_connection_unanswered", "ftp", A::network, "FTP data connections not answered"},
    FindingKindInfo{"ftp_port_bounce", "ftp", A::application, "FTP PORT commands naming a third host"},
    // tls and STARTTLS
    FindingKindInfo{"tls_handshake_failed", "tls", A::configuration, "failed TLS handshakes"},
    FindingKindInfo{"tls_obsolete_version", "tls", A::configuration, "obsolete TLS versions"},
    FindingKindInfo{"tls_sslv2_hello", "tls", A::configuration, "SSLv2-format ClientHellos"},
    FindingKindInfo{"starttls_failed", "tls", A::configuration, "failed STARTTLS upgrades"},
    FindingKindInfo{"starttls_refused", "tls", A::configuration, "STARTTLS refused by the server"},
    FindingKindInfo{"plaintext_credentials", "tls", A::configuration, "credentials sent in the clear"},
    // icmp and network
    FindingKindInfo{"icmp_error", "icmp", A::network, "ICMP error messages"},
    FindingKindInfo{"ping_unanswered", "icmp", A::network, "pings not answered"},
    FindingKindInfo{"routing_loop", "network", A::network, "routing loops"},
    FindingKindInfo{"ip_fragment_overlap", "ip", A::network, "IP fragments overlapping with different content"},
    FindingKindInfo{"ip_fragment_tiny", "ip", A::network, "IP datagrams in tiny fragments"},
    FindingKindInfo{"ip_fragments_incomplete", "ip", A::network, "IP datagrams whose fragments never all came"},
    FindingKindInfo{"ip_datagram_too_big", "ip", A::network, "IP fragments reaching beyond 65,535 bytes"},
    FindingKindInfo{"ip_reassembly_overflow", "ip", A::capture, "IP fragments beyond the reassembly limits"},
    FindingKindInfo{"checksum_errors", "checksum", A::network, "packets with bad checksums"},
    FindingKindInfo{"checksum_offload", "checksum", A::capture, "checksums left to the adapter (checksum offload)"},
    FindingKindInfo{"broadcast_storm", "network", A::network, "broadcast storms"},
    // dns
    FindingKindInfo{"dns_error", "dns", A::application, "DNS error replies"},
    FindingKindInfo{"dns_nxdomain", "dns", A::application, "DNS names that do not exist"},
    FindingKindInfo{"dns_slow", "dns", A::host, "slow DNS answers"},
    FindingKindInfo{"dns_truncated", "dns", A::application, "truncated DNS answers"},
    FindingKindInfo{"dns_unanswered", "dns", A::network, "DNS queries never answered"},
    FindingKindInfo{"dns_icmp_error", "dns", A::network, "DNS queries answered by ICMP errors"},
    // CTRACE evidence
    FindingKindInfo{"ctrace_discards", "ctrace", A::network, "packets discarded by the z/OS stack"},
    FindingKindInfo{"ids_event", "ctrace", A::network, "z/OS IDS events"},
    FindingKindInfo{"ctrace_records_lost", "ctrace", A::capture, "trace records lost"},
    // dhcp
    FindingKindInfo{"dhcp_nak", "dhcp", A::configuration, "DHCP NAKs"},
    FindingKindInfo{"dhcp_decline", "dhcp", A::configuration, "DHCP addresses declined (address conflicts)"},
    FindingKindInfo{"dhcp_no_offer", "dhcp", A::configuration, "DHCP clients without an offer"},
    // correlate (two traces of the same traffic, docs/correlate.md)
    FindingKindInfo{"lost_between_points", "correlate", A::network, "packets lost between the capture points"},
    FindingKindInfo{"delay_jump", "correlate", A::network, "jumps of the one-way delay between the points"},
    FindingKindInfo{"nat_between_points", "correlate", A::configuration, "address translation between the points"},
    FindingKindInfo{"mss_clamped", "correlate", A::configuration, "MSS clamped between the points"},
    FindingKindInfo{"dscp_rewritten", "correlate", A::configuration, "DSCP rewritten between the points"},
    FindingKindInfo{"duplicated_on_path", "correlate", A::network, "packets duplicated between the points"},
    FindingKindInfo{"reordered_between_points", "correlate", A::network, "packets reordered between the points"},
};

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

// The core's kinds, then each protocol module's (include/ctana/module.hpp), in registry order.
std::span<const FindingKindInfo> finding_kinds() {
  static const std::vector<FindingKindInfo> all = [] {
    std::vector<FindingKindInfo> v(kKinds.begin(), kKinds.end());
    for (const ProtocolModule* m : protocol_modules()) v.insert(v.end(), m->finding_kinds.begin(), m->finding_kinds.end());
    return v;
  }();
  return all;
}

const FindingKindInfo* find_kind(std::string_view kind) {
  for (const auto& k : finding_kinds())
    if (k.kind == kind) return &k;
  return nullptr;
}

std::string FindingGroup::title() const {
  const auto* k = find_kind(kind);
  return k ? std::string(k->title) : kind;
}

// ---------------------------------------------------------------------------------------------

struct FindingGrouper::Impl {
  // Distinct keys tracked per top list: a scan of a million hosts must not grow without bound.
  static constexpr std::size_t kMaxKeys = 4096;
  struct Counter {
    std::unordered_map<std::string, std::uint64_t> n;
    std::uint64_t beyond = 0;
    void add(std::string key, std::uint64_t events) {
      if (key.empty()) return;
      if (auto it = n.find(key); it != n.end()) it->second += events;
      else if (n.size() < kMaxKeys) n.emplace(std::move(key), events);
      else ++beyond;
    }
    std::vector<FindingGroup::Top> top(std::size_t k) const {
      std::vector<FindingGroup::Top> v;
      v.reserve(n.size());
      for (const auto& [key, c] : n) v.push_back({key, c});
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.count != b.count ? a.count > b.count : a.key < b.key;
      });
      if (v.size() > k) v.resize(k);
      return v;
    }
  };
  struct Building {
    FindingGroup g;
    std::unordered_set<std::uint64_t> conns;
    Counter clients, servers, subjects;
  };
  std::map<std::pair<std::string, std::string>, Building> groups;  // (kind, cause)
};

FindingGrouper::FindingGrouper() : impl_(std::make_unique<Impl>()) {}
FindingGrouper::~FindingGrouper() = default;

namespace {
std::string endpoint_key(const IpAddr& a, std::uint16_t port) {
  if (!a.version) return {};
  if (!port) return a.str();
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}
}  // namespace

void FindingGrouper::add(const Finding& f) {
  auto& b = impl_->groups[{f.kind, f.cause}];
  auto& g = b.g;
  if (!g.findings++) {
    g.kind = f.kind;
    g.cause = f.cause;
    g.module = f.module;
    g.category = f.category;
    g.area = f.area;
    g.first_ns = f.ts_ns;
    g.last_ns = f.last();
    g.explanation = f.explanation;
    g.hint = f.hint;
  }
  g.severity = std::max(g.severity, f.severity);
  g.events += f.count;
  g.first_ns = std::min(g.first_ns, f.ts_ns);
  g.last_ns = std::max(g.last_ns, f.last());
  if (f.connection) b.conns.insert(f.connection);
  b.clients.add(endpoint_key(f.client, 0), f.count);
  b.servers.add(endpoint_key(f.server, f.server_port), f.count);
  b.subjects.add(f.subject, f.count);
  // the three earliest (the first to arrive among equal times)
  if (g.examples.size() < 3) {
    g.examples.push_back(f);
  } else {
    std::size_t latest = 0;  // the latest example (the last to arrive among equal times)
    for (std::size_t i = 1; i < g.examples.size(); ++i)
      if (g.examples[i].ts_ns >= g.examples[latest].ts_ns) latest = i;
    if (f.ts_ns < g.examples[latest].ts_ns) g.examples[latest] = f;
  }
}

std::vector<FindingGroup> FindingGrouper::finish() {
  std::vector<FindingGroup> out;
  out.reserve(impl_->groups.size());
  for (auto& [key, b] : impl_->groups) {
    auto& g = b.g;
    g.connections = b.conns.size();
    g.clients = b.clients.top(5);
    g.servers = b.servers.top(5);
    g.subjects = b.subjects.top(5);
    g.top_others = b.clients.beyond + b.servers.beyond + b.subjects.beyond;
    std::stable_sort(g.examples.begin(), g.examples.end(),
              [](const Finding& x, const Finding& y) { return x.ts_ns < y.ts_ns; });
    out.push_back(std::move(g));
  }
  impl_->groups.clear();
  // Most important first: the worst severity, then the most connections, findings and events
  // affected, then the earliest; the kind last so that the order is total.
  std::stable_sort(out.begin(), out.end(), [](const FindingGroup& a, const FindingGroup& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.connections != b.connections) return a.connections > b.connections;
    if (a.findings != b.findings) return a.findings > b.findings;
    if (a.events != b.events) return a.events > b.events;
    if (a.first_ns != b.first_ns) return a.first_ns < b.first_ns;
    return std::tie(a.kind, a.cause) < std::tie(b.kind, b.cause);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------

void FindingsReport::recount() {
  by_severity = {};
  omitted = 0;
  std::map<std::string, FindingKindRow> rows;
  FindingGrouper grouper;
  for (const auto& f : list) {
    count(rows, *this, f);
    grouper.add(f);
  }
  fill_kinds(rows, *this);
  groups = grouper.finish();
}

std::vector<const FindingGroup*> FindingsReport::verdict(std::size_t n) const {
  std::vector<const FindingGroup*> v;
  for (const auto& g : groups) {
    if (v.size() >= n) break;
    if (g.severity >= Severity::warning) v.push_back(&g);
  }
  return v;
}

bool FindingFilter::keeps(const Finding& f) const {
  if (f.severity < min_severity) return false;
  if (connection && f.connection != connection) return false;
  return kinds.empty() || std::find(kinds.begin(), kinds.end(), f.kind) != kinds.end();
}

void FindingCollector::add(Finding f) {
  if (!filter_.keeps(f)) return;
  if (!f.area_set)
    if (const auto* k = find_kind(f.kind)) f.area = k->area;
  count(kinds_, out_, f);
  groups_.add(f);
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
  out_.groups = groups_.finish();
}

}  // namespace ctana
