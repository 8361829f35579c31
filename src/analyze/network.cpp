// Routing loops and broadcast storms (docs/icmp.md "Loops and storms").
#include "ctana/network.hpp"

#include <fmt/format.h>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "ctana/decode.hpp"

namespace ctana {

namespace {
constexpr std::size_t kRecent = 1u << 13;        // every IP packet: 8-byte slots, 64 KB
constexpr std::size_t kCandidates = 1u << 10;    // packets seen twice with a falling TTL: 24 KB
constexpr std::size_t kMaxFrames = 4096;         // distinct group-addressed frames counted
constexpr std::size_t kFrameBytes = 256;         // bytes of a frame that tell frames apart
constexpr std::int64_t kLoopGapNs = 10'000'000'000;  // a pass later than this is another packet

// Every IP packet is looked up by its signature (addresses, protocol, IP id, the first transport
// bytes: what a router does not change) in a table small enough to stay in the cache (a larger
// one cost a tenth of the whole run in cache misses): 16 bits of the signature, the TTL of the
// first and the last sighting, and the first sighting's time. A second sighting with a lower
// TTL makes the packet a candidate, followed exactly (whole signature, times) from then on.
struct Recent {
  std::uint16_t tag = 0;  // signature bits above the index; 0: empty
  std::uint8_t ttl = 0, first_ttl = 0;
  std::uint32_t first_us = 0;  // low 32 bits of the first sighting's time in µs
};
static_assert(sizeof(Recent) == 8);

struct Seen {
  std::uint64_t sig = 0;      // 0: empty
  std::int64_t last_ns = 0;
  std::uint32_t since_us = 0;  // first sighting .. last sighting (a pass is at most 10 s after the last)
  std::uint8_t ttl = 0, first_ttl = 0;
  std::uint8_t passes = 0;     // at most 255: every pass lowers the TTL
  std::int8_t row = -1;        // index in the report's loops once it is one
};
static_assert(sizeof(Seen) == 24);
static_assert(NetworkReport::kMaxLoops <= 127);

struct FrameCount {
  std::uint64_t copies = 0;
  std::string about;
};

std::string ep(const IpAddr& a, std::uint16_t port, bool ports) {
  if (!ports) return a.str();
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}

std::string describe(const Packet& p) {
  const bool tcp = p.l4 == L4::tcp, udp = p.l4 == L4::udp;
  const std::uint16_t sp = tcp ? p.tcp.sport : p.udp.sport, dp = tcp ? p.tcp.dport : p.udp.dport;
  std::string proto = tcp ? "TCP" : udp ? "UDP" : p.l4 == L4::icmp ? "ICMP" : p.l4 == L4::icmpv6 ? "ICMPv6" : "";
  if (proto.empty()) {
    const auto n = ip_proto_name(p.ip_proto);
    proto = n.empty() ? fmt::format("IP proto {}", p.ip_proto) : fmt::format("{}", n);
    for (auto& ch : proto) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return fmt::format("{} {} -> {}", proto, ep(p.src, sp, tcp || udp), ep(p.dst, dp, tcp || udp));
}

bool group_addressed(const Packet& p) {
  const Record& r = *p.rec;
  if (r.link == linktype::ethernet) {
    const auto dst = fixed<6>(r.data);  // the destination MAC address
    return dst && (dst.u8<0>() & 1);    // the I/G bit
  }
  if (p.l3 == L3::ipv4) return p.dst.b[0] >= 224 || (p.dst.b[0] == 255 && p.dst.b[3] == 255);
  if (p.l3 == L3::ipv6) return p.dst.b[0] == 0xff;
  return false;
}

std::string secs(std::int64_t ns) {
  return ns < 1'000'000 ? fmt::format("{} µs", ns / 1000) : fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9);
}
}  // namespace

struct NetworkAnalyzer::Impl {
  NetworkOptions opt;
  NetworkReport& out;
  FindingSink emit;
  ConnectionLookup lookup;
  std::vector<Recent> recent = std::vector<Recent>(kRecent);
  std::vector<Seen> seen = std::vector<Seen>(kCandidates);
  std::int64_t second = 0;       // the second being counted
  std::uint64_t in_second = 0;   // group-addressed frames in it
  std::int64_t second_first_ns = 0;  // the first of them
  bool counting = false;
  absl::flat_hash_map<std::uint64_t, FrameCount> frames;

