// CTRACE data trace (SYSTCPDA format 5): the header fields through the field map (job name,
// domain, type, protocol, state, connection id, addresses, ports, direction), start and end
// records, overrides, segmented records, and damaged records.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "ctana/convert.hpp"
#include "ctana/ctrace.hpp"
#include "ctana/tcp.hpp"
#include "ctana/summary.hpp"
#include "ctana/decode.hpp"
#include "ctana/ftp.hpp"
#include "ctana/records.hpp"
#include "ctrace_util.hpp"
#include "test_util.hpp"
#include "io/datatrace_writer.hpp"

using namespace ctana;
using namespace ctana::test;

namespace {

// IBM's data trace sample (z/OS CS IP Diagnosis Guide, "Formatting data traces using IPCS"):
// record 63, a start record: "To Jobname : USER12 ... Full=0", "Tod Clock : 2009/06/22
// 13:18:52.705248", "Cid: 00000058", "Domain : AF_Inet Type: Stream Protocol: TCP", "State : API
// Data Flow Starts", buffer time 13:18:52.705250. Synthetic CTE in the H1 layout (96-byte
// header, out bit X'10', DtDomain..DtState at +16..19, cid at +92), not a captured record.
const char* kIbmStartRecord =
    "0072 0010 00000005 C45FFFFE509E2000"                    // CTE header, CTETIME
    "0060 0000 10 00 0000 E4E2C5D9F1F24040 02010601 00000000"  // len, seq, flags, devty, job, dt bytes
    "C45FFFFE509E0000"                                       // PTH time
    "00000000000000000000000000000000 00000000000000000000000000000000"  // src, dst
    "0000 0000 00000001 00 06 0000 00000000 00000000 00000001 0000 0000 00000058"
    "0072";

TEST(CtraceDataTrace, IbmStartRecordFields) {
  const auto bytes = hex(kIbmStartRecord);
  ASSERT_EQ(bytes.size(), 0x72u);
  TempFile tf(bytes);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty()) << all.error;
  ASSERT_EQ(all.recs.size(), 1u);
  const auto& r = all.recs[0].rec;
  EXPECT_EQ(r.link, linktype::ctrace_data);
  EXPECT_EQ(r.meta.format_id, ctrace::kFmtData);
  EXPECT_EQ(all.recs[0].job, "USER12");
  EXPECT_EQ(r.meta.cid, 0x58u);
  EXPECT_EQ(r.meta.dt.domain, ctrace::kDtAfInet);
  EXPECT_EQ(r.meta.dt.type, ctrace::kDtStream);
  EXPECT_EQ(r.meta.dt.proto, 6);
  EXPECT_EQ(r.meta.dt.state, ctrace::kDtStart);
  EXPECT_EQ(ctrace::dt_domain_label(r.meta.dt.domain), "AF_Inet");
  EXPECT_EQ(ctrace::dt_type_label(r.meta.dt.type), "Stream");
  EXPECT_EQ(ctrace::dt_proto_label(r.meta.dt.proto), "TCP");
  EXPECT_EQ(ctrace::dt_state_label(r.meta.dt.state), "API Data Flow Starts");
  EXPECT_EQ(r.meta.dt.src.version, 0);  // zero addresses: none
  EXPECT_EQ(r.orig_len, 0u);
  EXPECT_TRUE(all.recs[0].data.empty());
  EXPECT_EQ(r.ts_ns, 1245676732705248000);
  EXPECT_EQ(r.meta.trace_time_ns, 1245676732705250000);
}

TEST(CtraceDataTrace, Labels) {
  EXPECT_EQ(ctrace::dt_domain_label(19), "AF_Inet6");
  EXPECT_EQ(ctrace::dt_domain_label(7), "Unknown:7");
  EXPECT_EQ(ctrace::dt_type_label(2), "Datagram");
  EXPECT_EQ(ctrace::dt_type_label(3), "Raw");
  EXPECT_EQ(ctrace::dt_type_label(9), "Unknown:9");
  EXPECT_EQ(ctrace::dt_proto_label(17), "UDP");
  EXPECT_EQ(ctrace::dt_state_label(2), "API Data Flow Ends");
  EXPECT_EQ(ctrace::dt_state_label(0), "");
  EXPECT_EQ(ctrace::dt_state_label(5), "Unknown:5");
}

ctrace::WritePacket data_record(Bytes data, std::int64_t ts, Direction dir, std::uint8_t state = ctrace::kDtData) {
  static const std::uint8_t a[4] = {10, 1, 2, 3}, b[4] = {10, 9, 8, 7};
  ctrace::WritePacket w;
  w.format_id = ctrace::kFmtData;
  w.data = data;
  w.ts_ns = ts;
  w.dir = dir;
  w.name = "FTPD1";
  w.cid = 0x1234;
  const bool out = dir == Direction::out;
  w.dt_src = Bytes(out ? a : b, 4);
  w.dt_dst = Bytes(out ? b : a, 4);
  w.dt_sport = out ? 21 : 40000;
  w.dt_dport = out ? 40000 : 21;
  w.dt_state = state;
  return w;
}

