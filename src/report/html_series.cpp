// The series behind the plots of `ctana report` (docs/report.md "Plots"), collected in the run's
// single pass and bounded: per connection, each series keeps at most max_ordinary_points
// ordinary samples (when it has more, every other one is dropped and from then on only one in
// twice as many is taken) plus every flagged packet and both ends of every stall, up to
// max_important_points; at most max_open connections are followed at once and max_total_points
// samples are held in all.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>
#include <tuple>

#include "ctana/ctrace.hpp"
#include "ctana/html_report.hpp"

namespace ctana {

void TimeBins::add(std::int64_t ts_ns, std::uint64_t va, std::uint64_t vb, std::size_t max_bins,
                   std::int64_t first_width_ns) {
  if (max_bins < 2) max_bins = 2;
  if (width_ns <= 0) {
    origin_ns = ts_ns;
    width_ns = first_width_ns > 0 ? first_width_ns : 1;
  }
  const std::int64_t rel = ts_ns > origin_ns ? ts_ns - origin_ns : 0;
  std::uint64_t idx = static_cast<std::uint64_t>(rel / width_ns);
  while (idx >= max_bins) {
    if (width_ns > INT64_MAX / 2) {  // absurd spans (damaged timestamps): the last bin takes the rest
      idx = max_bins - 1;
      break;
    }
    const std::size_t n = (a.size() + 1) / 2;
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = a[2 * i] + (2 * i + 1 < a.size() ? a[2 * i + 1] : 0);
      b[i] = b[2 * i] + (2 * i + 1 < b.size() ? b[2 * i + 1] : 0);
    }
    a.resize(n);
    b.resize(n);
    width_ns *= 2;
    idx = static_cast<std::uint64_t>(rel / width_ns);
  }
  if (idx >= a.size()) {
    a.resize(idx + 1, 0);
    b.resize(idx + 1, 0);
  }
  a[idx] += va;
  b[idx] += vb;
}

namespace {

constexpr std::uint32_t kImportantData = tcpa::retransmission | tcpa::fast_retransmission |
                                         tcpa::spurious_retransmission | tcpa::out_of_order | tcpa::lost_segment |
                                         tcpa::zero_window_probe | tcpa::window_full;
constexpr std::uint32_t kImportantAck = tcpa::duplicate_ack | tcpa::zero_window | tcpa::ack_lost_segment |
                                        tcpa::zero_window_probe_ack;

// One downsampled series of points.
struct Thinned {
  std::vector<SeqPoint> v;
  std::uint32_t stride = 1;
  std::uint64_t seen = 0;         // ordinary points offered
  std::size_t ordinary = 0, important = 0;
  std::uint64_t dropped = 0;
  SeqPoint pending;               // the last ordinary point not kept: kept after all before an important one
  bool pending_valid = false;
};

struct Budget {
  std::size_t used = 0, max = 0;
  std::uint64_t dropped = 0;
  bool take() {
    if (used >= max) {
      ++dropped;
      return false;
    }
    ++used;
    return true;
  }
};

void add_point(Thinned& s, SeqPoint pt, bool important, const SeriesOptions& opt, Budget& budget) {
  if (important && s.important < opt.max_important_points) {
    if (s.pending_valid && budget.take()) {  // the point before a stall or a loss
      s.pending.important = true;
      s.v.push_back(s.pending);
      ++s.important;
      --s.dropped;
    }
    s.pending_valid = false;
    if (!budget.take()) return;
    pt.important = true;
    s.v.push_back(pt);
    ++s.important;
    return;
  }
  pt.important = false;
  if (s.seen++ % s.stride != 0 || !budget.take()) {
    s.pending = pt;
    s.pending_valid = true;
    ++s.dropped;
    return;
  }
  s.pending_valid = false;
  s.v.push_back(pt);
  if (++s.ordinary <= opt.max_ordinary_points) return;
  // Halve the ordinary points: keep every other one, and every important one.
  std::size_t out = 0, ord = 0, kept = 0;
  for (std::size_t i = 0; i < s.v.size(); ++i) {
    if (!s.v[i].important && (ord++ % 2) == 1) continue;
    if (!s.v[i].important) ++kept;
    s.v[out++] = s.v[i];
  }
  const std::size_t removed = s.v.size() - out;
  s.v.resize(out);
  s.dropped += removed;
  budget.used -= std::min(budget.used, removed);
  s.ordinary = kept;
  s.stride *= 2;
}

struct Outstanding {
  std::uint32_t seq_end = 0;
  std::int64_t t_ns = 0;
  bool retransmitted = false;
};

// Sequence comparison modulo 2^32.
bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(b - a) >= 0; }

