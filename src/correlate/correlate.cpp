// ctana correlate: both traces read in step, matched, and what the path between the two points did
// (docs/correlate.md).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include "ctana/correlate.hpp"
#include "ctana/decode.hpp"

namespace ctana::correlate {

namespace {

// One trace read as a stream of observations.
struct Stream {
  std::unique_ptr<Reader> reader;
  Record rec;
  Packet pkt;
  SideInfo* info = nullptr;
  bool done = false;
  // Next IP packet; false at the end.
  bool next(Obs& o) {
    while (!done) {
      if (!reader->next(rec)) {
        done = true;
        info->partial = reader->stats().partial();
        break;
      }
      ++info->records;
      decode(rec, pkt);
      if (!observe(pkt, o)) {
        ++info->not_ip;
        continue;
      }
      ++info->ip_packets;
      if (info->ip_packets == 1 || o.ts_ns < info->first_ns) info->first_ns = o.ts_ns;
      info->last_ns = std::max(info->last_ns, o.ts_ns);
      return true;
    }
    return false;
  }
};

bool open_stream(const std::string& path, const OpenOptions& open, Stream& s, SideInfo& info, std::string& error) {
  OpenError err;
  s.reader = open_trace(path, err, open);
  if (!s.reader) {
    error = err.message;
    return false;
  }
  s.info = &info;
  info = SideInfo{};
  info.path = path;
  info.format = std::string(format_name(s.reader->format()));
  return true;
}

// A flow as seen at one point: protocol, addresses, ports.
std::string tuple_key(const Obs& o) {
  std::string k(1 + 16 + 16 + 4 + 2, '\0');
  k[0] = static_cast<char>(o.proto);
  std::memcpy(k.data() + 1, o.src.b.data(), 16);
  std::memcpy(k.data() + 17, o.dst.b.data(), 16);
  const std::uint16_t sp = o.proto == 1 || o.proto == 58 ? 0 : o.sport;
  const std::uint16_t dp = o.proto == 1 || o.proto == 58 ? 0 : o.dport;
  std::memcpy(k.data() + 33, &sp, 2);
  std::memcpy(k.data() + 35, &dp, 2);
  k[37] = static_cast<char>(o.src.version);
  return k;
}
std::string pair_key(const IpAddr& s, const IpAddr& d) {
  std::string k(34, '\0');
  std::memcpy(k.data(), s.b.data(), 16);
  std::memcpy(k.data() + 16, d.b.data(), 16);
  k[32] = static_cast<char>(s.version);
  return k;
}

// A bounded sample (Algorithm R with a fixed generator: the same input gives the same report).
struct Reservoir {
  std::size_t cap = 0;
  std::uint64_t seen = 0, rng = 0x2545F4914F6CDD1DULL;
  std::vector<std::pair<std::int64_t, std::int64_t>> v;  // (tA, raw)
  static Reservoir with_cap(std::size_t n) {
    Reservoir r;
    r.cap = n;
    return r;
  }
  void add(std::int64_t ta, std::int64_t raw) {
    ++seen;
    if (v.size() < cap) {
      v.emplace_back(ta, raw);
      return;
    }
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    const std::uint64_t j = rng % seen;
    if (j < cap) v[j] = {ta, raw};
  }
};

DelayStats stats_of(const Reservoir& r, const Clock& c, int dir) {
  DelayStats s;
  if (r.v.empty()) return s;
  std::vector<double> d;
  d.reserve(r.v.size());
  for (const auto& [ta, raw] : r.v) {
    const double x = static_cast<double>(raw) * 1e-9 - c.offset_at(ta);
    d.push_back(dir < 0 ? -x : x);
  }
  std::sort(d.begin(), d.end());
  s.count = r.seen;
  s.min = d.front();
  s.max = d.back();
  s.median = d.size() % 2 ? d[d.size() / 2] : (d[d.size() / 2 - 1] + d[d.size() / 2]) / 2;
  s.p95 = d[std::min(d.size() - 1, static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(d.size()))) - 1)];
  return s;
}

