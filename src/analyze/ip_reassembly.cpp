// IPv4 / IPv6 reassembly (docs/decoding.md "IP reassembly"): bounded chains of fragments keyed by
// (source, destination, protocol, IP ID) for IPv4 and (source, destination, identification) for
// IPv6; first wins on overlaps; timeouts in trace time from the first fragment.
#include "ctana/ip_reassembly.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include <absl/container/flat_hash_map.h>

namespace ctana {

namespace {

struct Key {
  IpAddr src, dst;
  std::uint32_t id = 0;
  std::uint8_t proto = 0;  // IPv4 protocol; 0 for IPv6 (not part of its key)
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept { return hash_endpoints(k.src, k.dst, 0, k.proto, k.id); }
};

struct Chain {
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t first_frame = 0, last_frame = 0;
  std::vector<std::uint8_t> data;                        // the fragmentable part, by offset
  std::vector<std::pair<std::uint32_t, std::uint32_t>> have;  // received [begin, end), sorted, disjoint
  std::vector<std::uint8_t> header;                      // offset-0 fragment's unfragmentable part
  std::uint16_t nh_at = 0;                               // IPv6: where the next header byte is in `header`
  std::uint8_t next = 0;                                 // IPv6: the fragment header's next header
  std::int64_t total = -1;                               // fragmentable length, once the last fragment came
  std::uint32_t fragments = 0;
  bool v6 = false, cut = false, too_big = false, conflict = false, tiny = false;
};

// One finding per kind and (source, destination), counting its events.
struct FindingKey {
  std::string kind;
  IpAddr src, dst;
  auto operator<=>(const FindingKey&) const = default;
};

std::string_view proto_label(bool v6) { return v6 ? "IPv6" : "IPv4"; }

// The bytes of the transport header the first fragment must hold (RFC 1858, RFC 7112).
std::uint32_t transport_header_len(std::uint8_t proto) {
  switch (proto) {
    case 6: return 20;
    case 17: return 8;
    case 1: case 58: return 8;
    default: return 0;
  }
}

}  // namespace

struct IpReassembler::Impl {
  IpReassemblyOptions opt;
  IpReassemblyStats st;
  absl::flat_hash_map<Key, Chain, KeyHash> chains;
  std::uint64_t held = 0;  // bytes in chains' data
  std::int64_t next_sweep_ns = INT64_MIN;
  std::vector<std::uint8_t> out;
  std::map<FindingKey, Finding> findings;

  std::int64_t timeout(bool v6) const { return v6 ? opt.timeout_v6_ns : opt.timeout_v4_ns; }

  Finding& finding(std::string_view kind, const Key& k, std::int64_t ts, std::uint64_t frame, bool& fresh) {
    fresh = false;
    FindingKey fk{std::string(kind), k.src, k.dst};
    auto it = findings.find(fk);
    if (it == findings.end()) {
      std::size_t of_kind = 0;
      for (const auto& [key, f] : findings) of_kind += key.kind == kind;
      if (of_kind >= opt.max_findings) {  // counted in the stats only
        static thread_local Finding spare;
        spare = Finding{};
        return spare;
      }
      it = findings.emplace(fk, Finding{}).first;
      Finding& f = it->second;
      f.kind = std::string(kind);
      f.category = "traffic";
      f.ts_ns = ts;
      f.first_frame = frame;
      f.client = k.src;
      f.server = k.dst;
      f.count = 0;
      fresh = true;
    }
    Finding& f = it->second;
    ++f.count;
    f.last_ns = std::max(f.last_ns, ts);
    f.last_frame = std::max(f.last_frame, frame);
    return f;
  }

  void incomplete(const Key& k, const Chain& c, bool timed_out) {
    if (c.too_big) return;  // its own finding
    if (c.cut) {
      ++st.cut;
      return;
    }
    ++(timed_out ? st.timeouts : st.incomplete);
    bool fresh;
    Finding& f = finding("ip_fragments_incomplete", k, c.first_ns, c.first_frame, fresh);
    f.last_frame = std::max(f.last_frame, c.last_frame);
    if (fresh) {
      f.severity = Severity::warning;
      f.explanation =
          "Fragments of an IP datagram came, but not all of them: the datagram could not be reassembled "
          "within the reassembly timeout (30 s for IPv4, 60 s for IPv6, from its first fragment) or before the "
          "trace ended. The receiver drops such a datagram after the same timeout (and may answer ICMP Time "
          "Exceeded, code 1). A fragment lost on the way (a firewall or router dropping fragments, an MTU "
          "black hole) or the capture missing it; many chains that never complete from one source is also a "
          "way to exhaust a receiver's reassembly memory.";
      f.hint = "On z/OS, NETSTAT STATS (IP: fragments received, reassembly timeouts) shows whether the stack "
               "saw the same; a path MTU problem is cured by PMTUD (PMTU on the route in the PROFILE) or a "
               "smaller MTU / EDNS buffer size on the sender.";
    }
    std::uint64_t& timed = timed_out_of[FindingKey{"", k.src, k.dst}];
    if (timed_out) ++timed;
    f.summary = fmt::format("{} {} datagram{} from {} to {} never completed ({} timed out, {} open at the end of the trace)",
                            f.count, proto_label(c.v6), f.count == 1 ? "" : "s", k.src.str(), k.dst.str(), timed,
                            f.count - timed);
  }
  std::map<FindingKey, std::uint64_t> timed_out_of;  // of the incomplete chains per pair, those timed out