  Impl(NetworkOptions o, NetworkReport& r, FindingSink f)
      : opt(o), out(r), emit(std::move(f)) {}

  void close_second() {
    if (!counting) return;
    if (in_second >= opt.storm_per_second) ++out.storm_seconds;
    if (in_second > out.group_peak_per_second) {
      out.group_peak_per_second = in_second;
      out.group_peak_second_ns = second_first_ns;
    }
  }

  void group_frame(const Packet& p) {
    ++out.group_frames;
    const std::int64_t ts = p.rec->ts_ns;
    const std::int64_t s = ts >= 0 ? ts / 1'000'000'000 : (ts + 1) / 1'000'000'000 - 1;
    if (!counting || s != second) {
      close_second();
      counting = true;
      second = s;
      second_first_ns = ts;
      in_second = 0;
    }
    ++in_second;
    // The same frame again and again: count copies by content.
    const Bytes d = p.rec->data.first(std::min<std::size_t>(p.rec->data.size(), kFrameBytes));
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (std::uint8_t b : d) h = (h ^ b) * 1099511628211ull;
    auto it = frames.find(h);
    if (it == frames.end()) {
      if (frames.size() >= kMaxFrames) return;
      std::string about = p.l3 == L3::ipv4 || p.l3 == L3::ipv6 ? describe(p) : p.l3 == L3::arp ? "ARP" : "non-IP frame";
      const auto m = fixed<6>(p.rec->data, 6);  // the source MAC address
      if (p.rec->link == linktype::ethernet && m) {
        about += fmt::format(" from {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m.u8<0>(), m.u8<1>(), m.u8<2>(),
                             m.u8<3>(), m.u8<4>(), m.u8<5>());
      }
      it = frames.emplace(h, FrameCount{0, std::move(about)}).first;
    }
    ++it->second.copies;
  }

  void ip_packet(const Packet& p) {
    if (p.src.version == 0 || p.frag_offset != 0 || p.ttl == 0) return;
    // What a router leaves alone: addresses, protocol, IP id, the first 8 transport bytes.
    std::uint64_t l4 = 0;
    const Bytes d = p.rec->data;
    if (p.l4_offset && p.l4_offset < d.size()) {
      const Bytes first8 = head(tail(d, p.l4_offset), 8);
      std::memcpy(&l4, first8.data(), first8.size());
    }
    const std::uint64_t tag = (l4 * 0x9E3779B97F4A7C15ull) ^ (std::uint64_t{p.ip_proto} << 32) ^ p.ip_id;
    const std::uint64_t sig = hash_endpoints(p.src, p.dst, 0, 0, tag) | 1;
    const std::int64_t ts = p.rec->ts_ns;
    const auto us = static_cast<std::uint32_t>(static_cast<std::uint64_t>(ts / 1000));
    Recent& r = recent[sig & (kRecent - 1)];
    const auto rtag = static_cast<std::uint16_t>((sig >> 48) | 1);
    if (r.tag != rtag || p.ttl > r.ttl) {  // another packet
      r = Recent{rtag, p.ttl, p.ttl, us};
      return;
    }
    if (p.ttl == r.ttl) return;  // the same sighting again (two capture points): no pass
    const std::uint8_t prev_ttl = r.ttl;
    r.ttl = p.ttl;
    Seen& s = seen[sig & (kCandidates - 1)];
    if (s.sig != sig || prev_ttl != s.ttl || ts - s.last_ns > kLoopGapNs || ts < s.last_ns) {
      // The second sighting: a candidate from now on, unless the first was long ago.
      const std::uint32_t since = us - r.first_us;  // modulo 2^32 µs
      if (since > kLoopGapNs / 1000) {
        r = Recent{rtag, p.ttl, p.ttl, us};
        return;
      }
      s = Seen{sig, ts, since, p.ttl, r.first_ttl, 2, -1};
    } else {
      ++s.passes;
    }
    if (s.passes > 2) {
      s.ttl = p.ttl;
      s.since_us += static_cast<std::uint32_t>((ts - s.last_ns) / 1000);
      s.last_ns = ts;
    }
    if (s.row < 0) {
      if (s.passes < opt.loop_min_passes) return;
      if (out.loops.size() >= NetworkReport::kMaxLoops) {
        if (s.passes == opt.loop_min_passes) ++out.loops_untracked;
        return;
      }
      LoopRow row;
      row.src = p.src;
      row.dst = p.dst;
      row.about = describe(p);
      row.first_ttl = s.first_ttl;
      row.first_ns = ts - std::int64_t{s.since_us} * 1000;
      if (p.l4 == L4::tcp && lookup) row.connection = lookup(p.src, p.tcp.sport, p.dst, p.tcp.dport);
      s.row = static_cast<std::int8_t>(out.loops.size());
      out.loops.push_back(std::move(row));
    }
    LoopRow& row = out.loops[static_cast<std::size_t>(s.row)];
    row.passes = s.passes;
    row.last_ttl = p.ttl;
    row.last_ns = ts;
  }
};

NetworkAnalyzer::NetworkAnalyzer(NetworkOptions opt, NetworkReport& out, FindingSink findings)
    : impl_(std::make_unique<Impl>(opt, out, std::move(findings))) {
  out.present = true;
  out.storm_threshold = opt.storm_per_second;
}
NetworkAnalyzer::~NetworkAnalyzer() = default;

void NetworkAnalyzer::set_connection_lookup(
    ConnectionLookup f) {
  impl_->lookup = std::move(f);
}

void NetworkAnalyzer::on_packet(const Packet& p) {
  if (p.malformed()) return;
  if (group_addressed(p)) impl_->group_frame(p);
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) impl_->ip_packet(p);
}