// Every header field the writer puts in comes back through the reader's field map.
TEST(CtraceDataTrace, WriterFieldsReadBack) {
  const std::string text = "220 hello\r\n";
  const std::vector<std::uint8_t> data(text.begin(), text.end());
  std::vector<std::uint8_t> v6a(16), v6b(16);
  v6a[0] = 0xfd, v6a[15] = 1, v6b[0] = 0xfd, v6b[15] = 2;
  const auto bytes = write_ctrace(ctrace::WriterOptions{}, [&](ctrace::Writer& w) {
    const std::int64_t t = 1'700'000'000'000'000'000;
    for (int i = 0; i < 6; ++i) {  // enough two-way records to calibrate the direction bit
      auto x = data_record(Bytes(data), t + i * 1000, i % 2 ? Direction::in : Direction::out,
                           i == 0 ? ctrace::kDtStart : i == 5 ? ctrace::kDtEnd : ctrace::kDtData);
      if (x.dt_state != ctrace::kDtData) x.data = {};
      w.write(x);
    }
    auto y = data_record(Bytes(data), t + 9000, Direction::in);
    y.dt_src = Bytes(v6a), y.dt_dst = Bytes(v6b);
    y.dt_domain = ctrace::kDtAfInet6, y.dt_type = ctrace::kDtDatagram, y.dt_proto = 17;
    y.cid = 0;
    w.write(y);
  });
  TempFile tf(bytes);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty()) << all.error;
  ASSERT_EQ(all.recs.size(), 7u);
  // Only data trace records: the direction bit comes from their own conversations.
  EXPECT_EQ(all.stats.ctrace->direction_bit, "flags+0 X'10' set=out");
  const auto& s = all.recs[0].rec.meta;
  EXPECT_EQ(s.dt.state, ctrace::kDtStart);
  EXPECT_TRUE(all.recs[0].data.empty());
  const auto& d = all.recs[1].rec;
  EXPECT_EQ(all.recs[1].job, "FTPD1");
  EXPECT_EQ(d.dir, Direction::in);
  EXPECT_EQ(d.meta.dt.state, ctrace::kDtData);
  EXPECT_EQ(d.meta.dt.src.str(), "10.9.8.7");
  EXPECT_EQ(d.meta.dt.dst.str(), "10.1.2.3");
  EXPECT_EQ(d.meta.dt.sport, 40000);
  EXPECT_EQ(d.meta.dt.dport, 21);
  EXPECT_EQ(d.meta.cid, 0x1234u);
  EXPECT_EQ(all.recs[1].data, data);
  EXPECT_EQ(all.recs[2].rec.dir, Direction::out);
  EXPECT_EQ(all.recs[2].rec.meta.dt.src.str(), "10.1.2.3");
  EXPECT_EQ(all.recs[2].rec.meta.dt.sport, 21);
  EXPECT_EQ(all.recs[5].rec.meta.dt.state, ctrace::kDtEnd);
  const auto& u = all.recs[6].rec.meta;
  EXPECT_EQ(u.dt.domain, ctrace::kDtAfInet6);
  EXPECT_EQ(u.dt.type, ctrace::kDtDatagram);
  EXPECT_EQ(u.dt.proto, 17);
  EXPECT_EQ(u.dt.src.str(), "fd00::1");
  EXPECT_EQ(u.dt.dst.str(), "fd00::2");
  EXPECT_EQ(u.cid, 0u);
}

// --ctrace-field moves the data trace fields like any other.
TEST(CtraceDataTrace, FieldOverrides) {
  auto bytes = hex(kIbmStartRecord);
  // Put another connection id and state at PTH+20..23 / +21 and read them from there.
  bytes[16 + 20] = 0x00, bytes[16 + 21] = 0x00, bytes[16 + 22] = 0x00, bytes[16 + 23] = 0x99;
  TempFile tf(bytes);
  OpenOptions oo;
  oo.ctrace_fields = {{"cid", 20}, {"dtstate", 17}, {"dtdomain", -1}};
  OpenError err;
  auto r = open_trace(tf.path, err, oo);
  ASSERT_TRUE(r) << err.message;
  Record rec;
  ASSERT_TRUE(r->next(rec));
  EXPECT_EQ(rec.meta.cid, 0x99u);
  EXPECT_EQ(rec.meta.dt.state, 1);   // the type byte (1) read as the state
  EXPECT_EQ(rec.meta.dt.domain, 0);  // absent
  const auto& layout = r->stats().ctrace->layout;
  const auto cid = std::find_if(layout.begin(), layout.end(), [](const auto& f) { return f.name == "cid"; });
  ASSERT_NE(cid, layout.end());
  EXPECT_EQ(cid->offset, 20);
}

// A socket write larger than one entry is segmented like a packet, and joined again.
TEST(CtraceDataTrace, SegmentedRecordsAreJoined) {
  std::vector<std::uint8_t> big(3000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>('a' + i % 26);
  ctrace::WriterOptions opt;
  opt.max_cte_data = 700;
  const auto bytes = write_ctrace(opt, [&](ctrace::Writer& w) {
    w.write(data_record(Bytes(big), 1'700'000'000'000'000'000, Direction::out));
  });
  TempFile tf(bytes);
  const auto all = read_all(tf.path);
  ASSERT_EQ(all.recs.size(), 1u);
  EXPECT_EQ(all.recs[0].data, big);
  EXPECT_TRUE(all.recs[0].rec.meta.flags & SourceMeta::kSegmented);
  EXPECT_EQ(all.recs[0].job, "FTPD1");
  EXPECT_EQ(all.recs[0].rec.meta.cid, 0x1234u);
  EXPECT_EQ(all.stats.ctrace->trace_segments, 5u);
}

// A header too short for some data trace fields: those are absent, never read past the header.
TEST(CtraceDataTrace, ShortHeaderHasNoFields) {
  // PTH_Len 48: the job name (+8), the dt bytes (+16) and the source address (+32) are inside it;
  // the destination (+48), the ports (+64) and the connection id (+92) are not.
  auto h = hex("0046 0010 00000005 C45FFFFE509E2000"
               "0030 0000 10 00 0000 E4E2C5D9F1F24040 02010600 00000000 C45FFFFE509E0000"
               "00000000000000000000FFFF0A090807"
               "0A010203"  // 4 bytes of socket data
               "0046");
  ASSERT_EQ(h.size(), 0x46u);
  TempFile tf(h);
  const auto all = read_all(tf.path);
  ASSERT_EQ(all.recs.size(), 1u);
  const auto& m = all.recs[0].rec.meta;
  EXPECT_EQ(all.recs[0].job, "USER12");
  EXPECT_EQ(m.dt.type, ctrace::kDtStream);
  EXPECT_EQ(m.dt.src.str(), "10.9.8.7");
  EXPECT_EQ(m.dt.dst.version, 0);
  EXPECT_EQ(m.cid, 0u);
  EXPECT_EQ(m.dt.sport, 0);
  EXPECT_EQ(all.recs[0].data, hex("0A010203"));
}

}  // namespace

