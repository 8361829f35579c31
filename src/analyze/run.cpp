// The summary pipeline: reader -> filter -> decoder -> analyzers -> report.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>

#include "ctana/ctrace_summary.hpp"
#include "ctana/decode.hpp"
#include "ctana/filter.hpp"
#include "ctana/summary.hpp"

namespace ctana {

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
  std::unique_ptr<CtraceSummaryAnalyzer> ctrace;
  if (rep.format == Format::ctrace) ctrace = std::make_unique<CtraceSummaryAnalyzer>(rep.ctrace.emplace());
  std::map<std::uint16_t, std::uint64_t> links;
  Record rec;
  Packet pkt;
  while (reader->next(rec)) {
    ++rep.records.read;
    ++links[rec.link];
    if (filter && !filter->matches(rec)) {
      ++rep.records.filtered_out;
      continue;
    }
    decode(rec, pkt);
    summary.on_packet(pkt);
    if (ctrace) ctrace->on_packet(pkt);
  }
  summary.finish();
  if (ctrace) ctrace->finish();
  if (filter && !filter->link_error().empty()) spdlog::warn("{}", filter->link_error());

  rep.read = reader->stats();
  rep.interfaces.assign(reader->interfaces().begin(), reader->interfaces().end());
  for (const auto& [lt, n] : links) rep.link_types.push_back({lt, n, linktype_supported(lt)});
  res.exit_code = rep.read.partial() ? 3 : 0;
  rep.exit_code = res.exit_code;
  return res;
}

}  // namespace ctana
