// libFuzzer target: arbitrary bytes as a trace file through the whole pipeline (format
// detection, pcap/pcapng readers with resynchronisation, every decoder, the summary and TCP
// analyzers with payload reassembly, the text and JSON renderers).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "ctana/render.hpp"
#include "ctana/summary.hpp"

namespace {
struct Sink : ctana::TcpStreamSink {
  std::uint64_t bytes = 0;
  bool wants(const ctana::TcpConnection&) override { return true; }
  void on_data(const ctana::TcpConnection&, int, std::uint64_t, ctana::Bytes d, std::int64_t) override {
    bytes += d.size();
  }
  void on_gap(const ctana::TcpConnection&, int, std::uint64_t, std::uint64_t, std::int64_t) override {}
  void on_close(const ctana::TcpConnection&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("trace", 0);
  if (fd < 0) return 0;
  if (size && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  Sink sink;
  ctana::RunOptions opt;
  opt.tcp_options.reassembly_conn_bytes = 4096;
  opt.tcp_hook = [&sink](ctana::TcpAnalyzer& t) { t.add_stream_sink(&sink); };
  auto res = ctana::run_summary(path, opt);
  if (res.error.empty()) {
    (void)ctana::render_summary_text(res.report);
    (void)ctana::render_summary_json(res.report);
    (void)ctana::render_sessions_text(res.report);
    (void)ctana::render_exceptions_text(res.report, true);
  }
  close(fd);
  return 0;
}