// ---- the writer's data trace (ctana convert --to ctrace --data-trace) ----

namespace {

std::string ep(const IpAddr& a, std::uint16_t port) { return a.str() + ":" + std::to_string(port); }

// The ordered TCP payload of each direction of each connection, as the TCP reassembler gives it.
struct Collect final : TcpStreamSink {
  std::map<std::string, std::string> streams;  // "src:port>dst:port" -> bytes
  bool wants(const TcpConnection&) override { return true; }
  void on_data(const TcpConnection& c, Side from, std::uint64_t, Bytes d, std::int64_t) override {
    const std::string k = from == Side::client ? ep(c.client, c.client_port) + ">" + ep(c.server, c.server_port)
                                    : ep(c.server, c.server_port) + ">" + ep(c.client, c.client_port);
    streams[k].append(d.begin(), d.end());
  }
  void on_gap(const TcpConnection&, Side, std::uint64_t, std::uint64_t, std::int64_t) override {}
  void on_close(const TcpConnection&) override {}
};

std::map<std::string, std::string> tcp_streams(const std::string& path) {
  Collect col;
  RunOptions ro;
  ro.tcp_hook = [&col](TcpAnalyzer& t) { t.add_stream_sink(&col); };
  EXPECT_EQ(run_summary(path, ro).exit_code, 0);
  return col.streams;
}

std::string convert_data_trace(const std::string& src, const std::string& tag, ConvertOptions::DataTrace mode) {
  const std::string out = (std::filesystem::temp_directory_path() / ("ctana-dt-" + std::to_string(::getpid()) + "-" + tag + ".ct")).string();
  ConvertOptions co;
  co.to = ConvertOptions::To::ctrace;
  co.data_trace = mode;
  co.data_job = "FTPJOB";
  co.show_secrets = true;  // the socket data as captured (the listing test masks it)
  const auto cr = convert_trace(src, out, co);
  EXPECT_EQ(cr.exit_code, 0) << cr.error;
  return out;
}

// The data trace of a real capture holds each connection's socket data once and in order: the
// same bytes per direction as the TCP reassembly of the packets, between a start and an end record.
TEST(CtraceDataTraceWriter, SocketDataEqualsReassembledPayload) {
  const std::string src = testdata("real/ftp-login.pcap");
  const auto want = tcp_streams(src);
  ASSERT_EQ(want.size(), 7u);  // 2 control connections both ways, 3 data connections one way
  const std::string out = convert_data_trace(src, "only", ConvertOptions::DataTrace::only);
  const auto all = read_all(out);
  ASSERT_TRUE(all.error.empty()) << all.error;
  std::map<std::string, std::string> got;
  std::map<std::uint32_t, std::vector<std::uint8_t>> states;  // cid -> states in file order
  std::size_t out_from_client_side = 0, data = 0;
  for (const auto& o : all.recs) {
    const auto& m = o.rec.meta;
    ASSERT_EQ(m.format_id, ctrace::kFmtData);
    EXPECT_EQ(o.job, "FTPJOB");
    EXPECT_EQ(m.dt.proto, 6);
    EXPECT_EQ(m.dt.type, ctrace::kDtStream);
    EXPECT_EQ(m.dt.domain, ctrace::kDtAfInet);
    states[m.cid].push_back(m.dt.state);
    if (m.dt.state != ctrace::kDtData) {
      EXPECT_TRUE(o.data.empty());
      continue;
    }
    ++data;
    got[ep(m.dt.src, m.dt.sport) + ">" + ep(m.dt.dst, m.dt.dport)].append(o.data.begin(), o.data.end());
    // The converter takes 10.99.0.1 (the busier address, first in order on a tie) as the z/OS host.
    if (o.rec.dir == Direction::out) {
      EXPECT_EQ(m.dt.src.str(), "10.99.0.1");
      ++out_from_client_side;
    } else {
      EXPECT_EQ(m.dt.dst.str(), "10.99.0.1");
    }
  }
  EXPECT_EQ(got, want);
  ASSERT_EQ(states.size(), 5u);
  for (const auto& [cid, st] : states) {
    SCOPED_TRACE(cid);
    ASSERT_GE(st.size(), 3u);
    EXPECT_EQ(st.front(), ctrace::kDtStart);
    EXPECT_EQ(st.back(), ctrace::kDtEnd);
    EXPECT_EQ(std::count(st.begin(), st.end(), ctrace::kDtStart), 1);
    EXPECT_EQ(std::count(st.begin(), st.end(), ctrace::kDtEnd), 1);
  }
  EXPECT_EQ(data, 54u);
  EXPECT_EQ(out_from_client_side, 16u);  // the FTP client's commands (3 + 13); it sends nothing on the data connections
  std::filesystem::remove(out);
}

// With the packet records too: the same packets as a plain conversion, in order, plus the data
// trace records, each after its inbound packet or before its outbound one.
TEST(CtraceDataTraceWriter, WithPacketsKeepsThePacketTrace) {
  const std::string src = testdata("real/ftp-login.pcap");
  const std::string both = convert_data_trace(src, "both", ConvertOptions::DataTrace::with_packets);
  const std::string plain = convert_data_trace(src, "plain", ConvertOptions::DataTrace::none);
  const auto a = read_all(both), b = read_all(plain);
  std::vector<std::vector<std::uint8_t>> pa, pb;
  std::size_t dt = 0;
  for (std::size_t i = 0; i < a.recs.size(); ++i) {
    if (a.recs[i].rec.meta.format_id != ctrace::kFmtData) {
      pa.push_back(a.recs[i].data);
      continue;
    }
    ++dt;
    const auto& m = a.recs[i].rec.meta;
    if (m.dt.state != ctrace::kDtData) continue;
    // Inbound data follows the packet that carried it; outbound data comes before its packet
    // (with at most a start or end record between them).
    const bool in = a.recs[i].rec.dir == Direction::in;
    std::size_t j = in ? i - 1 : i + 1;
    while (j > 0 && j + 1 < a.recs.size() && a.recs[j].rec.meta.format_id == ctrace::kFmtData &&
           a.recs[j].rec.meta.dt.state != ctrace::kDtData)
      j = in ? j - 1 : j + 1;
    const auto& pk = a.recs[j];
    ASSERT_EQ(pk.rec.meta.format_id, ctrace::kFmtPacket) << "record " << i + 1;
    const auto& d = a.recs[i].data;
    ASSERT_GE(pk.data.size(), d.size());
    EXPECT_TRUE(std::equal(d.begin(), d.end(), pk.data.end() - static_cast<std::ptrdiff_t>(d.size())))
        << "record " << i + 1 << ": the data is the end of the packet next to it";
  }
  for (const auto& o : b.recs) pb.push_back(o.data);
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(dt, 64u);
  std::filesystem::remove(both);
  std::filesystem::remove(plain);
}

}  // namespace

