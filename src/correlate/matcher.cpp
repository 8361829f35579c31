// The packet matcher and the clock estimator of ctana correlate (docs/correlate.md).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "ctana/bytes.hpp"
#include "ctana/correlate.hpp"

namespace ctana::correlate {

namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

std::uint64_t fnv(Bytes b) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::uint8_t c : b) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

bool observe(const Packet& p, Obs& o) {
  if (p.l3 != L3::ipv4 && p.l3 != L3::ipv6) return false;
  if (p.problem.what && !p.problem.truncated && p.problem.layer <= Layer::ipv6) return false;
  o = Obs{};
  o.ts_ns = p.rec ? p.rec->ts_ns : 0;
  o.frame = p.frame();
  o.src = p.src;
  o.dst = p.dst;
  o.ttl = p.ttl;
  o.proto = p.ip_proto;
  o.vlan_depth = p.vlan_depth;
  o.fragment = p.fragment;
  o.frag_offset = p.frag_offset;
  if (p.rec) {
    const Bytes d = p.rec->data;
    if (p.l3 == L3::ipv4) {
      if (auto tos = u8_at(d, p.l3_offset + 1)) o.dscp = static_cast<std::uint8_t>(*tos >> 2);
    } else if (auto b0 = u8_at(d, p.l3_offset), b1 = u8_at(d, p.l3_offset + 1); b0 && b1) {
      o.dscp = static_cast<std::uint8_t>((((*b0 & 0x0f) << 4) | (*b1 >> 4)) >> 2);
    }
  }
  if (p.l3 == L3::ipv4) {
    o.has_ip_id = true;
    o.ip_id = static_cast<std::uint16_t>(p.ip_id);
  } else if (p.fragment) {
    o.has_ip_id = true;  // the fragment header's identification
    o.ip_id = static_cast<std::uint16_t>(p.ip_id ^ (p.ip_id >> 16));
  }
  o.payload_len = p.payload_len;
  switch (p.l4) {
    case L4::tcp:
      o.sport = p.tcp.sport, o.dport = p.tcp.dport;
      o.seq = p.tcp.seq, o.ack = p.tcp.ack, o.tcp_flags = p.tcp.flags;
      o.tcp_hdr_len = p.tcp.header_len;
      o.has_mss = p.tcp.has_mss, o.mss = p.tcp.mss;
      o.has_ts = p.tcp.has_timestamps, o.has_sack_perm = p.tcp.sack_permitted, o.has_wscale = p.tcp.has_wscale;
      break;
    case L4::udp:
      o.sport = p.udp.sport, o.dport = p.udp.dport;
      break;
    case L4::icmp:
    case L4::icmpv6:
      o.icmp_type = p.icmp.type, o.icmp_code = p.icmp.code;
      o.icmp_seq = p.icmp.seq;
      o.sport = p.icmp.id;  // an echo id: NAT may change it, so it is not in the key
      break;
    default:
      // no transport header decoded (a later fragment, another protocol): the IP payload
      o.payload_len = p.ip_len > p.l4_offset - p.l3_offset && p.l4_offset >= p.l3_offset
                          ? p.ip_len - (p.l4_offset - p.l3_offset)
                          : 0;
      break;
  }
  const Bytes pay = head(p.payload, Obs::kHashBytes);
  o.hashed = static_cast<std::uint32_t>(pay.size());
  o.payload_hash = fnv(pay);
  o.key = matching_key(o);
  return true;
}

std::uint64_t matching_key(const Obs& o) {
  std::uint64_t h = mix(o.src.version, o.proto);
  h = mix(h, o.payload_len);
  h = mix(h, o.frag_offset);
  if (o.has_ip_id) h = mix(h, o.ip_id);
  if (o.proto == 6) {
    h = mix(h, o.seq);
    h = mix(h, o.ack);
    h = mix(h, o.tcp_flags & (tcpflag::syn | tcpflag::fin | tcpflag::rst | tcpflag::ack));
  } else if (o.proto == 1 || o.proto == 58) {
    h = mix(h, (std::uint32_t{o.icmp_type} << 8) | o.icmp_code);
    h = mix(h, o.icmp_seq);
  }
  return h;
}

bool compatible(const Obs& a, const Obs& b) {
  if (a.key != b.key || a.proto != b.proto || a.payload_len != b.payload_len || a.frag_offset != b.frag_offset)
    return false;
  if (a.has_ip_id != b.has_ip_id || (a.has_ip_id && a.ip_id != b.ip_id)) return false;
  if (a.proto == 6 && (a.seq != b.seq || a.ack != b.ack)) return false;
  // the payload: compared where both captured the same number of leading bytes
  if (a.hashed == b.hashed && a.payload_hash != b.payload_hash) return false;
  return true;
}

// ---- matcher ----

Matcher::Matcher(double horizon_s, Callbacks cb)
    : horizon_ns_(static_cast<std::int64_t>(horizon_s * 1e9)), cb_(std::move(cb)) {}

