// ctana ctrace probe FILE: what the CTRACE reader found in a file: framing, byte accounting,
// format ids, the calibrated packet trace header layout, and a hex dump of the first records of
// each kind. Meant for turning a donated trace into a fixture (docs/ctrace.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "ctana/ctrace.hpp"
#include "ctana/decode.hpp"
#include "ctana/reader.hpp"
#include "ctana/records.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {
struct ProbeArgs {
  std::string file;
  OpenOptions open;
  std::size_t per_kind = 2;
  std::size_t dump_bytes = 128;
  SecretArgs secrets;
};

void hex_dump(std::string& o, Bytes b) {
  for (std::size_t i = 0; i < b.size(); i += 16) {
    o += fmt::format("      {:06X} ", i);
    for (std::size_t k = 0; k < 16; ++k) {
      if (k % 4 == 0) o += ' ';
      o += i + k < b.size() ? fmt::format("{:02X}", b[i + k]) : std::string("  ");
    }
    o += "  |";
    for (std::size_t k = 0; k < 16 && i + k < b.size(); ++k) {
      const auto c = b[i + k];
      o += c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.';
    }
    o += "|\n";
  }
}

int run_probe(const ProbeArgs& a) {
  std::unique_ptr<ftp::SecretMasker> masker;
  std::string why;
  if (!make_masker(a.secrets, masker, why)) {
    spdlog::error("{}", why);
    return kExitUsage;
  }
  OpenError err;
  auto reader = open_trace(a.file, err, a.open);
  if (!reader) {
    spdlog::error("{}", err.message);
    return err.exit_code;
  }
  if (reader->format() != Format::ctrace) {
    spdlog::error("{}: not a CTRACE trace (it is {})", reader->path(), format_name(reader->format()));
    return kExitUnreadable;
  }
  struct Kind {
    std::uint64_t records = 0, bytes = 0;
    std::string dumps;
  };
  std::map<std::uint32_t, Kind> kinds;
  Record r;
  Packet p;
  while (reader->next(r)) {
    decode(r, p);
    if (masker) masker->hide(r, p);
    auto& k = kinds[r.meta.format_id];
    if (k.records < a.per_kind) {
      k.dumps += fmt::format("    record {} at offset {}: {} {}, {} of {} bytes, time {}{}{}\n", r.index, r.offset,
                             r.dir == Direction::in ? "in" : r.dir == Direction::out ? "out" : "?", r.interface_name,
                             r.data.size(), r.orig_len, iso_time(r.ts_ns),
                             r.meta.discard_code ? fmt::format(", discard {}", r.meta.discard_code) : std::string(),
                             r.meta.job_name.empty() ? std::string() : fmt::format(", job {}", r.meta.job_name));
      hex_dump(k.dumps, r.data.first(std::min(r.data.size(), a.dump_bytes)));
    }
    ++k.records;
    k.bytes += r.data.size();
  }
  const auto& st = reader->stats();
  const auto& c = *st.ctrace;
  std::string o;
  o += fmt::format("File                 : {} ({} bytes)\n", reader->path(), group_digits(reader->file_size()));
  o += fmt::format("Framing              : {}\n", c.framing);
  o += fmt::format("Trace entries        : {} ({} bytes)\n", group_digits(c.ctes), group_digits(c.cte_bytes));
  o += fmt::format("Zero fill            : {} bytes\n", group_digits(c.zero_fill_bytes));
  o += fmt::format("Descriptors          : {} bytes\n", group_digits(c.descriptor_bytes));
  o += fmt::format("Skipped              : {} bytes ({} header-like)\n", group_digits(c.skipped_bytes), group_digits(c.header_like_bytes));
  o += fmt::format("Not validated        : {}\n", c.not_validated);
  o += fmt::format("Lost-record markers  : {}\n", c.lost_markers);
  o += fmt::format("Spanned (VBS)        : {} records from {} segments, {} lost\n", c.spanned_records, c.spanned_segments, c.spanned_lost);
  o += fmt::format("Segmented (PTH)      : {} rebuilt from {} segments, {} segments lost\n", c.trace_reassembled,
                   c.trace_segments, c.trace_segments_lost);
  o += fmt::format("\nPacket trace header layout: {}\n",
                   c.layout_from_data ? fmt::format("calibrated from {} packet records", c.calibration_records)
                                      : fmt::format("hypothesis H1 ({})", c.layout_note));
  if (c.layout_from_data && !c.layout_note.empty()) o += fmt::format("  note: {}\n", c.layout_note);
  o += fmt::format("  {:<10} {:>7} {:>10}  {}\n", "Field", "Offset", "Agreement", "Source");
  for (const auto& f : c.layout)
    o += fmt::format("  {:<10} {:>7} {:>10}  {}\n", f.name, f.offset < 0 ? std::string("-") : fmt::format("+{}", f.offset),
                     f.calibrated ? fmt::format("{:.1f}%", 100 * f.agreement) : std::string("-"),
                     f.calibrated ? "calibrated" : f.offset < 0 ? "not found" : "H1");
  o += fmt::format("  direction  {}\n", c.direction_bit.empty() ? std::string("unknown")
                                                                 : fmt::format("{} ({:.1f}%)", c.direction_bit, 100 * c.direction_agreement));
  o += "\nFormat ids\n";
  for (const auto& [id, k] : kinds) {
    o += fmt::format("  {:08X} {:<22} {} records, {} bytes\n", id, ctrace::format_id_name(id), group_digits(k.records),
                     group_digits(k.bytes));
    o += k.dumps;
  }
  if (!write_output(o, "")) return kExitUnreadable;
  log_read_problems(reader->path(), st);
  return st.partial() ? kExitPartial : kExitOk;
}
}  // namespace

