// Format detection by content (magic numbers), never by file name.
#include <cstring>

#include "ctana/reader.hpp"

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

void ReadStats::add_issue(std::uint64_t offset, std::string msg) {
  if (issues.size() < kMaxIssues) issues.push_back({offset, std::move(msg)});
  else ++issues_dropped;
}

}  // namespace ctana
