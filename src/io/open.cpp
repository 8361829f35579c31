#include <fmt/format.h>

#include <algorithm>

#include "io/reader_impl.hpp"
#include "io/terse.hpp"

namespace ctana {

Reader::Reader(std::unique_ptr<Input> in) : in_(std::move(in)) {}
Reader::~Reader() = default;
const std::string& Reader::path() const { return in_->path(); }
std::uint64_t Reader::file_size() const { return in_->terse() ? in_->terse()->packed_size() : in_->size(); }

std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err) {
  return open_trace(path, err, OpenOptions{});
}

namespace {

std::string head_hex(const Input& in, std::size_t n) {
  std::string h;
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 8); ++i) h += fmt::format("{:02x} ", in.data()[i]);
  if (!h.empty()) h.pop_back();
  return h;
}

// `packed`: the TERSE header when `in` is its unpacked data ("" in the messages otherwise).
std::unique_ptr<Reader> open_input(std::unique_ptr<Input> in, OpenError& err, const OpenOptions& opt,
                                   const terse::Header* packed) {
  const std::string what = packed ? fmt::format("TERSE ({}) data set", terse::describe(*packed)) : std::string();
  const std::size_t n = in->fill(64);
  if (in->error() && (!packed || n == 0)) {
    err.message = packed ? fmt::format("{}: {}: {} at offset {}: nothing could be unpacked", in->path(), what,
                                       in->error_message(), in->problem_offset())
                         : fmt::format("{}: cannot read: {}", in->path(), in->error_message());
    return nullptr;
  }
  const Format f = detect_format(Bytes(in->data(), n));
  switch (f) {
    case Format::pcap: return make_pcap_reader(std::move(in), err);
    case Format::pcapng: {
      const std::size_t got = in->fill(64u << 10);
      if (looks_like_2cutc(Bytes(in->data(), got))) {
        if (packed) {  // the 2cUTC reader reads the file three times, by name
          err.message = fmt::format("{}: {} of a 2cUTC pcapng file: `ctana unterse {} -o OUT` unpacks it, then "
                                    "run ctana on OUT", in->path(), what, in->path());
          return nullptr;
        }
        return make_2cutc_reader(std::move(in), err, opt);
      }
      return make_pcapng_reader(std::move(in), err);
    }
    case Format::empty:
      err.message = packed ? fmt::format("{}: {} unpacks to 0 bytes: not a trace", in->path(), what)
                           : fmt::format("{}: empty file (0 bytes): not a trace", in->path());
      return nullptr;
    case Format::gzip: case Format::bzip2: case Format::xz: case Format::zstd:
      if (packed) {
        err.message = fmt::format("{}: {} of a {}-compressed file: `ctana unterse {} -o OUT` writes it out",
                                  in->path(), what, format_name(f), in->path());
        return nullptr;
      }
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
      terse::Header th;
      std::string why;
      if (terse::parse_header(head, th, &why)) {
        if (packed) {
          err.message = fmt::format("{}: {} that holds another TERSE data set: `ctana unterse {} -o OUT` unpacks "
                                    "the outer one", in->path(), what, in->path());
          return nullptr;
        }
        auto dec = std::make_unique<terse::Decoder>(std::move(in), th);
        return open_input(Input::unpacking(std::move(dec)), err, opt, &th);
      }
      if (!why.empty() && !packed) {
        err.message = fmt::format("{}: {} (offset 0: {})", in->path(), why, head_hex(*in, got));
        return nullptr;
      }
      if (packed) {
        err.message = fmt::format("{}: {}: the unpacked data is not a pcap, pcapng or CTRACE trace (unpacked offset "
                                  "0: {}); `ctana unterse {} -o OUT` writes it out",
                                  in->path(), what, head_hex(*in, n), in->path());
        return nullptr;
      }
      if (const auto w = transfer_damage_unknown(head, got < window); !w.empty()) {
        err.message = fmt::format("{}: {}", in->path(), ascii_transfer_message(w));
        return nullptr;
      }
      err.message = fmt::format("{}: not a pcap, pcapng, CTRACE or TERSE file (offset 0: {})", in->path(),
                                head_hex(*in, n));
      return nullptr;
    }
  }
}

}  // namespace

void note_input_problem(ReadStats& st, Input& in) {
  if (in.problem() == Input::Problem::none || !in.take_problem_report()) return;
  switch (in.problem()) {
    case Input::Problem::cut: st.truncated = true; break;
    case Input::Problem::damaged: st.damaged = true; break;
    default: st.io_error = true; break;
  }
  if (in.terse()) st.add_issue(in.problem_offset(), in.error_message());
  else st.add_issue(in.offset(), fmt::format("read error: {}", in.error_message()));
}

std::optional<PackedInfo> Reader::packed() const {
  const terse::Decoder* d = in_->terse();
  if (!d) return std::nullopt;
  PackedInfo p;
  p.method = d->header().spack ? "SPACK" : "PACK";
  p.record_format = d->header().native ? "" : d->header().variable ? "VB" : "FB";
  p.lrecl = d->header().lrecl;
  p.packed_bytes = d->packed_bytes();
  p.unpacked_bytes = d->unpacked_bytes();
  return p;
}

std::string PackedInfo::label() const {
  if (record_format.empty()) return fmt::format("terse ({}, native)", method);
  return fmt::format("terse ({}, {}, LRECL {})", method, record_format, lrecl);
}

std::unique_ptr<Reader> open_trace(const std::string& path, OpenError& err, const OpenOptions& opt) {
  std::string why;
  auto in = Input::open(path, why);
  if (!in) {
    err.message = fmt::format("{}: cannot open: {}", path, why);
    return nullptr;
  }
  return open_input(std::move(in), err, opt, nullptr);
}

}  // namespace ctana
