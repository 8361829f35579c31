// ctana correlate: two traces of the same traffic taken at two points (A and B), matched packet by
// packet (docs/correlate.md). The matcher pairs the copies of one IP packet by the fields a path
// keeps (IPv4 ID, protocol, TCP sequence and acknowledgement numbers and flags, ICMP type, code and
// sequence, payload length and a hash of the first payload bytes), never by addresses, ports, TTL,
// checksums, DSCP or VLAN tags, which a path may change; the clock estimator finds the offset (and
// drift) between the two capture clocks from the matched packets of both directions.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctana/findings.hpp"
#include "ctana/packet.hpp"
#include "ctana/reader.hpp"

namespace ctana::correlate {

// One IP packet as seen at one point: what matching and the path comparison need.
struct Obs {
  std::int64_t ts_ns = 0;      // the capture's own clock
  std::uint64_t frame = 0;     // Packet::frame(): the record number in its file
  IpAddr src, dst;
  std::uint16_t sport = 0, dport = 0;  // TCP/UDP ports; ICMP echo id in sport
  std::uint8_t proto = 0, ttl = 0, dscp = 0, vlan_depth = 0;
  std::uint8_t tcp_flags = 0, tcp_hdr_len = 0, icmp_type = 0, icmp_code = 0;
  bool has_ip_id = false, has_mss = false, has_ts = false, has_sack_perm = false, has_wscale = false;
  bool fragment = false;
  std::uint16_t ip_id = 0, mss = 0, icmp_seq = 0, frag_offset = 0;
  std::uint32_t seq = 0, ack = 0, payload_len = 0;
  std::uint32_t hashed = 0;    // payload bytes in payload_hash (at most kHashBytes)
  std::uint64_t payload_hash = 0;
  std::uint64_t key = 0;       // the invariant key (matching_key())

  static constexpr std::uint32_t kHashBytes = 32;
  bool is_v6() const { return src.version == 6; }
};

// Reads what matching needs from a decoded packet; false for what cannot be matched (not IP, a
// malformed IP header).
bool observe(const Packet& p, Obs& out);
// The key of the fields a path keeps. Two copies of one packet have the same key.
std::uint64_t matching_key(const Obs& o);
// Whether two observations with the same key can be copies of one packet: the payload hashes
// agree where both sides captured the same bytes, and the fragment offsets agree.
bool compatible(const Obs& a, const Obs& b);

// A clock: time at B = time at A + offset_ns + drift * (tA - ref_ns).
struct Clock {
  double offset_s = 0;         // B's clock minus A's at ref
  double uncertainty_s = 0;    // half the width of the interval the data leaves for the offset
  double drift_ppm = 0;        // parts per million (B gains drift_ppm us per second)
  std::int64_t ref_ns = 0;     // A time the offset is given at
  bool forced = false;         // --offset
  bool separable = false;      // both directions seen: offset and delay told apart
  bool drift_estimated = false;
  std::uint64_t samples_ab = 0, samples_ba = 0;  // matched packets that went A->B, B->A
  std::string method;          // "two-way", "one-way (not separable from the delay)", "forced", "none"
  // B time of an A time, and A time of a B time.
  double offset_at(std::int64_t ta_ns) const {
    return offset_s + drift_ppm * 1e-6 * (static_cast<double>(ta_ns - ref_ns) * 1e-9);
  }
  std::int64_t to_a(std::int64_t tb_ns) const {
    return tb_ns - static_cast<std::int64_t>(offset_at(tb_ns) * 1e9);
  }
};

// One matched packet's raw time difference tB - tA and the direction it went (+1: A->B, -1:
// B->A, 0 unknown).
struct ClockSample {
  std::int64_t ta_ns = 0;
  std::int64_t raw_ns = 0;
  int dir = 0;
};

// The lower envelope of the one-way delays: per time bin (by A time) the least raw difference of
// the A->B packets and the largest of the B->A packets. Bounded: at most kMaxBins bins (a wider
// bin width when the span grows).
class Envelope {
 public:
  void add(const ClockSample& s);
  struct Bin {
    std::int64_t t_ns = 0;  // the bin's start
    std::optional<std::int64_t> min_ab, max_ba;
    std::uint64_t n_ab = 0, n_ba = 0;
  };
  std::vector<Bin> bins() const;
  std::int64_t bin_ns() const { return bin_ns_; }
  static constexpr std::size_t kMaxBins = 4096;

