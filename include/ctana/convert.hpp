// Trace conversion: any input (pcap, pcapng, CTRACE) to pcapng or pcap for Wireshark, and packet
// traces to CTRACE (fixtures in ctana's H1 layout). docs/ctrace.md, docs/cli.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ctana/ctrace.hpp"
#include "ctana/reader.hpp"

namespace ctana {

struct ConvertOptions {
  enum class To { pcapng, pcap, ctrace } to = To::pcapng;
  ctrace::WriterOptions ctrace;
  // CTRACE output only: mark every Nth packet as discarded / as an IDS record (0 = never).
  std::uint32_t discard_every = 0;
  std::uint16_t discard_code = 4114;
  std::uint32_t ids_every = 0;
  std::uint32_t ids_probe = 0x03030000;
  // CTRACE output only: write Ethernet frames as OSAENTA (id 7) records instead of their IP
  // packets as packet trace (id 4) records.
  bool osaenta = false;
  // CTRACE output only: invert one byte every N bytes of the written file (damaged fixtures).
  std::uint64_t flip_every = 0;
  // CTRACE output only: write the TCP payload of each connection as data trace (id 5) records
  // (start record, socket data in order, end record) instead of packet records, or as well.
  enum class DataTrace { none, only, with_packets } data_trace = DataTrace::none;
  std::string data_job = "CTANAJOB";  // job name of the data trace records
  OpenOptions open;             // how to read the input (CTRACE field overrides, leap seconds)
  // FTP PASS and ACCT arguments in packet data are written as '*' bytes (lengths kept, checksums
  // then wrong) unless show_secrets; control connections are those to these ports.
  bool show_secrets = false;
  std::vector<std::uint16_t> ftp_ports{21};
  // A subset (docs/cli.md "convert"): only records matching this tcpdump-style filter ("" for
  // all) whose time is in [start_ns, end_ns) are written; resolve_window, when set, is called
  // with the first record's time to set a window given relative to the trace (as RunOptions).
  std::string filter;
  std::int64_t start_ns = INT64_MIN, end_ns = INT64_MAX;
  std::function<void(std::int64_t first_ns, std::int64_t& start_ns, std::int64_t& end_ns)> resolve_window;
  // When `only_frames` is set, only the records with these numbers (Record::index, ascending),
  // e.g. the frames of one TCP connection, and among them those the filter and window keep.
  bool only_frames = false;
  std::vector<std::uint64_t> frames;
  // pcapng output: further packet comments (one opt_comment each) by record number.
  std::map<std::uint64_t, std::vector<std::string>> comments;
};

struct ConvertResult {
  int exit_code = 0;            // 0 ok, 1 usage, 2 unreadable input / unwritable output, 3 partial input
  std::string error;            // one line when nothing could be converted
  std::uint64_t records_in = 0, records_out = 0;
  std::uint64_t not_converted = 0;  // records the output format cannot hold (reason in `note`)
  std::uint64_t data_trace_connections = 0;  // --data-trace: connections written (with a start record)
  std::uint64_t data_trace_gap_bytes = 0;    // --data-trace: TCP payload never captured, so not written
  std::uint64_t secrets_masked = 0;  // packets written with an FTP PASS/ACCT argument masked
  std::uint64_t filtered_out = 0;    // records left out by the filter, the window or only_frames
  std::uint64_t comments_written = 0;  // entries of ConvertOptions::comments written
  std::string note;
  ReadStats read;
};

ConvertResult convert_trace(const std::string& in, const std::string& out, const ConvertOptions& opt);

// The CTRACE facts of a record as one line for a pcapng packet comment ("" for other inputs).
std::string ctrace_comment(const Record& r);

}  // namespace ctana
