// libFuzzer target: packets of a chosen link type through the decoder chain, the summary, TCP
// and ICMP analyzers, and the record listings (fuzz_util.hpp PacketRun). The first byte picks
// the link type, the second whether the capture was snapped; the rest is cut into up to 8
// packets at 0xFF bytes, so the TCP analyzer sees a conversation.
#include <vector>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::uint16_t kLinks[] = {ctana::linktype::ethernet, ctana::linktype::raw, ctana::linktype::ipv4,
                                         ctana::linktype::ipv6,     ctana::linktype::linux_sll, ctana::linktype::linux_sll2,
                                         ctana::linktype::null,     ctana::linktype::loop};
  if (size < 2) return 0;
  const std::uint16_t link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
  const bool snapped = data[1] & 1;
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
  ctana::fuzz::PacketRun run;
  for (const auto& r : recs) run.add(r);
  run.finish();
  return 0;
}
