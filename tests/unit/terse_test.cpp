// TERSE/AMATERSE unpacking (src/io/terse.cpp): the real AMATERSE files of testdata/terse/ unpack
// byte for byte to their originals, streamed in any chunk size; headers; cut and damaged input
// keep what was unpacked and name the packed offset; a packed CTRACE fixture reads like the
// fixture itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "ctrace_util.hpp"
#include "io/input.hpp"
#include "io/reader_impl.hpp"
#include "io/terse.hpp"
#include "test_util.hpp"

namespace ctana {
namespace {

using test::hex;
using test::testdata;
using terse::Decoder;
using test::TempFile;
using test::read_all;

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct Unpacked {
  std::vector<std::uint8_t> bytes;
  Decoder::Status status = Decoder::Status::ok;
  std::string message;
  std::uint64_t problem_offset = 0, packed = 0;
  terse::Header h;
};

Unpacked unpack(const std::string& path, std::size_t chunk = 1u << 20, Decoder::Output mode = Decoder::Output::binary) {
  Unpacked u;
  std::string why;
  auto in = Input::open(path, why);
  EXPECT_TRUE(in) << why;
  if (!in) return u;
  const std::size_t got = in->fill(64);
  EXPECT_TRUE(terse::parse_header(Bytes(in->data(), got), u.h, &why)) << path << ": " << why;
  Decoder d(std::move(in), u.h, mode);
  std::vector<std::uint8_t> buf(chunk);
  for (;;) {
    const std::size_t n = d.read(buf.data(), buf.size());
    u.bytes.insert(u.bytes.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < buf.size()) break;
  }
  u.status = d.status();
  u.message = d.message();
  u.problem_offset = d.problem_offset();
  u.packed = d.packed_bytes();
  EXPECT_EQ(d.unpacked_bytes(), u.bytes.size());
  return u;
}

TEST(Terse, RealAmaterseFilesUnpackByteExact) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(testdata("terse/tersed"))) {
    const std::string name = e.path().stem().string();  // FB.ALICE29.TXT.SPACK -> FB.ALICE29.TXT
    const auto want = slurp(testdata("terse/zosbinary/" + name));
    ASSERT_FALSE(want.empty()) << name;
    for (const std::size_t chunk : {std::size_t{1} << 20, std::size_t{997}, std::size_t{1}}) {
      const Unpacked u = unpack(e.path().string(), chunk);
      EXPECT_EQ(u.status, Decoder::Status::end) << e.path() << ": " << u.message;
      EXPECT_TRUE(u.bytes == want) << e.path() << " chunk " << chunk << ": " << u.bytes.size() << " bytes, want "
                                   << want.size();
      EXPECT_EQ(u.h.spack, e.path().extension() == ".SPACK");
      EXPECT_EQ(u.h.variable, name.starts_with("VB."));
    }
    ++files;
  }
  EXPECT_EQ(files, 9);
}

TEST(Terse, Headers) {
  terse::Header h;
  std::string why;
  ASSERT_TRUE(terse::parse_header(hex("0201 00fb 0c00 6d5e 0000 0000"), h, &why));
  EXPECT_FALSE(h.spack);
  EXPECT_TRUE(h.variable);
  EXPECT_EQ(h.lrecl, 251u);  // the data set's LRECL 255 minus the RDW
  EXPECT_EQ(h.block_size, 27998u);
  EXPECT_EQ(terse::describe(h), "PACK, VB, LRECL 251");
  ASSERT_TRUE(terse::parse_header(hex("0500 0000 0c00 6d10 0000 0050"), h));  // the length in the second field
  EXPECT_EQ(terse::describe(h), "SPACK, FB, LRECL 80");
  ASSERT_TRUE(terse::parse_header(hex("0789 69a5 0000"), h));
  EXPECT_EQ(terse::describe(h), "SPACK, native");
  EXPECT_EQ(h.size, 6u);
  EXPECT_FALSE(terse::parse_header(hex("0500 0050 0c00 6d10 0000 0051"), h, &why));
  EXPECT_NE(why.find("two record lengths"), std::string::npos) << why;
  EXPECT_FALSE(terse::parse_header(hex("0500 0000 0c00 6d10 0000 0000"), h, &why));
  EXPECT_NE(why.find("record length 0"), std::string::npos) << why;
  EXPECT_FALSE(terse::parse_header(hex("0502 0050 0c00 6d10 0000 0000"), h, &why));  // RECFM flag 2
  EXPECT_TRUE(why.empty());
  EXPECT_FALSE(terse::parse_header(hex("0500 0050 0000 6d10 0000 0000"), h, &why));  // block size without MVS flag
  EXPECT_FALSE(terse::parse_header(hex("0500 0050 0c00"), h, &why));                  // short
}

