// ctana convert FILE -o OUT: any trace to pcapng (default) or pcap, or a packet trace to a CTRACE
// fixture in ctana's H1 layout (--to ctrace). docs/cli.md, docs/ctrace.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/ui.hpp"
#include "cli/common.hpp"
#include "ctana/convert.hpp"
#include "ctana/findings.hpp"
#include "ctana/summary.hpp"
#include "ctana/tcp.hpp"

namespace ctana::cli {

namespace {
struct ConvertArgs {
  std::string file, output, to;
  std::string framing = "raw";
  bool no_zero_fill = false;
  bool data_trace = false, with_packets = false;
  ConvertOptions opt;
  SecretArgs secrets;
  InputArgs in;               // the subset: -f, --ip, --port, --start, --end, --tz
  std::uint64_t conn = 0;     // --conn N
  bool comments = false;      // --comments
};

// --conn and --comments: one run of the analysis on the whole trace (no filter, default
// settings, as `ctana summary FILE`) gives the connection's frames and the findings.
bool analyse_for_convert(ConvertArgs& a, int& exit_code) {
  RunOptions ro;
  ro.open = a.opt.open;
  ro.summary.top_conversations = 0;
  ro.max_listed_connections = SIZE_MAX;  // a finding without frames takes its connection's from the list
  ro.max_listed_findings = SIZE_MAX;
  std::vector<std::uint64_t> frames;
  if (a.conn)
    ro.tcp_hook = [&frames, &a](TcpAnalyzer& tcp) {
      tcp.on_tcp_packet([&frames, &a](const Packet& p, const TcpPacketInfo& info, const TcpConnection&) {
        if (info.connection == a.conn) frames.push_back(p.frame());
      });
    };
  RunResult res = run_summary(a.file, ro);
  if (!res.error.empty()) {
    spdlog::error("{}", res.error);
    exit_code = res.exit_code;
    return false;
  }
  if (a.conn) {
    if (frames.empty()) {
      spdlog::error("--conn {}: no such TCP connection (the trace has {}; see ctana sessions --table)", a.conn,
                    res.report.tcp.totals.connections);
      exit_code = kExitUsage;
      return false;
    }
    std::sort(frames.begin(), frames.end());
    a.opt.only_frames = true;
    a.opt.frames = std::move(frames);
  }
  if (a.comments) {
    std::uint64_t no_frame = 0;
    for (const Finding& f : res.report.findings.list) {
      const std::uint64_t frame = f.last_frame ? f.last_frame : f.first_frame;
      if (!frame) {
        ++no_frame;
        continue;
      }
      a.opt.comments[frame].push_back(fmt::format("ctana: {} {}: {}", severity_name(f.severity), f.kind, f.summary));
    }
    if (no_frame) spdlog::info("{}: {} findings name no frame and are not written as comments", a.file, no_frame);
  }
  return true;
}

int run_convert_command(ConvertArgs& a) {
  using To = ConvertOptions::To;
  std::string to = a.to;
  if (to.empty()) {
    const auto ends = [&](std::string_view s) { return a.output.size() >= s.size() && a.output.ends_with(s); };
    to = ends(".pcap") ? "pcap" : "pcapng";
  }
  a.opt.to = to == "pcap" ? To::pcap : to == "ctrace" ? To::ctrace : To::pcapng;
  using F = ctrace::WriterOptions::Framing;
  static const std::map<std::string, F> framings = {{"raw", F::raw}, {"rdw", F::rdw}, {"bdw", F::bdw}, {"vbs", F::vbs}};
  a.opt.ctrace.framing = framings.at(a.framing);
  a.opt.ctrace.zero_fill = !a.no_zero_fill;
  using DT = ConvertOptions::DataTrace;
  a.opt.data_trace = !a.data_trace ? DT::none : a.with_packets ? DT::with_packets : DT::only;
  if (a.data_trace && a.opt.to != To::ctrace) {
    spdlog::error("--data-trace: only with --to ctrace");
    return kExitUsage;
  }
  std::string why;
  if (!ftp_ports(a.secrets, a.opt.ftp_ports, why)) {
    spdlog::error("{}", why);
    return kExitUsage;
  }
  a.opt.show_secrets = a.secrets.show;
  RunOptions subset;
  if (!make_run_options(a.in, subset, why)) {
    spdlog::error("{}", why);
    return kExitUsage;
  }
  a.opt.filter = subset.filter;
  a.opt.resolve_window = subset.resolve_window;
  if (a.comments && a.opt.to != To::pcapng) {
    spdlog::error("--comments: only with pcapng output (pcap and CTRACE have no packet comments)");
    return kExitUsage;
  }
  if (a.conn || a.comments) {
    int code = 0;
    if (!analyse_for_convert(a, code)) return code;
  }
  ConvertResult res = convert_trace(a.file, a.output, a.opt);
  if (!res.error.empty()) {
    spdlog::error("{}", res.error);
    return res.exit_code;
  }
  log_read_problems(a.file, res.read);
  if (!res.note.empty()) spdlog::warn("{}: {}", a.file, res.note);
  if (a.data_trace)
    spdlog::info("{}: {} TCP connections written as data trace{}", a.file, res.data_trace_connections,
                 res.data_trace_gap_bytes ? fmt::format("; {} bytes of TCP payload were never captured and are not in it",
                                                        res.data_trace_gap_bytes)
                                          : std::string());
  if (res.secrets_masked)
    spdlog::info("{}: FTP PASS/ACCT arguments masked with '*' in {} packets (their TCP checksums are now wrong; "
                 "--show-secrets copies them unchanged)", a.file, res.secrets_masked);
  if (a.comments) spdlog::info("{}: {} findings written as packet comments", a.file, res.comments_written);
  spdlog::info("{}: {} records read, {} written to {}{}", a.file, res.records_in, res.records_out, a.output,
               res.filtered_out ? fmt::format(" ({} not in the subset)", res.filtered_out) : std::string());
  return res.exit_code;
}
}  // namespace

Command add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* sub = app.add_subcommand("convert", "Convert a trace: to pcapng/pcap for Wireshark, or to a CTRACE test fixture");
  add_file_option(sub, args->file, "Trace file (pcap, pcapng, CTRACE)");
  sub->add_option("-o,--output", args->output, "Output file (- for standard output)")->required()->type_name("FILE")->group(kGroupInput);
  sub->add_option("--to", args->to, "Output format (default: pcap if OUT ends in .pcap, else pcapng)")
      ->check(one_of({"pcapng", "pcap", "ctrace"}))->group(kGroupInput);
  sub->add_option("--framing", args->framing, "CTRACE output: raw (default), rdw, bdw (RDW + BDW), vbs (spanned)")
      ->check(one_of({"raw", "rdw", "bdw", "vbs"}));
  sub->add_option("--buffer-size", args->opt.ctrace.buffer_size, "CTRACE output: trace buffer size (default 16384)")
      ->type_name("N")->check(int_range(256, 1 << 20));
  sub->add_flag("--no-zero-fill", args->no_zero_fill, "CTRACE output: end each buffer after its last entry");
  sub->add_option("--writer-header", args->opt.ctrace.writer_header,
                  "CTRACE output: bytes of header of unknown layout before each buffer (default 0)")
      ->type_name("N")->check(int_range(0, 4096));
  sub->add_option("--lrecl", args->opt.ctrace.lrecl, "CTRACE output, vbs: segment length (default 4096)")
      ->type_name("N")->check(int_range(64, 32760));
  sub->add_option("--max-cte-data", args->opt.ctrace.max_cte_data,
                  "CTRACE output: packet bytes per entry before segmenting (default 65421)")
      ->type_name("N")->check(int_range(1, 65300));
  sub->add_option("--abbrev", args->opt.ctrace.abbrev, "CTRACE output: trace at most N bytes per packet (0 = all)")
      ->type_name("N")->check(int_range(0, 65535));
  sub->add_option("--discard-every", args->opt.discard_every, "CTRACE output: mark every Nth packet as discarded");
  sub->add_option("--discard-code", args->opt.discard_code, "CTRACE output: discard reason code (default 4114)")
      ->type_name("N")->check(int_range(1, 65535));
  sub->add_option("--ids-every", args->opt.ids_every, "CTRACE output: write every Nth packet as an IDS record");
  sub->add_option("--ids-probe", args->opt.ids_probe, "CTRACE output: IDS probe id (default 0x03030000)");
  sub->add_flag("--osaenta", args->opt.osaenta, "CTRACE output: Ethernet frames as OSAENTA (id 7) records");
  sub->add_option("--osa-prefix", args->opt.ctrace.osa_prefix,
                  "CTRACE output: bytes of OSA descriptor before each OSAENTA frame (default 0)")
      ->type_name("N")->check(int_range(0, 64));
  sub->add_option("--flip-every", args->opt.flip_every, "CTRACE output: invert one byte every N bytes (damage)");
  sub->add_flag("--data-trace", args->data_trace,
                "CTRACE output: the TCP payload of each connection as data trace (id 5) records instead of packet "
                "records: start record, socket data in order, end record");
  auto* with = sub->add_flag("--with-packets", args->with_packets,
                             "CTRACE output with --data-trace: write the packet trace records too");
  sub->add_option("--data-job", args->opt.data_job, "CTRACE output: job name of the data trace records (default CTANAJOB)")
      ->check([](const std::string& s) {
        if (s.empty() || s.size() > 8) return std::string("1 to 8 characters");
        for (char c : s)
          if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$'))
            return std::string("upper-case letters, digits, @, # and $ only");
        return std::string();
      });
  with->needs(sub->get_option("--data-trace"));
  for (CLI::Option* o : sub->get_options())
    if (o->get_description().starts_with("CTRACE output")) o->group("CTRACE output (--to ctrace)");
  add_filter_options(sub, args->in);
  sub->add_option("--conn", args->conn,
                  "Only the packets of this TCP connection (its number in ctana sessions on the whole trace)")
      ->type_name("N")
      ->check(int_range(1, INT64_MAX))
      ->group(kGroupFilter);
  sub->add_flag("--comments", args->comments,
                "pcapng output: write each finding of ctana summary FILE as a packet comment on its frame")
      ->group(kGroupInput);
  add_ctrace_open_options(sub, args->opt.open);
  add_secret_options(sub, args->secrets);
  sub->footer("Examples:\n  ctana convert SYSTCPDA.bin -o trace.pcapng\n  ctana convert trace.pcapng -o trace.pcap\n"
              "  ctana convert --port 21 --start 14:05 --end 14:10 trace.pcap -o ftp.pcapng\n"
              "  ctana convert --conn 3 --comments SYSTCPDA.bin -o conn3.pcapng\n"
              "  ctana convert --to ctrace --framing vbs trace.pcap -o fixture.ctrace");
  return {sub, [args] { return run_convert_command(*args); }};
}

}  // namespace ctana::cli
