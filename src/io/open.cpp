#include <fmt/format.h>

#include "io/reader_impl.hpp"

namespace ctana {

Reader::Reader(std::unique_ptr<Input> in) : in_(std::move(in)) {}
Reader::~Reader() = default;
const std::string& Reader::path() const { return in_->path(); }
std::uint64_t Reader::file_size() const { return in_->size(); }

std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err) {
  return open_trace(path, err, OpenOptions{});
}

std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err, const OpenOptions& opt) {
  std::string why;
  auto in = Input::open(path, why);
  if (!in) {
    err.message = fmt::format("{}: cannot open: {}", path, why);
    return nullptr;
  }
  const std::size_t n = in->fill(64);
  if (in->error()) {
    err.message = fmt::format("{}: cannot read: {}", in->path(), in->error_message());
    return nullptr;
  }
  const Format f = detect_format(Bytes(in->data(), n));
  switch (f) {
    case Format::pcap: return make_pcap_reader(std::move(in), err);
    case Format::pcapng: {
      const std::size_t got = in->fill(64u << 10);
      if (looks_like_2cutc(Bytes(in->data(), got))) return make_2cutc_reader(std::move(in), err, opt);
      return make_pcapng_reader(std::move(in), err);
    }
    case Format::empty:
      err.message = fmt::format("{}: empty file (0 bytes): not a trace", in->path());
      return nullptr;
    case Format::gzip: case Format::bzip2: case Format::xz: case Format::zstd:
      err.message = fmt::format("{}: {}-compressed file: decompress it first, e.g. `{}cat FILE | ctana summary -`",
                                in->path(), format_name(f),
                                f == Format::gzip ? "z" : f == Format::bzip2 ? "bz" : f == Format::xz ? "xz" : "zstd");
      return nullptr;
    default: {
      // No magic number: a CTRACE component trace (raw, or with record/block descriptors), or
      // a TERSE/AMATERSE packed data set.
      const std::size_t window = 256u << 10;
      const std::size_t got = in->fill(window);
      const Bytes head(in->data(), got);
      if (looks_like_ctrace(head, got < window)) return make_ctrace_reader(std::move(in), err, opt);
      if (looks_like_terse(head)) {
        err.message = fmt::format("{}: TERSE/AMATERSE packed data set (offset 0: {:02x} {:02x} {:02x} {:02x}): unpack it first, "
                                  "on z/OS with AMATERSE PARM=UNPACK or elsewhere with `tersedecompress -b FILE OUT` "
                                  "(github.com/openmainframeproject/tersedecompress), then run ctana on OUT",
                                  in->path(), head[0], head[1], head[2], head[3]);
        return nullptr;
      }
      if (const auto what = transfer_damage_unknown(head, got < window); !what.empty()) {
        err.message = fmt::format("{}: {}", in->path(), ascii_transfer_message(what));
        return nullptr;
      }
      std::string head_hex;
      for (std::size_t i = 0; i < std::min<std::size_t>(n, 8); ++i) head_hex += fmt::format("{:02x} ", in->data()[i]);
      if (!head_hex.empty()) head_hex.pop_back();
      err.message = fmt::format("{}: not a pcap, pcapng or CTRACE trace (offset 0: {})", in->path(), head_hex);
      return nullptr;
    }
  }
}

}  // namespace ctana
