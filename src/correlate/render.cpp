// ctana correlate: the text and JSON reports (docs/correlate.md, docs/schema/correlate.schema.json).
#include <fmt/format.h>

#include <cmath>

#include "ctana/correlate.hpp"
#include "ctana/render.hpp"
#include "report/json_parts.hpp"

namespace ctana::correlate {

namespace {

using json = nlohmann::ordered_json;

std::string ep(const IpAddr& a, std::uint16_t port, std::uint8_t proto) {
  if (a.version == 0) return "-";
  if (proto != 6 && proto != 17) return a.str();
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}

std::string proto_name(std::uint8_t p) {
  switch (p) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "ICMPv6";
    default: return fmt::format("IP/{}", p);
  }
}

std::string ms(double s) { return fmt::format("{:.3f}", s * 1e3); }

std::string dir_name(int d) { return d > 0 ? "A->B" : d < 0 ? "B->A" : "?"; }

std::string what(const Obs& o) {
  std::string s = fmt::format("{} {} > {}", proto_name(o.proto), ep(o.src, o.sport, o.proto), ep(o.dst, o.dport, o.proto));
  if (o.proto == 6) {
    std::string fl;
    if (o.tcp_flags & tcpflag::syn) fl += 'S';
    if (o.tcp_flags & tcpflag::fin) fl += 'F';
    if (o.tcp_flags & tcpflag::rst) fl += 'R';
    if (o.tcp_flags & tcpflag::psh) fl += 'P';
    if (o.tcp_flags & tcpflag::ack) fl += '.';
    s += fmt::format(" [{}] seq {} ack {} len {}", fl, o.seq, o.ack, o.payload_len);
  } else if (o.proto == 1 || o.proto == 58) {
    s += fmt::format(" type {} code {} seq {}", o.icmp_type, o.icmp_code, o.icmp_seq);
  } else {
    s += fmt::format(" len {}", o.payload_len);
  }
  if (o.has_ip_id && !o.is_v6()) s += fmt::format(" id 0x{:04x}", o.ip_id);
  return s;
}

std::string cls_text(const std::string& c, int side) {
  if (c == "lost") return side == 0 ? "lost A->B" : "lost B->A";
  if (c == "not_comparable") return "outside the other capture";
  if (c == "not_at_sender") return "not seen at the sender's point";
  if (c == "duplicate") return "extra copy";
  return "direction unknown";
}

std::string changes_text(const FlowReport& f) {
  std::vector<std::string> v;
  if (f.change.hops > 0) v.push_back(fmt::format("{} hop{}", f.change.hops, f.change.hops == 1 ? "" : "s"));
  if (f.change.nat) v.push_back("NAT");
  if (f.change.mss_clamped) v.push_back(fmt::format("MSS {}->{}", f.change.mss_before, f.change.mss_after));
  if (f.change.dscp_rewritten) v.push_back(fmt::format("DSCP {}->{}", f.change.dscp_before, f.change.dscp_after));
  if (f.change.options_stripped) v.push_back("options stripped");
  if (f.change.vlan_changed) v.push_back("VLAN tags differ");
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "-" : s;
}

json delay_json(const DelayStats& d) {
  if (!d.count) return nullptr;
  return {{"samples", d.count}, {"min_s", d.min}, {"median_s", d.median}, {"p95_s", d.p95}, {"max_s", d.max}};
}

json addr(const IpAddr& a) { return a.version ? json(a.str()) : json(nullptr); }

}  // namespace