struct FlowState {
  FlowReport r;
  std::int64_t votes_ab = 0, votes_ba = 0;
  std::int64_t max_ta = INT64_MIN, max_tb = INT64_MIN;
  std::uint64_t last_a_frame = 0, last_b_frame = 0;
  Reservoir delays = Reservoir::with_cap(64);
  int dir() const { return votes_ab > votes_ba ? 1 : votes_ba > votes_ab ? -1 : 0; }
};

// Direction of a matched pair: TTL falls along the path; else what the flow's address pair
// showed; else the sign of the delay the clock gives.
int pair_dir(const Obs& a, const Obs& b, std::int64_t raw, const Clock* clock,
             const std::unordered_map<std::string, int>& by_pair) {
  if (a.ttl > b.ttl) return 1;
  if (a.ttl < b.ttl) return -1;
  if (auto it = by_pair.find(pair_key(a.src, a.dst)); it != by_pair.end() && it->second) return it->second;
  if (clock && clock->separable) {
    const double d = static_cast<double>(raw) * 1e-9 - clock->offset_at(a.ts_ns);
    return d >= 0 ? 1 : -1;
  }
  return 0;
}

// First estimate from the first packets of each trace: the coarse offset from keys seen a few
// times on each side (the densest 100 ms of their time differences), then the directions of the address pairs and
// the envelope's clock from a match with that offset.
Clock first_estimate(const std::string& pa, const std::string& pb, const Options& opt, const OpenOptions& open,
                     std::unordered_map<std::string, int>& by_pair, std::string& error) {
  Clock none;
  none.method = "none";
  SideInfo ia, ib;
  Stream sa, sb;
  if (!open_stream(pa, open, sa, ia, error) || !open_stream(pb, open, sb, ib, error)) return none;
  std::vector<Obs> va, vb;
  Obs o;
  while (va.size() < opt.sample_packets && sa.next(o)) va.push_back(o);
  while (vb.size() < opt.sample_packets && sb.next(o)) vb.push_back(o);
  // the coarse offset: the time differences of the keys seen at most 8 times in each sample (every
  // pairing of their copies), the densest 100 ms of them, its median. Repeated keys (an IP ID that
  // wrapped, a repeated probe) add differences a period off; the right pairings pile up in one place.
  // Tried on the whole samples first, then on their first 20,000 and 2,000 packets, where keys
  // repeat less (a trace made of time-shifted copies repeats every key).
  auto coarse_of = [&](std::size_t n, std::int64_t& out) {
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> ka, kb;
    for (std::size_t i = 0; i < va.size() && i < n; ++i) {
      auto& v = ka[va[i].key];
      if (v.size() <= 8) v.push_back(i);
    }
    for (std::size_t i = 0; i < vb.size() && i < n; ++i) {
      auto& v = kb[vb[i].key];
      if (v.size() <= 8) v.push_back(i);
    }
    std::vector<std::int64_t> diffs;
    for (const auto& [k, occ] : ka) {
      if (occ.size() > 8) continue;
      auto it = kb.find(k);
      if (it == kb.end() || it->second.size() > 8) continue;
      for (std::size_t x : occ)
        for (std::size_t y : it->second)
          if (compatible(va[x], vb[y])) diffs.push_back(vb[y].ts_ns - va[x].ts_ns);
    }
    if (diffs.empty()) return false;
    std::sort(diffs.begin(), diffs.end());
    constexpr std::int64_t kWindow = 100'000'000;
    std::size_t best_lo = 0, best_n = 0;
    for (std::size_t lo = 0, hi = 0; lo < diffs.size(); ++lo) {
      while (hi < diffs.size() && diffs[hi] - diffs[lo] <= kWindow) ++hi;
      if (hi - lo > best_n) best_n = hi - lo, best_lo = lo;
    }
    out = diffs[best_lo + best_n / 2];
    return true;
  };
  std::int64_t coarse = 0;
  if (!coarse_of(va.size() + vb.size(), coarse) && !coarse_of(20'000, coarse) && !coarse_of(2'000, coarse))
    return none;
  // match the samples with the coarse offset
  struct Pair {
    Obs a, b;
  };
  std::vector<Pair> pairs;
  // the TTL tells the direction of most pairs: the copy at the point reached second is not earlier
  // (beyond the coarse offset's error)
  auto plausible = [](const Obs& a, std::int64_t ta, const Obs& b, std::int64_t tb) {
    constexpr std::int64_t kSlack = 200'000'000;
    if (a.ttl > b.ttl) return tb >= ta - kSlack;
    if (a.ttl < b.ttl) return ta >= tb - kSlack;
    return true;
  };
  Matcher m(opt.horizon_s, {[&](const Obs& a, const Obs& b, bool) { pairs.push_back({a, b}); }, {}, plausible});
  std::size_t i = 0, j = 0;
  while (i < va.size() || j < vb.size()) {
    const bool take_a = j >= vb.size() || (i < va.size() && va[i].ts_ns <= vb[j].ts_ns - coarse);
    if (take_a) {
      m.add(0, va[i], va[i].ts_ns);
      ++i;
    } else {
      m.add(1, vb[j], vb[j].ts_ns - coarse);
      ++j;
    }
  }
  m.finish();
  // directions of the address pairs (as seen at A): TTL votes, else the pair whose time
  // differences are larger went A->B
  struct PairInfo {
    std::int64_t ttl_votes = 0;
    std::vector<double> raws;
  };
  std::unordered_map<std::string, PairInfo> info;
  for (const auto& p : pairs) {
    auto& pi = info[pair_key(p.a.src, p.a.dst)];
    pi.ttl_votes += p.a.ttl > p.b.ttl ? 1 : p.a.ttl < p.b.ttl ? -1 : 0;
    if (pi.raws.size() < 4096) pi.raws.push_back(static_cast<double>(p.b.ts_ns - p.a.ts_ns));
  }
  for (auto& [k, pi] : info) {
    int d = pi.ttl_votes > 0 ? 1 : pi.ttl_votes < 0 ? -1 : 0;
    if (d == 0) {
      const std::string rev = k.substr(16, 16) + k.substr(0, 16) + k.substr(32);
      if (auto it = info.find(rev); it != info.end() && !it->second.raws.empty()) {
        auto med = [](std::vector<double> v) {
          std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
          return v[v.size() / 2];
        };
        const double mine = med(pi.raws), theirs = med(it->second.raws);
        if (mine != theirs) d = mine > theirs ? 1 : -1;
      }
    }
    by_pair[k] = d;
  }
  Envelope env;
  for (const auto& p : pairs) {
    const std::int64_t raw = p.b.ts_ns - p.a.ts_ns;
    env.add({p.a.ts_ns, raw, pair_dir(p.a, p.b, raw, nullptr, by_pair)});
  }
  Clock c = estimate_clock(env);
  if (c.method == "none") {
    c.offset_s = static_cast<double>(coarse) * 1e-9;
    c.method = "median";
  }
  return c;
}