// ---- data trace connections and their analysis (DataTraceStreams) ----

namespace {

using Row = CtraceReport::DataConnection;

// FTP read from the data trace gives what FTP read from the packets gives: the same sessions,
// users, login results, commands with their (masked) arguments and reply codes, transfers with
// their data connections and bytes, and the same totals.
TEST(CtraceDataTraceAnalysis, FtpFromTheDataTraceEqualsFtpFromThePackets) {
  const std::string src = testdata("real/ftp-login.pcap");
  const std::string dt = convert_data_trace(src, "ftp", ConvertOptions::DataTrace::only);
  const auto a = run_summary(src, RunOptions{});
  const auto b = run_summary(dt, RunOptions{});
  ASSERT_EQ(b.exit_code, 0) << b.error;
  const FtpReport& fa = a.report.ftp;
  const FtpReport& fb = b.report.ftp;
  ASSERT_EQ(fb.sessions.size(), 2u);
  EXPECT_EQ(fb.sessions_total, 2u);
  EXPECT_EQ(fb.failed_logins, 1u);
  EXPECT_EQ(fb.transfers_total, 3u);
  EXPECT_EQ(fb.bytes_total, 20'695u);
  EXPECT_EQ(fb.commands, fa.commands);
  EXPECT_EQ(fb.reply_codes, fa.reply_codes);
  EXPECT_EQ(fb.bytes_total, fa.bytes_total);
  EXPECT_EQ(fb.sessions[1].user, "ctanatest");
  EXPECT_EQ(fb.sessions[1].login, "ok");
  EXPECT_EQ(fb.sessions[0].login, "failed");
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const FtpSession& x = fa.sessions[i];
    const FtpSession& y = fb.sessions[i];
    EXPECT_EQ(y.connection, x.connection);
    EXPECT_EQ(y.client, x.client);
    EXPECT_EQ(y.server_port, x.server_port);
    EXPECT_EQ(y.user, x.user);
    EXPECT_EQ(y.login, x.login);
    EXPECT_EQ(y.type, x.type);
    EXPECT_EQ(y.commands, x.commands);
    EXPECT_EQ(y.replies, x.replies);
    EXPECT_EQ(y.reply_codes, x.reply_codes);
    EXPECT_EQ(y.gaps, 0u);
    EXPECT_EQ(y.end, "closed");
    ASSERT_EQ(y.log.size(), x.log.size());
    for (std::size_t k = 0; k < x.log.size(); ++k) {
      EXPECT_EQ(y.log[k].verb, x.log[k].verb);
      EXPECT_EQ(y.log[k].arg, x.log[k].arg);
      EXPECT_EQ(y.log[k].reply, x.log[k].reply);
    }
    ASSERT_EQ(y.transfers.size(), x.transfers.size());
    for (std::size_t k = 0; k < x.transfers.size(); ++k) {
      EXPECT_EQ(y.transfers[k].command, x.transfers[k].command);
      EXPECT_EQ(y.transfers[k].file, x.transfers[k].file);
      EXPECT_EQ(y.transfers[k].bytes, x.transfers[k].bytes);
      EXPECT_EQ(y.transfers[k].reply, x.transfers[k].reply);
      EXPECT_EQ(y.transfers[k].data_connection, x.transfers[k].data_connection);
      EXPECT_EQ(y.transfers[k].data_end, "closed");
    }
  }
  const FtpSession& good = fb.sessions[1];
  const auto pass = std::find_if(good.log.begin(), good.log.end(), [](const auto& c) { return c.verb == "PASS"; });
  ASSERT_NE(pass, good.log.end());
  EXPECT_EQ(pass->arg, "*****");
  EXPECT_EQ(pass->reply, 230);
  // No packets: the TCP analysis saw nothing, the data trace everything.
  EXPECT_EQ(b.report.tcp.totals.connections, 0u);
  const auto& c = *b.report.ctrace;
  ASSERT_EQ(c.data_connections.size(), 5u);
  EXPECT_EQ(c.data_connections_total, 5u);
  const Row& r0 = c.data_connections[0];
  EXPECT_EQ(r0.connection, 1u);
  EXPECT_EQ(r0.job, "FTPJOB");
  EXPECT_EQ(r0.cid, 1u);
  EXPECT_EQ(r0.client.str(), "10.99.0.1");
  EXPECT_EQ(r0.client_port, 48002);
  EXPECT_EQ(r0.server_port, 21);
  EXPECT_TRUE(r0.start);
  EXPECT_TRUE(r0.end);
  EXPECT_EQ(r0.analysis, Row::Analysis::data_trace);
  EXPECT_EQ(r0.records[0], 3u);  // USER, PASS, QUIT
  const auto streams = tcp_streams(src);
  EXPECT_EQ(r0.bytes[0], streams.at("10.99.0.1:48002>10.99.0.2:21").size());
  EXPECT_EQ(r0.bytes[1], streams.at("10.99.0.2:21>10.99.0.1:48002").size());
  EXPECT_EQ(r0.bytes[0], 40u);
  EXPECT_EQ(c.data_connections[3].bytes[1], 20'513u);  // RETR ctana-sample.txt
  ASSERT_EQ(c.data_jobs.size(), 1u);
  const auto& j = c.data_jobs[0];
  EXPECT_EQ(j.name, "FTPJOB");
  EXPECT_EQ(j.records, 64u);
  EXPECT_EQ(j.connections, 5u);
  EXPECT_EQ(j.start_records, 5u);
  EXPECT_EQ(j.end_records, 5u);
  EXPECT_EQ(j.bytes_in + j.bytes_out, j.bytes);
  EXPECT_EQ(j.bytes, 21'606u);
  std::filesystem::remove(dt);
}

// The rule against counting a connection twice: a file with both the packet trace and the data
// trace of the same connections analyses each connection from the trace that shows it first.
// Here the packet trace does (the SYN comes before any socket data): FTP counts 2 sessions, not
// 4, and every data trace connection refers to its TCP connection's number.
TEST(CtraceDataTraceAnalysis, PacketTraceFirstIsNotCountedTwice) {
  const std::string src = testdata("real/ftp-login.pcap");
  const std::string both = convert_data_trace(src, "mixed", ConvertOptions::DataTrace::with_packets);
  const auto a = run_summary(src, RunOptions{});
  const auto b = run_summary(both, RunOptions{});
  ASSERT_EQ(b.exit_code, 0) << b.error;
  EXPECT_EQ(b.report.ftp.sessions_total, 2u);
  EXPECT_EQ(b.report.ftp.sessions.size(), 2u);
  EXPECT_EQ(b.report.ftp.commands, a.report.ftp.commands);
  EXPECT_EQ(b.report.ftp.reply_codes, a.report.ftp.reply_codes);
  EXPECT_EQ(b.report.ftp.bytes_total, a.report.ftp.bytes_total);
  EXPECT_EQ(b.report.tcp.totals.connections, 5u);
  const auto& rows = b.report.ctrace->data_connections;
  ASSERT_EQ(rows.size(), 5u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].analysis, Row::Analysis::packet_trace);
    EXPECT_EQ(rows[i].connection, i + 1);  // the TCP connection's number
    // The same endpoints; the roles may differ: a data trace has no SYN, so they come from the
    // ports (the active FTP data connection from port 20 is the TCP client but looks like a server).
    const auto& t = b.report.tcp.connections[i];
    EXPECT_TRUE((rows[i].client == t.client && rows[i].client_port == t.client_port) ||
                (rows[i].client == t.server && rows[i].client_port == t.server_port));
  }
  std::filesystem::remove(both);
}

// Packet records of one connection of ftp-login.pcap (the failed login, client port 48002),
// as the converter writes them, and their decoded packets.
struct OneConnection {
  std::vector<Decoded> pkts;
  std::vector<ctrace::WritePacket> recs;
  OneConnection() {
    OpenError err;
    auto r = open_trace(testdata("real/ftp-login.pcap"), err);
    Record rec;
    while (r && r->next(rec)) {
      Decoded d;
      d.bytes.assign(rec.data.begin(), rec.data.end());
      d.rec = rec;
      d.rec.data = Bytes(d.bytes);
      decode(d.rec, d.pkt);
      if (d.pkt.l4 != L4::tcp || (d.pkt.tcp.sport != 48002 && d.pkt.tcp.dport != 48002)) continue;
      pkts.push_back(std::move(d));
    }
    for (auto& d : pkts) {
      d.rec.data = Bytes(d.bytes);  // the vector moved
      decode(d.rec, d.pkt);
      ctrace::WritePacket w;
      w.data = d.rec.data.subspan(d.pkt.l3_offset);
      w.ts_ns = d.rec.ts_ns;
      w.dir = d.pkt.src.str() == "10.99.0.1" ? Direction::out : Direction::in;
      recs.push_back(w);
    }
  }
};

// The other way round: the data trace shows the connection first (it ended before its packets
// come, or is still open when they do). The TCP connection then gets no application analysis:
// one FTP session, from the data trace.
TEST(CtraceDataTraceAnalysis, DataTraceFirstIsNotCountedTwice) {
  OneConnection oc;
  ASSERT_EQ(oc.pkts.size(), 17u);
  for (const bool ended : {true, false}) {
    SCOPED_TRACE(ended ? "data trace ended before the packets" : "data trace open when the packets come");
    const auto bytes = write_ctrace(ctrace::WriterOptions{}, [&](ctrace::Writer& w) {
      DataTraceWriter dtw(w, "FTPD1");
      for (std::size_t i = 0; i < oc.pkts.size(); ++i) {
        // Without its last FIN the data trace connection has no end record: still open.
        if (!ended && (oc.pkts[i].pkt.tcp.flags & tcpflag::fin)) break;
        dtw.packet(oc.pkts[i].pkt, oc.recs[i], false);
      }
      for (const auto& x : oc.recs) w.write(x);
    });
    TempFile tf(bytes);
    const auto res = run_summary(tf.path, RunOptions{});
    ASSERT_EQ(res.exit_code, 0) << res.error;
    const auto& ftp = res.report.ftp;
    EXPECT_EQ(ftp.sessions_total, 1u);
    ASSERT_EQ(ftp.sessions.size(), 1u);
    EXPECT_EQ(ftp.sessions[0].connection, 1u);  // the data trace connection, numbered first
    EXPECT_EQ(ftp.sessions[0].login, "failed");
    EXPECT_EQ(ftp.sessions[0].commands, 3u);
    EXPECT_EQ(res.report.tcp.totals.connections, 1u);
    ASSERT_EQ(res.report.tcp.connections.size(), 1u);
    EXPECT_EQ(res.report.tcp.connections[0].id, 2u);
    const auto& rows = res.report.ctrace->data_connections;
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].analysis, Row::Analysis::data_trace);
    EXPECT_EQ(rows[0].end, ended);
    EXPECT_EQ(ftp.sessions[0].end, ended ? "closed" : "open");
  }
}

