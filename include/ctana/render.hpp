// Renderers: report model -> text for people, JSON for machines. No metric is computed here.
#pragma once

#include <functional>

#include <cstdint>
#include <string>
#include <vector>

#include "ctana/report.hpp"

namespace ctana {

std::string render_summary_text(const SummaryReport& r);
std::string render_summary_json(const SummaryReport& r);
// The CTRACE part (empty / "null" unless the input was CTRACE); used by the two above.
std::string render_ctrace_text(const SummaryReport& r);
std::string render_ctrace_json(const SummaryReport& r);

// TCP session analysis (docs/tcp.md).
std::string render_sessions_text(const SummaryReport& r, std::uint64_t only_conn = 0);  // IPCS SESSION
std::string render_sessions_table(const SummaryReport& r);                             // one line each
std::string render_sessions_json(const SummaryReport& r, std::uint64_t only_conn = 0);
// `ctana ftp`: every FTP session's command log; `ctana dns`: the DNS transactions.
std::string render_ftp_log_text(const SummaryReport& r);
std::string render_dns_log_text(const SummaryReport& r);
std::string render_flow_header(const TcpConnection& c, bool relative);
// local: the side whose sends are output (O), the other's input (I).
std::string render_flow_row(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                            std::int64_t delta_ns, bool relative);
// One JSON object per packet (JSON Lines), for `ctana flow --json`.
std::string render_flow_json_row(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                                 std::int64_t delta_ns);
// The exception report (docs/findings.md): the verdict, then the findings grouped by kind and
// cause (rank or time order), or one at a time (--no-group; time or severity order).
enum class FindingOrder { rank, time, severity };
struct ExceptionsTextOptions {
  bool group = true;
  FindingOrder order = FindingOrder::rank;
};
std::string render_exceptions_text(const SummaryReport& r, const ExceptionsTextOptions& opt = {});
// "What went wrong": the few most important groups of findings, one line each.
std::string render_verdict_text(const FindingsReport& f);
std::string render_exceptions_json(const SummaryReport& r);

// Tables (--format csv|tsv; docs/cli.md "Tables"): a header line of column names, then one line
// per row. CSV as RFC 4180 (values with a comma, quote or line break quoted, quotes doubled; CRLF
// line ends); TSV with a blank for a tab or line break inside a value. A row holds the values of
// the command's JSON object under the same names (src/report/table.cpp).
enum class TableFormat : std::uint8_t { csv, tsv };
std::string table_row(const std::vector<std::string>& cells, TableFormat f);
const std::vector<std::string>& sessions_columns();
const std::vector<std::string>& exceptions_columns();
const std::vector<std::string>& flow_columns();
const std::vector<std::string>& records_columns();
std::string render_sessions_table(const SummaryReport& r, TableFormat f, std::uint64_t only_conn = 0);
std::string render_exceptions_table(const SummaryReport& r, TableFormat f, bool by_severity);
std::string render_flow_table_header(TableFormat f);
std::string render_flow_table_row(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                                  std::int64_t delta_ns, TableFormat f);
std::string render_records_table_header(TableFormat f);
std::string render_record_table_row(const Packet& p, TableFormat f);
std::string render_record_json_row(const Packet& p);  // JSON Lines: one object per record

// Helpers shared by the renderers.
std::string iso_time(std::int64_t ns);        // 2024-01-02T03:04:05.123456789Z
// The zone of the text reports (--tz): `offset` gives the seconds east of UTC at a UTC second;
// none (the default) is UTC. JSON is always UTC (iso_time).
void set_text_zone(std::function<std::int64_t(std::int64_t utc_s)> offset);
std::int64_t text_zone_shift_ns(std::int64_t ns);  // what to add to a UTC time to show it in that zone
std::string text_time(std::int64_t ns);       // iso_time in that zone: ...Z in UTC, else ...+01:00
std::string group_digits(std::uint64_t v);     // 1,234,567
std::string seconds(std::int64_t ns);          // 1.234567890 (no unit)
std::string human_duration(std::int64_t ns);   // 0.056 ms, 12.3 ms, 1.234 s
std::string human_rate(std::int64_t bytes_per_s);  // 950 B/s, 12.3 kB/s, 1.85 MB/s (decimal units)

inline constexpr int kSchemaVersion = 1;

}  // namespace ctana
