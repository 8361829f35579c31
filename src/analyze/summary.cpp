#include "ctana/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include <absl/container/flat_hash_map.h>

#include "ctana/decode.hpp"

namespace ctana {

namespace {

// A packet's top protocol as a compact code: kind in the high byte, value below.
enum Kind : std::uint32_t { kIpProto = 1, kEthertype = 2, kLinktype = 3, kSpecial = 4 };
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

}  // namespace

struct SummaryAnalyzer::State {
  absl::flat_hash_map<std::uint32_t, Count> protocols;
  absl::flat_hash_map<ConvKey, ConvVal, ConvKeyHash> convs;
  std::map<std::pair<Layer, const char*>, DecodeProblemRow> problems;
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

  switch (p.l3) {
    case L3::ipv4: ++pk.ipv4; by.ipv4 += wire; break;
    case L3::ipv6: ++pk.ipv6; by.ipv6 += wire; break;
    case L3::arp: ++pk.arp; by.arp += wire; break;
    default: break;
  }
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

  if (p.ip_checksum == Csum::bad) ++out_.checksum_errors.ipv4;
  if (p.tcp.checksum == Csum::bad) ++out_.checksum_errors.tcp;
  if (p.udp.checksum == Csum::bad) ++out_.checksum_errors.udp;
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
    ConvKey k;
    k.proto = code;
    std::uint16_t sp = 0, dp = 0;
    const bool ports = (p.l4 == L4::tcp && p.tcp.header_len) || (p.l4 == L4::udp && p.udp.sport | p.udp.dport);
    if (ports) {
      sp = p.l4 == L4::tcp ? p.tcp.sport : p.udp.sport;
      dp = p.l4 == L4::tcp ? p.tcp.dport : p.udp.dport;
    }
    const bool src_low = std::tie(p.src, sp) <= std::tie(p.dst, dp);
    k.a = src_low ? p.src : p.dst;
    k.b = src_low ? p.dst : p.src;
    k.pa = src_low ? sp : dp;
    k.pb = src_low ? dp : sp;
    ConvVal* v;
    if (st_->convs.size() < opt_.max_conversations) {  // one lookup, which inserts if new
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
    (src_low ? v->low_to_high : v->high_to_low).add(wire);
    v->first_ns = std::min(v->first_ns, r.ts_ns);
    v->last_ns = std::max(v->last_ns, r.ts_ns);
  }
}

void SummaryAnalyzer::finish() {
  out_.protocols.clear();
  for (const auto& [code, c] : st_->protocols) out_.protocols.push_back({proto_label(code), c});
  std::sort(out_.protocols.begin(), out_.protocols.end(), [](const ProtocolRow& x, const ProtocolRow& y) {
    return std::tie(y.count.bytes, y.count.packets, x.name) < std::tie(x.count.bytes, x.count.packets, y.name);
  });

  // The top conversations: a heap of the best n while going through the table once, so that the
  // whole table is never copied into rows (it may hold hundreds of thousands).
  out_.conversations_total = st_->convs.size();
  using Entry = const std::pair<const ConvKey, ConvVal>*;
  auto bytes = [](Entry e) { return e->second.low_to_high.bytes + e->second.high_to_low.bytes; };
  // Oriented as reported: a is the first sender.
  auto tie = [](Entry e, const std::string& proto) {
    const ConvKey& k = e->first;
    return e->second.a_is_low ? std::tie(proto, k.a, k.pa, k.b, k.pb) : std::tie(proto, k.b, k.pb, k.a, k.pa);
  };
  auto better = [&](Entry x, Entry y) {  // x before y in the report
    if (bytes(x) != bytes(y)) return bytes(x) > bytes(y);
    if (x->second.first_ns != y->second.first_ns) return x->second.first_ns < y->second.first_ns;
    const std::string px = proto_label(x->first.proto), py = proto_label(y->first.proto);
    return tie(x, px) < tie(y, py);
  };
  const std::size_t n = std::min(opt_.top_conversations, st_->convs.size());
  std::vector<Entry> top;  // a heap whose front is the worst of the best n so far
  top.reserve(n);
  if (n > 0) {
    for (const auto& e : st_->convs) {
      if (top.size() < n) {
        top.push_back(&e);
        std::push_heap(top.begin(), top.end(), better);
      } else if (better(&e, top.front())) {
        std::pop_heap(top.begin(), top.end(), better);
        top.back() = &e;
        std::push_heap(top.begin(), top.end(), better);
      }
    }
  }
  std::sort(top.begin(), top.end(), better);
  std::vector<ConversationRow> rows;
  rows.reserve(top.size());
  for (Entry e : top) {
    const ConvKey& k = e->first;
    const ConvVal& v = e->second;
    ConversationRow row;
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
    rows.push_back(std::move(row));
  }
  out_.conversations = std::move(rows);

  out_.decode_problems.clear();
  for (auto& [key, row] : st_->problems) out_.decode_problems.push_back(row);
  std::sort(out_.decode_problems.begin(), out_.decode_problems.end(),
            [](const DecodeProblemRow& x, const DecodeProblemRow& y) { return x.first_record < y.first_record; });
}

}  // namespace ctana
