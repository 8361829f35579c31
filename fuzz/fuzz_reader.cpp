// libFuzzer targets fuzz_pcap and fuzz_pcapng (this file built twice, CTANA_FUZZ_PCAPNG set for
// the second): the reader alone, on files that start like the format so the fuzzer works on the
// records and blocks. An input that does not start with the format's magic number gets a file
// header (pcap) or a section header and interface blocks (pcapng) in front, chosen by its first
// byte; the seeds (tools/fuzz.sh) are the real traces in testdata/.
#include <vector>

#include "fuzz_util.hpp"

namespace {

void put32(std::vector<std::uint8_t>& v, std::uint32_t x, bool big) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(big ? x >> (24 - 8 * i) : x >> (8 * i)));
}
void put16(std::vector<std::uint8_t>& v, std::uint16_t x, bool big) {
  v.push_back(static_cast<std::uint8_t>(big ? x >> 8 : x));
  v.push_back(static_cast<std::uint8_t>(big ? x : x >> 8));
}

#ifndef CTANA_FUZZ_PCAPNG
// pcap: micro/nanosecond/Kuznetzov magic in either byte order, a snap length, a link type.
bool has_magic(const std::uint8_t* d, std::size_t n) { return n >= 4 && ctana::detect_format(ctana::Bytes(d, 4)) == ctana::Format::pcap; }
void header(std::vector<std::uint8_t>& v, std::uint8_t sel) {
  static const std::uint32_t kMagic[] = {0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34};
  static const std::uint32_t kSnap[] = {65535, 262144, 64, 0};
  static const std::uint16_t kLink[] = {1, 101, 113, 276, 0, 228};
  const bool big = sel & 1;
  put32(v, kMagic[(sel >> 1) % 3], big);
  put16(v, 2, big);
  put16(v, 4, big);
  put32(v, 0, big);
  put32(v, 0, big);
  put32(v, kSnap[(sel >> 3) & 3], big);
  put32(v, kLink[(sel >> 5) % 6], big);
}
#else
// pcapng: a section header, then one to three interfaces with different link types and
// timestamp resolutions (if_tsresol), in either byte order.
bool has_magic(const std::uint8_t* d, std::size_t n) { return n >= 4 && ctana::load_be32(d) == 0x0A0D0D0A; }
void header(std::vector<std::uint8_t>& v, std::uint8_t sel) {
  const bool big = sel & 1;
  put32(v, 0x0A0D0D0A, big);
  put32(v, 28, big);
  put32(v, 0x1A2B3C4D, big);
  put16(v, 1, big);
  put16(v, 0, big);
  put32(v, 0xFFFFFFFF, big);
  put32(v, 0xFFFFFFFF, big);
  put32(v, 28, big);
  static const std::uint16_t kLink[] = {1, 101, 113, 276, 0, 228, 147};
  static const std::uint8_t kRes[] = {6, 9, 0x80 | 20, 3};
  for (int i = 0; i <= (sel >> 1) % 3; ++i) {
    put32(v, 1, big);
    put32(v, 32, big);
    put16(v, kLink[(sel >> (3 + i)) % 7], big);
    put16(v, 0, big);
    put32(v, i == 1 ? 96 : 0, big);
    put16(v, 9, big);  // if_tsresol
    put16(v, 1, big);
    v.push_back(kRes[(sel >> (2 + i)) & 3]);
    v.insert(v.end(), {0, 0, 0});
    put32(v, 0, big);  // opt_endofopt
    put32(v, 32, big);
  }
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> file;
  if (!has_magic(data, size)) {
    if (size == 0) return 0;
    header(file, data[0]);
    ++data, --size;
  }
  file.insert(file.end(), data, data + size);
  ctana::fuzz::MemFile f{ctana::Bytes(file)};
  if (!f.ok()) return 0;
  const auto got = ctana::fuzz::read_all(f.path(), file.size(), false);
  // Both readers account for every byte: what they read or skipped ends at the end of the file.
  ctana::fuzz::require(!got.opened || got.stats.bytes_read == file.size(), "reader stopped before the end of the file");
  return 0;
}
