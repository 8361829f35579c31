// Micro-benchmarks of the hot paths: decoding one packet, reading records (pcap, pcapng, CTRACE),
// the summary and TCP analyzers, stream reassembly, DNS and TLS parsing, the whole pipeline on one
// thread and on two. Built with -DCTANA_BENCH=ON; not part of the test run. Run: build/ctana_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "analyze/tcp_reassembly.hpp"
#include "ctana/decode.hpp"
#include "ctana/dns.hpp"
#include "ctana/reader.hpp"
#include "ctana/summary.hpp"
#include "ctana/tcp.hpp"
#include "ctana/tls.hpp"

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

// TCP session analysis per packet: 4096 connections, each a handshake, 16 data/ACK pairs and a
// close, interleaved round-robin as on a busy server.
static void BM_TcpAnalyzer(benchmark::State& state) {
  const int conns = 4096, rounds = 16;
  std::vector<std::vector<std::uint8_t>> frames;
  auto seg = [&frames](int c, bool fromc, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, std::uint32_t len) {
    std::vector<std::uint8_t> b(40 + len, 0);
    b[0] = 0x45;
    b[2] = static_cast<std::uint8_t>((40 + len) >> 8);
    b[3] = static_cast<std::uint8_t>(40 + len);
    b[8] = 64;
    b[9] = 6;
    const std::uint8_t cl[4] = {10, 1, static_cast<std::uint8_t>(c >> 8), static_cast<std::uint8_t>(c)};
    const std::uint8_t sv[4] = {10, 0, 0, 2};
    std::copy(fromc ? cl : sv, (fromc ? cl : sv) + 4, b.begin() + 12);
    std::copy(fromc ? sv : cl, (fromc ? sv : cl) + 4, b.begin() + 16);
    const std::uint16_t cp = static_cast<std::uint16_t>(40000 + c % 20000), sp = 443;
    b[20] = static_cast<std::uint8_t>((fromc ? cp : sp) >> 8);
    b[21] = static_cast<std::uint8_t>(fromc ? cp : sp);
    b[22] = static_cast<std::uint8_t>((fromc ? sp : cp) >> 8);
    b[23] = static_cast<std::uint8_t>(fromc ? sp : cp);
    for (int i = 0; i < 4; ++i) {
      b[24 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq >> (24 - 8 * i));
      b[28 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ack >> (24 - 8 * i));
    }
    b[32] = 0x50;
    b[33] = flags;
    b[34] = 0x10;
    frames.push_back(std::move(b));
  };
  for (int c = 0; c < conns; ++c) seg(c, true, 100, 0, tcpflag::syn, 0);
  for (int c = 0; c < conns; ++c) seg(c, false, 900, 101, tcpflag::syn | tcpflag::ack, 0);
  for (int c = 0; c < conns; ++c) seg(c, true, 101, 901, tcpflag::ack, 0);
  for (int r = 0; r < rounds; ++r) {
    for (int c = 0; c < conns; ++c)
      seg(c, true, 101 + static_cast<std::uint32_t>(r) * 100, 901, tcpflag::ack | tcpflag::psh, 100);
    for (int c = 0; c < conns; ++c)
      seg(c, false, 901, 201 + static_cast<std::uint32_t>(r) * 100, tcpflag::ack, 0);
  }
  std::vector<Record> recs(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    recs[i].data = Bytes(frames[i].data(), frames[i].size());
    recs[i].orig_len = static_cast<std::uint32_t>(frames[i].size());
    recs[i].link = linktype::raw;
    recs[i].ts_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000;
  }
  std::size_t per_conn = 0;
  for (auto _ : state) {
    TcpAnalyzer tcp{TcpOptions{}};
    Packet p;
    for (const Record& r : recs) {
      decode(r, p);
      tcp.on_packet(p);
    }
    tcp.finish();
    per_conn = tcp.bytes_per_connection();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(recs.size()));
  state.counters["bytes_per_conn"] = static_cast<double>(per_conn);
}
BENCHMARK(BM_TcpAnalyzer)->Unit(benchmark::kMillisecond);

