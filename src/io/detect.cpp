// Format detection by content (magic numbers), never by file name; and the recognition of a
// binary file damaged by a text-mode (ASCII) file transfer (docs/cli.md, "ASCII mode").
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "io/reader_impl.hpp"

namespace ctana {

std::string_view format_name(Format f) {
  switch (f) {
    case Format::empty: return "empty";
    case Format::pcap: return "pcap";
    case Format::pcapng: return "pcapng";
    case Format::ctrace: return "ctrace";
    case Format::terse: return "terse";
    case Format::gzip: return "gzip";
    case Format::bzip2: return "bzip2";
    case Format::xz: return "xz";
    case Format::zstd: return "zstd";
    default: return "unknown";
  }
}

Format detect_format(Bytes h) {
  if (h.empty()) return Format::empty;
  if (h.size() >= 4) {
    const std::uint32_t be = load_be32(h.data());
    switch (be) {
      case 0xa1b2c3d4: case 0xd4c3b2a1:  // microsecond pcap
      case 0xa1b23c4d: case 0x4d3cb2a1:  // nanosecond pcap
      case 0xa1b2cd34: case 0x34cdb2a1:  // Kuznetzov's modified pcap
        return Format::pcap;
      case 0x0a0d0d0a:  // pcapng section header block (palindrome)
        return Format::pcapng;
      case 0xfd377a58: return Format::xz;
      case 0x28b52ffd: return Format::zstd;
      default: break;
    }
  }
  if (h.size() >= 2 && h[0] == 0x1f && h[1] == 0x8b) return Format::gzip;
  if (h.size() >= 3 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h') return Format::bzip2;
  return Format::unknown;
}

namespace {

// EBCDIC code page 037 -> ISO 8859-1, the translation z/OS FTP applies in ASCII mode.
constexpr std::array<std::uint8_t, 256> kCp037 = {
    0x00, 0x01, 0x02, 0x03, 0x9C, 0x09, 0x86, 0x7F, 0x97, 0x8D, 0x8E, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x9D, 0x85, 0x08, 0x87, 0x18, 0x19, 0x92, 0x8F, 0x1C, 0x1D, 0x1E, 0x1F,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x0A, 0x17, 0x1B, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x05, 0x06, 0x07,
    0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99, 0x9A, 0x9B, 0x14, 0x15, 0x9E, 0x1A,
    0x20, 0xA0, 0xE2, 0xE4, 0xE0, 0xE1, 0xE3, 0xE5, 0xE7, 0xF1, 0xA2, 0x2E, 0x3C, 0x28, 0x2B, 0x7C,
    0x26, 0xE9, 0xEA, 0xEB, 0xE8, 0xED, 0xEE, 0xEF, 0xEC, 0xDF, 0x21, 0x24, 0x2A, 0x29, 0x3B, 0xAC,
    0x2D, 0x2F, 0xC2, 0xC4, 0xC0, 0xC1, 0xC3, 0xC5, 0xC7, 0xD1, 0xA6, 0x2C, 0x25, 0x5F, 0x3E, 0x3F,
    0xF8, 0xC9, 0xCA, 0xCB, 0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0x60, 0x3A, 0x23, 0x40, 0x27, 0x3D, 0x22,
    0xD8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xAB, 0xBB, 0xF0, 0xFD, 0xFE, 0xB1,
    0xB0, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0xAA, 0xBA, 0xE6, 0xB8, 0xC6, 0xA4,
    0xB5, 0x7E, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xA1, 0xBF, 0xD0, 0xDD, 0xDE, 0xAE,
    0x5E, 0xA3, 0xA5, 0xB7, 0xA9, 0xA7, 0xB6, 0xBC, 0xBD, 0xBE, 0x5B, 0x5D, 0xAF, 0xA8, 0xB4, 0xD7,
    0x7B, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0xAD, 0xF4, 0xF6, 0xF2, 0xF3, 0xF5,
    0x7D, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x50, 0x51, 0x52, 0xB9, 0xFB, 0xFC, 0xF9, 0xFA, 0xFF,
    0x5C, 0xF7, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xB2, 0xD4, 0xD6, 0xD2, 0xD3, 0xD5,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xB3, 0xDB, 0xDC, 0xD9, 0xDA, 0x9F,
};

// The translations a text-mode transfer may have applied, each as the table that undoes it.
struct Translation {
  std::string_view what;
  std::array<std::uint8_t, 256> undo;
};
const std::array<Translation, 4>& translations() {
  static const std::array<Translation, 4> t = [] {
    std::array<std::uint8_t, 256> e2a = kCp037, e2a_1047 = kCp037;
    // IBM-1047 (z/OS UNIX) differs from 037 in six code points: [ ] ^ ¬ Ý ¨
    for (const auto& [e, a] : {std::pair{0x5F, 0x5E}, {0xAD, 0x5B}, {0xB0, 0xAC}, {0xBA, 0xDD}, {0xBB, 0xA8}, {0xBD, 0x5D}})
      e2a_1047[e] = static_cast<std::uint8_t>(a);
    auto inverse = [](const std::array<std::uint8_t, 256>& m) {
      std::array<std::uint8_t, 256> r{};
      for (std::size_t i = 0; i < 256; ++i) r[m[i]] = static_cast<std::uint8_t>(i);
      return r;
    };
    // EBCDIC -> ASCII damage is undone by translating back to EBCDIC, and the other way round.
    return std::array<Translation, 4>{Translation{"EBCDIC -> ASCII", inverse(e2a)}, Translation{"ASCII -> EBCDIC", e2a},
                                      Translation{"EBCDIC -> ASCII", inverse(e2a_1047)},
                                      Translation{"ASCII -> EBCDIC", e2a_1047}};
  }();
  return t;
}

bool has_crlf(Bytes b) {
  for (std::size_t i = 0; i + 1 < b.size(); ++i)
    if (b[i] == 0x0D && b[i + 1] == 0x0A) return true;
  return false;
}

// Undoes LF -> CR LF exactly: every CR LF becomes LF (a CR LF of the original had become CR CR LF).
std::vector<std::uint8_t> undo_lf_to_crlf(Bytes b) {
  std::vector<std::uint8_t> out;
  out.reserve(b.size());
  for (std::size_t i = 0; i < b.size(); ++i)
    if (!(b[i] == 0x0D && i + 1 < b.size() && b[i + 1] == 0x0A)) out.push_back(b[i]);
  return out;
}

// How much this looks like the start of a trace: a pcap (version 2) or pcapng (with its
// byte-order magic) header counts most, then the CTRACE entries that parse, then a CTRACE
// signature further in; 0 when it is none of them.
std::uint64_t trace_score(Bytes h, bool whole_file) {
  constexpr std::uint64_t kHeader = 1u << 30;
  if (h.size() >= 12) {
    const Format f = detect_format(h);
    if (f == Format::pcap && (load_be16(h.data() + 4) == 2 || load_le16(h.data() + 4) == 2))
      return kHeader + pcap_walk(h, whole_file, false).records;
    if (f == Format::pcapng && (load_be32(h.data() + 8) == 0x1A2B3C4D || load_be32(h.data() + 8) == 0x4D3C2B1A))
      return kHeader;
  }
  if (!looks_like_ctrace(h, whole_file)) return 0;
  return 1 + ctrace_walk(h, whole_file, false).records;
}

}  // namespace

const std::array<std::uint8_t, 256>& cp037_to_latin1() { return kCp037; }

std::string ascii_transfer_message(std::string_view what) {
  return fmt::format("looks like it was transferred in ASCII mode ({}): transfer it again in binary", what);
}

void note_transfer_damage(ReadStats& st, Bytes head, bool whole_file, Walker walk) {
  const Bytes w = head.first(std::min(head.size(), kTransferWindow));
  whole_file = whole_file && w.size() == head.size();
  const Walk raw = walk(w, whole_file, false);
  if (raw.clean) return;  // a good file: nothing more is looked at
  std::string_view what;
  if (has_crlf(w)) {
    const auto u = undo_lf_to_crlf(w);
    const Walk r = walk(Bytes(u), whole_file, false);
    if (r.clean && r.records >= 2 && r.records > raw.records) what = "LF -> CR LF";
  }
  if (what.empty()) {
    const Walk r = walk(w, whole_file, true);
    if (r.clean && r.fixes > 0 && r.records >= 2) what = "CR LF -> LF";
  }
  if (what.empty()) return;
  st.ascii_transfer = std::string(what);
  st.damaged = true;
}

std::string_view transfer_damage_unknown(Bytes head, bool whole_file) {
  const Bytes w = head.first(std::min(head.size(), kTransferWindow));
  whole_file = whole_file && w.size() == head.size();
  // Each translation undone; the one that gives the most trace-like start wins.
  std::string_view best;
  std::uint64_t best_score = 0;
  auto consider = [&](std::string_view what, Bytes undone) {
    const std::uint64_t sc = trace_score(undone, whole_file);
    if (sc > best_score) best = what, best_score = sc;
  };
  if (has_crlf(w)) consider("LF -> CR LF", Bytes(undo_lf_to_crlf(w)));
  // CR LF -> LF cannot be undone byte for byte: the pcapng magic 0A 0D 0D 0A became 0A 0D 0A,
  // and CTRACE entries parse again when their lost bytes are allowed for.
  if (w.size() >= 12 && w[0] == 0x0A && w[1] == 0x0D && w[2] == 0x0A) {
    std::vector<std::uint8_t> u(w.begin(), w.end());
    u.insert(u.begin() + 2, 0x0D);
    consider("CR LF -> LF", Bytes(u));
  }
  if (const Walk c = ctrace_walk(w, whole_file, true); c.clean && c.fixes > 0 && c.records >= 2 && c.records + 1 > best_score)
    best = "CR LF -> LF", best_score = c.records + 1;
  std::vector<std::uint8_t> u(w.size());
  for (const auto& t : translations()) {
    std::transform(w.begin(), w.end(), u.begin(), [&t](std::uint8_t b) { return t.undo[b]; });
    consider(t.what, Bytes(u));
  }
  return best;
}

void ReadStats::add_issue(std::uint64_t offset, std::string msg) {
  if (issues.size() < kMaxIssues) issues.push_back({offset, std::move(msg)});
  else ++issues_dropped;
}

}  // namespace ctana
