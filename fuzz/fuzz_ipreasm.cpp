// libFuzzer target: IP fragments through the reassembler (ctana/ip_reassembly.hpp) with small
// limits, and every datagram it completes through the decoders and the TCP, DNS and ICMP
// analyzers. The first byte picks raw IPv4/IPv6 (or either by version nibble) and a snap length;
// the rest is a sequence of packets, each a 2-byte big-endian length and that many bytes.
#include <vector>

#include "ctana/ip_reassembly.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctana;
  if (size < 1) return 0;
  static const std::uint16_t kLinks[] = {linktype::ipv4, linktype::ipv6, linktype::raw};
  const std::uint16_t link = kLinks[(data[0] & 3) % 3];
  const bool snapped = data[0] & 4;
  IpReassemblyOptions o;
  o.max_chains = 4;
  o.max_bytes = 8192;
  o.max_datagram = (data[0] & 8) ? 65535 : 3000;
  o.max_findings = 3;
  IpReassembler reasm(o);
  SummaryReport rep;
  TcpAnalyzer tcp{TcpOptions{}};
  DnsAnalyzer dns{DnsOptions{}, rep.dns, nullptr};
  IcmpAnalyzer icmp{rep.icmp, nullptr};
  fuzz::AnySink sink;
  tcp.add_stream_sink(&sink);
  tcp.add_stream_sink(&dns);
  Packet p, q;
  std::size_t pos = 1;
  std::uint64_t index = 0, datagrams = 0;
  while (pos + 2 <= size && index < 64) {
    const std::size_t len = std::min<std::size_t>((std::size_t{data[pos]} << 8) | data[pos + 1], size - pos - 2);
    Record r;
    r.data = Bytes(data + pos + 2, len);
    r.orig_len = static_cast<std::uint32_t>(len + (snapped ? 40 : 0));
    r.link = link;
    r.index = ++index;
    r.ts_ns = static_cast<std::int64_t>(index) * 3'000'000'000;  // 3 s apart: timeouts after ~10 packets
    pos += 2 + len;
    decode(r, p);
    fuzz::check_decoded(r, p);
    const Bytes dgram = p.fragment ? reasm.add(p) : Bytes{};
    if (dgram.empty()) continue;
    fuzz::require(dgram.size() <= o.max_datagram + 40u, "datagram beyond every limit");
    Record d = r;
    d.data = dgram;
    d.orig_len = static_cast<std::uint32_t>(dgram.size());
    d.link = p.l3 == L3::ipv6 ? linktype::ipv6 : linktype::ipv4;
    decode(d, q);
    fuzz::check_decoded(d, q);
    fuzz::require(!q.fragment || q.l3 == L3::ipv6, "a reassembled IPv4 datagram still a fragment");
    q.reassembled = true;
    ++datagrams;
    tcp.on_packet(q);
    dns.on_packet(q);
    icmp.on_packet(q);
  }
  reasm.finish(static_cast<std::int64_t>(index + 100) * 3'000'000'000);
  const auto& st = reasm.stats();
  fuzz::require(st.datagrams == datagrams, "datagrams counted differ from those returned");
  fuzz::require(st.fragments <= index, "more fragments than packets");
  (void)reasm.take_findings();
  tcp.finish();
  dns.finish();
  icmp.finish();
  return 0;
}