void Matcher::add(int side, const Obs& o, std::int64_t ta_ns) {
  evict(ta_ns - horizon_ns_);
  Side& other = sides_[1 - side];
  Side& own = sides_[side];
  Entry* chosen = nullptr;
  std::size_t candidates = 0;
  if (auto it = other.by_key.find(o.key); it != other.by_key.end()) {
    // the candidate nearest in time, then the earliest of those not much farther than it: copies
    // close together pair up in time order, a stale one (the same key an IP ID wrap earlier) does not
    auto usable = [&](const Entry& e) {
      if (e.matched || e.ta_ns < ta_ns - horizon_ns_ || !compatible(e.obs, o)) return false;
      if (!cb_.plausible) return true;
      return side == 0 ? cb_.plausible(o, ta_ns, e.obs, e.ta_ns) : cb_.plausible(e.obs, e.ta_ns, o, ta_ns);
    };
    std::int64_t nearest = INT64_MAX;
    for (std::uint64_t serial : it->second) {
      const Entry& e = other.q[serial - other.base];
      if (!usable(e)) continue;
      ++candidates;
      nearest = std::min(nearest, std::abs(ta_ns - e.ta_ns));
    }
    if (candidates)
      for (std::uint64_t serial : it->second) {
        Entry& e = other.q[serial - other.base];
        if (!usable(e)) continue;
        if (std::abs(ta_ns - e.ta_ns) <= nearest + kCloseNs) {
          chosen = &e;
          break;
        }
      }
  }
  const std::uint64_t serial = own.base + own.q.size();
  own.q.push_back(Entry{o, ta_ns, chosen != nullptr, false});
  own.by_key[o.key].push_back(serial);
  if (chosen) {
    chosen->matched = true;
    if (cb_.matched) {
      if (side == 0)
        cb_.matched(o, chosen->obs, candidates > 1);
      else
        cb_.matched(chosen->obs, o, candidates > 1);
    }
  }
}

void Matcher::pop(int side) {
  Side& s = sides_[side];
  Entry& e = s.q.front();
  const std::uint64_t serial = s.base;
  auto it = s.by_key.find(e.obs.key);
  if (e.matched && it != s.by_key.end()) {
    // later copies on this side are extra copies of a packet that went through
    for (std::uint64_t other : it->second)
      if (other != serial && compatible(s.q[other - s.base].obs, e.obs)) s.q[other - s.base].sibling_matched = true;
  }
  if (!e.matched) {
    bool dup = e.sibling_matched;
    if (it != s.by_key.end())
      for (std::uint64_t other : it->second) {
        if (other == serial) continue;
        const Entry& o = s.q[other - s.base];
        if (o.matched && compatible(o.obs, e.obs)) {
          dup = true;
          break;
        }
      }
    if (cb_.unmatched) cb_.unmatched(side, e.obs, e.ta_ns, dup);
  }
  if (it != s.by_key.end()) {
    auto& l = it->second;
    if (!l.empty() && l.front() == serial) l.pop_front();
    if (l.empty()) s.by_key.erase(it);
  }
  s.q.pop_front();
  ++s.base;
}

void Matcher::evict(std::int64_t before_ns) {
  // the older of the two fronts first, so the callbacks come in time order
  for (;;) {
    const bool a = !sides_[0].q.empty() && sides_[0].q.front().ta_ns < before_ns;
    const bool b = !sides_[1].q.empty() && sides_[1].q.front().ta_ns < before_ns;
    if (!a && !b) return;
    if (a && (!b || sides_[0].q.front().ta_ns <= sides_[1].q.front().ta_ns))
      pop(0);
    else
      pop(1);
  }
}

void Matcher::finish() {
  while (!sides_[0].q.empty() || !sides_[1].q.empty()) {
    const bool a = !sides_[0].q.empty();
    const bool b = !sides_[1].q.empty();
    if (a && (!b || sides_[0].q.front().ta_ns <= sides_[1].q.front().ta_ns))
      pop(0);
    else
      pop(1);
  }
}

// ---- clock ----

void Envelope::add(const ClockSample& s) {
  if (s.dir == 0) return;
  if (!have_origin_) {
    origin_ = s.ta_ns;
    have_origin_ = true;
  }
  std::int64_t rel = s.ta_ns - origin_;
  std::int64_t idx = rel >= 0 ? rel / bin_ns_ : -((-rel + bin_ns_ - 1) / bin_ns_);
  if (bins_.find(idx) == bins_.end() && bins_.size() >= kMaxBins) {
    while (bins_.size() >= kMaxBins / 2) coarsen();
    rel = s.ta_ns - origin_;
    idx = rel >= 0 ? rel / bin_ns_ : -((-rel + bin_ns_ - 1) / bin_ns_);
  }
  Bin& b = bins_[idx];
  b.t_ns = origin_ + idx * bin_ns_;
  if (s.dir > 0) {
    b.min_ab = b.min_ab ? std::min(*b.min_ab, s.raw_ns) : s.raw_ns;
    ++b.n_ab;
  } else {
    b.max_ba = b.max_ba ? std::max(*b.max_ba, s.raw_ns) : s.raw_ns;
    ++b.n_ba;
  }
}

