// ICMP / ICMPv6 analysis (docs/icmp.md).
#include "ctana/icmp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>

#include "ctana/decode.hpp"

namespace ctana {

namespace {
constexpr std::size_t kMaxPendingEcho = 100'000, kMaxErrors = 10'000, kMaxSamples = 1'000'000;

bool is_error(bool v6, std::uint8_t t) { return v6 ? (t >= 1 && t <= 4) || t == 137 : t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }

std::string quoted(const QuotedPacket& q) {
  const std::string proto = q.proto == 6 ? "TCP" : q.proto == 17 ? "UDP" : q.proto == 1 ? "ICMP" : q.proto == 58 ? "ICMPv6"
                                                                                          : fmt::format("IP proto {}", q.proto);
  auto ep = [](const IpAddr& a, std::uint16_t p, bool ports) {
    if (!ports) return a.str();
    return a.version == 6 ? fmt::format("[{}]:{}", a.str(), p) : fmt::format("{}:{}", a.str(), p);
  };
  return fmt::format("{} {} -> {}", proto, ep(q.src, q.sport, q.has_ports), ep(q.dst, q.dport, q.has_ports));
}
}  // namespace

struct IcmpAnalyzer::Impl {
  IcmpReport& out;
  FindingSink emit;
  std::map<std::tuple<bool, std::uint8_t, std::uint8_t>, std::uint64_t> types;
  // echo: (v6, requester, target, id, seq) -> time
  std::map<std::tuple<bool, IpAddr, IpAddr, std::uint16_t, std::uint16_t>, std::int64_t> echo;
  std::map<std::tuple<bool, std::uint8_t, std::uint8_t, IpAddr, std::string>, IcmpErrorRow> errors;
  std::vector<std::int64_t> rtts;
  ConnectionLookup lookup;
  Impl(IcmpReport& r, FindingSink f) : out(r), emit(std::move(f)) {}
};

IcmpAnalyzer::IcmpAnalyzer(IcmpReport& out, FindingSink findings)
    : impl_(std::make_unique<Impl>(out, std::move(findings))) {
  out.present = true;
}
IcmpAnalyzer::~IcmpAnalyzer() = default;

void IcmpAnalyzer::set_connection_lookup(
    ConnectionLookup f) {
  impl_->lookup = std::move(f);
}

void IcmpAnalyzer::on_packet(const Packet& p) {
  if ((p.l4 != L4::icmp && p.l4 != L4::icmpv6) || p.malformed() || p.rec->data.size() < p.l4_offset + 4) return;
  if (p.reassembling) return;  // analysed as the reassembled datagram (docs/decoding.md "IP reassembly")
  auto& im = *impl_;
  const bool v6 = p.l4 == L4::icmpv6;
  const IcmpInfo& ic = p.icmp;
  ++im.out.messages;
  ++im.types[{v6, ic.type, ic.code}];
  const std::int64_t ts = p.rec->ts_ns;
  const bool request = v6 ? ic.type == 128 : ic.type == 8;
  const bool reply = v6 ? ic.type == 129 : ic.type == 0;
  if (request) {
    ++im.out.echo_requests;
    if (im.echo.size() < kMaxPendingEcho) im.echo[{v6, p.src, p.dst, ic.id, ic.seq}] = ts;
    else ++im.out.echo_untracked;
  } else if (reply) {
    ++im.out.echo_replies;
    auto it = im.echo.find({v6, p.dst, p.src, ic.id, ic.seq});
    if (it != im.echo.end()) {
      ++im.out.echo_answered;
      if (im.rtts.size() < kMaxSamples) im.rtts.push_back(ts - it->second);
      im.echo.erase(it);
    }
  } else if (is_error(v6, ic.type)) {
    const std::string about = ic.has_quote ? quoted(ic.quote) : std::string("(no quoted packet)");
    const auto key = std::make_tuple(v6, ic.type, ic.code, p.src, about);
    auto it = im.errors.find(key);
    if (it == im.errors.end()) {
      if (im.errors.size() >= kMaxErrors) return;
      IcmpErrorRow row;
      row.v6 = v6;
      row.type = ic.type;
      row.code = ic.code;
      const auto code = v6 ? icmpv6_code_name(ic.type, ic.code) : icmp_code_name(ic.type, ic.code);
      const auto type = v6 ? icmpv6_type_name(ic.type) : icmp_type_name(ic.type);
      row.what = code.empty() ? std::string(type) : std::string(code);
      row.reporter = p.src;
      row.about = about;
      // next-hop MTU: ICMP 3/4 bytes 6-7 (RFC 1191), ICMPv6 2 bytes 4-7
      if (const auto h = fixed<8>(p.rec->data, p.l4_offset)) {
        if (!v6 && ic.type == 3 && ic.code == 4) row.mtu = h.be16<6>();
        if (v6 && ic.type == 2) row.mtu = h.be32<4>();
      }
      row.first_ns = ts;
      row.first_frame = p.frame();
      const QuotedPacket& q = ic.quote;
      if (ic.has_quote && q.proto == 6 && q.has_ports && im.lookup) row.connection = im.lookup(q.src, q.sport, q.dst, q.dport);
      row.traceroute = ic.has_quote && q.proto == 17 && q.has_ports && q.dport >= 33434 && q.dport <= 33534;
      it = im.errors.emplace(key, row).first;
    }
    ++it->second.count;
    it->second.last_ns = ts;
    it->second.last_frame = p.frame();
  }
}

void IcmpAnalyzer::finish() {
  auto& im = *impl_;
  for (const auto& [k, n] : im.types) {
    const auto [v6, type, code] = k;
    const auto tn = v6 ? icmpv6_type_name(type) : icmp_type_name(type);
    const auto cn = v6 ? icmpv6_code_name(type, code) : icmp_code_name(type, code);
    im.out.types.push_back(IcmpTypeRow{v6, type, code,
                                       fmt::format("{}{}{}", tn.empty() ? fmt::format("type {}", type) : std::string(tn),
                                                   cn.empty() ? "" : ": ", cn),
                                       n});
  }
  std::stable_sort(im.out.types.begin(), im.out.types.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
  im.out.echo_unanswered = im.echo.size();
  if (!im.rtts.empty()) {
    std::sort(im.rtts.begin(), im.rtts.end());
    im.out.echo_rtt_median_ns = im.rtts[im.rtts.size() / 2];
    im.out.echo_rtt_max_ns = im.rtts.back();
  }
  for (const auto& [k, row] : im.errors) im.out.errors.push_back(row);
  std::stable_sort(im.out.errors.begin(), im.out.errors.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
  if (im.out.errors.size() > 100) im.out.errors.resize(100);
  if (!im.emit) return;
  for (const auto& e : im.out.errors) {
    const bool frag = (!e.v6 && e.type == 3 && e.code == 4) || (e.v6 && e.type == 2);
    const bool unreach = (!e.v6 && e.type == 3) || (e.v6 && e.type == 1);
    const bool ttl = (!e.v6 && e.type == 11) || (e.v6 && e.type == 3);
    std::string expl;
    Severity sev = Severity::warning;
    if (frag) {
      expl = fmt::format("A router could not forward a packet this large with Don't Fragment set{}: the path MTU is "
                         "smaller than the sender thinks. If these messages are filtered, large transfers hang "
                         "(a 'PMTU black hole'); check MTU settings and firewalls.",
                         e.mtu ? fmt::format(" (next-hop MTU {})", e.mtu) : "");
    } else if (unreach && ((!e.v6 && e.code == 3) || (e.v6 && e.code == 4)) && e.traceroute) {
      expl = "The end of a traceroute: its probes go to UDP ports from 33434 up, where nothing listens, and the "
             "destination's port unreachable tells traceroute it has arrived.";
      sev = Severity::info;
    } else if (unreach && ((!e.v6 && e.code == 3) || (e.v6 && e.code == 4))) {
      expl = "The destination host has no program listening on that UDP port (or its firewall answers for it).";
    } else if (unreach) {
      expl = "A router or the destination could not deliver the packet: no route, the host is down, or an "
             "administrative filter.";
      sev = Severity::error;
    } else if (ttl) {
      expl = "The packet's hop limit ran out on the way: a routing loop, or traceroute at work.";
      sev = Severity::info;
    } else {
      expl = "See RFC 792 / RFC 4443 for this message.";
      sev = Severity::info;
    }
    Finding f{sev, "traffic", "icmp_error", e.first_ns, e.connection,
              fmt::format("{} {} from {} about {}{} ({} time{})", e.v6 ? "ICMPv6" : "ICMP", e.what, e.reporter.str(),
                          e.about, e.connection ? fmt::format(" (connection {})", e.connection) : "", e.count,
                          e.count == 1 ? "" : "s"),
              expl};
    f.first_frame = e.first_frame;
    f.last_frame = e.last_frame;
    f.server = e.reporter;  // who reported it: the router or host to look at
    f.count = e.count;
    f.last_ns = e.last_ns;
    f.cause = e.what;
    f.subject = e.about;
    im.emit(f);
  }
  if (im.out.echo_unanswered) {
    std::int64_t first = INT64_MAX;  // the first request that got no reply
    for (const auto& [key, ts] : im.echo) first = std::min(first, ts);
    Finding f{Severity::info, "traffic", "ping_unanswered", first, 0,
              fmt::format("{} echo request{} (ping) got no reply", im.out.echo_unanswered,
                          im.out.echo_unanswered == 1 ? "" : "s"),
              "The target is down, unreachable, or does not answer pings (a firewall)."};
    f.count = im.out.echo_unanswered;
    im.emit(f);
  }
}

}  // namespace ctana
