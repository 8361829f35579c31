// Shared by the libFuzzer targets in fuzz/: a cursor that cuts the fuzzer's input into framed
// chunks, an in-memory file for the readers, IP packets built around fuzzed bytes, and the
// invariants every target checks (a violation aborts, which libFuzzer reports as a finding).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/icmp.hpp"
#include "ctana/reader.hpp"
#include "ctana/records.hpp"
#include "ctana/render.hpp"
#include "ctana/summary.hpp"
#include "ctana/tcp.hpp"

namespace ctana::fuzz {

// An invariant of ctana's own (not a property of the input) does not hold.
[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}
inline void require(bool ok, const char* what) {
  if (!ok) violated(what);
}

// The fuzzer's bytes, read front to back; reads past the end give zeros / short spans.
class Cursor {
 public:
  Cursor(const std::uint8_t* d, std::size_t n) : b_(d, n) {}
  bool empty() const { return pos_ >= b_.size(); }
  std::uint8_t u8() { return pos_ < b_.size() ? b_[pos_++] : 0; }
  std::uint16_t u16() {
    const std::uint16_t hi = u8();
    return static_cast<std::uint16_t>((hi << 8) | u8());
  }
  Bytes take(std::size_t n) {
    n = std::min(n, b_.size() - pos_);
    const Bytes r = b_.subspan(pos_, n);
    pos_ += n;
    return r;
  }
  Bytes rest() { return take(b_.size() - pos_); }

  // One chunk of the framing the seed generator writes (tools/fuzz-seeds.py): a flags byte, a
  // big-endian 16-bit length, then that many bytes (fewer at the end of the input).
  struct Chunk {
    std::uint8_t flags = 0;
    Bytes data;
  };
  bool chunk(Chunk& c) {
    if (empty()) return false;
    c.flags = u8();
    c.data = take(u16());
    return true;
  }

