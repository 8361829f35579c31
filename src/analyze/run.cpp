// The analysis pipeline: reader -> filter -> decoder -> analyzers -> report.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "ctana/ctrace_summary.hpp"
#include "ctana/decode.hpp"
#include "ctana/dhcp.hpp"
#include "ctana/filter.hpp"
#include "ctana/icmp.hpp"
#include "ctana/stats.hpp"
#include "ctana/summary.hpp"
#include "ctana/tls.hpp"

namespace ctana {

namespace {
// Collects the TCP analyzer's connections and findings into the report, within the caps.
using KindMap = std::map<std::string, FindingKindRow>;

std::function<void(const Finding&)> finding_collector(TcpReport& rep, const RunOptions& opt, KindMap& kinds) {
  return [&rep, &opt, &kinds](const Finding& f) {
    ++rep.findings_by_severity[static_cast<std::size_t>(f.severity)];
    auto& k = kinds[f.kind];
    if (!k.count++) {
      k.kind = f.kind;
      k.category = f.category;
    }
    k.severity = std::max(k.severity, f.severity);
    if (rep.findings.size() < opt.max_listed_findings) rep.findings.push_back(f);
    else ++rep.findings_omitted;
  };
}

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

void attach_tcp_report(TcpAnalyzer& tcp, TcpReport& rep, const RunOptions& opt, KindMap& kinds, TcpSamples& samples) {
  tcp.on_connection([&rep, &opt, &samples](const TcpConnection& c) {
    samples.add(c);
    if (rep.connections.size() < opt.max_listed_connections) rep.connections.push_back(c);
    else ++rep.connections_omitted;
  });
  tcp.on_finding(finding_collector(rep, opt, kinds));
}
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
  std::unique_ptr<DhcpAnalyzer> dhcp;
  KindMap kinds;
  TcpSamples samples;
  if (opt.dhcp) {
    dhcp = std::make_unique<DhcpAnalyzer>(rep.dhcp, finding_collector(rep.tcp, opt, kinds));
    analyzers.push_back(dhcp.get());
  }
  if (opt.icmp) {
    icmp = std::make_unique<IcmpAnalyzer>(rep.icmp, finding_collector(rep.tcp, opt, kinds));
    analyzers.push_back(icmp.get());
  }
  if (opt.dns) {
    DnsOptions d = opt.dns_options;
    for (const auto& [name, port] : opt.tcp_options.port_names)
      if (name == "dns") d.ports.push_back(port);
    dns = std::make_unique<DnsAnalyzer>(d, rep.dns, finding_collector(rep.tcp, opt, kinds));
    analyzers.push_back(dns.get());
  }
  if (opt.tcp) {
    tcp = std::make_unique<TcpAnalyzer>(opt.tcp_options);
    rep.tcp.present = true;
    attach_tcp_report(*tcp, rep.tcp, opt, kinds, samples);
    if (opt.ftp) {
      FtpOptions fo = opt.ftp_options;
      for (const auto& [name, port] : opt.tcp_options.port_names)
        if (name == "ftp") fo.control_ports.push_back(port);
      ftp = std::make_unique<FtpAnalyzer>(fo, rep.ftp, finding_collector(rep.tcp, opt, kinds));
      tcp->add_stream_sink(ftp.get());
      tcp->on_connection([f = ftp.get()](const TcpConnection& c) { f->on_connection(c); });
    }
    if (dns) tcp->add_stream_sink(dns.get());
    if (opt.tls) {
      tls = std::make_unique<TlsAnalyzer>(rep.tls, finding_collector(rep.tcp, opt, kinds));
      tcp->add_stream_sink(tls.get());
      if (ftp) {  // after AUTH TLS the FTP control connection is TLS's
        for (auto port : ftp->control_ports()) tls->starttls_port(port);
        ftp->on_tls([t = tls.get()](const TcpConnection& c, std::uint64_t co, std::uint64_t so) { t->start_tls(c, co, so); });
      }
    }
    if (opt.tcp_hook) opt.tcp_hook(*tcp);
    analyzers.insert(analyzers.begin() + 1, tcp.get());  // before DNS: it finishes TCP streams first
  }
  analyzers.insert(analyzers.end(), opt.extra.begin(), opt.extra.end());
  std::unique_ptr<CtraceSummaryAnalyzer> ctrace;
  if (rep.format == Format::ctrace) ctrace = std::make_unique<CtraceSummaryAnalyzer>(rep.ctrace.emplace());

  std::map<std::uint16_t, std::uint64_t> links;
  Record rec;
  Packet pkt;
  while (reader->next(rec)) {
    ++rep.records.read;
    ++links[rec.link];
    if ((filter && !filter->matches(rec)) || rec.ts_ns < opt.start_ns || rec.ts_ns >= opt.end_ns) {
      ++rep.records.filtered_out;
      continue;
    }
    decode(rec, pkt);
    for (Analyzer* a : analyzers) a->on_packet(pkt);
    if (ctrace) ctrace->on_packet(pkt);
  }
  for (Analyzer* a : analyzers) a->finish();
  if (ftp) ftp->finish();
  if (tls) tls->finish();
  if (ctrace) ctrace->finish();
  if (filter && !filter->link_error().empty()) spdlog::warn("{}", filter->link_error());

  if (tcp) {
    rep.tcp.totals = tcp->totals();
    rep.tcp.bytes_per_connection = tcp->bytes_per_connection();
    rep.tcp.reassembly = tcp->reassembly();
    std::sort(rep.tcp.connections.begin(), rep.tcp.connections.end(),
              [](const TcpConnection& a, const TcpConnection& b) { return a.id < b.id; });
    std::stable_sort(rep.tcp.findings.begin(), rep.tcp.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.ts_ns < b.ts_ns; });
    rep.tcp.handshake_rtt = latency_stat(samples.handshake);
    rep.tcp.response_time = latency_stat(tcp->response_times());
    rep.tcp.throughput = latency_stat(samples.throughput);
  }
  for (const auto& [name, k] : kinds) {
    rep.tcp.findings_by_kind.emplace_back(name, k.count);
    rep.tcp.finding_kinds.push_back(k);
  }
  rep.read = reader->stats();
  rep.interfaces.assign(reader->interfaces().begin(), reader->interfaces().end());
  for (const auto& [lt, n] : links) rep.link_types.push_back({lt, n, linktype_supported(lt)});
  res.exit_code = rep.read.partial() ? 3 : 0;
  rep.exit_code = res.exit_code;
  return res;
}

}  // namespace ctana
