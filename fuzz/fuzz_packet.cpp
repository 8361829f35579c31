// libFuzzer target: one packet of a chosen link type through the decoder chain and the
// analyzers. The first byte picks the link type; a few packets are built from the input so the
// TCP analyzer sees a conversation.
#include <cstdint>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/summary.hpp"
#include "ctana/tcp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::uint16_t kLinks[] = {ctana::linktype::ethernet, ctana::linktype::raw, ctana::linktype::ipv4,
                                         ctana::linktype::ipv6,     ctana::linktype::linux_sll, ctana::linktype::linux_sll2,
                                         ctana::linktype::null,     ctana::linktype::loop};
  if (size < 2) return 0;
  const std::uint16_t link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
  const bool snapped = data[1] & 1;
  ctana::SummaryReport rep;
  ctana::SummaryAnalyzer summary(rep, ctana::SummaryOptions{});
  ctana::TcpAnalyzer tcp{ctana::TcpOptions{}};
  // Split the rest into up to 8 packets at the positions of 0xFF bytes.
  std::vector<ctana::Record> recs;
  std::size_t start = 2;
  for (std::size_t i = 2; i <= size && recs.size() < 8; ++i) {
    if (i == size || data[i] == 0xFF) {
      ctana::Record r;
      r.data = ctana::Bytes(data + start, i - start);
      r.orig_len = static_cast<std::uint32_t>(r.data.size() + (snapped ? 100 : 0));
      r.link = link;
      r.ts_ns = static_cast<std::int64_t>(recs.size()) * 1'000'000;
      r.index = recs.size() + 1;
      recs.push_back(r);
      start = i + 1;
    }
  }
  ctana::Packet p;
  for (const auto& r : recs) {
    ctana::decode(r, p);
    summary.on_packet(p);
    tcp.on_packet(p);
  }
  summary.finish();
  tcp.finish();
  return 0;
}
