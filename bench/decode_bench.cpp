// Micro-benchmarks of the hot path: decoding one packet, reading records, the summary analyzer.
// Built with -DCTANA_BENCH=ON; not part of the test run. Run: build/ctana_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/reader.hpp"
#include "ctana/summary.hpp"

using namespace ctana;

namespace {
// Ethernet + VLAN + IPv4 + TCP with MSS/WS/SACK-permitted/timestamps + 1000 bytes of payload.
std::vector<std::uint8_t> tcp_frame() {
  std::vector<std::uint8_t> f = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00,
                                 0x45, 0x00, 0x04, 0x1c, 0xad, 0x04, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                                 10, 0, 0, 1, 10, 0, 0, 2,
                                 0xc0, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 1, 0xa0, 0x18, 0x72, 0x10, 0, 0, 0, 0,
                                 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0, 1, 0xe2, 0x40, 0, 0, 0, 0,
                                 0x01, 0x03, 0x03, 0x07};
  f.resize(f.size() + 1000, 0x41);
  return f;
}
}  // namespace

static void BM_DecodeTcpFrame(benchmark::State& state) {
  const auto f = tcp_frame();
  Record r;
  r.data = Bytes(f.data(), f.size());
  r.orig_len = static_cast<std::uint32_t>(f.size());
  r.link = linktype::ethernet;
  Packet p;
  for (auto _ : state) {
    decode(r, p);
    benchmark::DoNotOptimize(p.tcp.seq);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f.size()));
}
BENCHMARK(BM_DecodeTcpFrame);

static void BM_SummaryOnPacket(benchmark::State& state) {
  const auto f = tcp_frame();
  Record r;
  r.data = Bytes(f.data(), f.size());
  r.orig_len = static_cast<std::uint32_t>(f.size());
  r.link = linktype::ethernet;
  Packet p;
  decode(r, p);
  SummaryReport rep;
  SummaryAnalyzer a(rep, SummaryOptions{});
  for (auto _ : state) a.on_packet(p);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SummaryOnPacket);

// Reading records from a file given in CTANA_BENCH_FILE (e.g. a pcap made by
// tools/bench/scale-pcap.py); skipped when unset.
static void BM_ReadFile(benchmark::State& state) {
  const char* path = std::getenv("CTANA_BENCH_FILE");
  if (!path) {
    state.SkipWithError("set CTANA_BENCH_FILE to a pcap/pcapng file");
    return;
  }
  std::uint64_t bytes = 0, records = 0;
  for (auto _ : state) {
    OpenError err;
    auto rd = open_trace(path, err);
    if (!rd) {
      state.SkipWithError(err.message.c_str());
      return;
    }
    Record r;
    while (rd->next(r)) {
      ++records;
      benchmark::DoNotOptimize(r.data.data());
    }
    bytes += rd->stats().bytes_read;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}
BENCHMARK(BM_ReadFile)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
