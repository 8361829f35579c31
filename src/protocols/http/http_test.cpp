// HTTP/1.x: line parsing, masking, the stream parser (pipelining, chunks, gaps, resync), the
// probing sink of the module framework, and the module on the real capture (tools/capture/make-http.sh).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctana/render.hpp"
#include "ctana/summary.hpp"
#include "protocols/http/http.hpp"
#include "test_util.hpp"

using namespace ctana;
using namespace ctana::http;

namespace {
Bytes B(std::string_view s) { return as_bytes(s); }

struct Collected {
  std::vector<Message> heads, ends;
  int lost = 0;
  bool head_request = false;  // answer the responses as to a HEAD request
};

StreamParser parser(bool requests, Collected& c) {
  StreamParser::Events ev;
  ev.head = [&c](Message& m) {
    if (!m.request && (c.head_request || m.code == 304 || m.code == 204 || m.code < 200)) m.no_body = true;
    c.heads.push_back(m);
  };
  ev.end = [&c](const Message& m) { c.ends.push_back(m); };
  ev.lost = [&c] { ++c.lost; };
  return StreamParser(requests, std::move(ev));
}
}  // namespace

TEST(HttpParse, StartLines) {
  RequestLine r;
  ASSERT_TRUE(parse_request_line("GET /index.html?x=1 HTTP/1.1", r));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/index.html?x=1");
  EXPECT_EQ(r.minor, 1);
  EXPECT_TRUE(parse_request_line("M-SEARCH * HTTP/1.1", r));
  EXPECT_FALSE(parse_request_line("GET /index.html", r));       // HTTP/0.9: not taken
  EXPECT_FALSE(parse_request_line("GET  HTTP/1.1", r));          // no target
  EXPECT_FALSE(parse_request_line("GET / HTTP/2.0", r));
  EXPECT_FALSE(parse_request_line("G(T / HTTP/1.1", r));         // not a token
  EXPECT_FALSE(parse_request_line("GET /a\x01 HTTP/1.1", r));
  StatusLine s;
  ASSERT_TRUE(parse_status_line("HTTP/1.1 404 Not Found", s));
  EXPECT_EQ(s.code, 404);
  EXPECT_EQ(s.reason, "Not Found");
  ASSERT_TRUE(parse_status_line("HTTP/1.0 200", s));
  EXPECT_EQ(s.minor, 0);
  EXPECT_FALSE(parse_status_line("HTTP/1.1 20 OK", s));
  EXPECT_FALSE(parse_status_line("HTTP/1.1 2000 OK", s));
  EXPECT_FALSE(parse_status_line("SSH-2.0-OpenSSH", s));
  std::uint64_t n = 0;
  EXPECT_TRUE(parse_chunk_size("1a;name=value", n));
  EXPECT_EQ(n, 26u);
  EXPECT_TRUE(parse_chunk_size("0", n));
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(parse_chunk_size("zz", n));
  EXPECT_FALSE(parse_chunk_size("1234567890abcdef0", n));  // beyond 2^60
  std::string_view name, value;
  ASSERT_TRUE(parse_header("Content-Length:  42 ", name, value));
  EXPECT_EQ(name, "Content-Length");
  EXPECT_EQ(value, "42");
  EXPECT_FALSE(parse_header("no colon here", name, value));
  EXPECT_EQ(status_meaning(503), "Service Unavailable");
  EXPECT_EQ(status_meaning(299), "");
}

TEST(HttpParse, Probe) {
  EXPECT_EQ(probe(Side::client, B("GET / HTTP/1.1\r\n")), ProbeResult::yes);
  EXPECT_EQ(probe(Side::client, B("GET /very/long")), ProbeResult::need_more);
  EXPECT_EQ(probe(Side::client, B("POS")), ProbeResult::need_more);
  EXPECT_EQ(probe(Side::client, B("GET / HTTP/2.0\r\n")), ProbeResult::no);
  EXPECT_EQ(probe(Side::client, B("\x16\x03\x01\x02\x00")), ProbeResult::no);  // a TLS ClientHello
  EXPECT_EQ(probe(Side::client, B("get / HTTP/1.1\r\n")), ProbeResult::no);    // methods are upper case
  EXPECT_EQ(probe(Side::server, B("HTTP/1.1 200 OK\r\n")), ProbeResult::yes);
  EXPECT_EQ(probe(Side::server, B("HTTP/1.")), ProbeResult::need_more);
  EXPECT_EQ(probe(Side::server, B("HTTP/1.1 2")), ProbeResult::need_more);
  EXPECT_EQ(probe(Side::server, B("HTTP/1.1 x")), ProbeResult::no);
  EXPECT_EQ(probe(Side::server, B("220 FTP server ready\r\n")), ProbeResult::no);
  EXPECT_EQ(probe(Side::server, B("")), ProbeResult::need_more);
}