std::string endpoint(const IpAddr& a, std::uint16_t port, std::uint8_t proto) {
  const bool ports = proto == 6 || proto == 17;
  if (!ports) return a.str();
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}

}  // namespace

bool run(const std::string& path_a, const std::string& path_b, const Options& opt, const OpenOptions& open,
         Report& rep, std::string& error) {
  rep = Report{};
  rep.horizon_s = opt.horizon_s;
  std::unordered_map<std::string, int> by_pair;
  Clock clock;
  if (opt.offset_s) {
    clock.offset_s = *opt.offset_s;
    clock.forced = true;
    clock.separable = true;
    clock.method = "forced";
  } else {
    clock = first_estimate(path_a, path_b, opt, open, by_pair, error);
    if (!error.empty()) return false;
  }

  Stream sa, sb;
  if (!open_stream(path_a, open, sa, rep.a, error) || !open_stream(path_b, open, sb, rep.b, error)) return false;

  std::unordered_map<std::string, std::size_t> flow_a, flow_b;  // tuple at A / at B -> flow index
  std::vector<FlowState> flows;
  Envelope env;
  Reservoir dir_ab = Reservoir::with_cap(1'000'000), dir_ba = Reservoir::with_cap(1'000'000);
  std::int64_t b_first_a = 0, b_last_a = 0, a_first = 0, a_last = 0;
  bool have_a = false, have_b = false;

  auto flow_for = [&](const Obs& o, bool at_a) -> FlowState* {
    auto& map = at_a ? flow_a : flow_b;
    const std::string k = tuple_key(o);
    if (auto it = map.find(k); it != map.end()) return &flows[it->second];
    if (flows.size() >= opt.max_flows) return nullptr;
    FlowState f;
    f.r.id = flows.size() + 1;
    f.r.proto = o.proto;
    if (at_a) {
      f.r.a_src = o.src, f.r.a_dst = o.dst, f.r.a_sport = o.sport, f.r.a_dport = o.dport;
    } else {
      f.r.b_src = o.src, f.r.b_dst = o.dst, f.r.b_sport = o.sport, f.r.b_dport = o.dport;
    }
    f.r.first_ns = o.ts_ns;
    map.emplace(k, flows.size());
    flows.push_back(std::move(f));
    return &flows.back();
  };

  auto on_match = [&](const Obs& a, const Obs& b, bool ambiguous) {
    ++rep.matched;
    if (ambiguous) ++rep.ambiguous;
    const std::int64_t raw = b.ts_ns - a.ts_ns;
    const int dir = pair_dir(a, b, raw, clock.method == "none" ? nullptr : &clock, by_pair);
    env.add({a.ts_ns, raw, dir});
    FlowState* f = flow_for(a, true);
    if (!f) {
      ++rep.flows_overflow;
      return;
    }
    if (f->r.b_src.version == 0) {
      f->r.b_src = b.src, f->r.b_dst = b.dst, f->r.b_sport = b.sport, f->r.b_dport = b.dport;
      flow_b.emplace(tuple_key(b), static_cast<std::size_t>(f->r.id - 1));
    }
    ++f->r.matched;
    f->r.last_ns = std::max(f->r.last_ns, a.ts_ns);
    f->r.first_ns = std::min(f->r.first_ns, a.ts_ns);
    if (dir > 0) ++f->votes_ab;
    if (dir < 0) ++f->votes_ba;
    // reordered between the points: the two points saw this pair and an earlier one in opposite orders
    if (f->max_ta != INT64_MIN && ((a.ts_ns < f->max_ta) != (b.ts_ns < f->max_tb))) ++f->r.reordered;
    f->max_ta = std::max(f->max_ta, a.ts_ns);
    f->max_tb = std::max(f->max_tb, b.ts_ns);
    f->last_a_frame = a.frame;
    f->last_b_frame = b.frame;
    f->delays.add(a.ts_ns, raw);
    (dir >= 0 ? dir_ab : dir_ba).add(a.ts_ns, raw);
    // what the path changed: sender's copy vs receiver's copy
    const Obs& snd = dir >= 0 ? a : b;
    const Obs& rcv = dir >= 0 ? b : a;
    PathChange& pc = f->r.change;
    if (dir != 0 && snd.ttl >= rcv.ttl) pc.hops = std::max(pc.hops, static_cast<int>(snd.ttl - rcv.ttl));
    if (!(a.src == b.src) || !(a.dst == b.dst) || a.sport != b.sport || a.dport != b.dport) pc.nat = true;
    if (snd.has_mss && rcv.has_mss && rcv.mss < snd.mss) {
      pc.mss_clamped = true;
      pc.mss_before = snd.mss, pc.mss_after = rcv.mss;
    }
    if (snd.dscp != rcv.dscp) {
      pc.dscp_rewritten = true;
      pc.dscp_before = snd.dscp, pc.dscp_after = rcv.dscp;
    }
    if (snd.proto == 6 && rcv.tcp_hdr_len < snd.tcp_hdr_len &&
        ((snd.has_ts && !rcv.has_ts) || (snd.has_sack_perm && !rcv.has_sack_perm) ||
         (snd.has_wscale && !rcv.has_wscale)))
      pc.options_stripped = true;
    if (snd.vlan_depth != rcv.vlan_depth) pc.vlan_changed = true;
  };

  auto on_unmatched = [&](int side, const Obs& o, std::int64_t ta, bool dup) {
    (side == 0 ? rep.only_a : rep.only_b)++;
    FlowState* f = flow_for(o, side == 0);
    int dir = f ? f->dir() : 0;
    if (dir == 0) {
      // the address pair as A saw it: for a packet of B, its reverse NAT is not known here
      if (side == 0)
        if (auto it = by_pair.find(pair_key(o.src, o.dst)); it != by_pair.end()) dir = it->second;
    }
    // the other capture's window on A's clock: from its first to its last packet (a pcap does not
    // say when the capture really ended)
    const std::int64_t other_first = side == 0 ? b_first_a : a_first;
    const std::int64_t other_last = side == 0 ? b_last_a : a_last;
    const bool other_seen = side == 0 ? have_b : have_a;
    const bool inside = other_seen && ta >= other_first && ta <= other_last;
    std::string cls;
    const bool headed_other = (side == 0 && dir > 0) || (side == 1 && dir < 0);
    if (dup) {
      cls = "duplicate";
      ++rep.duplicates;
      if (f) {
        if (headed_other || dir == 0)
          ++f->r.dup_capture;
        else
          ++f->r.dup_path;
      }
    } else if (!inside) {
      cls = "not_comparable";
      ++rep.not_comparable;
      if (f) ++f->r.not_comparable;
    } else if (dir == 0) {
      cls = "unknown";
      ++rep.unknown;
    } else if (headed_other) {
      cls = "lost";
      (dir > 0 ? rep.lost_ab : rep.lost_ba)++;
      if (f) {
        ++f->r.lost;
        if (!f->r.first_lost_frame) f->r.first_lost_frame = o.frame;
      }
    } else {
      cls = "not_at_sender";
      ++rep.came_elsewhere;
      if (f) ++f->r.only_near;
    }
    if (rep.unmatched.size() < opt.max_listed) {
      Unmatched u;
      u.side = side;
      u.obs = o;
      u.ta_ns = ta;
      u.dir = dir;
      u.cls = cls;
      u.flow = f ? f->r.id : 0;
      u.near_frame = f ? (side == 0 ? f->last_b_frame : f->last_a_frame) : 0;
      rep.unmatched.push_back(std::move(u));
    } else {
      ++rep.unmatched_omitted;
    }
  };

  // A pair is plausible when the copy at the point a packet reached second is not earlier than the
  // one at the point it passed first (beyond what the clock may be off): the direction from the TTL,
  // else from the flow. Without this, a copy left over from an earlier packet with the same key (a
  // duplicate, an IP ID that wrapped) would be taken by the next packet's first copy.
  const bool checked_clock = clock.separable;
  const std::int64_t slack =
      static_cast<std::int64_t>((clock.forced ? 0.05 : 2 * clock.uncertainty_s + 0.001) * 1e9);
  auto plausible = [&](const Obs& a, std::int64_t ta, const Obs& b, std::int64_t tb) {
    if (!checked_clock) return true;
    int dir = a.ttl > b.ttl ? 1 : a.ttl < b.ttl ? -1 : 0;
    if (dir == 0)
      if (auto it = flow_a.find(tuple_key(a)); it != flow_a.end()) dir = flows[it->second].dir();
    if (dir > 0) return tb >= ta - slack;
    if (dir < 0) return ta >= tb - slack;
    return true;
  };
  Matcher m(opt.horizon_s, {on_match, on_unmatched, plausible});
  Obs oa, ob;
  bool ha = sa.next(oa), hb = sb.next(ob);
  const bool have_clock = clock.method != "none";
  while (ha || hb) {
    const std::int64_t tb = hb ? (have_clock ? clock.to_a(ob.ts_ns) : ob.ts_ns) : 0;
    if (ha && (!hb || oa.ts_ns <= tb)) {
      if (!have_a) a_first = oa.ts_ns, have_a = true;
      a_last = std::max(a_last, oa.ts_ns);
      if (FlowState* f = flow_for(oa, true)) ++f->r.a_packets;
      m.add(0, oa, oa.ts_ns);
      rep.peak_pending = std::max<std::uint64_t>(rep.peak_pending, m.pending());
      ha = sa.next(oa);
    } else {
      if (!have_b) b_first_a = tb, have_b = true;
      b_last_a = std::max(b_last_a, tb);
      // counted on the flow of A when its B form is known
      if (auto it = flow_b.find(tuple_key(ob)); it != flow_b.end()) ++flows[it->second].r.b_packets;
      m.add(1, ob, tb);
      rep.peak_pending = std::max<std::uint64_t>(rep.peak_pending, m.pending());
      hb = sb.next(ob);
    }
  }
  m.finish();

  // the final clock from every matched packet
  if (!clock.forced) {
    Clock fin = estimate_clock(env);
    if (fin.method != "none") clock = fin;
  } else {
    Clock fin = estimate_clock(env);
    clock.samples_ab = fin.samples_ab;
    clock.samples_ba = fin.samples_ba;
  }
  rep.clock = clock;

  rep.ab.delay = stats_of(dir_ab, clock, +1);
  rep.ba.delay = stats_of(dir_ba, clock, -1);
  rep.ab.lost = rep.lost_ab;
  rep.ba.lost = rep.lost_ba;
  // delay jumps: the least delay of a bin more than doubled and grew by 10 ms or more
  for (int dir : {+1, -1}) {
    DirectionReport& dr = dir > 0 ? rep.ab : rep.ba;
    std::optional<double> prev;
    for (const auto& b : env.bins()) {
      const auto& v = dir > 0 ? b.min_ab : b.max_ba;
      if (!v) continue;
      double d = static_cast<double>(*v) * 1e-9 - clock.offset_at(b.t_ns);
      if (dir < 0) d = -d;
      if (prev && d > 2 * *prev && d - *prev >= 0.010) dr.jumps.push_back({b.t_ns, *prev, d});
      prev = d;
    }
  }

  for (auto& f : flows) {
    f.r.dir = f.dir();
    f.r.delay = stats_of(f.delays, clock, f.r.dir == 0 ? 1 : f.r.dir);
    DirectionReport* dr = f.r.dir > 0 ? &rep.ab : f.r.dir < 0 ? &rep.ba : nullptr;
    if (dr) {
      dr->matched += f.r.matched;
      dr->reordered += f.r.reordered;
      dr->dup_path += f.r.dup_path;
      dr->only_near += f.r.only_near;
      dr->not_comparable += f.r.not_comparable;
    }
    rep.flows.push_back(f.r);
  }

  // ---- findings ----
  const auto side_name = [](int dir) { return dir > 0 ? "B" : "A"; };
  // loss, per address pair and direction (as seen at the sending point)
  struct Agg {
    IpAddr src, dst;
    int dir = 0;
    std::uint64_t lost = 0, matched = 0, first_frame = 0, flows = 0;
    std::int64_t first_ns = 0, last_ns = 0;
  };
  std::map<std::string, Agg> loss;
  for (const auto& f : rep.flows) {
    if (!f.lost) continue;
    // as the sending point saw them (where the lost packets were captured)
    const bool at_a = f.dir > 0 ? f.a_src.version != 0 : f.b_src.version == 0;
    const IpAddr& s = at_a ? f.a_src : f.b_src;
    const IpAddr& d = at_a ? f.a_dst : f.b_dst;
    auto& g = loss[pair_key(s, d) + static_cast<char>(f.dir)];
    g.src = s, g.dst = d, g.dir = f.dir;
    g.lost += f.lost, g.matched += f.matched, ++g.flows;
    if (!g.first_frame) g.first_frame = f.first_lost_frame;
    g.first_ns = g.first_ns ? std::min(g.first_ns, f.first_ns) : f.first_ns;
    g.last_ns = std::max(g.last_ns, f.last_ns);
  }
  for (const auto& [k, g] : loss) {
    const double rate = static_cast<double>(g.lost) / static_cast<double>(g.lost + g.matched);
    Finding fi(g.lost >= 3 && rate >= 0.01 ? Severity::error : Severity::warning, "traffic", "lost_between_points",
               g.first_ns, 0,
               fmt::format("{} packet{} from {} to {} never reached point {} ({:.1f}% of {} seen at point {})", g.lost,
                           g.lost == 1 ? "" : "s", g.src.str(), g.dst.str(), side_name(g.dir), rate * 100,
                           g.lost + g.matched, side_name(-g.dir)),
               fmt::format("These packets were captured at point {} and, within point {}'s capture window, never "
                           "seen there: they were lost (or filtered) on the path between the two capture points, "
                           "not in the hosts beyond them.",
                           side_name(-g.dir), side_name(g.dir)));
    fi.client = g.src, fi.server = g.dst;
    fi.count = g.lost;
    fi.last_ns = g.last_ns;
    fi.first_frame = g.first_frame;
    fi.cause = g.dir > 0 ? "A->B" : "B->A";
    fi.hint = "Look at the devices between the points: firewall drop counters, interface errors and discards, "
              "policing or queue drops (on z/OS also the OSA and the stack's discard reasons).";
    rep.findings.push_back(std::move(fi));
  }
  for (int dir : {+1, -1}) {
    const DirectionReport& dr = dir > 0 ? rep.ab : rep.ba;
    for (std::size_t i = 0; i < dr.jumps.size() && i < 10; ++i) {
      const auto& j = dr.jumps[i];
      Finding fi(Severity::warning, "traffic", "delay_jump", j.ts_ns, 0,
                 fmt::format("the least one-way delay from point {} to point {} jumped from {:.3f} ms to {:.3f} ms",
                             side_name(-dir), side_name(dir), j.from_s * 1e3, j.to_s * 1e3),
                 "Within one time bin even the fastest packet took much longer than before: a queue building up "
                 "between the points, a route change, or a link that changed speed.");
      fi.cause = dir > 0 ? "A->B" : "B->A";
      rep.findings.push_back(std::move(fi));
    }
  }
  // the path's changes: one finding per kind, address pair (as A saw it) and direction, about its
  // first flow, counting the others (a busy pair has thousands of flows)
  std::unordered_map<std::string, std::size_t> agg;
  std::vector<std::uint64_t> more_flows(rep.findings.size(), 0);
  for (const auto& f : rep.flows) {
    if (!f.matched || f.dir == 0) continue;
    const std::string from_a = endpoint(f.a_src, f.a_sport, f.proto) + " -> " + endpoint(f.a_dst, f.a_dport, f.proto);
    const std::string from_b = endpoint(f.b_src, f.b_sport, f.proto) + " -> " + endpoint(f.b_dst, f.b_dport, f.proto);
    auto add = [&](const char* kind, std::string sum, std::string expl, std::uint64_t count) {
      const std::string k = std::string(kind) + pair_key(f.a_src, f.a_dst) + static_cast<char>(f.dir);
      if (auto it = agg.find(k); it != agg.end()) {
        Finding& g = rep.findings[it->second];
        g.count += count;
        g.last_ns = std::max(g.last_ns, f.last_ns);
        ++more_flows[it->second];
        return;
      }
      agg.emplace(k, rep.findings.size());
      more_flows.push_back(0);
      Finding fi(Severity::info, "traffic", kind, f.first_ns, 0, std::move(sum), std::move(expl));
      fi.client = f.a_src, fi.server = f.a_dst;
      if (f.proto == 6 || f.proto == 17) fi.client_port = f.a_sport, fi.server_port = f.a_dport;
      fi.count = count;
      fi.last_ns = f.last_ns;
      fi.cause = f.dir > 0 ? "A->B" : "B->A";
      rep.findings.push_back(std::move(fi));
    };
    if (f.change.nat)
      add("nat_between_points", fmt::format("address translation between the points: {} at A is {} at B", from_a, from_b),
          "The same packets carry other addresses or ports at the two points: a NAT device (firewall, load "
          "balancer, router masquerading) lies between them. Compare connections by the B form at point B.",
          f.matched);
    if (f.change.mss_clamped)
      add("mss_clamped",
          fmt::format("MSS of {} clamped from {} to {} between the points", from_a, f.change.mss_before,
                      f.change.mss_after),
          "A device between the points rewrote the TCP MSS option of the SYN (MSS clamping, common on VPN and "
          "PPPoE links): the path has a smaller MTU than the sender's interface.",
          1);
    if (f.change.dscp_rewritten)
      add("dscp_rewritten",
          fmt::format("DSCP of {} rewritten from {} to {} between the points", from_a, f.change.dscp_before,
                      f.change.dscp_after),
          "A device between the points remarks the traffic class (QoS policy): check that the class it is given "
          "is the intended one.",
          f.matched);
    if (f.dup_path)
      add("duplicated_on_path",
          fmt::format("{} packet{} of {} arrived twice at point {}", f.dup_path, f.dup_path == 1 ? "" : "s", from_a,
                      side_name(f.dir)),
          "The receiving point saw more copies of a packet than the sending point: the path duplicated it (a "
          "link-layer retransmission, a mirror or bridging loop, a flapping route).",
          f.dup_path);
    if (f.reordered)
      add("reordered_between_points",
          fmt::format("{} packet{} of {} reordered between the points", f.reordered, f.reordered == 1 ? "" : "s",
                      from_a),
          "The two points saw these packets in different orders: the path reorders (parallel links, load "
          "balancing per packet); TCP may take it for loss.",
          f.reordered);
  }
  for (std::size_t i = 0; i < rep.findings.size() && i < more_flows.size(); ++i)
    if (more_flows[i])
      rep.findings[i].summary += fmt::format(" (and {} more flow{} between these hosts)", more_flows[i],
                                             more_flows[i] == 1 ? "" : "s");
  for (auto& fi : rep.findings) {
    fi.module = "correlate";
    if (const auto* k = find_kind(fi.kind)) fi.area = k->area;
  }
  std::stable_sort(rep.findings.begin(), rep.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  // the flows listed: those with trouble first, then the busiest; the others only counted
  if (rep.flows.size() > opt.max_listed) {
    std::stable_sort(rep.flows.begin(), rep.flows.end(), [](const FlowReport& x, const FlowReport& y) {
      const auto tx = x.lost + x.dup_path + x.reordered, ty = y.lost + y.dup_path + y.reordered;
      if (tx != ty) return tx > ty;
      return x.matched + x.a_packets + x.b_packets > y.matched + y.a_packets + y.b_packets;
    });
    rep.flows_omitted = rep.flows.size() - opt.max_listed;
    rep.flows.resize(opt.max_listed);
    std::sort(rep.flows.begin(), rep.flows.end(), [](const FlowReport& x, const FlowReport& y) { return x.id < y.id; });
  }
  return true;
}

}  // namespace ctana::correlate
