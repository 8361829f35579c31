// `ctana report`: one self-contained HTML triage report (docs/report.md). The text parts come
// from the same report model as `summary --json` (SummaryReport); the plots need per-packet
// series the model does not keep, collected in the same single pass by a SeriesCollector and kept
// bounded (downsampled, every retransmission and stall kept).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ctana/analyzer.hpp"
#include "ctana/report.hpp"
#include "ctana/tcp.hpp"

namespace ctana {

// Counts over time in bins of a width that doubles (merging pairs of bins) whenever the span
// outgrows the bin count, so the number of bins stays bounded whatever the trace's length.
struct TimeBins {
  std::int64_t origin_ns = 0;      // the first sample's time
  std::int64_t width_ns = 0;       // 0: no sample yet
  std::vector<std::uint64_t> a, b; // two counts per bin (packets and bytes; or bytes each way)
  void add(std::int64_t ts_ns, std::uint64_t va, std::uint64_t vb, std::size_t max_bins, std::int64_t first_width_ns);
};

// A sample of one connection's time-sequence graph, times relative to the connection's first packet.
struct SeqPoint {
  std::int64_t t_ns = 0;
  std::uint32_t seq = 0;           // data: relative sequence of the segment's first byte; ack: relative ack
  std::uint32_t len = 0;           // data: payload bytes; ack: receive window (scaled, capped at 2^32-1)
  std::uint32_t flags = 0;         // tcpa bits of the packet
  bool important = false;          // kept whatever the downsampling (flagged packet or stall)
};
struct RttPoint {
  std::int64_t t_ns = 0;           // when the ACK came, relative to the connection's first packet
  std::int64_t rtt_ns = 0;
};

// The series of one connection: its data direction (the side that sent the most payload) with the
// ACKs and windows of the other side, round-trip samples (data -> the ACK covering it, Karn's rule:
// not for retransmitted data) and throughput per direction.
struct ConnectionSeries {
  std::uint64_t id = 0;
  Side sender = Side::client;
  std::uint64_t packets = 0;                 // of both sides, seen by the collector
  std::vector<SeqPoint> data, acks;
  std::vector<RttPoint> rtt;
  TimeBins throughput;                       // a: client -> server bytes, b: server -> client
  std::uint64_t data_dropped = 0, acks_dropped = 0;  // points left out by the downsampling
  std::uint32_t stride = 1;                  // 1 in `stride` ordinary packets kept (the largest of the series)
  std::uint64_t score = 0;                   // retained for: flagged packets, resets, slow responses
};

struct ReportSeries {
  bool collected = false;
  TimeBins timeline;                         // a: packets, b: bytes (wire) of every decoded packet
  std::vector<ConnectionSeries> connections; // the retained ones, by connection number
  // CTRACE: packets discarded by the stack over time, per reason code (the first 8 codes seen;
  // later codes count under 0xFFFF, "other"); a: packets, b: bytes
  std::vector<std::pair<std::uint16_t, TimeBins>> discards;
  // CTRACE SYSTCPIS: IDS events over time, per probe id (the first 8 probes seen; later ones count
  // under 0xFFFFFFFF, "other"); a: events, b: bytes
  std::vector<std::pair<std::uint32_t, TimeBins>> ids;
  std::uint64_t connections_untracked = 0;   // not followed: too many open at once
  std::uint64_t points_dropped_budget = 0;   // not kept: the global point budget was spent
};

struct SeriesOptions {
  std::size_t max_ordinary_points = 2000;    // per connection and series, before downsampling halves them
  std::size_t max_important_points = 4000;   // flagged packets kept per connection and series
  std::size_t max_rtt_points = 2000;
  std::size_t max_open = 4096;               // connections followed at once
  std::size_t max_total_points = 3'000'000;  // over every connection followed or retained
  std::size_t keep_problem = 24;             // retained: connections with the most problems ...
  std::size_t keep_biggest = 8;              // ... and the biggest by payload
  std::int64_t stall_ns = 200'000'000;       // a quiet time this long marks both its ends as important
  std::size_t timeline_bins = 600;
  std::size_t throughput_bins = 150;
};

// Collects ReportSeries during the run: add it to RunOptions::extra (the timeline) and call
// attach() from RunOptions::tcp_hook (the per-connection series). Bounded by SeriesOptions.
class SeriesCollector final : public Analyzer {
 public:
  SeriesCollector(ReportSeries& out, SeriesOptions opt = {});
  ~SeriesCollector() override;
  SeriesCollector(const SeriesCollector&) = delete;
  SeriesCollector& operator=(const SeriesCollector&) = delete;
  void attach(TcpAnalyzer& tcp);
  void on_packet(const Packet& p) override;
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct HtmlOptions {
  std::string title;               // default: the file name
  std::string command;             // the command line, shown at the foot
  std::size_t max_table_rows = 5000;     // connections table rows
  std::size_t max_detail = 16;           // connections with their own plots
  std::size_t max_findings_rows = 2000;  // the findings list
  bool plots = true;               // embed the charting library and draw (when this ctana has it)
};

// Whether this ctana embeds the charting library (built with CTANA_REPORT_PLOTS).
bool html_plots_available();
// The whole page: UTF-8, no external reference (scripts and styles inline, a Content Security
// Policy that forbids loading anything), every string from the trace escaped.
std::string render_report_html(const SummaryReport& r, const ReportSeries& s, const HtmlOptions& opt);
// `s` with & < > " ' escaped and control characters replaced by '?'.
std::string html_escape(std::string_view s);

}  // namespace ctana