// Without the TCP analysis the connections are counted, not analysed; datagram sockets never are.
TEST(CtraceDataTraceAnalysis, NotAnalysedWithoutTcpOrStream) {
  const std::string text = "hello";
  const std::vector<std::uint8_t> data(text.begin(), text.end());
  const auto bytes = write_ctrace(ctrace::WriterOptions{}, [&](ctrace::Writer& w) {
    auto x = data_record(Bytes(data), 1'700'000'000'000'000'000, Direction::out);
    w.write(x);
    x.dt_type = ctrace::kDtDatagram, x.dt_proto = 17, x.dt_sport = 53, x.dt_dport = 5353, x.cid = 7;
    w.write(x);
  });
  TempFile tf(bytes);
  RunOptions ro;
  auto res = run_summary(tf.path, ro);
  auto& rows = res.report.ctrace->data_connections;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].analysis, Row::Analysis::data_trace);
  EXPECT_FALSE(rows[0].end);
  EXPECT_EQ(rows[0].server_port, 21);
  EXPECT_EQ(rows[0].bytes[1], 5u);  // sent by the server side (port 21)
  EXPECT_EQ(rows[1].analysis, Row::Analysis::not_stream);
  EXPECT_EQ(rows[1].connection, 0u);
  EXPECT_EQ(res.report.ftp.sessions_total, 1u);
  ro.tcp = false;
  res = run_summary(tf.path, ro);
  ASSERT_EQ(res.report.ctrace->data_connections.size(), 2u);
  EXPECT_EQ(res.report.ctrace->data_connections[0].analysis, Row::Analysis::tcp_off);
}