 private:
  std::int64_t bin_ns_ = 1'000'000'000;
  std::int64_t origin_ = 0;
  bool have_origin_ = false;
  std::unordered_map<std::int64_t, Bin> bins_;
  void coarsen();
};

// The offset (and, over 60 s or more with both directions in 5 bins or more, the drift: a
// Theil-Sen line through the bins' mid points) from the envelope. offset = (minAB + maxBA) / 2,
// uncertainty = (minAB - maxBA) / 2: the least one-way delays of the two directions are unknown,
// only their sum (the least round trip between the points) is.
Clock estimate_clock(const Envelope& env);

struct Options {
  std::optional<double> offset_s;   // --offset
  double horizon_s = 10;            // a packet waits this long (in A time) for its copy
  std::size_t max_listed = 1000;    // unmatched packets listed, and flows listed
  std::size_t max_flows = 100'000;  // connections tracked; beyond that counted in overflow
  std::size_t sample_packets = 100'000;  // packets of each trace read for the first estimate
};

// Summary statistics of a set of one-way delays, in seconds.
struct DelayStats {
  std::uint64_t count = 0;
  double min = 0, median = 0, p95 = 0, max = 0;
};

struct DelayJump {
  std::int64_t ts_ns = 0;  // the A time of the bin where the least delay jumped
  double from_s = 0, to_s = 0;
};

// What the path between the points changed for a flow (seen on its matched packets).
struct PathChange {
  int hops = -1;                     // TTL at the sender's side minus TTL at the receiver's; -1 unknown
  bool nat = false;
  bool mss_clamped = false;
  std::uint16_t mss_before = 0, mss_after = 0;
  bool dscp_rewritten = false;
  std::uint8_t dscp_before = 0, dscp_after = 0;
  bool options_stripped = false;     // TCP header shorter (timestamps, SACK, window scale gone)
  bool vlan_changed = false;
};

// One direction of one flow (a 5-tuple as seen at A, with its B form).
struct FlowReport {
  std::uint64_t id = 0;
  std::uint8_t proto = 0;
  IpAddr a_src, a_dst, b_src, b_dst;  // b_* unset when never matched
  std::uint16_t a_sport = 0, a_dport = 0, b_sport = 0, b_dport = 0;
  int dir = 0;                       // +1 A->B, -1 B->A, 0 unknown
  std::uint64_t matched = 0, lost = 0, only_near = 0, not_comparable = 0, dup_path = 0, dup_capture = 0;
  std::uint64_t reordered = 0;
  std::uint64_t a_packets = 0, b_packets = 0;
  std::int64_t first_ns = 0, last_ns = 0;  // A time
  DelayStats delay;
  PathChange change;
  std::uint64_t first_lost_frame = 0;      // frame at the sending side of the first lost packet
};

struct Unmatched {
  int side = 0;                      // 0: only in A, 1: only in B
  Obs obs;
  std::int64_t ta_ns = 0;            // its time on A's clock
  int dir = 0;                       // of its flow, when known
  // lost (headed for the other point, inside its capture window, never seen there), not_comparable
  // (outside the other capture's window), came_elsewhere (seen only at the point it was headed
  // for: it came from or went somewhere else, e.g. the far capture missed it), duplicate (a further
  // copy of a packet seen at both points), unknown (its flow's direction is not known)
  std::string cls;
  std::uint64_t flow = 0;
  std::uint64_t near_frame = 0;      // the other file's frame of the last matched packet of its flow
};

struct DirectionReport {
  int dir = 0;                       // +1 A->B, -1 B->A
  std::uint64_t matched = 0, lost = 0, only_near = 0, not_comparable = 0, dup_path = 0, reordered = 0;
  DelayStats delay;
  std::vector<DelayJump> jumps;
};

struct SideInfo {
  std::string path, format;
  std::uint64_t records = 0, ip_packets = 0, not_ip = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  bool partial = false;
};

struct Report {
  SideInfo a, b;
  Clock clock;
  std::uint64_t matched = 0, only_a = 0, only_b = 0;
  std::uint64_t lost_ab = 0, lost_ba = 0, not_comparable = 0, duplicates = 0, came_elsewhere = 0, unknown = 0;
  std::uint64_t ambiguous = 0;       // matches made among several candidates of the same key
  DirectionReport ab = make_direction(+1), ba = make_direction(-1);
  static DirectionReport make_direction(int d) {
    DirectionReport r;
    r.dir = d;
    return r;
  }
  std::vector<FlowReport> flows;
  std::uint64_t flows_overflow = 0;  // packets of flows beyond max_flows (matched and counted, not listed)
  std::uint64_t flows_omitted = 0;   // flows tracked but beyond max_listed (counted in the directions)
  std::vector<Unmatched> unmatched;  // the first max_listed
  std::uint64_t unmatched_omitted = 0;
  std::vector<Finding> findings;
  double horizon_s = 0;
  std::uint64_t peak_pending = 0;    // the most packets waiting for their copy at one time
};

// Correlates the two traces. Returns false with `error` (and exit code 2) when one cannot be
// opened.
bool run(const std::string& path_a, const std::string& path_b, const Options& opt, const OpenOptions& open,
         Report& out, std::string& error);

// The matcher on its own (unit tests; run() feeds it both traces merged in A time).
class Matcher {
 public:
  struct Callbacks {
    std::function<void(const Obs& a, const Obs& b, bool ambiguous)> matched;
    std::function<void(int side, const Obs& o, std::int64_t ta_ns, bool duplicate)> unmatched;
    // Whether a copy at A (at ta_a on A's clock) and one at B (tb_a) can be one packet; unset: any
    // two within the horizon can.
    std::function<bool(const Obs& a, std::int64_t ta_a, const Obs& b, std::int64_t tb_a)> plausible;
  };
  Matcher(double horizon_s, Callbacks cb);
  // One packet of `side` (0 = A, 1 = B) at `ta_ns` on A's clock; call in ta_ns order.
  void add(int side, const Obs& o, std::int64_t ta_ns);
  void finish();
  std::size_t pending() const { return sides_[0].q.size() + sides_[1].q.size(); }
  // Copies whose time distance is within this of the nearest candidate's are taken in time order.
  static constexpr std::int64_t kCloseNs = 100'000'000;

 private:
  struct Entry {
    Obs obs;
    std::int64_t ta_ns = 0;
    bool matched = false;
    bool sibling_matched = false;  // a copy with the same key on this side was matched
  };
  struct Side {
    std::deque<Entry> q;
    std::uint64_t base = 0;  // serial of q.front()
    std::unordered_map<std::uint64_t, std::deque<std::uint64_t>> by_key;  // key -> serials
  };
  void evict(std::int64_t before_ns);
  void pop(int side);
  std::int64_t horizon_ns_;
  Callbacks cb_;
  Side sides_[2];
};

}  // namespace ctana::correlate

namespace ctana::correlate {
// The text report (verdict first; `list_all`: every unmatched packet kept, not the first 50) and the
// JSON document (docs/schema/correlate.schema.json).
std::string render_text(const Report& r, bool list_all);
std::string render_json(const Report& r, int exit_code);
}  // namespace ctana::correlate