TEST(Terse, TextModeTranslatesRecordsToLines) {
  const Unpacked fb = unpack(testdata("terse/tersed/FB.ALICE29.TXT.SPACK"), 4096, Decoder::Output::text);
  EXPECT_EQ(fb.status, Decoder::Status::end);
  const std::string s(fb.bytes.begin(), fb.bytes.end());
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 288720 / 80);
  EXPECT_NE(s.find("ALICE'S ADVENTURES IN WONDERLAND"), std::string::npos) << s.substr(0, 200);
  EXPECT_EQ(s.find('\n'), 80u);
  const Unpacked vb = unpack(testdata("terse/tersed/VB.ALICE29.TXT.PACK"), 4096, Decoder::Output::text);
  const std::string v(vb.bytes.begin(), vb.bytes.end());
  // as many lines as records in the binary form
  const auto bin = slurp(testdata("terse/zosbinary/VB.ALICE29.TXT"));
  std::size_t records = 0;
  for (std::size_t i = 0; i + 4 <= bin.size(); i += load_be16(bin.data() + i)) ++records;
  EXPECT_EQ(static_cast<std::size_t>(std::count(v.begin(), v.end(), '\n')), records);
  EXPECT_NE(v.find("ALICE'S ADVENTURES IN WONDERLAND\n"), std::string::npos);
}

TEST(Terse, CutInputKeepsWhatWasUnpackedAndNamesTheOffset) {
  for (const char* name : {"FB.ALICE29.TXT.SPACK", "VB.ALICE29.TXT.PACK"}) {
    auto packed = slurp(testdata(std::string("terse/tersed/") + name));
    packed.resize(30001);
    TempFile tf(packed, "cut");
    const Unpacked u = unpack(tf.path);
    EXPECT_EQ(u.status, Decoder::Status::cut) << name;
    EXPECT_EQ(u.problem_offset, 30001u);
    EXPECT_NE(u.message.find("cut short"), std::string::npos) << u.message;
    const std::string full_name = std::string(name).substr(0, std::string(name).rfind('.'));
    const auto want = slurp(testdata("terse/zosbinary/" + full_name));
    EXPECT_GT(u.bytes.size(), 60000u) << name;
    ASSERT_LE(u.bytes.size(), want.size());
    if (std::string(name).starts_with("FB")) {
      EXPECT_TRUE(std::equal(u.bytes.begin(), u.bytes.end(), want.begin())) << name;
    } else {  // all records but the last (closed as it stands) are whole
      std::size_t i = 0;
      while (i + 4 <= u.bytes.size() && i + load_be16(u.bytes.data() + i) <= u.bytes.size()) {
        const std::size_t n = load_be16(u.bytes.data() + i);
        if (i + n == u.bytes.size()) break;
        EXPECT_TRUE(std::equal(u.bytes.begin() + static_cast<std::ptrdiff_t>(i),
                               u.bytes.begin() + static_cast<std::ptrdiff_t>(i + n), want.begin() + static_cast<std::ptrdiff_t>(i)));
        i += n;
      }
      EXPECT_EQ(i + load_be16(u.bytes.data() + i), u.bytes.size());
    }
  }
}