std::string render_text(const Report& r, bool list_all) {
  std::string o;
  auto side_line = [&](const char* n, const SideInfo& s) {
    o += fmt::format("{} = {} ({}, {} records, {} IP packets{})\n", n, s.path, s.format, s.records, s.ip_packets,
                     s.partial ? ", PARTIAL: read problems" : "");
    if (s.ip_packets) o += fmt::format("    {} .. {}\n", text_time(s.first_ns), text_time(s.last_ns));
  };
  o += "ctana correlate: the same traffic captured at two points\n";
  side_line("A", r.a);
  side_line("B", r.b);
  o += "\nVerdict\n";
  std::size_t shown = 0;
  for (const auto& f : r.findings) {
    if (f.severity == Severity::info && shown >= 3) continue;
    o += fmt::format("  {:<7} {}\n", severity_name(f.severity), f.summary);
    if (++shown >= 12) break;
  }
  if (r.findings.empty()) {
    if (r.matched == 0)
      o += "  no packet of A was found in B: are these two captures of the same traffic (and at the same time)?\n";
    else
      o += "  every packet that could be compared went through: nothing lost between the points\n";
  }

  const Clock& c = r.clock;
  o += "\nClocks\n";
  if (c.method == "forced") {
    o += fmt::format("  B = A {:+.6f} s (--offset)\n", c.offset_s);
  } else if (c.method == "two-way") {
    o += fmt::format("  B = A {:+.6f} s +/- {:.6f} s, from {} packets A->B and {} B->A\n", c.offset_s, c.uncertainty_s,
                     c.samples_ab, c.samples_ba);
    o += c.drift_estimated ? fmt::format("  drift {:+.3f} ppm (B's clock gains {:.3f} us per second)\n", c.drift_ppm,
                                         c.drift_ppm)
                           : "  drift not estimated (under 60 s of packets in both directions)\n";
  } else if (c.method == "one-way") {
    o += fmt::format("  B = A {:+.6f} s, from packets in one direction only: the offset cannot be separated from the "
                     "one-way delay; delays are relative to the fastest packet (use --offset if the offset is known)\n",
                     c.offset_s);
  } else if (c.method == "median") {
    o += fmt::format("  B = A {:+.6f} s (median time difference: the directions of the packets are not known)\n",
                     c.offset_s);
  } else {
    o += "  not estimated: no packet matched\n";
  }

  o += "\nMatching\n";
  o += fmt::format("  {} packets matched ({} among several candidates); only in A: {}; only in B: {}\n", r.matched,
                   r.ambiguous, r.only_a, r.only_b);
  o += fmt::format("  lost A->B: {}; lost B->A: {}; extra copies: {}; outside the other capture: {}; "
                   "not seen at the sender's point: {}; direction unknown: {}\n",
                   r.lost_ab, r.lost_ba, r.duplicates, r.not_comparable, r.came_elsewhere, r.unknown);

  o += "\nPer direction\n";
  for (const DirectionReport* d : {&r.ab, &r.ba}) {
    o += fmt::format("  {}: {} matched, {} lost, {} duplicated on the path, {} reordered", dir_name(d->dir), d->matched,
                     d->lost, d->dup_path, d->reordered);
    if (d->delay.count)
      o += fmt::format("; one-way delay ms min {} median {} p95 {} max {}", ms(d->delay.min), ms(d->delay.median),
                       ms(d->delay.p95), ms(d->delay.max));
    o += "\n";
    for (const auto& j : d->jumps)
      o += fmt::format("    delay jump at {}: {} ms -> {} ms\n", text_time(j.ts_ns), ms(j.from_s), ms(j.to_s));
  }

  o += "\nFlows (as seen at A; B form when translated)\n";
  o += fmt::format("  {:>4} {:<6} {:<4} {:<48} {:>7} {:>5} {:>4} {:>5} {:>9} {:>9}  {}\n", "#", "proto", "dir", "flow",
                   "matched", "lost", "dup", "reord", "delay ms", "p95 ms", "path changes");
  for (const auto& f : r.flows) {
    const bool at_a = f.a_src.version != 0;
    std::string flow = at_a ? ep(f.a_src, f.a_sport, f.proto) + " > " + ep(f.a_dst, f.a_dport, f.proto)
                            : "(B only) " + ep(f.b_src, f.b_sport, f.proto) + " > " + ep(f.b_dst, f.b_dport, f.proto);
    o += fmt::format("  {:>4} {:<6} {:<4} {:<48} {:>7} {:>5} {:>4} {:>5} {:>9} {:>9}  {}\n", f.id, proto_name(f.proto),
                     dir_name(f.dir), flow, f.matched, f.lost, f.dup_path, f.reordered,
                     f.delay.count ? ms(f.delay.median) : "-", f.delay.count ? ms(f.delay.p95) : "-", changes_text(f));
    if (at_a && f.change.nat)
      o += fmt::format("  {:>4} {:<6} {:<4} {:<48}\n", "", "", "", "at B: " + ep(f.b_src, f.b_sport, f.proto) + " > " +
                                                                  ep(f.b_dst, f.b_dport, f.proto));
  }
  if (r.flows_omitted) o += fmt::format("  ({} more flows not listed: --max-listed)\n", r.flows_omitted);
  if (r.flows_overflow) o += fmt::format("  ({} matched packets of flows beyond the flow cap)\n", r.flows_overflow);

  const std::size_t limit = list_all ? r.unmatched.size() : std::min<std::size_t>(r.unmatched.size(), 50);
  o += fmt::format("\nUnmatched packets ({} of {}{})\n", limit, r.only_a + r.only_b,
                   list_all ? "" : "; --list for all");
  if (limit) {
    o += fmt::format("  {:<4} {:>7} {:<35} {:<30} {:>10}  {}\n", "side", "frame", "time (A clock)", "class",
                     "near frame", "packet");
    for (std::size_t i = 0; i < limit; ++i) {
      const auto& u = r.unmatched[i];
      o += fmt::format("  {:<4} {:>7} {:<35} {:<30} {:>10}  {}\n", u.side == 0 ? "A" : "B", u.obs.frame,
                       text_time(u.ta_ns), cls_text(u.cls, u.side),
                       u.near_frame ? fmt::format("{}:{}", u.side == 0 ? "B" : "A", u.near_frame) : "-", what(u.obs));
    }
  }
  if (r.unmatched_omitted) o += fmt::format("  ({} more not kept: --max-listed)\n", r.unmatched_omitted);
  o += fmt::format("\nMatching horizon {:.3g} s; at most {} packets waited for their copy at one time\n", r.horizon_s,
                   r.peak_pending);
  return o;
}

