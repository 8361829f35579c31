// CTRACE data trace (SYSTCPDA format 5) connections: records grouped into connections by their
// addresses and ports (or, without them, by job and connection id), counted per job and per
// connection, and each stream connection's socket data handed in order to the TCP analyzer's
// stream sinks (FTP, DNS, TLS), exactly as the TCP reassembler hands them TCP payload. A
// connection the packet trace of the same file also carries is analysed from one trace only:
// the one that shows it first (docs/ctrace.md "Data trace connections").
#pragma once

#include <functional>
#include <memory>

#include "ctana/analyzer.hpp"
#include "ctana/report.hpp"
#include "ctana/tcp.hpp"

namespace ctana {

struct DataTraceOptions {
  std::int64_t idle_timeout_ns = 600'000'000'000;  // a connection quiet this long is finished
  std::size_t max_open = 100'000;                  // connections open at once; beyond: counted
  std::size_t max_listed = 10'000;                 // connections kept for the report
  std::vector<std::pair<std::string, std::uint16_t>> port_names;  // --app NAME=PORT
};

class DataTraceStreams final : public Analyzer {
 public:
  // `tcp` may be null (no TCP analysis): connections are then counted but not analysed. With a
  // TCP analyzer its stream sinks get the data, its numbering gives the connection numbers, and
  // it is told which connections the data trace delivers (TcpAnalyzer::set_stream_claim).
  DataTraceStreams(DataTraceOptions opt, CtraceReport& out, TcpAnalyzer* tcp);
  ~DataTraceStreams() override;
  void on_packet(const Packet& p) override;
  void finish() override;
  // Called for every finished connection whose data went to the sinks (FTP links transfers to
  // data connections through it, as through TcpAnalyzer::on_connection).
  void on_connection(std::function<void(const TcpConnection&)> f);
  // The TCP connection number the last packet went to (0: none, e.g. not a stream connection or
  // not a data trace record). A connection made for a record takes Record::connection when set.
  std::uint64_t last_connection() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