void add_ctrace_open_options(CLI::App* sub, OpenOptions& opt) {
  sub->add_option_function<std::vector<std::string>>(
         "--ctrace-field",
         [&opt](const std::vector<std::string>& v) {
           for (const auto& s : v) {
             const auto eq = s.find('=');
             if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("--ctrace-field", s + ": expected NAME=OFFSET");
             try {
               std::size_t used = 0;
               const int off = std::stoi(s.substr(eq + 1), &used, 0);
               if (used != s.size() - eq - 1) throw std::invalid_argument(s);
               opt.ctrace_fields.emplace_back(s.substr(0, eq), off);
             } catch (const std::logic_error&) {
               throw CLI::ValidationError("--ctrace-field", s + ": OFFSET must be a number");
             }
           }
         },
         "CTRACE: set a packet trace header field offset instead of calibrating it, e.g. src=32, droprsn=-1 "
         "(absent), out=0x10 (direction bit; negative: clear bit = outbound). Repeatable; docs/ctrace.md")
      ->type_name("NAME=OFFSET")
      ->group(kGroupCtrace);
  sub->add_option("--tod-leap-seconds", opt.tod_leap_seconds,
                  "CTRACE: seconds the z/OS TOD clock runs ahead of UTC (leap seconds kept in the TOD; default 0)")
      ->type_name("N")
      ->check(int_range(0, 100))
      ->group(kGroupCtrace);
}

Command add_ctrace_command(CLI::App& app) {
  auto args = std::make_shared<ProbeArgs>();
  auto* sub = app.add_subcommand("ctrace", "z/OS CTRACE diagnostics");
  sub->require_subcommand(1);
  auto* probe = sub->add_subcommand("probe", "Show the framing, format ids, calibrated header layout and first records of a CTRACE file");
  add_file_option(probe, args->file, "CTRACE file");
  probe->add_option("--records", args->per_kind, "Records to dump per format id (default 2)")->type_name("N")->check(int_range(0, 1000));
  probe->add_option("--bytes", args->dump_bytes, "Bytes to dump per record (default 128)")->type_name("N")->check(int_range(0, 65536));
  add_ctrace_open_options(probe, args->open);
  add_secret_options(probe, args->secrets);
  return {sub, [args] { return run_probe(*args); }};
}

}  // namespace ctana::cli