std::string render_json(const Report& r, int exit_code) {
  json j;
  j["schema_version"] = 1;
  j["document"] = "correlate";
  j["generator"] = {{"name", "ctana"}, {"version", CTANA_VERSION}};
  auto side = [](const SideInfo& s) {
    return json{{"path", s.path},
                {"format", s.format},
                {"records", s.records},
                {"ip_packets", s.ip_packets},
                {"not_ip", s.not_ip},
                {"first", s.ip_packets ? json(iso_time(s.first_ns)) : json(nullptr)},
                {"last", s.ip_packets ? json(iso_time(s.last_ns)) : json(nullptr)},
                {"partial", s.partial}};
  };
  j["a"] = side(r.a);
  j["b"] = side(r.b);
  const Clock& c = r.clock;
  j["clock"] = {{"method", c.method == "one-way" ? "one_way" : c.method == "two-way" ? "two_way" : c.method},
                {"offset_s", c.offset_s},
                {"uncertainty_s", c.separable && !c.forced ? json(c.uncertainty_s) : json(nullptr)},
                {"drift_ppm", c.drift_estimated ? json(c.drift_ppm) : json(nullptr)},
                {"reference", c.ref_ns ? json(iso_time(c.ref_ns)) : json(nullptr)},
                {"samples_ab", c.samples_ab},
                {"samples_ba", c.samples_ba}};
  j["matching"] = {{"horizon_s", r.horizon_s},     {"matched", r.matched},
                   {"ambiguous", r.ambiguous},     {"only_a", r.only_a},
                   {"only_b", r.only_b},           {"lost_ab", r.lost_ab},
                   {"lost_ba", r.lost_ba},         {"duplicates", r.duplicates},
                   {"not_comparable", r.not_comparable}, {"not_at_sender", r.came_elsewhere},
                   {"unknown", r.unknown},         {"peak_pending", r.peak_pending}};
  json dirs = json::array();
  for (const DirectionReport* d : {&r.ab, &r.ba}) {
    json jumps = json::array();
    for (const auto& x : d->jumps) jumps.push_back({{"time", iso_time(x.ts_ns)}, {"from_s", x.from_s}, {"to_s", x.to_s}});
    dirs.push_back({{"direction", dir_name(d->dir)},
                    {"matched", d->matched},
                    {"lost", d->lost},
                    {"duplicated_on_path", d->dup_path},
                    {"reordered", d->reordered},
                    {"delay", delay_json(d->delay)},
                    {"jumps", jumps}});
  }
  j["directions"] = dirs;
  json flows = json::array();
  for (const auto& f : r.flows) {
    flows.push_back({{"id", f.id},
                     {"protocol", proto_name(f.proto)},
                     {"direction", f.dir ? json(dir_name(f.dir)) : json(nullptr)},
                     {"a", {{"src", addr(f.a_src)}, {"sport", f.a_sport}, {"dst", addr(f.a_dst)}, {"dport", f.a_dport}}},
                     {"b", {{"src", addr(f.b_src)}, {"sport", f.b_sport}, {"dst", addr(f.b_dst)}, {"dport", f.b_dport}}},
                     {"packets_a", f.a_packets},
                     {"packets_b", f.b_packets},
                     {"matched", f.matched},
                     {"lost", f.lost},
                     {"not_at_sender", f.only_near},
                     {"not_comparable", f.not_comparable},
                     {"duplicated_on_path", f.dup_path},
                     {"duplicated_at_capture", f.dup_capture},
                     {"reordered", f.reordered},
                     {"delay", delay_json(f.delay)},
                     {"path",
                      {{"hops", f.change.hops >= 0 ? json(f.change.hops) : json(nullptr)},
                       {"nat", f.change.nat},
                       {"mss", f.change.mss_clamped ? json{{"from", f.change.mss_before}, {"to", f.change.mss_after}}
                                                    : json(nullptr)},
                       {"dscp", f.change.dscp_rewritten
                                    ? json{{"from", f.change.dscp_before}, {"to", f.change.dscp_after}}
                                    : json(nullptr)},
                       {"options_stripped", f.change.options_stripped},
                       {"vlan_changed", f.change.vlan_changed}}}});
  }
  j["flows"] = flows;
  j["flows_overflow"] = r.flows_overflow;
  j["flows_omitted"] = r.flows_omitted;
  json un = json::array();
  for (const auto& u : r.unmatched)
    un.push_back({{"side", u.side == 0 ? "A" : "B"},
                  {"frame", u.obs.frame},
                  {"time", iso_time(u.obs.ts_ns)},
                  {"time_a", iso_time(u.ta_ns)},
                  {"class", u.cls},
                  {"direction", u.dir ? json(dir_name(u.dir)) : json(nullptr)},
                  {"flow", u.flow ? json(u.flow) : json(nullptr)},
                  {"near_frame", u.near_frame ? json(u.near_frame) : json(nullptr)},
                  {"protocol", proto_name(u.obs.proto)},
                  {"src", u.obs.src.str()},
                  {"dst", u.obs.dst.str()},
                  {"ip_id", u.obs.has_ip_id && !u.obs.is_v6() ? json(u.obs.ip_id) : json(nullptr)},
                  {"summary", what(u.obs)}});
  j["unmatched"] = un;
  j["unmatched_omitted"] = r.unmatched_omitted;
  json fs = json::array();
  for (const auto& f : r.findings) fs.push_back(finding_json(f));
  j["findings"] = fs;
  j["exit"] = {{"code", exit_code}};
  return json_text(j, 2) + "\n";
}

}  // namespace ctana::correlate