void Envelope::coarsen() {
  bin_ns_ *= 2;
  std::unordered_map<std::int64_t, Bin> next;
  for (const auto& [idx, b] : bins_) {
    const std::int64_t ni = idx >= 0 ? idx / 2 : -((-idx + 1) / 2);
    Bin& n = next[ni];
    n.t_ns = origin_ + ni * bin_ns_;
    if (b.min_ab) n.min_ab = n.min_ab ? std::min(*n.min_ab, *b.min_ab) : *b.min_ab;
    if (b.max_ba) n.max_ba = n.max_ba ? std::max(*n.max_ba, *b.max_ba) : *b.max_ba;
    n.n_ab += b.n_ab;
    n.n_ba += b.n_ba;
  }
  bins_ = std::move(next);
}

std::vector<Envelope::Bin> Envelope::bins() const {
  std::vector<Bin> v;
  v.reserve(bins_.size());
  for (const auto& kv : bins_) v.push_back(kv.second);
  std::sort(v.begin(), v.end(), [](const Bin& a, const Bin& b) { return a.t_ns < b.t_ns; });
  return v;
}

namespace {
double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}
}  // namespace

Clock estimate_clock(const Envelope& env) {
  Clock c;
  const auto bins = env.bins();
  std::optional<std::int64_t> min_ab, max_ba;
  for (const auto& b : bins) {
    c.samples_ab += b.n_ab;
    c.samples_ba += b.n_ba;
    if (b.min_ab) min_ab = min_ab ? std::min(*min_ab, *b.min_ab) : *b.min_ab;
    if (b.max_ba) max_ba = max_ba ? std::max(*max_ba, *b.max_ba) : *b.max_ba;
  }
  if (!min_ab && !max_ba) {
    c.method = "none";
    return c;
  }
  c.ref_ns = bins.front().t_ns;
  if (!min_ab || !max_ba) {
    // one direction only: the offset and the one-way delay add up and cannot be told apart; the
    // fastest packet is taken as delay 0
    c.offset_s = min_ab ? static_cast<double>(*min_ab) * 1e-9 : static_cast<double>(*max_ba) * 1e-9;
    c.method = "one-way";
    return c;
  }
  c.separable = true;
  c.method = "two-way";
  // drift: Theil-Sen lines (the median of the pairwise slopes of at most 200 evenly picked bins:
  // robust to bins where every packet was queued, or held a wrongly matched pair) through the A->B
  // minima and through the B->A maxima, averaged; over at least 60 s with 5 bins or more of each
  struct P {
    double t, y;
  };
  std::vector<P> pab, pba;
  for (const auto& b : bins) {
    const double t = static_cast<double>(b.t_ns - c.ref_ns) * 1e-9;
    if (b.min_ab) pab.push_back({t, static_cast<double>(*b.min_ab) * 1e-9});
    if (b.max_ba) pba.push_back({t, static_cast<double>(*b.max_ba) * 1e-9});
  }
  auto theil_sen = [](const std::vector<P>& pts) {
    std::vector<P> s;
    const std::size_t step = (pts.size() + 199) / 200;
    for (std::size_t i = 0; i < pts.size(); i += step) s.push_back(pts[i]);
    std::vector<double> slopes;
    for (std::size_t i = 0; i < s.size(); ++i)
      for (std::size_t j = i + 1; j < s.size(); ++j)
        if (s[j].t - s[i].t > 1e-9) slopes.push_back((s[j].y - s[i].y) / (s[j].t - s[i].t));
    return median_of(slopes);
  };
  double slope = 0;
  if (pab.size() >= 5 && pba.size() >= 5 && pab.back().t - pab.front().t >= 60 && pba.back().t - pba.front().t >= 60) {
    slope = (theil_sen(pab) + theil_sen(pba)) / 2;
    c.drift_estimated = true;
    c.drift_ppm = slope * 1e6;
  }
  // the offset at ref: the tightest interval the bins leave once the drift is taken out
  // A bin whose least A->B difference lies below the median of the B->A ones (or the other way
  // round) contradicts most bins: a pair matched wrongly (a key repeated), left out.
  std::vector<double> rab, rba;
  for (const auto& b : bins) {
    const double t = static_cast<double>(b.t_ns - c.ref_ns) * 1e-9;
    if (b.min_ab) rab.push_back(static_cast<double>(*b.min_ab) * 1e-9 - slope * t);
    if (b.max_ba) rba.push_back(static_cast<double>(*b.max_ba) * 1e-9 - slope * t);
  }
  const double med_ab = median_of(rab), med_ba = median_of(rba);
  double lo = -1e300, hi = 1e300;
  for (double r : rab)
    if (r >= med_ba) hi = std::min(hi, r);
  for (double r : rba)
    if (r <= med_ab) lo = std::max(lo, r);
  if (hi > 1e299 || lo < -1e299) hi = med_ab, lo = med_ba;
  c.offset_s = (lo + hi) / 2;
  c.uncertainty_s = std::abs(hi - lo) / 2;
  return c;
}

}  // namespace ctana::correlate
