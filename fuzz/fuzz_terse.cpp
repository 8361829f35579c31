// libFuzzer target: the TERSE/AMATERSE unpacker (src/io/terse.cpp). The first byte chooses:
//   bit 0-1 = 0: the rest is the packed file itself (the seeds: testdata/terse);
//   otherwise a valid header is made (bit 2: SPACK, bit 3: V records, bit 4: native form) and the
//   rest is the code stream, so the fuzzer works on the dictionaries rather than the header;
//   bit 5: text output instead of binary; bits 6-7: the read size (1, 7, 4096 or 1 MiB bytes).
// At most 4 MiB of output is read per input (a hostile stream can expand without end). Checked:
// the decoder counts what it hands out, stops only with a status, and V binary output is a chain
// of RDWs.
#include <vector>

#include "fuzz_util.hpp"
#include "io/input.hpp"
#include "io/terse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ctana::terse::Decoder;
  ctana::fuzz::Cursor in(data, size);
  const std::uint8_t mode = in.u8();
  std::vector<std::uint8_t> file;
  if ((mode & 3) != 0) {
    if (mode & 0x10) {
      file = {0x07, 0x89, 0x69, 0xA5, 0x00, 0x00};
    } else {
      const std::uint8_t lrecl = static_cast<std::uint8_t>(1 + in.u8() % 200);
      file = {static_cast<std::uint8_t>((mode & 4) ? 0x05 : 0x02), static_cast<std::uint8_t>((mode & 8) ? 1 : 0),
              0, lrecl, 0x0C, 0, 0x6D, 0x5E, 0, 0, 0, 0};
    }
  }
  const ctana::Bytes rest = in.rest();
  file.insert(file.end(), rest.begin(), rest.end());
  ctana::fuzz::MemFile mf{ctana::Bytes(file)};
  if (!mf.ok()) return 0;
  std::string why;
  auto packed = ctana::Input::open(mf.path(), why);
  if (!packed) return 0;
  const std::size_t got = packed->fill(64);
  ctana::terse::Header h;
  if (!ctana::terse::parse_header(ctana::Bytes(packed->data(), got), h, &why)) return 0;
  const bool text = mode & 0x20;
  Decoder d(std::move(packed), h, text ? Decoder::Output::text : Decoder::Output::binary);
  static const std::size_t kSizes[] = {1, 7, 4096, 1u << 20};
  std::vector<std::uint8_t> buf(kSizes[mode >> 6]), out;
  while (out.size() < (4u << 20)) {
    const std::size_t n = d.read(buf.data(), buf.size());
    ctana::fuzz::require(n <= buf.size(), "read more than asked");
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < buf.size()) {
      ctana::fuzz::require(d.status() != Decoder::Status::ok, "short read without a status");
      ctana::fuzz::require(d.status() == Decoder::Status::end || !d.message().empty(), "problem without a message");
      // On damage the record in progress is unpacked but not handed out (a cut VB record).
      ctana::fuzz::require(d.status() == Decoder::Status::end ? d.unpacked_bytes() == out.size()
                                                              : d.unpacked_bytes() >= out.size(),
                           "unpacked_bytes differs from the bytes handed out");
      ctana::fuzz::require(d.problem_offset() <= file.size(), "problem offset past the file");
      break;
    }
  }
  ctana::fuzz::require(d.packed_bytes() <= file.size(), "consumed more than the file");
  if (!text && h.variable && d.status() != Decoder::Status::ok) {
    std::size_t i = 0;
    while (i + 4 <= out.size()) {
      const std::size_t len = ctana::load_be16(out.data() + i);
      ctana::fuzz::require(len >= 4 && out[i + 2] == 0 && out[i + 3] == 0, "bad RDW in V output");
      i += len;
    }
    ctana::fuzz::require(i == out.size(), "V output does not end with a whole record");
  }
  return 0;
}