TEST(Terse, DamagedCodesAreRefusedWithTheirOffset) {
  {  // SPACK: the second code names entry 4095, which does not exist yet
    TempFile tf(hex("0500 0050 0c00 6d10 0000 0000  0C2F FF00 0000"));
    const Unpacked u = unpack(tf.path);
    EXPECT_EQ(u.status, Decoder::Status::damaged);
    EXPECT_EQ(u.problem_offset, 13u);
    EXPECT_NE(u.message.find("SPACK code 4095 names no dictionary entry"), std::string::npos) << u.message;
    EXPECT_EQ(u.bytes, hex("C1"));  // the first code's byte is kept
  }
  {  // SPACK: the first code is an entry
    TempFile tf(hex("0500 0050 0c00 6d10 0000 0000  1020 0000 00"));
    const Unpacked u = unpack(tf.path);
    EXPECT_EQ(u.status, Decoder::Status::damaged);
    EXPECT_EQ(u.problem_offset, 12u);
  }
  {  // PACK: a blank, then entry 4093 (3,837 blanks), then 4095: the entry being replaced
    TempFile tf(hex("0200 0050 0c00 6d10 0000 0000  041F FD FF F0 00"));
    const Unpacked u = unpack(tf.path);
    EXPECT_EQ(u.status, Decoder::Status::damaged) << u.message;
    EXPECT_EQ(u.problem_offset, 15u);
    EXPECT_EQ(u.bytes.size(), 1u + 3837u);
    EXPECT_NE(u.message.find("PACK code"), std::string::npos) << u.message;
  }
  {  // every damaged byte of a real file: never a crash, and any output ends with a status
    const auto good = slurp(testdata("terse/tersed/VB.GRAMMAR.LSP.SPACK"));
    for (std::size_t at = 12; at < 700; at += 7) {
      auto bad = good;
      bad[at] ^= 0x5A;
      TempFile tf(bad, "dmg");
      const Unpacked u = unpack(tf.path, 4096);
      EXPECT_NE(u.status, Decoder::Status::ok);
    }
  }
}

TEST(Terse, PackedCtraceReadsLikeTheFixture) {
  const auto packed = read_all(testdata("terse/ftp-login-raw.ctrace.pack"));
  const auto plain = read_all(testdata("ctrace/ftp-login-raw.ctrace"));
  ASSERT_TRUE(packed.error.empty()) << packed.error;
  EXPECT_EQ(packed.format, Format::ctrace);
  ASSERT_EQ(packed.recs.size(), plain.recs.size());
  ASSERT_GT(plain.recs.size(), 100u);
  for (std::size_t i = 0; i < plain.recs.size(); ++i) {
    EXPECT_EQ(packed.recs[i].data, plain.recs[i].data) << i;
    EXPECT_EQ(packed.recs[i].rec.ts_ns, plain.recs[i].rec.ts_ns) << i;
    EXPECT_EQ(packed.recs[i].rec.offset, plain.recs[i].rec.offset) << i;  // offsets in the unpacked data
  }
  EXPECT_EQ(packed.stats.bytes_read, plain.stats.bytes_read);
  EXPECT_FALSE(packed.stats.partial());

  OpenError err;
  auto r = open_trace(testdata("terse/ftp-login-raw.ctrace.pack"), err);
  ASSERT_TRUE(r) << err.message;
  Record rec;
  while (r->next(rec)) {
  }
  ASSERT_TRUE(r->packed());
  EXPECT_EQ(r->packed()->label(), "terse (PACK, FB, LRECL 4096)");
  EXPECT_EQ(r->packed()->unpacked_bytes, 49152u);
  EXPECT_EQ(r->packed()->packed_bytes, std::filesystem::file_size(testdata("terse/ftp-login-raw.ctrace.pack")));
  EXPECT_EQ(r->file_size(), r->packed()->packed_bytes);
}

TEST(Terse, CutPackedCtraceIsAPartialRead) {
  auto packed = slurp(testdata("terse/ftp-login-raw.ctrace.pack"));
  packed.resize(6000);
  TempFile tf(packed, "cutctrace");
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty()) << all.error;
  EXPECT_TRUE(all.stats.truncated);
  EXPECT_GT(all.recs.size(), 20u);
  bool named = false;
  for (const auto& is : all.stats.issues)
    named = named || (is.offset == 6000 && is.message.find("TERSE data cut short") != std::string::npos);
  EXPECT_TRUE(named);
}

TEST(Terse, NotATraceInsideSaysSo) {
  OpenError err;
  EXPECT_FALSE(open_trace(testdata("terse/tersed/FB.ALICE29.TXT.PACK"), err));
  EXPECT_NE(err.message.find("TERSE (PACK, FB, LRECL 80) data set"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("ctana unterse"), std::string::npos) << err.message;
  TempFile empty(hex("0789 69a5 0000 0000 0000 0000"));
  EXPECT_FALSE(open_trace(empty.path, err));
  EXPECT_NE(err.message.find("unpacks to 0 bytes"), std::string::npos) << err.message;
}

}  // namespace
}  // namespace ctana