TEST(HttpParse, Masking) {
  EXPECT_EQ(mask_target("/login?user=bob&password=hunter2&lang=en"), "/login?user=bob&password=*****&lang=en");
  EXPECT_EQ(mask_target("/api?access_token=abc&q=x#frag"), "/api?access_token=*****&q=x#frag");
  EXPECT_EQ(mask_target("/plain/path"), "/plain/path");
  EXPECT_EQ(mask_target("http://bob:pw@proxy.example/x?apikey=1"), "http://bob:*****@proxy.example/x?apikey=*****");
  EXPECT_EQ(mask_target("/a?password="), "/a?password=");  // nothing to hide
  EXPECT_EQ(mask_authorization("Basic Ym9iOnMzY3JldA=="), "Basic *****");
  EXPECT_EQ(mask_authorization("opaque"), "*****");
}

TEST(HttpStream, PipelinedRequestsByteByByteAndAtOnce) {
  const std::string s =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
      "\r\nHEAD /d HTTP/1.0\r\n\r\n";
  for (const bool bytewise : {false, true}) {
    Collected c;
    StreamParser p = parser(true, c);
    if (bytewise) {
      for (std::size_t i = 0; i < s.size(); ++i) p.data(B(std::string_view(s).substr(i, 1)), static_cast<std::int64_t>(i));
    } else {
      p.data(B(s), 7);
    }
    ASSERT_EQ(c.ends.size(), 4u) << bytewise;
    EXPECT_EQ(c.ends[0].method, "GET");
    EXPECT_EQ(c.ends[0].host, "h");
    EXPECT_EQ(c.ends[1].body_bytes, 5u);
    EXPECT_TRUE(c.ends[2].chunked);
    EXPECT_EQ(c.ends[2].body_bytes, 5u);
    EXPECT_EQ(c.ends[3].method, "HEAD");
    EXPECT_EQ(c.ends[3].minor, 0);
    EXPECT_EQ(c.lost, 0);
    EXPECT_EQ(p.malformed(), 0u);
    if (bytewise) {  // each message's first and last byte, by the times of their bytes
      EXPECT_EQ(c.ends[1].first_ns, static_cast<std::int64_t>(s.find("POST")));
      EXPECT_EQ(c.ends[1].last_ns, static_cast<std::int64_t>(s.find("hello") + 4));
    }
  }
}

