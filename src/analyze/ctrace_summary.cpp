// CTRACE summary analyzer: counts what the CTRACE metadata of each record says. Bounded state:
// one row per link, format id, discard code and probe id; IDS source addresses are capped. The
// data trace jobs and connections are DataTraceStreams' (src/analyze/datatrace.cpp).
#include "ctana/ctrace_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "ctana/ctrace.hpp"

namespace ctana {

struct CtraceSummaryAnalyzer::State {
  std::vector<CtraceReport::Link> links;      // by interface id
  std::map<std::uint32_t, std::uint64_t> kinds, probes;
  std::map<std::uint16_t, std::uint64_t> discards;
  std::map<IpAddr, std::uint64_t> sources;
  std::uint64_t sources_untracked = 0;
  static constexpr std::size_t kMaxSources = 100'000;

  // The evidence for findings: per discard code and direction, and per IDS probe, the packets by
  // source and destination (at most kMaxPairs pairs each; the rest counted together).
  struct Pairs {
    struct Seen {
      std::uint64_t n = 0;
      std::int64_t first_ns = 0, last_ns = 0;
      std::uint32_t correlator = 0;
      std::string policy;
    };
    std::map<std::pair<IpAddr, IpAddr>, Seen> by_pair;
    Seen rest;
    static constexpr std::size_t kMaxPairs = 50;
    void add(const Packet& p, bool ip) {
      Seen* s = &rest;
      const auto key = ip ? std::make_pair(p.src, p.dst) : std::make_pair(IpAddr{}, IpAddr{});
      if (auto it = by_pair.find(key); it != by_pair.end()) s = &it->second;
      else if (by_pair.size() < kMaxPairs) s = &by_pair[key];
      const std::int64_t ts = p.rec->ts_ns;
      if (!s->n++) {
        s->first_ns = ts;
        s->correlator = p.rec->meta.ids_correlator;
        s->policy = std::string(p.rec->meta.ids_policy);
      }
      s->first_ns = std::min(s->first_ns, ts);
      s->last_ns = std::max(s->last_ns, ts);
    }
  };
  std::map<std::pair<std::uint16_t, Direction>, Pairs> discard_pairs;
  std::map<std::uint32_t, Pairs> probe_pairs;
};

namespace {

// What to do about a discard reason code on z/OS (docs/findings.md).
std::string discard_action(std::uint16_t code) {
  switch (code) {
    case 4096:
    case 4097:
      return "The interface is gone or inactive: D TCPIP,,NETSTAT,DEVLINKS shows it; start it (V TCPIP,,START) or "
             "correct the routes that still send packets to it.";
    case 4098:
    case 4099:
    case 4100:
    case 4101:
    case 4103:
      return "A sender or a device on the path delivers damaged IP packets: find the source address below and check "
             "its adapter, driver or the router before it.";
    case 4102:
      return "IP header checksums are wrong: a device on the path corrupts packets, or a sender's checksum offload "
             "is broken; find the source address below.";
    case 4114:
      return "A neighbour sent an IP packet for a non-broadcast address in a broadcast MAC frame: check the "
             "sender's subnet mask (it takes this address for a broadcast address) and any locally administered "
             "MAC (the OSA VMAC) it uses for this host.";
    case 4167:
      return "The packet was not for this stack and is not forwarded: IPCONFIG NODATAGRAMFWD, or no route for it "
             "(NETSTAT ROUTE); if this stack should route, check IPCONFIG DATAGRAMFWD.";
    default:
      return fmt::format("Look the code up in z/OS Communications Server: IP and SNA Codes, \"TCP/IP discard reason "
                         "codes\" ({} layer).",
                         ctrace::discard_layer(code).empty() ? std::string_view("unknown") : ctrace::discard_layer(code));
  }
}

}  // namespace

CtraceSummaryAnalyzer::CtraceSummaryAnalyzer(CtraceReport& out, FindingSink findings)
    : out_(out), emit_(std::move(findings)), st_(std::make_unique<State>()) {}
CtraceSummaryAnalyzer::~CtraceSummaryAnalyzer() = default;

void CtraceSummaryAnalyzer::on_packet(const Packet& p) {
  const Record& r = *p.rec;
  const SourceMeta& m = r.meta;
  if (!(m.flags & SourceMeta::kCtrace)) return;
  auto& st = *st_;
  if (r.interface_id >= st.links.size()) st.links.resize(r.interface_id + 1);
  auto& l = st.links[r.interface_id];
  if (l.records++ == 0) {
    l.name = std::string(r.interface_name);
    l.device_type = m.device_type;
    l.device = m.format_id == ctrace::kFmtData ? std::string() : ctrace::device_type_label(m.device_type);
    l.link = r.link;
  }
  if (r.dir == Direction::in) ++l.in;
  else if (r.dir == Direction::out) ++l.out;
  ++st.kinds[ctrace::is_ids_probe(m.format_id) ? 0x01000000u : m.format_id];
  const bool ip = p.l3 == L3::ipv4 || p.l3 == L3::ipv6;
  if (m.discard_code) {
    ++st.discards[m.discard_code];
    if (emit_) st.discard_pairs[{m.discard_code, r.dir}].add(p, ip);
  }
  if (ctrace::is_ids_probe(m.format_id)) {
    ++st.probes[m.format_id];
    if (emit_) st.probe_pairs[m.format_id].add(p, ip);
    if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
      auto it = st.sources.find(p.src);
      if (it != st.sources.end()) ++it->second;
      else if (st.sources.size() < State::kMaxSources) st.sources.emplace(p.src, 1);
      else ++st.sources_untracked;
    }
  }
  if (m.flags & SourceMeta::kAbbreviated) ++out_.abbreviated;
  if (m.flags & SourceMeta::kSegmented) ++out_.segmented;
  if (m.flags & SourceMeta::kLocal) ++out_.local;
  if (m.flags & SourceMeta::kAtlsClear) ++out_.atls_clear;
  if (m.flags & SourceMeta::kAtlsConfidential) ++out_.atls_confidential;
}

