// CTRACE summary analyzer: counts what the CTRACE metadata of each record says. Bounded state:
// one row per link, format id, discard code and probe id; IDS source addresses are capped. The
// data trace jobs and connections are DataTraceStreams' (src/analyze/datatrace.cpp).
#include "ctana/ctrace_summary.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "ctana/ctrace.hpp"

namespace ctana {

struct CtraceSummaryAnalyzer::State {
  std::vector<CtraceReport::Link> links;      // by interface id
  std::map<std::uint32_t, std::uint64_t> kinds, probes;
  std::map<std::uint16_t, std::uint64_t> discards;
  std::map<IpAddr, std::uint64_t> sources;
  std::uint64_t sources_untracked = 0;
  static constexpr std::size_t kMaxSources = 100'000;
};

CtraceSummaryAnalyzer::CtraceSummaryAnalyzer(CtraceReport& out) : out_(out), st_(std::make_unique<State>()) {}
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
  if (m.discard_code) ++st.discards[m.discard_code];
  if (ctrace::is_ids_probe(m.format_id)) {
    ++st.probes[m.format_id];
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
}

}  // namespace ctana