struct Live {
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t packets = 0;
  std::array<Thinned, 2> data;    // [sender]: segments it sent
  std::array<Thinned, 2> acks;    // [sender]: the other side's ACKs of that data, with its window
  std::array<std::deque<Outstanding>, 2> outstanding;  // [sender]
  std::array<std::vector<RttPoint>, 2> rtt;            // [sender]
  std::array<std::uint32_t, 2> rtt_stride{1, 1};
  std::array<std::uint64_t, 2> rtt_seen{};
  TimeBins throughput;
  std::size_t points() const {
    return data[0].v.size() + data[1].v.size() + acks[0].v.size() + acks[1].v.size() + rtt[0].size() + rtt[1].size();
  }
};

constexpr std::size_t kMaxOutstanding = 4096;

}  // namespace

struct SeriesCollector::Impl {
  ReportSeries& out;
  SeriesOptions opt;
  Budget budget;
  absl::flat_hash_map<std::uint64_t, Live> live;
  std::map<std::uint64_t, ConnectionSeries> kept;
  // Ranked candidates: (key, UINT64_MAX - id), the lowest dropped first (among equals the latest).
  std::set<std::tuple<std::uint64_t, std::uint64_t>> by_problem, by_size;

  Impl(ReportSeries& o, SeriesOptions op) : out(o), opt(op) { budget.max = opt.max_total_points; }

  void on_tcp(const Packet& p, const TcpPacketInfo& info, const TcpConnection& c) {
    const std::uint64_t id = info.connection ? info.connection : c.id;
    if (!id || !p.rec) return;
    auto it = live.find(id);
    if (it == live.end()) {
      // A connection is followed from its first packet or not at all.
      if (c.dir[0].packets + c.dir[1].packets != 1) return;
      if (live.size() >= opt.max_open) {
        ++out.connections_untracked;
        return;
      }
      it = live.try_emplace(id).first;
      it->second.first_ns = p.rec->ts_ns;
      it->second.last_ns = p.rec->ts_ns;
    }
    Live& l = it->second;
    const std::int64_t ts = p.rec->ts_ns;
    const std::int64_t t = ts - l.first_ns;
    const bool stall = l.packets > 0 && ts - l.last_ns >= opt.stall_ns;
    l.last_ns = std::max(l.last_ns, ts);
    ++l.packets;
    const std::size_t from = index(info.from), to = 1 - from;
    const std::uint8_t fl = p.tcp.flags;
    const std::uint32_t len = p.payload_len;
    l.throughput.add(ts, from == 0 ? len : 0, from == 1 ? len : 0, opt.throughput_bins, 1'000'000);
    if (len > 0 || (fl & (tcpflag::syn | tcpflag::fin | tcpflag::rst))) {
      SeqPoint pt{t, info.rel_seq, len, info.flags, false};
      add_point(l.data[from], pt, stall || (info.flags & kImportantData) || (fl & tcpflag::rst), opt, budget);
      if (len > 0) {
        auto& q = l.outstanding[from];
        const std::uint32_t end = info.rel_seq + len;
        const bool retrans = info.flags & (tcpa::retransmission | tcpa::fast_retransmission | tcpa::spurious_retransmission);
        if (retrans || (!q.empty() && seq_le(end, q.back().seq_end))) {
          for (auto& o : q)
            if (!seq_le(o.seq_end, info.rel_seq)) o.retransmitted = true;  // Karn: ambiguous from now on
        } else if (q.size() < kMaxOutstanding) {
          q.push_back({end, ts, false});
        }
      }
    }
    if (fl & tcpflag::ack) {
      const std::uint64_t w = std::min<std::uint64_t>(info.window, UINT32_MAX);
      SeqPoint pt{t, info.rel_ack, static_cast<std::uint32_t>(w), info.flags, false};
      // pure ACKs and window updates: every one is a point of the ACK and window lines
      add_point(l.acks[to], pt, stall || (info.flags & kImportantAck), opt, budget);
      auto& q = l.outstanding[to];
      bool any = false;
      Outstanding last;
      while (!q.empty() && seq_le(q.front().seq_end, info.rel_ack)) {
        last = q.front();
        q.pop_front();
        any = true;
      }
      if (any && !last.retransmitted && ts >= last.t_ns) {
        auto& r = l.rtt[to];
        if (l.rtt_seen[to]++ % l.rtt_stride[to] == 0 && budget.take()) {
          r.push_back({t, ts - last.t_ns});
          if (r.size() > opt.max_rtt_points) {
            std::size_t o = 0;
            for (std::size_t i = 0; i < r.size(); i += 2) r[o++] = r[i];
            budget.used -= std::min(budget.used, r.size() - o);
            r.resize(o);
            l.rtt_stride[to] *= 2;
          }
        }
      }
    }
  }

