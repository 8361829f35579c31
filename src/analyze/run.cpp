// The analysis pipeline: reader -> filter -> decoder -> analyzers -> report.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "analyze/pipeline.hpp"

#include "ctana/checksum.hpp"
#include "ctana/ctrace_summary.hpp"
#include "ctana/datatrace.hpp"
#include "ctana/decode.hpp"
#include "ctana/dhcp.hpp"
#include "ctana/filter.hpp"
#include "ctana/render.hpp"  // iso_time, for the lost-records finding
#include "ctana/icmp.hpp"
#include "ctana/ip_reassembly.hpp"
#include "ctana/module.hpp"
#include "ctana/network.hpp"
#include "ctana/starttls.hpp"
#include "ctana/stats.hpp"
#include "ctana/summary.hpp"
#include "ctana/tls.hpp"

namespace ctana {

namespace {
// Latency and throughput over every connection (docs/tcp.md "Latency and throughput").
struct TcpSamples {
  Samples handshake, throughput;
  void add(const TcpConnection& c) {
    if (c.handshake_rtt_ns >= 0) handshake.add(c.handshake_rtt_ns);
    const TcpDirection& d = c.dir[0].payload_bytes >= c.dir[1].payload_bytes ? c.dir[0] : c.dir[1];
    constexpr std::uint64_t kMinBytes = 64 * 1024;
    if (d.payload_bytes >= kMinBytes && d.last_ns > d.first_ns)
      throughput.add(static_cast<std::int64_t>(static_cast<double>(d.payload_bytes) * 1e9 /
                                               static_cast<double>(d.last_ns - d.first_ns)));
  }
};

LatencyStat latency_stat(const Samples& s) {
  return {s.count(), s.quantile(0.5), s.quantile(0.95), s.max()};
}

// second_opinion: what other modules know about a TCP finding, applied before it is collected.
void attach_tcp_report(TcpAnalyzer& tcp, TcpReport& rep, const RunOptions& opt, FindingCollector& findings,
                       TcpSamples& samples, std::function<void(Finding&)> second_opinion) {
  // The listed connections' room at once (only what is filled becomes resident): growing by
  // doubling would copy them and hold up to twice the room for a moment.
  rep.connections.reserve(std::min<std::size_t>(opt.max_listed_connections, 10'000));
  tcp.on_connection([&rep, &opt, &samples](const TcpConnection& c) {
    samples.add(c);
    if (rep.connections.size() < opt.max_listed_connections) rep.connections.push_back(c);
    else ++rep.connections_omitted;
  });
  tcp.on_finding([sink = findings.sink("tcp"), second_opinion = std::move(second_opinion)](const Finding& f) {
    Finding g = f;
    second_opinion(g);
    sink(g);
  });
}
// A protocol module's packet part, as the pipeline's analyzers are (its finish() is a phase of
// its own: after every core analyzer finished).
class ModulePackets final : public Analyzer {
 public:
  explicit ModulePackets(ModuleAnalyzer& a) : a_(a) {}
  void on_packet(const Packet& p) override { a_.on_packet(p); }

 private:
  ModuleAnalyzer& a_;
};

// Whole-trace connection numbers (docs/tcp.md "Connection numbers"). With --filter or a time
// window, a TCP analyzer of its own sees every record before they are dropped and stamps each TCP
// packet (and CTRACE data trace record) with its connection's number; the analysis takes the
// numbers from there, so a connection is N with and without the filter. With an end to the
// window it also keeps where each connection ended in the whole trace, for those still open at
// the window's end. It runs on the reading thread: it adds about one TCP analysis per record.
class Numbering {
 public:
  Numbering(const RunOptions& opt, bool ctrace, bool keep_ends)
      : tcp_(opt.tcp_options), keep_ends_(keep_ends), tunnels_(opt.tunnels) {
    tcp_.on_tcp_packet([this](const Packet&, const TcpPacketInfo&, const TcpConnection& c) { stamp_ = c.id; });
    if (keep_ends_) tcp_.on_connection([this](const TcpConnection& c) { keep_end(c); });
    if (ctrace) {
      DataTraceOptions dto;
      dto.idle_timeout_ns = opt.tcp_options.idle_timeout_ns;
      dto.max_listed = 0;  // it numbers; the analysis lists
      dto.port_names = opt.tcp_options.port_names;
      datatrace_ = std::make_unique<DataTraceStreams>(dto, ctrace_, &tcp_);
      if (keep_ends_) datatrace_->on_connection([this](const TcpConnection& c) { keep_end(c); });
    }
  }

  void stamp(Record& rec) {
    rec.connection = 0;  // (the reader leaves the last record's)
    decode(rec, pkt_, DecodeOptions{tunnels_});
    stamp_ = 0;
    tcp_.on_packet(pkt_);
    if (datatrace_) {
      datatrace_->on_packet(pkt_);
      if (const std::uint64_t id = datatrace_->last_connection()) stamp_ = id;
    }
    rec.connection = stamp_;
  }

  void finish(TcpReport& rep) {
    tcp_.finish();
    if (datatrace_) datatrace_->finish();
    rep.connections_in_trace = tcp_.new_connection_id() - 1;  // the numbers given
    rep.local_host = tcp_.trace_host();
    if (!keep_ends_) return;
    for (const TcpConnection& c : rep.connections) {
      const bool open = c.state == TcpState::established || c.state == TcpState::closing ||
                        c.state == TcpState::syn_sent || c.state == TcpState::syn_received;
      if (!open || c.evicted_idle || c.id >= ends_.size()) continue;
      const End& e = ends_[c.id];
      if (e.last_frame > c.last_frame) rep.after_window.push_back({c.id, e.state, e.last_ns, e.last_frame});
    }
  }

 private:
  struct End {
    std::int64_t last_ns = 0;
    std::uint64_t last_frame = 0;
    TcpState state = TcpState::established;
  };
  void keep_end(const TcpConnection& c) {
    if (!c.id) return;
    if (ends_.size() <= c.id) ends_.resize(std::max<std::size_t>(c.id + 1, ends_.size() * 2));
    ends_[c.id] = {c.last_ns, c.last_frame, c.state};
  }

  TcpAnalyzer tcp_;
  CtraceReport ctrace_;  // the data trace's rows: not kept (max_listed 0)
  std::unique_ptr<DataTraceStreams> datatrace_;
  Packet pkt_;
  std::uint64_t stamp_ = 0;
  bool keep_ends_;
  bool tunnels_;
  std::vector<End> ends_;  // by connection number
};
}  // namespace

RunResult run_summary(const std::string& path, const RunOptions& opt) {
  RunResult res;
  SummaryReport& rep = res.report;
  rep.path = path;
  rep.filter = opt.filter;

  std::unique_ptr<BpfFilter> filter;
  if (!opt.filter.empty()) {
    std::string err;
    filter = BpfFilter::create(opt.filter, err);
    if (!filter) {
      res.exit_code = 1;
      res.error = fmt::format("--filter '{}': {}", opt.filter, err);
      return res;
    }
  }

  OpenError oerr;
  auto reader = open_trace(path, oerr, opt.open);
  if (!reader) {
    res.exit_code = oerr.exit_code;
    res.error = oerr.message;
    return res;
  }
  rep.path = reader->path();
  rep.format = reader->format();
  rep.file_size = reader->file_size();

  SummaryAnalyzer summary(rep, opt.summary);
  std::vector<Analyzer*> analyzers{&summary};
  std::unique_ptr<TcpAnalyzer> tcp;
  std::unique_ptr<FtpAnalyzer> ftp;
  std::unique_ptr<DnsAnalyzer> dns;
  std::unique_ptr<IcmpAnalyzer> icmp;
  std::unique_ptr<TlsAnalyzer> tls;
  std::unique_ptr<StartTlsAnalyzer> starttls;
  std::unique_ptr<DhcpAnalyzer> dhcp;
  std::unique_ptr<NetworkAnalyzer> network;
  FindingCollector findings(rep.findings, opt.max_listed_findings, opt.finding_filter);
  std::unique_ptr<CtraceSummaryAnalyzer> ctrace;
  TcpSamples samples;
  if (opt.dhcp) {
    dhcp = std::make_unique<DhcpAnalyzer>(rep.dhcp, findings.sink("dhcp"));
    analyzers.push_back(dhcp.get());
  }
  if (opt.icmp) {
    icmp = std::make_unique<IcmpAnalyzer>(rep.icmp, findings.sink("icmp"));
    analyzers.push_back(icmp.get());
  }
  if (opt.network) {
    network = std::make_unique<NetworkAnalyzer>(opt.network_options, rep.network, findings.sink("network"));
    analyzers.push_back(network.get());
  }
  ChecksumAnalyzer checksum(findings.sink("checksum"));
  analyzers.push_back(&checksum);
  if (opt.dns) {
    DnsOptions d = opt.dns_options;
    for (const auto& [name, port] : opt.tcp_options.port_names)
      if (name == "dns") d.ports.push_back(port);
    dns = std::make_unique<DnsAnalyzer>(d, rep.dns, findings.sink("dns"));
    analyzers.push_back(dns.get());
  }
  if (opt.tcp) {
    tcp = std::make_unique<TcpAnalyzer>(opt.tcp_options);
    rep.tcp.present = true;
    attach_tcp_report(*tcp, rep.tcp, opt, findings, samples, [&ctrace, &ftp, &opt](Finding& f) {
      // A SYSTCPIS (IDS) trace holds only the packets that fired a probe: the answer to a SYN is not
      // expected in it.
      if ((f.kind == "syn_unanswered" || f.kind == "handshake_incomplete") && ctrace && ctrace->ids_only()) {
        f.severity = Severity::info;
        f.area = Area::capture;
        f.area_set = true;
        f.summary += " (an IDS trace: it holds only the packets that fired a probe, not the answers)";
      }
      // FTP servers delay login refusals on purpose, against password guessing; a 425 comes after the
      // server waited for the data connection (its own finding).
      if (f.kind == "slow_response" && ftp && f.connection) {
        if (const char* why = ftp->slow_explained(f.connection, opt.tcp_options.rt_threshold_ns)) {
          f.severity = Severity::info;
          f.area = Area::application;
          f.area_set = true;
          f.summary += fmt::format(" ({})", why);
        }
      }
    });
    if (opt.ftp) {
      FtpOptions fo = opt.ftp_options;
      for (const auto& [name, port] : opt.tcp_options.port_names)
        if (name == "ftp") fo.control_ports.push_back(port);
      ftp = std::make_unique<FtpAnalyzer>(fo, rep.ftp, findings.sink("ftp"));
      tcp->add_stream_sink(ftp.get());
      tcp->on_connection([f = ftp.get()](const TcpConnection& c) { f->on_connection(c); });
    }
    if (dns) tcp->add_stream_sink(dns.get());
    if (opt.tls) {
      tls = std::make_unique<TlsAnalyzer>(rep.tls, findings.sink("tls"));
      // STARTTLS and the like: before the TLS sink, which then gets the bytes of the same segment
      starttls = std::make_unique<StartTlsAnalyzer>(StartTlsOptions{opt.tcp_options.port_names}, rep.tls,
                                                    findings.sink("starttls"));
      tcp->add_stream_sink(starttls.get());
      for (auto port : starttls->ports()) tls->starttls_port(port);
      starttls->on_tls([t = tls.get()](const TcpConnection& c, std::uint64_t co, std::uint64_t so, std::string_view how) {
        t->start_tls(c, co, so, how);
      });
      starttls->on_no_tls([t = tls.get()](const TcpConnection& c) { t->no_tls(c); });
      tcp->add_stream_sink(tls.get());
      if (ftp) {  // after AUTH TLS the FTP control connection is TLS's
        for (auto port : ftp->control_ports()) tls->starttls_port(port);
        ftp->on_tls([t = tls.get()](const TcpConnection& c, std::uint64_t co, std::uint64_t so) { t->start_tls(c, co, so); });
      }
    }
    // ICMP errors and looping packets name the TCP connection they belong to.
    auto conn_of = [t = tcp.get()](const IpAddr& a, std::uint16_t pa, const IpAddr& b, std::uint16_t pb) {
      return t->open_connection_id(a, pa, b, pb);
    };
    if (icmp) icmp->set_connection_lookup(conn_of);
    if (network) network->set_connection_lookup(conn_of);
    if (opt.tcp_hook) opt.tcp_hook(*tcp);
    analyzers.insert(analyzers.begin() + 1, tcp.get());  // before DNS: it finishes TCP streams first
  }
  // The protocol modules (src/protocols/registry.cpp): each gets its ports (defaults and --app
  // NAME=PORT), a finding sink with its name, and its section in the report; its stream part is
  // fed by the TCP reassembly through a probing sink, its packet part runs after the TCP analyzer.
  struct ModuleRun {
    ModuleParts parts;
    std::unique_ptr<TcpStreamSink> sink;
    std::unique_ptr<ModulePackets> packets;
  };
  std::vector<ModuleRun> modules;
  if (opt.modules && tcp) {
    for (const ProtocolModule* m : protocol_modules()) {
      ModuleContext ctx;
      ctx.tcp_ports = m->tcp_ports;
      ctx.udp_ports = m->udp_ports;
      for (const auto& [name, port] : opt.tcp_options.port_names)
        if (name == m->name) {
          ctx.tcp_ports.push_back(port);
          ctx.udp_ports.push_back(port);
        }
      ctx.rt_threshold_ns = opt.tcp_options.rt_threshold_ns;
      ctx.show_secrets = opt.show_secrets;
      ctx.findings = findings.sink(std::string(m->name));
      ModuleRun& run = modules.emplace_back();
      run.parts = m->make(ctx);
      rep.modules.emplace_back(std::string(m->name), run.parts.section);
      run.sink = probing_sink(*m, ctx.tcp_ports, *run.parts.analyzer);
      tcp->add_stream_sink(run.sink.get());
      if (run.parts.analyzer->packets()) {
        run.packets = std::make_unique<ModulePackets>(*run.parts.analyzer);
        analyzers.push_back(run.packets.get());
      }
    }
  }
  analyzers.insert(analyzers.end(), opt.extra.begin(), opt.extra.end());
  std::unique_ptr<DataTraceStreams> datatrace;
  if (rep.format == Format::ctrace) {
    ctrace = std::make_unique<CtraceSummaryAnalyzer>(rep.ctrace.emplace(), findings.sink("ctrace"));
    // Data trace streams feed the TCP analyzer's sinks: right after it, so that they finish (and
    // hand over the rest of their streams) before the application analyzers do.
    DataTraceOptions dto;
    dto.idle_timeout_ns = opt.tcp_options.idle_timeout_ns;
    dto.max_listed = opt.max_listed_connections;
    dto.port_names = opt.tcp_options.port_names;
    datatrace = std::make_unique<DataTraceStreams>(dto, *rep.ctrace, tcp.get());
    if (ftp) datatrace->on_connection([f = ftp.get()](const TcpConnection& c) { f->on_connection(c); });
    analyzers.insert(analyzers.begin() + (tcp ? 2 : 1), datatrace.get());
  }

  // Everything that follows connections, and every analyzer that reports findings, runs on the
  // analysis thread. The summary (and CTRACE) counts are made on the reading thread for pcap and
  // pcapng; a CTRACE reader has more to do (the entry scan, the trace headers), so there they
  // join the analysis thread, which keeps the two threads about equally busy.
  std::vector<Analyzer*> near{&summary}, far(analyzers.begin() + 1, analyzers.end());
  if (ctrace) {
    near.clear();
    far.insert(far.begin(), {&summary, ctrace.get()});
  }
  // Automatic: two threads on two cores, unless the file is so small (< 4 MiB) that starting the
  // second thread would take longer than it saves.
  const bool small = rep.file_size > 0 && rep.file_size < (4u << 20);
  const unsigned threads = opt.threads ? opt.threads : (std::thread::hardware_concurrency() >= 2 && !small ? 2 : 1);
  std::unique_ptr<IpReassembler> reasm;
  if (opt.ip_reassembly.enabled) reasm = std::make_unique<IpReassembler>(opt.ip_reassembly);
  Pipeline pipe(near, far, threads > 1, reasm.get(), DecodeOptions{opt.tunnels});
  std::map<std::uint16_t, std::uint64_t> links;
  std::uint64_t* link_count = nullptr;  // the count of the last record's link type (one map lookup per change)
  std::uint16_t last_link = 0;
  Record rec;
  auto next_progress = std::chrono::steady_clock::now();
  std::int64_t start_ns = opt.start_ns, end_ns = opt.end_ns;
  bool first_record = true;
  std::unique_ptr<Numbering> numbering;
  while (reader->next(rec)) {
    ++rep.records.read;
    if (!link_count || rec.link != last_link) link_count = &links[last_link = rec.link];
    ++*link_count;
    if (opt.progress && (rep.records.read & 4095) == 0 && std::chrono::steady_clock::now() >= next_progress) {
      const auto pk = reader->packed();
      opt.progress(pk ? pk->packed_bytes : reader->stats().bytes_read, rep.file_size);
      next_progress = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    }
    if (first_record) {
      first_record = false;
      if (opt.resolve_window) opt.resolve_window(rec.ts_ns, start_ns, end_ns);
      if (tcp && (filter || start_ns != INT64_MIN || end_ns != INT64_MAX)) {
        numbering = std::make_unique<Numbering>(opt, rep.format == Format::ctrace, end_ns != INT64_MAX);
        tcp->number_from_records();
      }
    }
    if (numbering) numbering->stamp(rec);
    if ((filter && !filter->matches(rec)) || rec.ts_ns < start_ns || rec.ts_ns >= end_ns) {
      ++rep.records.filtered_out;
      continue;
    }
    pipe.push(rec);
  }
  pipe.drain();
  if (reasm) {
    // Before the analyzers finish: the reassembler's findings join theirs (the collector orders them).
    reasm->finish(rep.last_ns.value_or(0));
    rep.ip_reassembly = reasm->stats();
    const auto sink = findings.sink("ip");
    for (const Finding& f : reasm->take_findings()) sink(f);
  }
  for (Analyzer* a : analyzers) a->finish();
  if (ftp) ftp->finish();
  if (tls) tls->finish();
  if (starttls) starttls->finish();
  for (ModuleRun& m : modules) m.parts.analyzer->finish();
  if (ctrace) ctrace->finish();
  if (filter && !filter->link_error().empty()) spdlog::warn("{}", filter->link_error());

  if (tcp) {
    rep.tcp.totals = tcp->totals();
    std::sort(rep.tcp.connections.begin(), rep.tcp.connections.end(),
              [](const TcpConnection& a, const TcpConnection& b) { return a.id < b.id; });
    // the traced host of the whole trace, filter and window or not (Numbering saw every record)
    if (numbering) numbering->finish(rep.tcp);
    else rep.tcp.local_host = tcp->trace_host();
    if (rep.tcp.local_host)
      for (TcpConnection& c : rep.tcp.connections) take_trace_host(c, *rep.tcp.local_host);
    rep.tcp.bytes_per_connection = tcp->bytes_per_connection();
    rep.tcp.reassembly = tcp->reassembly();
    rep.tcp.handshake_rtt = latency_stat(samples.handshake);
    rep.tcp.response_time = latency_stat(tcp->response_times());
    rep.tcp.throughput = latency_stat(samples.throughput);
    // A finding about one connection that names no packet (FTP, TLS... see their streams, not
    // packets) covers the connection's frames.
    for (Finding& f : rep.findings.list) {
      if (!f.connection || f.first_frame) continue;
      const auto it = std::lower_bound(rep.tcp.connections.begin(), rep.tcp.connections.end(), f.connection,
                                       [](const TcpConnection& c, std::uint64_t id) { return c.id < id; });
      if (it == rep.tcp.connections.end() || it->id != f.connection) continue;
      f.first_frame = it->first_frame;
      f.last_frame = it->last_frame;
    }
  }
  if (const auto& cs = reader->stats().ctrace; cs && cs->lost_markers) {
    Finding f{Severity::warning, "traffic", "ctrace_records_lost", cs->lost_first_ns, 0,
              fmt::format("{} lost-record marker{}: the trace is incomplete between {} and {}", cs->lost_markers,
                          cs->lost_markers == 1 ? "" : "s", iso_time(cs->lost_first_ns), iso_time(cs->lost_last_ns)),
              "The component trace could not keep up and dropped records there (its buffers were full): packets "
              "and connections around those times are missing from the trace, so counts and findings there are "
              "incomplete, not wrong traffic."};
    f.count = cs->lost_markers;
    f.last_ns = cs->lost_last_ns;
    f.hint = "Give the trace more buffer (TRACE CT,nnnM,COMP=SYSTCPDA, or BUFSIZE in the CTIEZBxx parmlib "
             "member), write it to an external writer, or trace less (PKTTRACE with IP=, PORTNUM= and ABBREV=).";
    findings.sink("ctrace")(f);
  }
  findings.finish();
  rep.read = reader->stats();
  rep.packed = reader->packed();
  rep.interfaces.assign(reader->interfaces().begin(), reader->interfaces().end());
  for (const auto& [lt, n] : links) rep.link_types.push_back({lt, n, linktype_supported(lt)});
  res.exit_code = rep.read.partial() ? 3 : 0;
  rep.exit_code = res.exit_code;
  return res;
}

}  // namespace ctana
