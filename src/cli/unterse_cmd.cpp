// ctana unterse FILE -o OUT [--text]: unpack a TERSE/AMATERSE data set (PACK or SPACK, FB or VB).
// docs/cli.md, docs/ctrace.md ("TERSE").
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "io/input.hpp"
#include "io/terse.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {
struct UnterseArgs {
  std::string file, output;
  bool text = false;
};

int run_unterse_command(const UnterseArgs& a) {
  std::string why;
  auto in = Input::open(a.file, why);
  if (!in) {
    spdlog::error("{}: cannot open: {}", a.file, why);
    return kExitUnreadable;
  }
  const std::size_t got = in->fill(64);
  if (in->error()) {
    spdlog::error("{}: cannot read: {}", in->path(), in->error_message());
    return kExitUnreadable;
  }
  terse::Header h;
  if (!terse::parse_header(Bytes(in->data(), got), h, &why)) {
    std::string hex;
    for (std::size_t i = 0; i < std::min<std::size_t>(got, 8); ++i) hex += fmt::format("{:02x} ", in->data()[i]);
    spdlog::error("{}: {} (offset 0: {})", in->path(), why.empty() ? "not a TERSE/AMATERSE packed file" : why,
                  hex.empty() ? "empty" : hex.substr(0, hex.size() - 1));
    return kExitUnreadable;
  }
  const std::string path = in->path();
  terse::Decoder dec(std::move(in), h, a.text ? terse::Decoder::Output::text : terse::Decoder::Output::binary);
  std::FILE* out = a.output == "-" ? stdout : std::fopen(a.output.c_str(), "wb");
  if (!out) {
    spdlog::error("{}: cannot write: {}", a.output, std::strerror(errno));
    return kExitUnreadable;
  }
  std::vector<std::uint8_t> buf(1u << 20);
  bool write_ok = true;
  for (;;) {
    const std::size_t n = dec.read(buf.data(), buf.size());
    if (n && std::fwrite(buf.data(), 1, n, out) != n) write_ok = false;
    if (n < buf.size() || !write_ok) break;
  }
  if (out != stdout ? std::fclose(out) != 0 : std::fflush(out) != 0) write_ok = false;
  if (!write_ok) {
    spdlog::error("{}: cannot write: {}", a.output, std::strerror(errno));
    return kExitUnreadable;
  }
  using S = terse::Decoder::Status;
  const bool partial = dec.status() != S::end;
  if (partial) {
    spdlog::warn("{}: offset {}: {}", path, dec.problem_offset(), dec.message());
    spdlog::warn("{}: partial result: the input is {}; the {} bytes that could be unpacked are in {}", path,
                 dec.status() == S::cut ? "truncated" : dec.status() == S::io_error ? "unreadable in part" : "damaged",
                 group_digits(dec.unpacked_bytes()), a.output);
  }
  spdlog::info("{}: TERSE ({}): {} packed bytes, {} unpacked bytes written to {}{}", path, terse::describe(h),
               group_digits(dec.packed_bytes()), group_digits(dec.unpacked_bytes()), a.output,
               a.text ? " as text" : h.variable ? " (each record behind its RDW)" : "");
  return partial ? kExitPartial : kExitOk;
}
}  // namespace

Command add_unterse_command(CLI::App& app) {
  auto args = std::make_shared<UnterseArgs>();
  auto* sub = app.add_subcommand("unterse", "Unpack a TERSE/AMATERSE packed data set (PACK or SPACK, FB or VB)");
  add_file_option(sub, args->file, "TERSE file");
  sub->add_option("-o,--output", args->output, "Output file (- for standard output)")->required()->type_name("FILE")->group(kGroupInput);
  sub->add_flag("--text", args->text,
                "Text records: EBCDIC (code page 037) to UTF-8, a newline after each record (default: the "
                "records in binary, V records each behind its 4-byte RDW as z/OS FTP with SITE RDW)");
  return {sub, [args] { return run_unterse_command(*args); }};
}

}  // namespace ctana::cli
