// ctana records FILE: one line per record (IPCS SUMMARY style), detail blocks (--format, IPCS
// FORMAT style) or a table (--format csv|tsv|json), with record-number and time filters. docs/cli.md.
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "ctana/decode.hpp"
#include "ctana/records.hpp"
#include "ctana/render.hpp"

namespace ctana::cli {

namespace {
struct RecordsArgs {
  std::string file, output, start, stop, end, tz;
  std::string format = "text";  // text, detail (a bare --format), csv, tsv, json
  bool statistics = false, ascii = false, ebcdic = false, both = false;
  std::uint64_t first = 1, last = 0;
  std::size_t dump = 64;
  OpenOptions open;
  SecretArgs secrets;
};

int run_records(const RecordsArgs& a) {
  // --start, --end (before) and --stop (at or before), in the one time syntax (cli/time_arg.hpp)
  TimeArg start, end;
  Zone zone;
  std::string why;
  bool inclusive = false;
  if (!apply_tz(a.tz, zone, why) || (!a.start.empty() && !parse_time_arg("--start", a.start, start, why)) ||
      (!a.end.empty() && !parse_time_arg("--end", a.end, end, why)) ||
      (!a.stop.empty() && !parse_time_arg("--stop", a.stop, end, why))) {
    spdlog::error("{}", why);
    return kExitUsage;
  }
  inclusive = !a.stop.empty();
  const bool detail_blocks = a.format == "detail";
  const bool table = a.format == "csv" || a.format == "tsv";
  const TableFormat tf = a.format == "tsv" ? TableFormat::tsv : TableFormat::csv;
  if (a.statistics && (table || a.format == "json")) {
    spdlog::error("--statistics: not with --format {} (the tallies are text; --format alone gives the detail blocks)", a.format);
    return kExitUsage;
  }
  const bool window = start.kind != TimeArg::Kind::none || end.kind != TimeArg::Kind::none;
  std::int64_t from = INT64_MIN, to = INT64_MAX;  // [from, to)
  std::unique_ptr<ftp::SecretMasker> masker;
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
  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  if (!a.output.empty() && a.output != "-") {
    owned.reset(std::fopen(a.output.c_str(), "w"));
    if (!owned) {
      spdlog::error("{}: cannot write: {}", a.output, std::strerror(errno));
      return kExitUnreadable;
    }
    out = owned.get();
  }
  const bool listing = detail_blocks || !a.statistics;
  if (a.format == "text" && listing) std::fputs(record_summary_header().c_str(), out);
  if (table) std::fputs(render_records_table_header(tf).c_str(), out);
  std::unique_ptr<RecordStatistics> stats;
  if (a.statistics) stats = std::make_unique<RecordStatistics>();
  DetailOptions detail;
  detail.dump_bytes = a.dump;
  detail.text = a.ascii ? DumpText::ascii : a.ebcdic ? DumpText::ebcdic : DumpText::both;
  std::int64_t day = INT64_MIN;
  Record r;
  Packet p;
  bool first_record = true;
  while (reader->next(r)) {
    if (first_record && window) {
      resolve_window(start, end, r.ts_ns, zone, from, to);
      if (inclusive && to < INT64_MAX) ++to;
    }
    first_record = false;
    if (stats) stats->read(r);
    if (a.last && r.index > a.last) {
      if (stats) continue;  // the statistics count every record read
      break;
    }
    decode(r, p);
    if (masker) masker->hide(r, p);  // every record: a command may be split over them
    if (r.index < a.first) continue;
    if (r.ts_ns < from || r.ts_ns >= to) continue;
    if (stats) stats->passed(p);
    if (!listing) continue;
    if (table || a.format == "json") {
      const std::string s = table ? render_record_table_row(p, tf) : render_record_json_row(p);
      std::fwrite(s.data(), 1, s.size(), out);
      continue;
    }
    if (record_day(r.ts_ns) != day) {  // IPCS's "**** yyyy/mm/dd" line when the day changes
      day = record_day(r.ts_ns);
      const std::string dl = record_date_line(r.ts_ns);
      std::fwrite(dl.data(), 1, dl.size(), out);
    }
    const std::string s = detail_blocks ? record_detail(p, detail) : record_summary_line(p);
    std::fwrite(s.data(), 1, s.size(), out);
  }
  if (stats) {
    const std::string s = (detail_blocks ? std::string("\n") : std::string()) + stats->text(reader->stats());
    std::fwrite(s.data(), 1, s.size(), out);
  }
  errno = 0;
  if (std::fflush(out) != 0 || std::ferror(out)) {
    spdlog::error("{}: cannot write: {}", owned ? a.output : std::string("standard output"), std::strerror(errno ? errno : EIO));
    return kExitUnreadable;
  }
  const auto& st = reader->stats();
  log_read_problems(reader->path(), st);
  return st.partial() ? kExitPartial : kExitOk;
}
}  // namespace

Command add_records_command(CLI::App& app) {
  auto args = std::make_shared<RecordsArgs>();
  auto* sub = app.add_subcommand("records", "List records IPCS style: one line each, or detail blocks with --format; "
                                            "or a table (--format csv|tsv|json)");
  add_file_option(sub, args->file, "Trace file (CTRACE, pcap, pcapng)");
  // A bare --format (IPCS FORMAT) keeps its meaning: the FILE after it is not taken as its value.
  sub->add_option("--format", args->format,
                  "Alone (or 'detail'): detail blocks (IPCS FORMAT) instead of one line per record; csv, tsv or json: "
                  "one row per record with the columns of docs/cli.md Tables (json: JSON Lines); text: the one-line "
                  "listing (default)")
      ->expected(0, 1)
      ->default_str("detail")
      ->check(one_of({"text", "detail", "csv", "tsv", "json"}))
      ->group(kGroupInput);
  sub->add_flag("--statistics", args->statistics,
                "Tallies (IPCS STATISTICS(DETAIL)): records by type, link, job, protocol, discard code; with --format "
                "after the detail blocks")
      ->group(kGroupInput);
  sub->add_option("--first", args->first, "First record number to list (default 1)")->type_name("N")->check(int_range(1, INT64_MAX))->group(kGroupFilter);
  sub->add_option("--last", args->last, "Last record number to list (default: all)")->type_name("N")->check(int_range(0, INT64_MAX))->group(kGroupFilter);
  sub->add_option("--start", args->start,
                  "Only records at or after this time: 2024-01-02T03:04:05[.f][Z|+hh:mm], seconds since 1970, "
                  "hh:mm[:ss[.f]] on the trace's first day, or +SECONDS after its first record")
      ->type_name("TIME")
      ->group(kGroupFilter);
  auto* o_end = sub->add_option("--end", args->end, "Only records before this time (same forms as --start)")
                    ->type_name("TIME")
                    ->group(kGroupFilter);
  sub->add_option("--stop", args->stop, "Only records at or before this time (as IPCS STOP; same forms as --start)")
      ->type_name("TIME")
      ->group(kGroupFilter)
      ->excludes(o_end);
  add_tz_option(sub, args->tz);
  sub->add_option("--dump", args->dump, "Bytes of data (application or socket data) dumped per record with --format (default 64); headers are always dumped")->type_name("N")->check(int_range(0, 65536))->group(kGroupInput);
  auto* o_ascii = sub->add_flag("--ascii", args->ascii, "Dumps with the ASCII text column only")->group(kGroupInput);
  auto* o_ebcdic = sub->add_flag("--ebcdic", args->ebcdic, "Dumps with the EBCDIC text column only")->group(kGroupInput);
  auto* o_both = sub->add_flag("--both", args->both, "Dumps with EBCDIC and ASCII text columns (the default, as IPCS BOTH)")->group(kGroupInput);
  o_ascii->excludes(o_ebcdic)->excludes(o_both);
  o_ebcdic->excludes(o_both);
  sub->add_option("-o,--output", args->output, "Write the listing to this file")->type_name("FILE")->group(kGroupInput);
  add_ctrace_open_options(sub, args->open);
  add_secret_options(sub, args->secrets);
  sub->footer("Examples:\n  ctana records SYSTCPDA.bin\n  ctana records --format --first 100 --last 120 SYSTCPDA.bin\n"
              "  ctana records --statistics -r trace.pcapng");
  return {sub, [args] { return run_records(*args); }};
}

}  // namespace ctana::cli