void NetworkAnalyzer::finish() {
  auto& im = *impl_;
  im.close_second();
  for (const auto& [h, f] : im.frames) {
    if (f.copies > im.out.repeated_frame_copies || (f.copies == im.out.repeated_frame_copies && f.about < im.out.repeated_frame)) {
      im.out.repeated_frame_copies = f.copies;
      im.out.repeated_frame = f.about;
    }
  }
  if (!im.emit) return;
  for (const auto& l : im.out.loops) {
    Finding f{Severity::error, "traffic", "routing_loop", l.first_ns, l.connection,
                    fmt::format("{}: the same packet {} times in {}, TTL {} down to {}: it goes round a routing loop",
                                l.about, l.passes, secs(l.last_ns - l.first_ns), l.first_ttl, l.last_ttl),
                    fmt::format("Routers on the way to {} send it back to each other (a static route pointing back, "
                                "a default route on both sides, a redistribution loop). Every pass costs one hop of "
                                "TTL until a router drops the packet and answers with ICMP time exceeded; the link "
                                "carries it once per pass. Compare the routing tables of the routers towards {}.",
                                l.dst.str(), l.dst.str())};
    f.server = l.dst;
    f.count = l.passes;
    f.last_ns = l.last_ns;
    im.emit(f);
  }
  if (im.out.loops_untracked)
    im.emit(Finding{Severity::error, "traffic", "routing_loop", im.out.loops.back().last_ns, 0,
                    fmt::format("{} more packets went round a routing loop (the first {} are listed one by one)",
                                im.out.loops_untracked, NetworkReport::kMaxLoops),
                    "See the routing_loop findings before this one."});
  if (im.out.storm_seconds) {
    const bool looped = im.out.repeated_frame_copies >= 100;
    im.emit(Finding{Severity::error, "traffic", "broadcast_storm", im.out.group_peak_second_ns, 0,
                    fmt::format("broadcast storm: up to {} broadcast and multicast frames in one second ({} second{} "
                                "with {} or more){}",
                                im.out.group_peak_per_second, im.out.storm_seconds, im.out.storm_seconds == 1 ? "" : "s",
                                im.out.storm_threshold,
                                looped ? fmt::format("; one frame ({}) came {} times", im.out.repeated_frame,
                                                     im.out.repeated_frame_copies)
                                       : std::string()),
                    looped ? "The same broadcast or multicast frame arriving over and over is going round a layer-2 "
                             "loop: two bridge or switch ports joined without spanning tree (STP) blocking one of "
                             "them, or a cable plugged back into the same switch. Every host on the LAN has to "
                             "process each copy."
                           : "Broadcast and multicast frames reach every host on the LAN; at this rate they crowd "
                             "out other traffic and keep every host busy. Look for the sender, or for a loop."});
  }
}

}  // namespace ctana
