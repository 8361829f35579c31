// libFuzzer targets fuzz_ipv4, fuzz_ipv6, fuzz_icmp, fuzz_udp, fuzz_tcp and fuzz_tunnel (this file built once
// per target, CTANA_FUZZ_LAYER naming it): one protocol decoder at a time, with every layer
// below it built correctly around the fuzzer's bytes, so that the mutations land in the layer
// under test. The input is a sequence of chunks (fuzz_util.hpp), one packet each:
//   ipv4, ipv6: the chunk is the IP packet (its version nibble forced); flags bit 0: snapped;
//   icmp, udp, tcp: the chunk is the ICMP message / UDP datagram / TCP segment (header,
//     options, payload) inside a correct IP header; the first input byte's bit 0 chooses IPv6;
//     chunk flags bit 0: server to client, bit 1: snapped.
//   tunnel: the chunk is what a tunnel header names, behind a correct outer IPv4/IPv6 header (the
//     first input byte's bit 0 chooses IPv6); chunk flags bit 0: direction, bit 1: snapped, bits
//     2-4 the tunnel: GRE (protocol 47; the chunk starts with the GRE header), IP-in-IP 4 and 41
//     (the inner IP packet), VXLAN, Geneve, Teredo (the UDP payload, ports 4789, 6081, 3544).
// Each packet is decoded, listed (SUMMARY line and FORMAT block) and given to the summary, TCP
// (with payload reassembly into a stream sink) and ICMP analyzers. The application analyzers on
// top have targets of their own; fuzz_trace runs everything together.
#include <vector>

#include "fuzz_util.hpp"

namespace {
enum class Target { ipv4, ipv6, icmp, udp, tcp, tunnel };
constexpr Target kTarget = Target::CTANA_FUZZ_LAYER;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ctana::fuzz::Cursor;
  Cursor in(data, size);
  const bool ip_layer = kTarget == Target::ipv4 || kTarget == Target::ipv6;
  const bool v6 = kTarget == Target::ipv6 || (!ip_layer && (in.u8() & 1));
  const std::uint8_t proto = kTarget == Target::tcp ? 6 : kTarget == Target::udp ? 17 : v6 ? 58 : 1;
  struct Pkt {
    std::vector<std::uint8_t> bytes;
    bool snapped = false;
  };
  std::vector<Pkt> pkts;
  Cursor::Chunk ch;
  while (pkts.size() < 64 && in.chunk(ch)) {
    Pkt p;
    if (ip_layer) {
      p.bytes.assign(ch.data.begin(), ch.data.end());
      if (!p.bytes.empty()) p.bytes[0] = static_cast<std::uint8_t>((v6 ? 0x60 : 0x40) | (p.bytes[0] & 0x0F));
      p.snapped = ch.flags & 1;
    } else if (kTarget == Target::tunnel) {
      static constexpr std::uint8_t kIpProto[] = {47, 4, 41};
      static constexpr std::uint16_t kUdpPort[] = {4789, 6081, 3544};
      const unsigned kind = (ch.flags >> 2) % 6;
      if (kind < 3) ctana::fuzz::ip_packet(p.bytes, v6, ch.flags & 1, kIpProto[kind], ch.data);
      else ctana::fuzz::udp_packet(p.bytes, v6, ch.flags & 1, 40000, kUdpPort[kind - 3], ch.data);
      p.snapped = ch.flags & 2;
    } else {
      ctana::fuzz::ip_packet(p.bytes, v6, ch.flags & 1, proto, ch.data);
      p.snapped = ch.flags & 2;
    }
    pkts.push_back(std::move(p));
  }
  ctana::fuzz::PacketRun run;
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    ctana::Record r = ctana::fuzz::ip_record(pkts[i].bytes, i + 1, static_cast<std::int64_t>(i) * 1'000'000);
    r.link = v6 ? ctana::linktype::ipv6 : ctana::linktype::ipv4;
    if (pkts[i].snapped) r.orig_len += 100;
    run.add(r);
  }
  run.finish();
  return 0;
}