bool CtraceSummaryAnalyzer::ids_only() const {
  std::uint64_t all = 0;
  for (const auto& [id, n] : st_->kinds) all += n;
  const auto it = st_->kinds.find(0x01000000u);
  return all && it != st_->kinds.end() && it->second == all;
}

void CtraceSummaryAnalyzer::finish() {
  auto& st = *st_;
  for (auto& l : st.links)
    if (l.records) out_.links.push_back(std::move(l));
  for (const auto& [id, n] : st.kinds)
    out_.kinds.push_back({id, id == 0x01000000u ? std::string("ids") : ctrace::format_id_name(id), n});
  for (const auto& [code, n] : st.discards) {
    const auto d = ctrace::discard_info(code);
    out_.discards.push_back({code, std::string(d.name), d.named ? std::string(d.meaning) : ctrace::discard_label(code),
                             std::string(ctrace::discard_range(code)), n});
  }
  for (const auto& [probe, n] : st.probes)
    out_.ids_probes.push_back({probe, ctrace::ids_group(probe), ctrace::ids_probe_description(probe), n});
  for (const auto& [a, n] : st.sources) out_.ids_sources.push_back({a, n});
  std::stable_sort(out_.ids_sources.begin(), out_.ids_sources.end(),
                   [](const auto& x, const auto& y) { return x.events > y.events; });
  if (out_.ids_sources.size() > 20) out_.ids_sources.resize(20);
  if (emit_) findings();
}

void CtraceSummaryAnalyzer::findings() {
  auto& st = *st_;
  auto pairs = [](const State::Pairs& p, auto&& one) {
    for (const auto& [key, s] : p.by_pair) one(&key.first, &key.second, s);
    if (p.rest.n) one(nullptr, nullptr, p.rest);
  };
  for (const auto& [key, pp] : st.discard_pairs) {
    const std::uint16_t code = key.first;  // not structured bindings: the lambda below captures them
    const Direction dir = key.second;
    const auto d = ctrace::discard_info(code);
    const std::string label = ctrace::discard_label(code);
    const std::string_view way = dir == Direction::in ? "inbound " : dir == Direction::out ? "outbound " : "";
    std::uint64_t total = pp.rest.n;  // of the code in this direction: 10 or more make a warning
    for (const auto& [k, s] : pp.by_pair) total += s.n;
    pairs(pp, [&](const IpAddr* src, const IpAddr* dst, const State::Pairs::Seen& s) {
      const std::string who = src && src->version ? fmt::format(" from {} to {}", src->str(), dst->str())
                              : src                ? std::string(" (not IP)")
                                                   : " from further sources";
      Finding f{total >= 10 ? Severity::warning : Severity::info, "traffic", "ctrace_discards", s.first_ns, 0,
                fmt::format("{} {}packet{} discarded by the stack{}: reason {} ({})", s.n, way, s.n == 1 ? "" : "s", who,
                            code, label),
                fmt::format("{}{}TCP/IP dropped these packets and traced them with the reason code (the packet "
                            "trace's discard records).",
                            d.named ? d.meaning : ctrace::discard_label(code), d.named ? ". " : ": ")};
      if (src && src->version) f.between(*src, 0, *dst, 0);
      f.count = s.n;
      f.last_ns = s.last_ns;
      f.cause = fmt::format("{} {}", code, d.named ? d.name : "unknown");
      f.hint = discard_action(code);
      emit_(f);
    });
  }
  for (const auto& entry : st.probe_pairs) {
    const std::uint32_t probe = entry.first;
    const State::Pairs& pp = entry.second;
    const std::string group = ctrace::ids_group(probe);
    const std::string what = ctrace::ids_probe_description(probe);
    pairs(pp, [&](const IpAddr* src, const IpAddr* dst, const State::Pairs::Seen& s) {
      const std::string who = src && src->version ? fmt::format(" from {} to {}", src->str(), dst->str())
                              : src                ? std::string()
                                                   : " from further sources";
      Finding f{group == "ATTACK" ? Severity::error : Severity::warning, "traffic", "ids_event", s.first_ns, 0,
                fmt::format("IDS {} {:08X} x{}{}: {}{}{}", group.empty() ? "probe" : group, probe, s.n, who, what,
                            s.policy.empty() ? "" : fmt::format(", policy {}", s.policy),
                            s.correlator ? fmt::format(", correlator {}", s.correlator) : std::string()),
                group == "ATTACK" ? "The z/OS Intrusion Detection Services saw a packet of a known attack pattern and "
                                    "traced it (SYSTCPIS)."
                : group == "SCAN" ? "The z/OS Intrusion Detection Services counted these packets towards a scan "
                                    "(SYSTCPIS): a host probing ports or addresses, or a client misconfigured to "
                                    "try them."
                                  : "The z/OS Intrusion Detection Services traffic regulation acted on these "
                                    "connections or datagrams (SYSTCPIS): a limit of the policy was reached."};
      if (src && src->version) f.between(*src, 0, *dst, 0);
      f.count = s.n;
      f.last_ns = s.last_ns;
      f.cause = fmt::format("{:08X}", probe);
      f.subject = s.policy;
      f.hint = "pasearch -i shows the IDS policy; the console and syslogd messages (EZZ8761I and others) and "
               "NETSTAT IDS give its counts.";
      emit_(f);
    });
  }
}

}  // namespace ctana