  void drop(decltype(chains)::iterator it) {
    held -= it->second.data.size();
    chains.erase(it);
  }

  void sweep(std::int64_t now) {
    if (now < next_sweep_ns) return;
    next_sweep_ns = now + 1'000'000'000;  // at most once a second of trace time
    std::vector<Key> gone;
    for (const auto& [k, c] : chains)
      if (now - c.first_ns > timeout(c.v6)) gone.push_back(k);
    // The order of a hash map is not the trace's: findings are by time of the first fragment.
    std::sort(gone.begin(), gone.end(), [this](const Key& a, const Key& b) {
      const Chain& x = chains.find(a)->second;
      const Chain& y = chains.find(b)->second;
      return std::tie(x.first_ns, x.first_frame) < std::tie(y.first_ns, y.first_frame);
    });
    for (const Key& k : gone) {
      auto it = chains.find(k);
      incomplete(k, it->second, true);
      drop(it);
    }
  }

  std::uint32_t last_fragments = 0;

  Bytes add(Packet& p) {
    if (!p.fragment || (p.l3 != L3::ipv4 && p.l3 != L3::ipv6) || p.src.version == 0 || !p.rec) return {};
    // A transport header that is cut or wrong in a first fragment is no reason to drop it (a tiny
    // first fragment is one); a malformed IP header is: its fragment fields cannot be trusted.
    const bool ip_bad = p.malformed() && (p.problem.layer == Layer::ipv4 || p.problem.layer == Layer::ipv6 ||
                                          p.problem.layer == Layer::link);
    if (ip_bad || p.frag_data_offset == 0) {  // its bytes cannot be placed
      ++st.not_taken;
      return {};
    }
    p.reassembling = true;
    ++st.fragments;
    const std::int64_t ts = p.rec->ts_ns;
    const std::uint64_t frame = p.frame();
    sweep(ts);
    const bool v6 = p.l3 == L3::ipv6;
    Key k{p.src, p.dst, p.ip_id, v6 ? std::uint8_t{0} : p.ip_proto};
    const std::uint32_t off = p.frag_offset, len = p.frag_data_len, end = off + len;
    const Bytes rec = p.rec->data;
    const auto bytes = slice(rec, p.frag_data_offset, len);
    auto it = chains.find(k);
    if (it == chains.end()) {
      if (chains.size() >= opt.max_chains) {
        overflow(k, ts, frame, "datagrams being reassembled");
        return {};
      }
      it = chains.try_emplace(k).first;
      Chain& c = it->second;
      c.first_ns = c.last_ns = ts;
      c.first_frame = c.last_frame = frame;
      c.v6 = v6;
    }
    Chain& c = it->second;
    c.last_ns = std::max(c.last_ns, ts);
    c.last_frame = frame;
    ++c.fragments;
    if (c.too_big) return {};  // the rest of a datagram already refused
    const std::uint32_t unfrag = p.frag_unfrag_len;
    const std::uint64_t limit = opt.max_datagram + (v6 ? 40u : 0u);
    if (std::uint64_t{unfrag} + end > limit) {
      c.too_big = true;
      ++st.too_big;
      held -= c.data.size();
      c.data = {};
      c.data.shrink_to_fit();
      c.have.clear();
      bool fresh;
      Finding& f = finding("ip_datagram_too_big", k, ts, frame, fresh);
      f.severity = Severity::error;
      f.summary = fmt::format("{} {} datagram{} from {} to {} larger than {} bytes (a fragment ends at byte {})",
                              f.count, proto_label(v6), f.count == 1 ? "" : "s", k.src.str(), k.dst.str(),
                              limit, std::uint64_t{unfrag} + end);
      if (fresh)
        f.explanation = "Fragments of one datagram reach beyond the largest IP datagram (65,535 bytes; for IPv6 "
                        "a payload of 65,535): no sender makes them. It is the \"ping of death\" and its relatives, "
                        "aimed at receivers whose reassembly buffer overflows; ctana does not reassemble it.";
      return {};
    }
    // Tiny fragments: a non-last fragment below opt.tiny bytes, or a first fragment without the
    // whole transport header (the rule filters match on).
    const std::uint8_t l4proto = v6 ? p.frag_next : p.ip_proto;
    const std::uint32_t need = off == 0 ? transport_header_len(l4proto) : 0;
    if (!c.tiny && ((p.more_fragments && len < opt.tiny) || len < need)) {
      c.tiny = true;
      ++st.tiny;
      bool fresh;
      Finding& f = finding("ip_fragment_tiny", k, ts, frame, fresh);
      f.severity = Severity::warning;
      f.summary = fmt::format("{} {} datagram{} from {} to {} in tiny fragments (e.g. {} bytes at offset {}{})",
                              f.count, proto_label(v6), f.count == 1 ? "" : "s", k.src.str(), k.dst.str(), len, off,
                              len < need ? ", without the whole transport header" : "");
      if (fresh)
        f.explanation = fmt::format(
            "A fragment other than the last carries fewer than {} bytes, or the first fragment does not hold the "
            "whole TCP/UDP/ICMP header. No link has an MTU that small (IPv4 needs 68, IPv6 1280): tiny fragments "
            "are made to slip past filters and intrusion detection that look at one packet at a time (RFC 1858, "
            "RFC 7112).",
            opt.tiny);
    }
    if (!bytes) c.cut = true;  // cut by the snap length: its bytes are not there
    // The last fragment fixes the length.
    if (!p.more_fragments) {
      if (c.total < 0) c.total = end;
      else if (c.total != end) conflict(k, c, ts, frame);
    }
    if (c.total >= 0 && end > c.total) conflict(k, c, ts, frame);
    if (off == 0 && c.header.empty()) {
      if (const auto h = slice(rec, p.l3_offset, unfrag)) {
        c.header.assign(h->begin(), h->end());
        c.nh_at = p.frag_nh_at;
        c.next = p.frag_next;
      } else {
        c.cut = true;
      }
    }
    // Overlaps: first wins, the new fragment only fills holes.
    bool overlapped = false, differs = false;
    for (const auto& [b, e] : c.have) {
      const std::uint32_t lo = std::max(b, off), hi = std::min(e, end);
      if (lo >= hi) continue;
      overlapped = true;
      if (bytes && !c.cut && !std::equal(c.data.begin() + lo, c.data.begin() + hi, bytes->begin() + (lo - off)))
        differs = true;
    }
    if (overlapped) ++st.overlaps;
    if (differs) conflict(k, c, ts, frame);
    if (!c.cut && bytes) {
      if (end > c.data.size()) {
        const std::uint64_t grow = end - c.data.size();
        if (held + grow > opt.max_bytes) {
          overflow(k, ts, frame, "bytes held");
          return {};
        }
        held += grow;
        c.data.resize(end);
      }
      // Copy the parts not yet held.
      std::uint32_t pos = off;
      for (const auto& [b, e] : c.have) {
        if (e <= pos || b >= end) continue;
        if (b > pos) std::copy(bytes->begin() + (pos - off), bytes->begin() + (b - off), c.data.begin() + pos);
        pos = std::max(pos, e);
      }
      if (pos < end) std::copy(bytes->begin() + (pos - off), bytes->end(), c.data.begin() + pos);
    }
    // Merge [off, end) into the received ranges.
    if (len) {
      std::pair<std::uint32_t, std::uint32_t> r{off, end};
      std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
      merged.reserve(c.have.size() + 1);
      bool placed = false;
      for (const auto& x : c.have) {
        if (x.second < r.first) merged.push_back(x);
        else if (x.first > r.second) {
          if (!placed) merged.push_back(r), placed = true;
          merged.push_back(x);
        } else {
          r = {std::min(r.first, x.first), std::max(r.second, x.second)};
        }
      }
      if (!placed) merged.push_back(r);
      c.have = std::move(merged);
    }
    // Complete?
    if (c.total < 0 || c.header.empty() || c.have.size() != 1 || c.have[0].first != 0 ||
        c.have[0].second < c.total)
      return {};
    if (c.cut) {
      ++st.cut;
      drop(it);
      return {};
    }
    build(c);
    ++st.datagrams;
    last_fragments = c.fragments;
    drop(it);
    return Bytes(out);
  }

