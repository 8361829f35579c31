// Checksum findings: which hosts send packets with bad checksums, and whether that is checksum
// offload seen by a capture on the sender (include/ctana/checksum.hpp). State only for sources of
// bad packets (at most kMaxSources).
#include "ctana/checksum.hpp"

#include <fmt/format.h>

#include <map>
#include <string>

#include "ctana/bytes.hpp"
#include "ctana/decode.hpp"

namespace ctana {

namespace {
constexpr std::size_t kMaxSources = 10'000;

struct Source {
  std::uint64_t bad = 0, ip = 0, tcp = 0, udp = 0;
  std::uint64_t offload_like = 0;  // the field is 0 or the pseudo-header sum (a partial checksum)
  std::uint32_t first_field = 0x10000;  // the first bad packet's field; 0x10000: none yet
  bool constant = true;                 // every bad field equal to the first
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t first_frame = 0, last_frame = 0;
};

std::uint32_t add16(std::uint32_t sum, const IpAddr& a) {
  const std::size_t n = a.version == 6 ? 16 : 4;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(a.b[i] << 8 | a.b[i + 1]);
  return sum;
}

// The folded one's-complement sum of the pseudo header, as a sender that leaves the rest to the
// adapter puts it in the checksum field (Linux CHECKSUM_PARTIAL).
std::uint16_t pseudo_sum(const Packet& p, std::uint32_t l4_len) {
  std::uint32_t s = add16(add16(0, p.src), p.l3 == L3::ipv6 && p.final_dst.version ? p.final_dst : p.dst);
  s += p.ip_proto;
  s += l4_len & 0xFFFF;
  s += l4_len >> 16;
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}
}  // namespace

struct ChecksumAnalyzer::Impl {
  FindingSink emit;
  std::map<IpAddr, Source> sources;
  std::uint64_t untracked = 0;
  std::int64_t untracked_first_ns = 0;
};

ChecksumAnalyzer::ChecksumAnalyzer(FindingSink findings) : impl_(std::make_unique<Impl>()) {
  impl_->emit = std::move(findings);
}
ChecksumAnalyzer::~ChecksumAnalyzer() = default;

void ChecksumAnalyzer::on_packet(const Packet& p) {
  const bool ip_bad = p.ip_checksum == Csum::bad;
  const bool tcp_bad = p.l4 == L4::tcp && p.tcp.checksum == Csum::bad;
  const bool udp_bad = p.l4 == L4::udp && p.udp.checksum == Csum::bad;
  if (!ip_bad && !tcp_bad && !udp_bad) return;
  auto& im = *impl_;
  auto it = im.sources.find(p.src);
  if (it == im.sources.end()) {
    if (im.sources.size() >= kMaxSources) {
      if (!im.untracked++) im.untracked_first_ns = p.rec->ts_ns;
      return;
    }
    it = im.sources.emplace(p.src, Source{}).first;
  }
  Source& s = it->second;
  const std::int64_t ts = p.rec->ts_ns;
  if (!s.bad++) {
    s.first_ns = ts;
    s.first_frame = p.frame();
  }
  s.last_ns = ts;
  s.last_frame = p.frame();
  s.ip += ip_bad;
  s.tcp += tcp_bad;
  s.udp += udp_bad;
  // The field of the transport checksum (or of the IPv4 header's when only that is bad).
  std::uint32_t field = 0x10000;
  bool offload = false;
  if (tcp_bad || udp_bad) {
    const std::size_t at = tcp_bad ? 16 : 6;
    if (const auto h = fixed<2>(p.rec->data, p.l4_offset + at)) {
      field = h.be16<0>();
      const std::uint32_t l4_len = p.ip_len > p.l4_offset - p.l3_offset ? p.ip_len - (p.l4_offset - p.l3_offset) : 0;
      offload = field == 0 || (p.l3 == L3::ipv4 && l4_len && field == pseudo_sum(p, l4_len)) ||
                (p.l3 == L3::ipv6 && field == pseudo_sum(p, p.ip_len));
    }
  } else if (const auto h = fixed<12>(p.rec->data, p.l3_offset)) {
    field = h.be16<10>();
    offload = field == 0;
  }
  s.offload_like += offload;
  if (s.first_field == 0x10000) s.first_field = field;
  else if (field != s.first_field) s.constant = false;
}

void ChecksumAnalyzer::finish() {
  auto& im = *impl_;
  if (!im.emit) return;
  const bool one_sender = im.sources.size() == 1 && !im.untracked;
  for (const auto& [addr, s] : im.sources) {
    std::string which;
    const std::pair<std::uint64_t, const char*> kinds[] = {{s.ip, "IPv4 header"}, {s.tcp, "TCP"}, {s.udp, "UDP"}};
    for (const auto& [n, name] : kinds)
      if (n) which += fmt::format("{}{} {}", which.empty() ? "" : ", ", n, name);
    const bool offload = one_sender && (s.offload_like == s.bad || (s.constant && s.bad >= 2));
    Finding f = offload
                    ? Finding{Severity::info, "traffic", "checksum_offload", s.first_ns, 0,
                              fmt::format("{} packet{} from {} carry checksums the adapter fills in later ({}): "
                                          "checksum offload, the capture runs on that host",
                                          s.bad, s.bad == 1 ? "" : "s", addr.str(), which),
                              "Only the packets this host sends have bad checksums, and their checksum fields hold "
                              "zero, a constant or the pseudo-header sum: the host hands the checksum to its "
                              "network adapter, which computes it after the capture point. The packets on the wire "
                              "are fine; nothing to fix."}
                    : Finding{Severity::error, "traffic", "checksum_errors", s.first_ns, 0,
                              fmt::format("{} packet{} from {} with bad checksums ({})", s.bad, s.bad == 1 ? "" : "s",
                                          addr.str(), which),
                              "The receiver drops these packets and the sender has to retransmit them: a damaged "
                              "cable or port, a faulty adapter or driver, or a device on the path that rewrites "
                              "packets without fixing their checksums. Where the capture runs on a sending host "
                              "with checksum offload, its own packets look like this too."};
    f.client = addr;
    f.count = s.bad;
    f.last_ns = s.last_ns;
    f.first_frame = s.first_frame;
    f.last_frame = s.last_frame;
    im.emit(f);
  }
  if (im.untracked) {
    Finding f{Severity::error, "traffic", "checksum_errors", im.untracked_first_ns, 0,
              fmt::format("{} more packets with bad checksums from further sources (the first {} sources are "
                          "followed one by one)",
                          im.untracked, kMaxSources),
              "See the checksum_errors findings of the other sources."};
    f.count = im.untracked;
    im.emit(f);
  }
}

}  // namespace ctana