// Damaged data trace files (cut anywhere, bytes flipped, header fields garbled) never crash the
// reader or the analysis, and every record read is counted.
TEST(CtraceDataTraceAnalysis, DamagedDataTraceNeverCrashes) {
  const std::string src = testdata("real/ftp-login.pcap");
  const std::string dt = convert_data_trace(src, "damage", ConvertOptions::DataTrace::with_packets);
  std::vector<std::uint8_t> orig;
  {
    std::FILE* f = std::fopen(dt.c_str(), "rb");
    ASSERT_TRUE(f);
    int ch;
    while ((ch = std::fgetc(f)) != EOF) orig.push_back(static_cast<std::uint8_t>(ch));
    std::fclose(f);
  }
  std::filesystem::remove(dt);
  std::mt19937 rng(5);
  std::size_t runs = 0;
  auto check = [&](const std::vector<std::uint8_t>& bytes) {
    TempFile tf(bytes);
    const auto res = run_summary(tf.path, RunOptions{});
    ASSERT_TRUE(res.exit_code == 0 || res.exit_code == 3 || res.exit_code == 2) << res.exit_code;
    if (res.exit_code == 2) return;
    const auto& rc = res.report.records;
    EXPECT_EQ(rc.decoded + rc.malformed + rc.truncated + rc.unsupported, rc.read);
    if (res.report.ctrace) {
      const auto& c = *res.report.ctrace;
      std::uint64_t n = 0;
      for (const auto& j : c.data_jobs) n += j.records;
      std::uint64_t dtr = 0;
      for (const auto& k : c.kinds) dtr += k.format_id == ctrace::kFmtData ? k.records : 0;
      EXPECT_EQ(n, dtr);
    }
    ++runs;
  };
  for (std::size_t cut = 1; cut < orig.size(); cut += 97) check(std::vector<std::uint8_t>(orig.begin(), orig.begin() + static_cast<std::ptrdiff_t>(cut)));
  for (int i = 0; i < 60; ++i) {
    auto v = orig;
    for (int k = 0; k < 1 + i % 8; ++k) v[rng() % v.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    check(v);
  }
  // Every data trace header field garbled, CTE framing intact.
  auto v = orig;
  for (std::size_t p = 0; p + 18 <= v.size();) {
    const std::size_t L = load_be16(v.data() + p);
    if (L < 18 || p + L > v.size()) break;
    if (load_be32(v.data() + p + 4) == ctrace::kFmtData && L >= 16 + 96 + 2)
      for (std::size_t o : {16u, 17u, 18u, 19u, 32u, 40u, 48u, 64u, 66u, 92u, 93u, 95u}) v[p + 16 + o] = static_cast<std::uint8_t>(rng());
    p += L;
    while (p + 2 <= v.size() && load_be16(v.data() + p) == 0) p += 2;
  }
  check(v);
  EXPECT_GT(runs, 350u);
}

}  // namespace

