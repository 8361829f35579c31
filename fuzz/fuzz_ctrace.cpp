// libFuzzer target: the CTRACE reader (framing, resynchronisation, header calibration, and the
// decoding of each entry kind: packet 4, data 5, EE 6, OSAENTA 7, SMC 8, IDS probes, lost
// markers). The first byte chooses how the input becomes a file, so that the fuzzer gets past
// the framing to the records:
//   0 (mod 3): the rest is the file itself (the seeds: testdata/ctrace);
//   1: entries built around the fuzzer's bytes: each chunk becomes one component trace entry
//      with a valid length, offset, format id, TOD and trailer, its body the chunk; the next
//      byte picks raw, RDW or BDW framing; chunk flags add zero fill, garbage, a bad trailer;
//   2: packets written by ctana's CTRACE writer (H1 layout, so calibration succeeds), with the
//      writer's options from the next two bytes, then damaged at fuzzer-chosen bytes.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ctana/ctrace.hpp"
#include "fuzz_util.hpp"

namespace {

using ctana::Bytes;
using ctana::fuzz::Cursor;

constexpr std::uint32_t kFormats[] = {4, 5, 6, 7, 8, 1, 3, 0x01000001, 0x02000003, 0x03030000, 0x0300FFF1,
                                      0x04010006, 0x04130002, 0xFF000001};
constexpr std::uint64_t kTod2020 = 0xD7C1E6A000000000ull;

void put16(std::vector<std::uint8_t>& v, std::size_t at, std::size_t x) {
  v[at] = static_cast<std::uint8_t>(x >> 8);
  v[at + 1] = static_cast<std::uint8_t>(x);
}

void entries(Cursor& in, std::vector<std::uint8_t>& file) {
  const std::uint8_t framing = in.u8() % 3;  // raw, rdw, bdw
  std::vector<std::uint8_t> rec;
  Cursor::Chunk ch;
  std::uint64_t tod = kTod2020;
  std::size_t block_at = 0, in_block = 0;
  while (in.chunk(ch)) {
    const std::uint32_t fmt = kFormats[(ch.flags & 0x1F) % (sizeof kFormats / sizeof kFormats[0])];
    std::vector<std::uint8_t> body(ch.data.begin(), ch.data.end());
    const bool pth = ((fmt >> 24) == 0 && fmt >= 4) || ctana::ctrace::is_ids_probe(fmt);
    if (pth) {  // a packet trace header length the reader accepts: 48..1024 and within the body
      if (body.size() < 50) body.resize(50, 0);
      const std::size_t lim = std::min<std::size_t>(1024, body.size() - 2);
      put16(body, 0, 48 + ctana::load_be16(body.data()) % (lim - 48 + 1));
    }
    if (body.size() > 65535 - 18) body.resize(65535 - 18);
    const std::size_t L = 18 + body.size();
    rec.assign(16, 0);
    put16(rec, 0, L);
    put16(rec, 2, 16);
    for (int i = 0; i < 4; ++i) rec[4 + i] = static_cast<std::uint8_t>(fmt >> (24 - 8 * i));
    tod += (std::uint64_t{ch.flags} << 16) + 4096;
    for (int i = 0; i < 8; ++i) rec[8 + i] = static_cast<std::uint8_t>(tod >> (56 - 8 * i));
    rec.insert(rec.end(), body.begin(), body.end());
    rec.push_back(0);
    rec.push_back(0);
    put16(rec, L - 2, (ch.flags & 0x80) ? L ^ 0x0101 : L);
    if (ch.flags & 0x20) rec.insert(rec.end(), 64, 0);      // zero fill: a buffer ends here
    if (ch.flags & 0x40) rec.insert(rec.end(), {0xDE, 0xAD, 0x01});  // garbage between entries
    if (framing == 0) {
      file.insert(file.end(), rec.begin(), rec.end());
      continue;
    }
    if (rec.size() > 32000) rec.resize(32000);
    if (framing == 2 && in_block == 0) {
      block_at = file.size();
      file.insert(file.end(), {0, 0, 0, 0});
    }
    const std::size_t at = file.size();
    file.insert(file.end(), {0, 0, 0, 0});
    put16(file, at, rec.size() + 4);
    file.insert(file.end(), rec.begin(), rec.end());
    if (framing == 2) {
      put16(file, block_at, std::min<std::size_t>(file.size() - block_at, 0xFFFF));
      in_block = (in_block + 1) % 4;
    }
  }
}

void written(Cursor& in, std::vector<std::uint8_t>& file) {
  using ctana::ctrace::WriterOptions;
  const std::uint8_t a = in.u8(), b = in.u8(), damage = in.u8() % 16;
  WriterOptions o;
  o.framing = static_cast<WriterOptions::Framing>(a & 3);
  o.buffer_size = 512u << ((a >> 2) & 3);
  o.zero_fill = !(a & 0x10);
  o.writer_header = (a & 0x20) ? 32 : 0;
  o.lrecl = 128u << ((a >> 6) & 3);
  o.block_size = 4096;
  if (b & 1) o.max_cte_data = 64 + 32 * ((b >> 1) & 7);  // segmented records
  if (b & 0x10) o.abbrev = 80;
  if (b & 0x20) o.osa_prefix = 8;
  struct Hit {
    std::uint16_t at;
    std::uint8_t x;
  };
  std::vector<Hit> hits;
  for (int i = 0; i < damage; ++i) hits.push_back({in.u16(), in.u8()});
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  if (!mem) return;
  {
    ctana::ctrace::Writer w(mem, o);
    Cursor::Chunk ch;
    std::int64_t ts = 1'600'000'000'000'000'000;
    static const std::uint32_t kKinds[] = {4, 4, 4, 5, 7, 8, 6, 0x03030000, 0x04010006};
    while (in.chunk(ch)) {
      ctana::ctrace::WritePacket p;
      p.data = ch.data;
      p.format_id = kKinds[(ch.flags & 0x0F) % (sizeof kKinds / sizeof kKinds[0])];
      p.dir = (ch.flags & 0x10) ? ctana::Direction::out : ctana::Direction::in;
      p.discard_code = (ch.flags & 0x20) ? 4114 : 0;
      p.local = ch.flags & 0x40;
      p.name = (ch.flags & 0x80) ? "OSAQDIO2" : "ETH1";
      p.module = "EZBIPICM";
      p.job = "TCPCS";
      p.policy = "ScanEvent-rule";
      p.ts_ns = ts += 1'000'000;
      w.write(p);
    }
    w.finish();
  }
  std::fclose(mem);
  file.assign(buf, buf + len);
  std::free(buf);
  for (const Hit& h : hits)
    if (!file.empty()) file[h.at % file.size()] ^= h.x ? h.x : 0xFF;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Cursor in(data, size);
  std::vector<std::uint8_t> file;
  switch (in.u8() % 3) {
    case 0: {
      const Bytes b = in.rest();
      file.assign(b.begin(), b.end());
      break;
    }
    case 1: entries(in, file); break;
    default: written(in, file); break;
  }
  ctana::fuzz::MemFile f{Bytes(file)};
  if (!f.ok()) return 0;
  (void)ctana::fuzz::read_all(f.path(), file.size(), true);
  return 0;
}