  void build(const Chain& c) {
    const std::size_t total = static_cast<std::size_t>(c.total);
    out.assign(c.header.begin(), c.header.end());
    out.insert(out.end(), c.data.begin(), c.data.begin() + static_cast<std::ptrdiff_t>(total));
    if (!c.v6) {
      const std::size_t len = out.size();
      out.at(2) = static_cast<std::uint8_t>(len >> 8);
      out.at(3) = static_cast<std::uint8_t>(len);
      out.at(6) &= 0x40;  // DF kept; MF and the offset cleared
      out.at(7) = 0;
      out.at(10) = out.at(11) = 0;
      const std::uint16_t sum = checksum_fold(checksum_add(0, Bytes(out).first(c.header.size())));
      out.at(10) = static_cast<std::uint8_t>(sum >> 8);
      out.at(11) = static_cast<std::uint8_t>(sum);
    } else {
      const std::size_t plen = out.size() - 40;
      out.at(4) = static_cast<std::uint8_t>(plen >> 8);
      out.at(5) = static_cast<std::uint8_t>(plen);
      if (c.nh_at < c.header.size()) out.at(c.nh_at) = c.next;  // the fragment header is left out
    }
  }

  void conflict(const Key& k, Chain& c, std::int64_t ts, std::uint64_t frame) {
    if (c.conflict) return;
    c.conflict = true;
    ++st.overlap_conflicts;
    bool fresh;
    Finding& f = finding("ip_fragment_overlap", k, ts, frame, fresh);
    f.severity = Severity::error;
    f.summary = fmt::format("{} {} datagram{} from {} to {} with overlapping fragments of different content",
                            f.count, proto_label(c.v6), f.count == 1 ? "" : "s", k.src.str(), k.dst.str());
    if (fresh)
      f.explanation =
          "Two fragments of one datagram carry different bytes for the same place (or disagree on its length). "
          "Receivers resolve this differently (Linux and RFC 5722 drop the datagram, older stacks keep the first "
          "or the last copy), so a filter or IDS may see other bytes than the receiver: a known evasion "
          "technique (Ptacek and Newsham, 1998). ctana keeps the bytes that came first, as Wireshark does.";
  }