// Reading records from a file given in CTANA_BENCH_FILE (a pcap made by tools/bench/scale-pcap.py,
// or its CTRACE form from `ctana convert --to ctrace`); skipped when unset.
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

// A DNS response: www.example.com A with a CNAME and two addresses, names compressed.
static void BM_DnsParse(benchmark::State& state) {
  const std::vector<std::uint8_t> msg = {
      0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,                                  // header
      3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,  // question
      0xc0, 12, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'w', 'e', 'b', 0xc0, 16,         // CNAME web.example.com
      0xc0, 45, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,                   // A
      0xc0, 45, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 35};                  // A
  dns::Message m;
  for (auto _ : state) {
    const char* err = nullptr;
    if (!dns::parse(Bytes(msg), m, err)) {
      state.SkipWithError(err);
      return;
    }
    benchmark::DoNotOptimize(m.answers.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DnsParse);

// The first ClientHello of a real openssl capture, parsed from its handshake body.
static void BM_TlsClientHello(benchmark::State& state) {
  OpenError err;
  auto rd = open_trace(CTANA_TESTDATA "/real/tls-ports.pcap", err);
  if (!rd) {
    state.SkipWithError(err.message.c_str());
    return;
  }
  std::vector<std::uint8_t> body;
  Record r;
  Packet p;
  while (body.empty() && rd->next(r)) {
    decode(r, p);
    if (p.l4 == L4::tcp && tls::looks_like_client_hello(p.payload) && p.payload.size() > 9)
      body.assign(p.payload.begin() + 9, p.payload.end());
  }
  if (body.empty()) {
    state.SkipWithError("no ClientHello in tls-ports.pcap");
    return;
  }
  for (auto _ : state) {
    tls::ClientHello ch;
    benchmark::DoNotOptimize(tls::parse_client_hello(Bytes(body), ch));
    benchmark::DoNotOptimize(ch.sni.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlsClientHello);

// One direction of a stream, 1000-byte segments; Arg(1): every 8th pair arrives swapped, so
// the reassembler holds and releases out-of-order data.
static void BM_Reassembly(benchmark::State& state) {
  const bool reorder = state.range(0) != 0;
  const std::vector<std::uint8_t> seg(1000, 0x41);
  std::vector<std::uint32_t> order;
  for (std::uint32_t i = 0; i < 4096; ++i) order.push_back(i);
  if (reorder)
    for (std::size_t i = 0; i + 1 < order.size(); i += 8) std::swap(order[i], order[i + 1]);
  std::uint64_t delivered = 0;
  const detail::StreamReassembler::DataFn data = [&delivered](std::uint64_t, Bytes d, std::int64_t) { delivered += d.size(); };
  const detail::StreamReassembler::GapFn gap = [](std::uint64_t, std::uint64_t, std::int64_t) {};
  for (auto _ : state) {
    ReassemblyStats st;
    detail::ReassemblyBudget budget{1u << 20, 64u << 20, st};
    detail::StreamReassembler s;
    s.syn(999);
    for (std::uint32_t i : order) s.segment(1000 + i * 1000, 1000, Bytes(seg), i, budget, data, gap);
    s.flush(0, budget, data, gap);
  }
  benchmark::DoNotOptimize(delivered);
  state.SetBytesProcessed(state.iterations() * 4096 * 1000);
}
BENCHMARK(BM_Reassembly)->Arg(0)->Arg(1);

// The whole summary pipeline (every analyzer) on CTANA_BENCH_FILE, or on a real capture of
// testdata/ when unset; Arg = threads (1: one thread, 2: with the analysis thread).
static void BM_Pipeline(benchmark::State& state) {
  const char* env = std::getenv("CTANA_BENCH_FILE");
  const std::string path = env ? env : CTANA_TESTDATA "/real/tcp-v4-v6.pcap";
  RunOptions opt;
  opt.threads = static_cast<unsigned>(state.range(0));
  std::uint64_t bytes = 0, records = 0;
  for (auto _ : state) {
    const RunResult res = run_summary(path, opt);
    if (!res.error.empty()) {
      state.SkipWithError(res.error.c_str());
      return;
    }
    bytes += res.report.read.bytes_read;
    records += res.report.records.read;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}
BENCHMARK(BM_Pipeline)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
