#include "ctana/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <unordered_map>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "ctana/decode.hpp"

namespace ctana {

namespace {

// A packet's top protocol as a compact code: kind in the high byte, value below.
enum Kind : std::uint32_t { kIpProto = 1, kEthertype = 2, kLinktype = 3, kSpecial = 4, kTunnel = 5, kPayload = 6 };
enum Special : std::uint32_t { kV4Frag, kV6Frag, kIpv4, kIpv6, kArp, kLlc, kUnknown, kNoNext };

std::uint32_t proto_code(const Packet& p) {
  if (p.l4 != L4::none) return (kIpProto << 24) | p.ip_proto;
  switch (p.l3) {
    case L3::ipv4: return (kSpecial << 24) | (p.frag_offset ? kV4Frag : kIpv4);
    case L3::ipv6:
      if (p.frag_offset) return (kSpecial << 24) | kV6Frag;
      return (kSpecial << 24) | (p.ip_proto == 59 ? kNoNext : kIpv6);
    case L3::arp: return (kSpecial << 24) | kArp;
    case L3::other: return p.ethertype ? (kEthertype << 24) | p.ethertype : (kSpecial << 24) | kLlc;
    default: return (kSpecial << 24) | kUnknown;
  }
}

std::string proto_label(std::uint32_t code) {
  const std::uint32_t v = code & 0xffffff;
  switch (code >> 24) {
    case kIpProto: {
      const auto n = ip_proto_name(static_cast<std::uint8_t>(v));
      return n.empty() ? fmt::format("ip-proto-{}", v) : std::string(n);
    }
    case kEthertype: {
      const auto n = ethertype_name(static_cast<std::uint16_t>(v));
      return n.empty() ? fmt::format("ethertype-0x{:04x}", v) : std::string(n);
    }
    case kLinktype: return v == linktype::ctrace_data ? std::string("ctrace-data") : fmt::format("linktype-{}", v);
    case kTunnel: return std::string(tunnel_kind_name(static_cast<TunnelKind>(v)));
    case kPayload: return std::string(tunnel_payload_name(static_cast<TunnelPayload>(v)));
    default:
      switch (v) {
        case kV4Frag: return "ipv4-fragment";
        case kV6Frag: return "ipv6-fragment";
        case kIpv4: return "ipv4-undecodable";
        case kIpv6: return "ipv6-undecodable";
        case kArp: return "arp";
        case kLlc: return "non-ip";
        case kNoNext: return "ipv6-nonxt";
        default: return "undecoded";
      }
  }
}

struct ConvKey {
  IpAddr a, b;
  std::uint16_t pa = 0, pb = 0;
  std::uint32_t proto = 0;  // proto_code
  bool operator==(const ConvKey&) const = default;
};

struct ConvKeyHash {
  std::size_t operator()(const ConvKey& k) const noexcept { return hash_endpoints(k.a, k.b, k.pa, k.pb, k.proto); }
};

struct ConvVal {
  bool a_is_low = true;  // whether side a (the first sender) is the key's a
  Count low_to_high, high_to_low;
  std::int64_t first_ns = 0, last_ns = 0;
};

// An IPv4 conversation in 64 bytes (key and counts together, 104 in the general table): most
// conversations are IPv4, and a busy trace has hundreds of thousands. The key is the addresses,
// ports and protocol code; the top bit of `proto` says whether the first sender is `a` (the
// lower endpoint) and is no part of the key.
struct Conv4 {
  std::uint32_t a = 0, b = 0;  // network byte order as in the packet, a the lower endpoint
  std::uint16_t pa = 0, pb = 0;
  std::uint32_t proto = 0;     // proto_code | kALow
  mutable Count low_to_high, high_to_low;  // (not part of the key: a set's elements are const)
  mutable std::int64_t first_ns = 0, last_ns = 0;
  static constexpr std::uint32_t kALow = 0x8000'0000u;
  std::uint32_t code() const { return proto & ~kALow; }
  bool a_is_low() const { return proto & kALow; }
};
static_assert(sizeof(Conv4) == 64);

struct Conv4Hash {
  std::size_t operator()(const Conv4& k) const noexcept {
    std::uint64_t x = (std::uint64_t{k.a} << 32 | k.b) * 0x9E3779B97F4A7C15ull;
    x ^= (std::uint64_t{k.pa} << 48 | std::uint64_t{k.pb} << 32 | k.code()) + 0x632BE59BD9B4E019ull;
    x ^= x >> 31;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    return static_cast<std::size_t>(x);
  }
};
struct Conv4Eq {
  bool operator()(const Conv4& x, const Conv4& y) const noexcept {
    return x.a == y.a && x.b == y.b && x.pa == y.pa && x.pb == y.pb && x.code() == y.code();
  }
};

std::uint32_t v4_bits(const IpAddr& a) {
  std::uint32_t v;
  std::memcpy(&v, a.b.data(), 4);
  return v;
}
IpAddr v4_addr(std::uint32_t v) {
  std::array<std::uint8_t, 4> b;
  std::memcpy(b.data(), &v, 4);
  return IpAddr::v4(b);
}

// A tunnel of the summary: kind, payload, outer endpoints (lower first) and key / VNI (-1: none).
struct TunKey {
  TunnelKind kind = TunnelKind::none;
  TunnelPayload payload = TunnelPayload::other;
  IpAddr lo, hi;
  std::int64_t id = -1;
  bool operator==(const TunKey&) const = default;
};
struct TunKeyHash {
  std::size_t operator()(const TunKey& k) const noexcept {
    const std::uint64_t tag = (std::uint64_t{static_cast<std::uint8_t>(k.kind)} << 48) |
                              (std::uint64_t{static_cast<std::uint8_t>(k.payload)} << 40) |
                              static_cast<std::uint64_t>(k.id + 1);
    return hash_endpoints(k.lo, k.hi, 0, 0, tag);
  }
};
struct TunVal {
  bool a_is_low = true;
  Count count;
  absl::flat_hash_map<std::uint32_t, std::uint64_t> inner;  // proto_code-like code -> packets
};
constexpr std::size_t kMaxTunnelRows = 10'000;

}  // namespace

struct SummaryAnalyzer::State {
  absl::flat_hash_map<TunKey, TunVal, TunKeyHash> tunnels;
  absl::flat_hash_map<std::uint32_t, Count> protocols;
  absl::flat_hash_set<Conv4, Conv4Hash, Conv4Eq> convs4;  // IPv4
  absl::flat_hash_map<ConvKey, ConvVal, ConvKeyHash> convs;  // IPv6
  std::map<std::pair<Layer, const char*>, DecodeProblemRow> problems;
  std::size_t conv_count() const { return convs4.size() + convs.size(); }
};

SummaryAnalyzer::SummaryAnalyzer(SummaryReport& out, SummaryOptions opt)
    : out_(out), opt_(opt), st_(std::make_unique<State>()) {}
SummaryAnalyzer::~SummaryAnalyzer() = default;

void SummaryAnalyzer::on_packet(const Packet& p) {
  const Record& r = *p.rec;
  const std::uint64_t wire = r.orig_len;
  // Cut by the capture's snap length; a header may or may not have been lost with it.
  const bool snapped = r.data.size() < r.orig_len || p.truncated();
  auto& pk = out_.packets;
  auto& by = out_.bytes;
  ++pk.total;
  by.total += wire;
  by.captured += r.data.size();
  if (!out_.first_ns || r.ts_ns < *out_.first_ns) out_.first_ns = r.ts_ns;
  if (!out_.last_ns || r.ts_ns > *out_.last_ns) out_.last_ns = r.ts_ns;

  std::uint32_t code;
  if (!linktype_supported(r.link)) {
    code = (kLinktype << 24) | r.link;
    ++out_.records.unsupported;
  } else {
    code = proto_code(p);
    if (p.malformed()) ++out_.records.malformed;
    else if (snapped) ++out_.records.truncated;
    else ++out_.records.decoded;
  }
  st_->protocols[code].add(wire);

  // IPv4 / IPv6: a header of that version anywhere in the packet, outer (tunnel) or inner.
  bool v4 = p.l3 == L3::ipv4, v6 = p.l3 == L3::ipv6;
  bool bad_ip = p.ip_checksum == Csum::bad, bad_udp = p.udp.checksum == Csum::bad;
  if (p.tunnel_depth) tunnel(p, code, wire, v4, v6, bad_ip, bad_udp);
  if (v4) ++pk.ipv4, by.ipv4 += wire;
  if (v6) ++pk.ipv6, by.ipv6 += wire;
  if (p.l3 == L3::arp) ++pk.arp, by.arp += wire;
  switch (p.l4) {
    case L4::tcp: ++pk.tcp; by.tcp += wire; break;
    case L4::udp: ++pk.udp; by.udp += wire; break;
    case L4::icmp: ++pk.icmp; by.icmp += wire; break;
    case L4::icmpv6: ++pk.icmpv6; by.icmpv6 += wire; break;
    default: ++pk.other; by.other += wire; break;
  }
  if (p.fragment) ++pk.fragments;
  if (p.malformed()) ++pk.malformed;
  if (!p.malformed() && snapped && linktype_supported(r.link)) ++pk.truncated;

  if (bad_ip) ++out_.checksum_errors.ipv4;
  if (p.tcp.checksum == Csum::bad) ++out_.checksum_errors.tcp;
  if (bad_udp) ++out_.checksum_errors.udp;
  if (p.icmp.checksum == Csum::bad) (p.l4 == L4::icmp ? out_.checksum_errors.icmp : out_.checksum_errors.icmpv6)++;

  if (p.problem.what) {
    auto& row = st_->problems[{p.problem.layer, p.problem.what}];
    if (row.count++ == 0) {
      row.layer = layer_name(p.problem.layer);
      row.what = p.problem.what;
      row.truncated = p.problem.truncated;
      row.first_record = r.index;
      row.first_offset = r.offset;
      row.first_byte = p.problem.offset;
    }
  }

  // Conversations between IP endpoints; ports for TCP and UDP.
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
    if (p.src.version == 0) return;  // header too short to have addresses
    std::uint16_t sp = 0, dp = 0;
    const bool ports = (p.l4 == L4::tcp && p.tcp.header_len) || (p.l4 == L4::udp && p.udp.sport | p.udp.dport);
    if (ports) {
      sp = p.l4 == L4::tcp ? p.tcp.sport : p.udp.sport;
      dp = p.l4 == L4::tcp ? p.tcp.dport : p.udp.dport;
    }
    const bool src_low = std::tie(p.src, sp) <= std::tie(p.dst, dp);
    const IpAddr& lo = src_low ? p.src : p.dst;
    const IpAddr& hi = src_low ? p.dst : p.src;
    const std::uint16_t plo = src_low ? sp : dp, phi = src_low ? dp : sp;
    Count* dir;
    std::int64_t* first;
    std::int64_t* last;
    // One lookup, which inserts if new, while the table has room.
    const bool room = st_->conv_count() < opt_.max_conversations;
    if (lo.version == 4 && hi.version == 4) {
      Conv4 k;
      k.a = v4_bits(lo);
      k.b = v4_bits(hi);
      k.pa = plo;
      k.pb = phi;
      k.proto = code | (src_low ? Conv4::kALow : 0);
      const Conv4* e;
      if (room) {
        const auto [it, fresh] = st_->convs4.insert(k);
        e = &*it;
        if (fresh) e->first_ns = e->last_ns = r.ts_ns;
      } else {
        const auto it = st_->convs4.find(k);
        if (it == st_->convs4.end()) {
          ++out_.conversations_untracked;
          return;
        }
        e = &*it;
      }
      dir = src_low ? &e->low_to_high : &e->high_to_low;
      first = &e->first_ns;
      last = &e->last_ns;
    } else {
      ConvKey k;
      k.proto = code;
      k.a = lo;
      k.b = hi;
      k.pa = plo;
      k.pb = phi;
      ConvVal* v;
      if (room) {
        const auto [it, fresh] = st_->convs.try_emplace(k);
        v = &it->second;
        if (fresh) {
          v->a_is_low = src_low;
          v->first_ns = v->last_ns = r.ts_ns;
        }
      } else {
        const auto it = st_->convs.find(k);
        if (it == st_->convs.end()) {
          ++out_.conversations_untracked;
          return;
        }
        v = &it->second;
      }
      dir = src_low ? &v->low_to_high : &v->high_to_low;
      first = &v->first_ns;
      last = &v->last_ns;
    }
    dir->add(wire);
    *first = std::min(*first, r.ts_ns);
    *last = std::max(*last, r.ts_ns);
  }
}