// ---- listings: ctana records (SUMMARY and FORMAT) ----

namespace {

std::vector<std::string> listing(const std::string& path, bool format, bool show_secrets = false, const OpenOptions& oo = {}) {
  std::vector<std::string> out;
  OpenError err;
  auto r = open_trace(path, err, oo);
  EXPECT_TRUE(r) << err.message;
  Record rec;
  Packet p;
  ftp::SecretMasker masker;  // as `ctana records` does
  while (r && r->next(rec)) {
    decode(rec, p);
    if (!show_secrets) masker.hide(rec, p);
    out.push_back(format ? record_detail(p, 64) : record_summary_line(p));
  }
  return out;
}

// The FORMAT block of IBM's sample start record has IBM's lines (without the sample's callout
// numbers), column for column.
TEST(CtraceDataTraceRecords, FormatLinesMatchIbmSample) {
  TempFile tf(hex(kIbmStartRecord));
  // One record cannot calibrate the direction bit: name it (the record has X'10' set: "To").
  OpenOptions oo;
  oo.ctrace_fields = {{"out", 0x10}};
  const auto d = listing(tf.path, true, false, oo);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            " 1 DATA     00000005 13:18:52.705250 Data Trace\n"
            " To Jobname        : USER12                                    Full=0\n"
            "  Tod Clock        : 2009/06/22 13:18:52.705248                Cid: 00000058\n"
            "  Domain           : AF_Inet          Type: Stream             Protocol: TCP\n"
            "  State            : API Data Flow Starts\n"
            "\n");
  const auto s = listing(tf.path, false, false, oo);
  EXPECT_EQ(s[0].substr(0, 2), "OD");
  EXPECT_EQ(listing(tf.path, false)[0].substr(0, 2), " D");  // direction unknown without it
  EXPECT_NE(s[0].find("job USER12 Cid 00000058 API Data Flow Starts"), std::string::npos) << s[0];
}

// The data trace fixture's records: D lines with sender and receiver; the FORMAT dump of the PASS
// command masked unless asked.
TEST(CtraceDataTraceRecords, ListingsOfTheFtpDataTrace) {
  const std::string dt = convert_data_trace(testdata("real/ftp-login.pcap"), "records", ConvertOptions::DataTrace::only);
  const auto s = listing(dt, false);
  ASSERT_EQ(s.size(), 64u);
  EXPECT_EQ(s[2].substr(0, 2), "OD");
  EXPECT_NE(s[2].find("10.99.0.1-48002 -> 10.99.0.2-21"), std::string::npos) << s[2];
  EXPECT_NE(s[2].find("job FTPJOB Cid 00000001"), std::string::npos) << s[2];
  EXPECT_NE(s[8].find("API Data Flow Ends"), std::string::npos) << s[8];
  const auto f = listing(dt, true), shown = listing(dt, true, true);
  std::string all, all_shown;
  for (const auto& x : f) all += x;
  for (const auto& x : shown) all_shown += x;
  EXPECT_EQ(all.find("Secr3tPass!"), std::string::npos);
  EXPECT_NE(all.find(" PASS ***********|"), std::string::npos);
  EXPECT_NE(all.find("  Command          : PASS ***********\n"), std::string::npos);
  EXPECT_NE(all.find("50415353 202A2A2A 2A2A2A2A 2A2A2A2A"), std::string::npos);  // the hex is masked too
  EXPECT_NE(all_shown.find(" PASS Secr3tPass!|"), std::string::npos);
  EXPECT_NE(all.find(" From Jobname      : FTPJOB                                    Full=27\n"), std::string::npos);
  EXPECT_NE(all.find("  Source           : 10.99.0.2-21\n  Destination      : 10.99.0.1-48002\n FTP Reply\n"), std::string::npos);
  EXPECT_NE(all.find(" Data              : 27\n"), std::string::npos);
  std::filesystem::remove(dt);
}