  void drop_id(std::uint64_t id) {
    auto k = kept.find(id);
    if (k == kept.end()) return;
    const auto& s = k->second;
    budget.used -= std::min(budget.used, s.data.size() + s.acks.size() + s.rtt.size());
    kept.erase(k);
  }

  // Keeps at most `cap` entries in `set`; what falls out is dropped unless the other set has it.
  void trim(std::set<std::tuple<std::uint64_t, std::uint64_t>>& set, std::size_t cap,
            const std::set<std::tuple<std::uint64_t, std::uint64_t>>& other) {
    while (set.size() > cap) {
      const std::uint64_t id = UINT64_MAX - std::get<1>(*set.begin());
      set.erase(set.begin());
      bool elsewhere = false;
      for (const auto& e : other)
        if (UINT64_MAX - std::get<1>(e) == id) elsewhere = true;
      if (!elsewhere) drop_id(id);
    }
  }

  void on_connection(const TcpConnection& c) {
    auto it = live.find(c.id);
    if (it == live.end()) return;
    Live l = std::move(it->second);
    live.erase(it);
    const std::uint64_t payload0 = c.dir[0].payload_bytes, payload1 = c.dir[1].payload_bytes;
    const std::size_t s = payload1 > payload0 ? 1 : 0;
    std::uint64_t score = 0;
    for (const auto& d : c.dir)
      score += d.flags[0] + d.flags[1] + d.flags[3] + d.flags[4] + d.flags[6] + d.flags[7];  // retrans, fast, ooo, lost, dup ack, zero window
    score += c.slow_responses;
    if (c.state == TcpState::reset || c.state == TcpState::refused || c.state == TcpState::syn_sent ||
        c.state == TcpState::syn_received)
      score += 1;
    const std::uint64_t size = payload0 + payload1;
    const std::uint64_t tag = UINT64_MAX - c.id;
    const bool problem = score > 0 && opt.keep_problem > 0 &&
                         (by_problem.size() < opt.keep_problem || std::make_tuple(score, tag) > *by_problem.begin());
    const bool big = size > 0 && opt.keep_biggest > 0 &&
                     (by_size.size() < opt.keep_biggest || std::make_tuple(size, tag) > *by_size.begin());
    const std::size_t other = 1 - s;
    const std::size_t freed = l.data[other].v.size() + l.acks[other].v.size() + l.rtt[other].size();
    budget.used -= std::min(budget.used, freed);
    if (!problem && !big) {
      budget.used -= std::min(budget.used, l.points() - freed);
      return;
    }
    ConnectionSeries cs;
    cs.id = c.id;
    cs.sender = s == 0 ? Side::client : Side::server;
    cs.packets = l.packets;
    cs.data = std::move(l.data[s].v);
    cs.acks = std::move(l.acks[s].v);
    cs.rtt = std::move(l.rtt[s]);
    cs.throughput = std::move(l.throughput);
    cs.data_dropped = l.data[s].dropped;
    cs.acks_dropped = l.acks[s].dropped;
    cs.stride = std::max(l.data[s].stride, l.acks[s].stride);
    cs.score = score;
    kept.emplace(c.id, std::move(cs));
    if (problem) by_problem.emplace(score, tag);
    if (big) by_size.emplace(size, tag);
    trim(by_problem, opt.keep_problem, by_size);
    trim(by_size, opt.keep_biggest, by_problem);
  }
};

