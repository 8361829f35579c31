// Record listings in the manner of the IPCS packet trace SUMMARY and FORMAT reports.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ctana/packet.hpp"

namespace ctana {

std::string record_time(std::int64_t ns);            // hh:mm:ss.uuuuuu (UTC)
std::string record_summary_header();
std::string record_summary_line(const Packet& p);     // one line, '\n' terminated
// The text columns of a FORMAT dump (IPCS options ASCII, EBCDIC, BOTH; BOTH is IPCS's default).
enum class DumpText : std::uint8_t { ascii, ebcdic, both };
struct DetailOptions {
  std::size_t dump_bytes = 64;  // bytes of socket/application data dumped
  DumpText text = DumpText::both;
};
// FORMAT block. Secrets are masked before (ftp::SecretMasker), in the record's bytes.
std::string record_detail(const Packet& p, const DetailOptions& o);
inline std::string record_detail(const Packet& p, std::size_t dump_bytes) { return record_detail(p, DetailOptions{dump_bytes}); }
// IPCS's date separator "**** 2008/02/22", printed before the first record and when the day
// (UTC) changes; record_day gives the day number to compare.
std::string record_date_line(std::int64_t ns);
std::int64_t record_day(std::int64_t ns);
// The application column of `records` and `flow`: what the packet carries at the application
// layer, decoded from this packet alone ("FTP USER alice", "FTP 230 Login successful.", "DNS query
// 0x1a2b A example.com", "DHCP OFFER xid 0x...", "TLS client_hello SNI host", "HTTP GET /",
// "ICMP Destination Unreachable: Port Unreachable (quotes UDP ...)"); "" when nothing is known.
// Printable ASCII; PASS and ACCT arguments are always shown as "****".
std::string application_info(const Packet& p);

}  // namespace ctana

namespace ctana {

struct ReadStats;

// `records --statistics`: the tallies of IPCS CTRACE STATISTICS(DETAIL) (= TALLY): records read,
// passed and filtered, lost; then per record type, IP version, device type, link, job, protocol
// and discard code the records and bytes in and out with the first and last record (docs/cli.md).
class RecordStatistics {
 public:
  RecordStatistics();
  ~RecordStatistics();
  RecordStatistics(const RecordStatistics&) = delete;
  RecordStatistics& operator=(const RecordStatistics&) = delete;
  void read(const Record& r);     // every record the reader hands out
  void passed(const Packet& p);   // the records that passed the filters, decoded
  std::string text(const ReadStats& st) const;

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace ctana