// The tunnel layers of a packet: each counted in its tunnel's row, with what it carried.
void SummaryAnalyzer::tunnel(const Packet& p, std::uint32_t code, std::uint64_t wire, bool& v4, bool& v6,
                             bool& bad_ip, bool& bad_udp) {
  auto& ts = out_.tunnels;
  ++ts.packets;
  if (p.tunnel_too_deep) ++ts.too_deep;
  const std::size_t depth = std::min<std::size_t>(p.tunnel_depth, kMaxTunnelDepth);
  for (std::size_t i = 0; i < depth; ++i) {
    const TunnelLayer& t = p.tunnels[i];
    v4 |= t.src.version == 4;
    v6 |= t.src.version == 6;
    bad_ip |= t.ip_checksum == Csum::bad;
    bad_udp |= t.udp_checksum == Csum::bad;
    std::uint32_t inner = code;
    if (i + 1 < depth) inner = (kTunnel << 24) | static_cast<std::uint32_t>(p.tunnels[i + 1].kind);
    else if (t.opaque()) inner = (kPayload << 24) | static_cast<std::uint32_t>(t.payload);
    const bool src_low = t.src <= t.dst;
    TunKey k{t.kind, t.payload, src_low ? t.src : t.dst, src_low ? t.dst : t.src, t.has_key ? std::int64_t{t.key} : -1};
    auto it = st_->tunnels.find(k);
    if (it == st_->tunnels.end()) {
      if (st_->tunnels.size() >= kMaxTunnelRows) {
        ++ts.untracked;
        continue;
      }
      it = st_->tunnels.try_emplace(k).first;
      it->second.a_is_low = src_low;
    }
    it->second.count.add(wire);
    ++it->second.inner[inner];
  }
}