SeriesCollector::SeriesCollector(ReportSeries& out, SeriesOptions opt) : impl_(std::make_unique<Impl>(out, opt)) {
  out.collected = true;
}
SeriesCollector::~SeriesCollector() = default;

void SeriesCollector::attach(TcpAnalyzer& tcp) {
  Impl* im = impl_.get();
  tcp.on_tcp_packet([im](const Packet& p, const TcpPacketInfo& info, const TcpConnection& c) { im->on_tcp(p, info, c); });
  tcp.on_connection([im](const TcpConnection& c) { im->on_connection(c); });
}

namespace {
// The bins of `code` among the first 8 codes seen; later codes share the bins of code `other`.
// A new code's bins start with the timeline's origin and width, so that they line up with it.
template <class Code>
TimeBins& coded_bins(std::vector<std::pair<Code, TimeBins>>& d, Code code, Code other, const TimeBins& timeline) {
  auto it = std::find_if(d.begin(), d.end(), [code](const auto& x) { return x.first == code; });
  if (it == d.end()) {
    it = std::find_if(d.begin(), d.end(), [other](const auto& x) { return x.first == other; });
    if (it == d.end()) {
      d.emplace_back(d.size() < 8 ? code : other, TimeBins{});
      it = d.end() - 1;
    }
  }
  if (it->second.width_ns == 0) {
    it->second.origin_ns = timeline.origin_ns;
    it->second.width_ns = timeline.width_ns;
  }
  return it->second;
}
}  // namespace

void SeriesCollector::on_packet(const Packet& p) {
  if (!p.rec) return;
  const std::int64_t ts = p.rec->ts_ns;
  ReportSeries& out = impl_->out;
  const std::size_t max_bins = impl_->opt.timeline_bins;
  out.timeline.add(ts, 1, p.rec->orig_len, max_bins, 1'000'000);
  const SourceMeta& m = p.rec->meta;
  if (const std::uint16_t code = m.discard_code)
    coded_bins<std::uint16_t>(out.discards, code, 0xFFFF, out.timeline).add(ts, 1, p.rec->orig_len, max_bins, 1'000'000);
  if ((m.flags & SourceMeta::kCtrace) && ctrace::is_ids_probe(m.format_id))
    coded_bins<std::uint32_t>(out.ids, m.format_id, 0xFFFFFFFF, out.timeline).add(ts, 1, p.rec->orig_len, max_bins,
                                                                                  1'000'000);
}

void SeriesCollector::finish() {
  Impl& im = *impl_;
  im.live.clear();  // the TCP analyzer finished every connection before this
  im.out.connections.clear();
  for (auto& [id, s] : im.kept) im.out.connections.push_back(std::move(s));
  im.kept.clear();
  im.out.points_dropped_budget = im.budget.dropped;
}

}  // namespace ctana