  void overflow(const Key& k, std::int64_t ts, std::uint64_t frame, std::string_view what) {
    ++st.overflow;
    bool fresh;
    Finding& f = finding("ip_reassembly_overflow", Key{}, ts, frame, fresh);
    (void)k;
    f.severity = Severity::info;
    f.client = f.server = IpAddr{};
    f.summary = fmt::format("{} fragment{} not reassembled: ctana's reassembly limits reached ({})", f.count,
                            f.count == 1 ? "" : "s", what);
    if (fresh)
      f.explanation = fmt::format(
          "ctana reassembles at most {} datagrams at a time and holds at most {} MiB of fragments; fragments "
          "beyond that are counted as fragments but their datagrams are not analysed. Many open chains at once "
          "is itself unusual (a fragment flood).",
          opt.max_chains, opt.max_bytes >> 20);
  }

  void finish(std::int64_t last_ns) {
    std::vector<std::pair<Key, const Chain*>> open;
    for (const auto& [k, c] : chains) open.emplace_back(k, &c);
    std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) {
      return std::tie(a.second->first_ns, a.second->first_frame) < std::tie(b.second->first_ns, b.second->first_frame);
    });
    for (const auto& [k, c] : open) incomplete(k, *c, last_ns - c->first_ns > timeout(c->v6));
    chains.clear();
    held = 0;
  }
};

IpReassembler::IpReassembler(IpReassemblyOptions opt) : impl_(std::make_unique<Impl>()) {
  impl_->opt = opt;
  impl_->st.enabled = opt.enabled;
}
IpReassembler::~IpReassembler() = default;
Bytes IpReassembler::add(Packet& p) { return impl_->add(p); }
std::uint32_t IpReassembler::last_fragments() const { return impl_->last_fragments; }
void IpReassembler::finish(std::int64_t last_ns) { impl_->finish(last_ns); }
const IpReassemblyStats& IpReassembler::stats() const { return impl_->st; }

std::vector<Finding> IpReassembler::take_findings() {
  std::vector<Finding> v;
  for (auto& [k, f] : impl_->findings) v.push_back(std::move(f));
  impl_->findings.clear();
  std::stable_sort(v.begin(), v.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.ts_ns, a.first_frame) < std::tie(b.ts_ns, b.first_frame);
  });
  return v;
}

}  // namespace ctana