TEST(HttpStream, ResponsesWithoutBodyChunkedAndUntilClose) {
  Collected c;
  StreamParser p = parser(false, c);
  p.data(B("HTTP/1.1 100 Continue\r\n\r\n"
           "HTTP/1.1 204 No Content\r\n\r\n"
           "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n"
           "HTTP/1.0 200 OK\r\n\r\nuntil the end"),
         1);
  p.data(B(" of the connection"), 2);
  ASSERT_EQ(c.ends.size(), 4u);
  EXPECT_EQ(c.ends[0].code, 100);
  EXPECT_EQ(c.ends[2].code, 304);
  EXPECT_EQ(c.ends[2].body_bytes, 0u);  // no body, whatever Content-Length says
  EXPECT_TRUE(c.ends[3].chunked);
  EXPECT_EQ(c.ends[3].body_bytes, 4u);
  p.close();
  ASSERT_EQ(c.ends.size(), 5u);
  EXPECT_EQ(c.ends[4].body_bytes, std::string("until the end of the connection").size());
  EXPECT_EQ(c.ends[4].last_ns, 2);

  Collected h;  // responses to HEAD: Content-Length tells the size of what GET would send
  h.head_request = true;
  StreamParser q = parser(false, h);
  q.data(B("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), 1);
  EXPECT_EQ(h.ends.size(), 2u);
}

TEST(HttpStream, GapsInsideABodyKeepStepElsewhereResync) {
  Collected c;
  StreamParser p = parser(false, c);
  p.data(B("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), 1);
  p.gap(80);  // inside the body: still in step
  p.data(B("0123456789HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), 2);
  ASSERT_EQ(c.ends.size(), 2u);
  EXPECT_TRUE(c.ends[0].gap);
  EXPECT_EQ(c.ends[0].body_bytes, 100u);
  EXPECT_EQ(c.ends[1].code, 404);
  EXPECT_EQ(c.lost, 0);
  // a gap in the headers: the message is lost; the next start line is found again
  p.data(B("HTTP/1.1 200 OK\r\nContent-"), 3);
  p.gap(1000);
  p.data(B("tail of something lost\r\nmore junk\r\nHTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nok"), 4);
  EXPECT_EQ(c.lost, 1);
  EXPECT_EQ(p.resyncs(), 1u);
  ASSERT_EQ(c.ends.size(), 3u);
  EXPECT_EQ(c.ends[2].code, 500);
  // garbage where a start line belongs: counted, and the parser finds its step again
  p.data(B("\x16\x03\x01 garbage\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"), 5);
  EXPECT_EQ(p.malformed(), 1u);
  ASSERT_EQ(c.ends.size(), 4u);
  EXPECT_EQ(c.ends[3].code, 201);
}

TEST(HttpStream, OverlongLinesAreGivenUp) {
  Collected c;
  StreamParser p = parser(true, c);
  p.data(B("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"), 1);
  EXPECT_EQ(p.malformed(), 1u);
  ASSERT_EQ(c.ends.size(), 1u);
  EXPECT_EQ(c.ends[0].target, "/ok");
}

namespace {
// A module analyzer that records what the probing sink hands it.
struct Recorder : ModuleAnalyzer {
  std::string got[2];
  int wanted = 0, closed = 0;
  bool wants(const TcpConnection&) override { return ++wanted, true; }
  void on_data(const TcpConnection&, Side from, std::uint64_t, Bytes d, std::int64_t) override {
    got[index(from)].append(d.begin(), d.end());
  }
  void on_close(const TcpConnection&) override { ++closed; }
};
TcpConnection conn(std::uint64_t id, std::uint16_t server_port) {
  TcpConnection c;
  c.id = id;
  c.server_port = server_port;
  c.roles_known = true;
  return c;
}
}  // namespace

TEST(ModuleRegistry, ProbingSinkHandsOverByContentOrPort) {
  const ProtocolModule* m = find_module("http");
  ASSERT_NE(m, nullptr);
  Recorder rec;
  auto sink = probing_sink(*m, {8080}, rec);
  // by content, on any port: held until the probe decides, then replayed in order
  const TcpConnection a = conn(1, 5000);
  ASSERT_TRUE(sink->wants(a));
  sink->on_data(a, Side::client, 0, B("GET /x HT"), 1);
  EXPECT_TRUE(sink->keeps(a));
  EXPECT_EQ(rec.wanted, 0);
  sink->on_data(a, Side::client, 9, B("TP/1.1\r\n\r\n"), 2);
  EXPECT_EQ(rec.wanted, 1);
  EXPECT_EQ(rec.got[0], "GET /x HTTP/1.1\r\n\r\n");
  sink->on_data(a, Side::server, 0, B("HTTP/1.1 200 OK\r\n"), 3);
  EXPECT_EQ(rec.got[1], "HTTP/1.1 200 OK\r\n");
  sink->on_close(a);
  EXPECT_EQ(rec.closed, 1);
  // not HTTP: let go at once, never shown to the module
  const TcpConnection b = conn(2, 5001);
  ASSERT_TRUE(sink->wants(b));
  sink->on_data(b, Side::server, 0, B("SSH-2.0-OpenSSH_9.2\r\n"), 1);
  sink->on_data(b, Side::client, 0, B("SSH-2.0-libssh\r\n"), 1);
  EXPECT_FALSE(sink->keeps(b));
  EXPECT_EQ(rec.wanted, 1);
  // on the module's port (a default or --app http=PORT): the module's at once, whatever it holds
  const TcpConnection c = conn(3, 8080);
  ASSERT_TRUE(sink->wants(c));
  EXPECT_EQ(rec.wanted, 2);
  rec.got[0].clear();
  sink->on_data(c, Side::client, 0, B("tail of a body"), 1);
  EXPECT_EQ(rec.got[0], "tail of a body");
  EXPECT_TRUE(sink->keeps(c));
}

TEST(ModuleRegistry, MetricsAndKindsAreDeclaredByTheModule) {
  const ProtocolModule* m = find_module("http");
  ASSERT_NE(m, nullptr);
  EXPECT_NE(find_kind("http_server_error"), nullptr);
  EXPECT_EQ(find_kind("http_server_error")->module, "http");
  bool found = false;
  for (const MetricDef& d : metric_defs()) found = found || d.name == "http.response_time.p95";
  EXPECT_TRUE(found);
}

namespace {
nlohmann::ordered_json http_json(const SummaryReport& r) {
  for (const auto& [name, s] : r.modules)
    if (name == "http") return s->json();
  return nullptr;
}
}  // namespace

// The real capture: curl, a pipelining client and Python's http.server (tools/capture/make-http.sh).
// tshark agrees on every method and status count (tests/cli/tshark_apps.py).
TEST(Http, RealCapture) {
  const auto res = run_summary(test::testdata("real/http.pcap"), RunOptions{});
  const auto j = http_json(res.report);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["connections"], 5);
  EXPECT_EQ(j["requests"], 14);
  EXPECT_EQ(j["responses"], 14);
  EXPECT_EQ(j["matched"], 14);
  EXPECT_EQ(j["unanswered_requests"], 0);
  EXPECT_EQ(j["keepalive_connections"], 3);
  EXPECT_EQ(j["pipelined_requests"], 2);
  EXPECT_EQ(j["chunked_messages"], 1);
  EXPECT_EQ(j["methods"]["GET"], 11);
  EXPECT_EQ(j["methods"]["HEAD"], 1);
  EXPECT_EQ(j["methods"]["POST"], 1);
  EXPECT_EQ(j["methods"]["DELETE"], 1);
  EXPECT_EQ(j["status_codes"]["200"], 10);
  EXPECT_EQ(j["status_codes"]["204"], 1);
  EXPECT_EQ(j["status_codes"]["304"], 1);
  EXPECT_EQ(j["status_codes"]["404"], 1);
  EXPECT_EQ(j["status_codes"]["500"], 1);
  EXPECT_EQ(j["error_responses"], 2);
  EXPECT_EQ(j["slow_responses"], 1);
  EXPECT_EQ(j["gaps"], 0);
  EXPECT_EQ(j["malformed"], 0);
  EXPECT_GT(j["response_time"]["max_s"].get<double>(), 1.2);
  bool login = false;
  for (const auto& t : j["transactions"]) {
    if (t["target"].is_string() && t["target"].get<std::string>().rfind("/login", 0) == 0) {
      login = true;
      EXPECT_EQ(t["target"], "/login?user=bob&password=*****&lang=en");
      EXPECT_EQ(t["credentials"], "Basic *****; Cookie *****");
    }
    if (t["target"] == "/chunked") {
      EXPECT_TRUE(t["chunked"].get<bool>());
    }
    if (t["method"] == "HEAD") {
      EXPECT_EQ(t["response_body_bytes"], 0);
    }
  }
  EXPECT_TRUE(login);
  std::map<std::string, int> kinds;
  for (const auto& f : res.report.findings.list)
    if (f.module == "http") {
      ++kinds[f.kind];
      EXPECT_NE(f.first_frame, 0u) << f.kind;  // the connection's frames
    }
  EXPECT_EQ(kinds["http_client_error"], 1);
  EXPECT_EQ(kinds["http_server_error"], 1);
  EXPECT_EQ(kinds["http_slow_response"], 1);

  RunOptions show;
  show.show_secrets = true;
  const auto j2 = http_json(run_summary(test::testdata("real/http.pcap"), show).report);
  bool plain = false;
  for (const auto& t : j2["transactions"])
    plain = plain || t["target"] == "/login?user=bob&password=hunter2&lang=en";
  EXPECT_TRUE(plain);

  RunOptions no_tcp;  // the module follows TCP streams: no TCP analysis, no section
  no_tcp.tcp = false;
  EXPECT_TRUE(run_summary(test::testdata("real/http.pcap"), no_tcp).report.modules.empty());
}

// --app http=PORT: connections on that port are the module's without the probe (so that one
// picked up in the middle of a body is followed from the next message on). On the FTP capture,
// the probe takes none; with --app http=21 the control connections are the module's, and their
// lines are counted as not HTTP.
TEST(Http, AppPortTakesConnectionsWithoutTheProbe) {
  const std::string cap = test::testdata("real/ftp-login.pcap");
  RunOptions opt;
  const auto plain = http_json(run_summary(cap, opt).report);
  EXPECT_EQ(plain["connections"], 0);
  opt.tcp_options.port_names = {{"http", 21}};
  const auto by_port = http_json(run_summary(cap, opt).report);
  EXPECT_EQ(by_port["connections"], 2);
  EXPECT_GT(by_port["malformed"].get<int>(), 0);
  EXPECT_EQ(by_port["requests"], 0);
}