 private:
  Bytes b_;
  std::size_t pos_ = 0;
};

// The bytes as a file the readers open by path (/proc/self/fd/N), without touching the disk.
class MemFile {
 public:
  explicit MemFile(Bytes b) : fd_(memfd_create("fuzz", 0)) {
    if (fd_ >= 0 && !b.empty() && write(fd_, b.data(), b.size()) != static_cast<ssize_t>(b.size())) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~MemFile() {
    if (fd_ >= 0) close(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// What the decoders promise about a packet: its layers and payload lie inside the record.
inline void check_decoded(const Record& r, const Packet& p) {
  require(p.l3_offset <= r.data.size() && p.l4_offset <= r.data.size(), "layer offset past the record");
  require(p.payload.empty() || (p.payload.data() >= r.data.data() &&
                                p.payload.data() + p.payload.size() <= r.data.data() + r.data.size()),
          "payload view outside the record");
}

// Reads every record of `path`, checks what every reader promises (records are numbered in
// order, views stay inside them, the accounting adds up) and decodes (and lists) each one.
struct ReadAll {
  bool opened = false;
  ReadStats stats;
};
inline ReadAll read_all(const std::string& path, std::uint64_t file_size, bool render) {
  ReadAll res;
  OpenError err;
  auto r = open_trace(path, err);
  if (!r) {
    require(!err.message.empty() && (err.exit_code == 1 || err.exit_code == 2), "open error without a message");
    return res;
  }
  res.opened = true;
  Record rec;
  Packet p;
  std::uint64_t n = 0;
  while (r->next(rec)) {
    ++n;
    require(rec.index == n, "record numbers are not consecutive");
    require(rec.data.size() <= (64u << 20), "record larger than any reader accepts");
    require(rec.interface_id < r->interfaces().size(), "record names an interface the reader does not list");
    decode(rec, p);
    check_decoded(rec, p);
    if (render) {
      (void)record_summary_line(p);
      (void)record_detail(p, 256);
    }
  }
  const ReadStats& st = r->stats();
  require(st.records == n, "stats().records differs from the records handed out");
  require(st.bytes_read <= file_size, "more bytes read than the file has");
  require(st.bytes_skipped <= file_size, "more bytes skipped than the file has");
  require(!st.issues.empty() || !st.partial(), "partial result without a problem saying why");
  res.stats = st;
  return res;
}

// The whole pipeline on a file: every analyzer (with small table and buffer caps, so that their
// overflow paths run too) and every renderer, checking that each record read is accounted for.
// A stream sink that takes every connection's payload, so that every connection is reassembled.
struct AnySink : TcpStreamSink {
  std::uint64_t bytes = 0;
  bool wants(const TcpConnection&) override { return true; }
  void on_data(const TcpConnection&, Side, std::uint64_t, Bytes d, std::int64_t) override { bytes += d.size(); }
  void on_gap(const TcpConnection&, Side, std::uint64_t, std::uint64_t, std::int64_t) override {}
  void on_close(const TcpConnection&) override {}
};

// Packets one by one: decoded, checked, FTP secrets masked, listed (SUMMARY line, FORMAT block
// with hex dump) and given to the summary, TCP (payload reassembled into a sink, small caps) and
// ICMP analyzers.
struct PacketRun {
  SummaryReport rep;
  SummaryAnalyzer summary{rep, SummaryOptions{}};
  TcpAnalyzer tcp{[] {
    TcpOptions o;
    o.reassembly_conn_bytes = 2048;  // small caps: the overflow paths run too
    o.reassembly_total_bytes = 4096;
    return o;
  }()};
  AnySink sink;
  IcmpAnalyzer icmp{rep.icmp, nullptr};
  ftp::SecretMasker masker{{21, 2121}};
  Packet p;

  PacketRun() { tcp.add_stream_sink(&sink); }
  void add(Record r) {
    decode(r, p);
    check_decoded(r, p);
    const std::size_t n = r.data.size();
    masker.hide(r, p);
    require(r.data.size() == n, "masking changed the record's length");
    check_decoded(r, p);
    (void)record_summary_line(p);
    (void)record_detail(p, 1024);
    summary.on_packet(p);
    tcp.on_packet(p);
    icmp.on_packet(p);
  }
  void finish() {
    summary.finish();
    tcp.finish();
    icmp.finish();
  }
};

inline void run_pipeline(const std::string& path) {
  AnySink sink;
  RunOptions opt;
  opt.tcp_options.reassembly_conn_bytes = 4096;
  opt.tcp_options.reassembly_total_bytes = 16384;
  opt.tcp_options.max_connections = 64;
  opt.summary.max_conversations = 64;
  opt.tcp_hook = [&sink](TcpAnalyzer& t) {
    t.add_stream_sink(&sink);
    t.on_tcp_packet([](const Packet& p, const TcpPacketInfo& info, const TcpConnection& c) {
      (void)render_flow_row(info.connection, p, info, c.local.value_or(Side::server), 0, true);
      (void)render_flow_json_row(info.connection, p, info, c.local.value_or(Side::server), 0);
    });
  };
  auto res = run_summary(path, opt);
  if (!res.error.empty()) return;
  require(res.exit_code == 0 || res.exit_code == 3, "run_summary exit code neither 0 nor 3");
  const auto& rc = res.report.records;
  require(rc.read == res.report.read.records, "records read differs from the reader's count");
  require(rc.read == rc.filtered_out + rc.decoded + rc.malformed + rc.truncated + rc.unsupported,
          "read != filtered out + decoded + malformed + truncated + unsupported");
  (void)render_summary_text(res.report);
  (void)render_summary_json(res.report);
  (void)render_sessions_text(res.report);
  (void)render_sessions_table(res.report);
  (void)render_sessions_json(res.report);
  (void)render_exceptions_text(res.report, {false, FindingOrder::severity});
  (void)render_exceptions_text(res.report);
  (void)render_exceptions_json(res.report);
}

// Two hosts, client and server, in either IP version.
inline IpAddr host(bool v6, bool server) {
  std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(server ? 2 : 1)};
  if (v6) return IpAddr::v6(b);
  const std::uint8_t a[4] = {10, 0, 0, static_cast<std::uint8_t>(server ? 2 : 1)};
  return IpAddr::v4(a);
}

// An IPv4 or IPv6 packet with a correct header around `l4` (protocol `proto`), from the client
// to the server or back. Transport checksums are left as the bytes have them.
inline void ip_packet(std::vector<std::uint8_t>& out, bool v6, bool to_client, std::uint8_t proto, Bytes l4) {
  const IpAddr s = host(v6, to_client), d = host(v6, !to_client);
  out.clear();
  if (v6) {
    const std::size_t n = std::min<std::size_t>(l4.size(), 0xFFFF);
    out = {0x60, 0, 0, 0, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n), proto, 64};
    out.insert(out.end(), s.b.begin(), s.b.end());
    out.insert(out.end(), d.b.begin(), d.b.end());
    out.insert(out.end(), l4.begin(), l4.begin() + static_cast<std::ptrdiff_t>(n));
    return;
  }
  const std::size_t n = std::min<std::size_t>(l4.size(), 0xFFFF - 20), total = n + 20;
  out = {0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total), 0, 1, 0x40, 0, 64, proto, 0, 0};
  out.insert(out.end(), s.b.begin(), s.b.begin() + 4);
  out.insert(out.end(), d.b.begin(), d.b.begin() + 4);
  const std::uint16_t sum = checksum_fold(checksum_add(0, Bytes(out.data(), 20)));
  out[10] = static_cast<std::uint8_t>(sum >> 8);
  out[11] = static_cast<std::uint8_t>(sum);
  out.insert(out.end(), l4.begin(), l4.begin() + static_cast<std::ptrdiff_t>(n));
}

// A UDP datagram from `sport` to `dport` carrying `payload`, as an IP packet.
inline void udp_packet(std::vector<std::uint8_t>& out, bool v6, bool to_client, std::uint16_t sport,
                       std::uint16_t dport, Bytes payload) {
  std::vector<std::uint8_t> u;
  const std::size_t n = std::min<std::size_t>(payload.size(), 0xFFFF - 48);
  u = {static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport), static_cast<std::uint8_t>(dport >> 8),
       static_cast<std::uint8_t>(dport), static_cast<std::uint8_t>((n + 8) >> 8), static_cast<std::uint8_t>(n + 8), 0, 0};
  u.insert(u.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
  ip_packet(out, v6, to_client, 17, Bytes(u));
}

// A record of raw IP bytes at time `ts_ns`.
inline Record ip_record(const std::vector<std::uint8_t>& bytes, std::uint64_t index, std::int64_t ts_ns) {
  Record r;
  r.data = Bytes(bytes);
  r.orig_len = static_cast<std::uint32_t>(bytes.size());
  r.link = linktype::raw;
  r.index = index;
  r.ts_ns = ts_ns;
  return r;
}

// A TCP connection between the two hosts, for feeding stream sinks directly.
inline TcpConnection connection(std::uint64_t id, bool v6, std::uint16_t server_port) {
  TcpConnection c;
  c.id = id;
  c.client = host(v6, false);
  c.server = host(v6, true);
  c.client_port = static_cast<std::uint16_t>(40000 + id % 20000);
  c.server_port = server_port;
  c.roles_known = true;
  c.saw_start = true;
  c.first_ns = c.last_ns = 1'700'000'000'000'000'000;
  return c;
}

// Feeds the chunks of the input to a stream sink as the two directions of connection `c`: flags
// bit 0 = sent by the server, bit 1 = a gap (bytes lost) before the chunk, bit 2 = the
// connection ends after it and a new one begins (the same server port; at most `max_conns`),
// bit 3 = it ends reset, bits 4-7 = milliseconds since the previous chunk. `hook(c, chunk,
// offsets)` sees each chunk before the sink does.
struct NoHook {
  void operator()(const TcpConnection&, const Cursor::Chunk&, const std::uint64_t*) const {}
};
template <class Sink, class Hook = NoHook>
void feed_stream(Cursor& in, Sink& sink, TcpConnection c, std::uint64_t max_conns = 4, Hook hook = {}) {
  bool open = sink.wants(c);
  std::uint64_t off[2] = {0, 0};
  std::int64_t ts = c.first_ns;
  Cursor::Chunk ch;
  while (in.chunk(ch)) {
    const Side from = (ch.flags & 1) ? Side::server : Side::client;
    ts += 1'000'000 * (1 + (ch.flags >> 4));
    c.last_ns = ts;
    hook(c, ch, off);
    if (ch.flags & 2) {
      if (open) sink.on_gap(c, from, off[index(from)], 100, ts);
      off[index(from)] += 100;
    }
    if (open) sink.on_data(c, from, off[index(from)], ch.data, ts);
    off[index(from)] += ch.data.size();
    if (open && !sink.keeps(c)) open = false;
    if ((ch.flags & 4) && c.id < max_conns) {
      c.state = (ch.flags & 8) ? TcpState::reset : TcpState::closed;
      if (open) sink.on_close(c);
      c = connection(c.id + 1, c.client.version == 6, c.server_port);
      c.first_ns = c.last_ns = ts;
      off[0] = off[1] = 0;
      open = sink.wants(c);
    }
  }
  if (open) sink.on_close(c);
}

}  // namespace ctana::fuzz