// A PASS command split across two data trace records: its argument is masked in both.
TEST(CtraceDataTraceRecords, PassSplitAcrossRecordsIsMasked) {
  const std::string a = "USER bob\r\nPA", b = "SS Secr", c = "et!\r\nSYST\r\n";
  const std::vector<std::uint8_t> va(a.begin(), a.end()), vb(b.begin(), b.end()), vc(c.begin(), c.end());
  const auto bytes = write_ctrace(ctrace::WriterOptions{}, [&](ctrace::Writer& w) {
    const std::int64_t t = 1'700'000'000'000'000'000;
    auto s0 = data_record(Bytes(), t, Direction::in, ctrace::kDtStart);
    w.write(s0);
    for (const auto& [v, k] : {std::pair{&va, 1}, std::pair{&vb, 2}, std::pair{&vc, 3}}) {
      auto x = data_record(Bytes(*v), t + k * 1000, Direction::in);
      w.write(x);
    }
  });
  TempFile tf(bytes);
  const auto f = listing(tf.path, true), shown = listing(tf.path, true, true);
  std::string all, all_shown;
  for (const auto& x : f) all += x;
  for (const auto& x : shown) all_shown += x;
  EXPECT_EQ(all.find("Secr"), std::string::npos) << all;
  EXPECT_EQ(all.find("et!"), std::string::npos) << all;
  EXPECT_NE(all.find("SS ****"), std::string::npos) << all;
  EXPECT_NE(all.find(" 000000 2A2A2A0D 0A535953 540D0A"), std::string::npos) << all;
  EXPECT_NE(all.find("USER bob"), std::string::npos);
  EXPECT_NE(all_shown.find("SS Secr"), std::string::npos);
  EXPECT_NE(all_shown.find(" 000000 6574210D 0A535953 540D0A"), std::string::npos) << all_shown;
}

// DNS over a datagram socket in a data trace reaches the DNS analysis (one record = one
// datagram), and a flow the packet trace also carries is counted once.
TEST(CtraceDataTraceAnalysis, UdpDnsFromTheDataTrace) {
  const auto query = hex("9D4A0100 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  const auto reply = hex("9D4A8180 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  static const std::uint8_t client[4] = {9, 67, 113, 65}, server[4] = {9, 37, 80, 3};
  auto dgram = [&](const std::vector<std::uint8_t>& d, bool from_client, std::int64_t t) {
    ctrace::WritePacket w;
    w.format_id = ctrace::kFmtData;
    w.data = Bytes(d);
    w.ts_ns = t;
    w.dir = from_client ? Direction::out : Direction::in;
    w.name = "RESOLVER";
    w.cid = 0x77;
    w.dt_type = ctrace::kDtDatagram, w.dt_proto = 17;
    w.dt_src = Bytes(from_client ? client : server, 4);
    w.dt_dst = Bytes(from_client ? server : client, 4);
    w.dt_sport = from_client ? 1025 : 53;
    w.dt_dport = from_client ? 53 : 1025;
    return w;
  };
  const std::int64_t t = 1'013'557'151'873'539'000;
  const auto bytes = write_ctrace(ctrace::WriterOptions{}, [&](ctrace::Writer& w) {
    auto q = dgram(query, true, t);
    w.write(q);
    auto r = dgram(reply, false, t + 2'000'000);
    w.write(r);
  });
  TempFile tf(bytes);
  const auto res = run_summary(tf.path, RunOptions{});
  ASSERT_EQ(res.exit_code, 0) << res.error;
  const auto& dns = res.report.dns;
  EXPECT_EQ(dns.queries, 1u);
  EXPECT_EQ(dns.responses, 1u);
  EXPECT_EQ(dns.answered, 1u);
  EXPECT_EQ(dns.over_tcp, 0u);
  ASSERT_FALSE(dns.top_names.empty());
  EXPECT_EQ(dns.top_names[0].name, "w3.ibm.com");
  // The same exchange in the packet trace first, then in the data trace: counted once.
  auto udp = [&](const std::vector<std::uint8_t>& d, bool from_client) {
    std::vector<std::uint8_t> ip = hex("45000000 000E0000 40110000 00000000 00000000 00000000 00000000");
    ip.insert(ip.end(), d.begin(), d.end());
    ip[2] = static_cast<std::uint8_t>(ip.size() >> 8), ip[3] = static_cast<std::uint8_t>(ip.size());
    std::copy(from_client ? client : server, (from_client ? client : server) + 4, ip.begin() + 12);
    std::copy(from_client ? server : client, (from_client ? server : client) + 4, ip.begin() + 16);
    const std::uint16_t sp = from_client ? 1025 : 53, dp = from_client ? 53 : 1025;
    ip[20] = static_cast<std::uint8_t>(sp >> 8), ip[21] = static_cast<std::uint8_t>(sp);
    ip[22] = static_cast<std::uint8_t>(dp >> 8), ip[23] = static_cast<std::uint8_t>(dp);
    const std::size_t ul = ip.size() - 20;
    ip[24] = static_cast<std::uint8_t>(ul >> 8), ip[25] = static_cast<std::uint8_t>(ul);
    return ip;
  };
  const auto uq = udp(query, true), ur = udp(reply, false);
  const auto both = write_ctrace(ctrace::WriterOptions{}, [&](ctrace::Writer& w) {
    ctrace::WritePacket pq;
    pq.data = Bytes(uq);
    pq.ts_ns = t - 1000;
    pq.dir = Direction::out;
    w.write(pq);
    auto q = dgram(query, true, t);
    w.write(q);
    ctrace::WritePacket pr;
    pr.data = Bytes(ur);
    pr.ts_ns = t + 1'999'000;
    pr.dir = Direction::in;
    w.write(pr);
    auto r = dgram(reply, false, t + 2'000'000);
    w.write(r);
  });
  TempFile tf2(both);
  const auto res2 = run_summary(tf2.path, RunOptions{});
  ASSERT_EQ(res2.exit_code, 0) << res2.error;
  EXPECT_EQ(res2.report.dns.queries, 1u);
  EXPECT_EQ(res2.report.dns.responses, 1u);
  EXPECT_EQ(res2.report.dns.answered, 1u);
}

}  // namespace