void SummaryAnalyzer::finish() {
  auto& ts = out_.tunnels;
  ts.max_depth = kMaxTunnelDepth;
  ts.rows.clear();
  for (const auto& [k, v] : st_->tunnels) {
    TunnelRow row;
    row.kind = std::string(tunnel_kind_name(k.kind));
    row.payload = std::string(tunnel_payload_name(k.payload));
    row.a = v.a_is_low ? k.lo : k.hi;
    row.b = v.a_is_low ? k.hi : k.lo;
    if (k.id >= 0) row.id = static_cast<std::uint32_t>(k.id);
    row.count = v.count;
    for (const auto& [c, n] : v.inner) row.inner.emplace_back(proto_label(c), n);
    std::sort(row.inner.begin(), row.inner.end(), [](const auto& x, const auto& y) {
      return std::tie(y.second, x.first) < std::tie(x.second, y.first);
    });
    ts.rows.push_back(std::move(row));
  }
  std::sort(ts.rows.begin(), ts.rows.end(), [](const TunnelRow& x, const TunnelRow& y) {
    return std::tie(y.count.packets, x.kind, x.payload, x.a, x.b, x.id) <
           std::tie(x.count.packets, y.kind, y.payload, y.a, y.b, y.id);
  });

  out_.protocols.clear();
  for (const auto& [code, c] : st_->protocols) out_.protocols.push_back({proto_label(code), c});
  std::sort(out_.protocols.begin(), out_.protocols.end(), [](const ProtocolRow& x, const ProtocolRow& y) {
    return std::tie(y.count.bytes, y.count.packets, x.name) < std::tie(x.count.bytes, x.count.packets, y.name);
  });

  // The top conversations: a heap of the best n while going through the tables once, so that
  // the whole table is never copied into rows (it may hold hundreds of thousands).
  out_.conversations_total = st_->conv_count();
  struct Cand {
    std::uint64_t bytes;
    std::int64_t first_ns;
    const Conv4* v4;  // one of the two
    const std::pair<const ConvKey, ConvVal>* other;
  };
  auto row_of = [](const Cand& c) {
    ConversationRow row;
    if (c.v4) {
      const Conv4& e = *c.v4;
      row.proto = proto_label(e.code());
      const IpAddr a = v4_addr(e.a), b = v4_addr(e.b);
      if (e.a_is_low()) {
        row.a = a, row.b = b, row.a_port = e.pa, row.b_port = e.pb;
        row.a_to_b = e.low_to_high, row.b_to_a = e.high_to_low;
      } else {
        row.a = b, row.b = a, row.a_port = e.pb, row.b_port = e.pa;
        row.a_to_b = e.high_to_low, row.b_to_a = e.low_to_high;
      }
      row.first_ns = e.first_ns;
      row.last_ns = e.last_ns;
      return row;
    }
    const auto& [k, v] = *c.other;
    row.proto = proto_label(k.proto);
    if (v.a_is_low) {
      row.a = k.a, row.b = k.b, row.a_port = k.pa, row.b_port = k.pb;
      row.a_to_b = v.low_to_high, row.b_to_a = v.high_to_low;
    } else {
      row.a = k.b, row.b = k.a, row.a_port = k.pb, row.b_port = k.pa;
      row.a_to_b = v.high_to_low, row.b_to_a = v.low_to_high;
    }
    row.first_ns = v.first_ns;
    row.last_ns = v.last_ns;
    return row;
  };
  auto better = [&row_of](const Cand& x, const Cand& y) {  // x before y in the report
    if (x.bytes != y.bytes) return x.bytes > y.bytes;
    if (x.first_ns != y.first_ns) return x.first_ns < y.first_ns;
    const ConversationRow rx = row_of(x), ry = row_of(y);  // rare: same bytes and first time
    return std::tie(rx.proto, rx.a, rx.a_port, rx.b, rx.b_port) < std::tie(ry.proto, ry.a, ry.a_port, ry.b, ry.b_port);
  };
  const std::size_t n = std::min<std::size_t>(opt_.top_conversations, st_->conv_count());
  std::vector<Cand> top;  // a heap whose front is the worst of the best n so far
  top.reserve(n);
  auto offer = [&](const Cand& c) {
    if (top.size() < n) {
      top.push_back(c);
      std::push_heap(top.begin(), top.end(), better);
    } else if (better(c, top.front())) {
      std::pop_heap(top.begin(), top.end(), better);
      top.back() = c;
      std::push_heap(top.begin(), top.end(), better);
    }
  };
  if (n > 0) {
    for (const Conv4& e : st_->convs4)
      offer(Cand{e.low_to_high.bytes + e.high_to_low.bytes, e.first_ns, &e, nullptr});
    for (const auto& e : st_->convs)
      offer(Cand{e.second.low_to_high.bytes + e.second.high_to_low.bytes, e.second.first_ns, nullptr, &e});
  }
  std::sort(top.begin(), top.end(), better);
  std::vector<ConversationRow> rows;
  rows.reserve(top.size());
  for (const Cand& c : top) rows.push_back(row_of(c));
  out_.conversations = std::move(rows);

  out_.decode_problems.clear();
  for (auto& [key, row] : st_->problems) out_.decode_problems.push_back(row);
  std::sort(out_.decode_problems.begin(), out_.decode_problems.end(),
            [](const DecodeProblemRow& x, const DecodeProblemRow& y) { return x.first_record < y.first_record; });
}

}  // namespace ctana
