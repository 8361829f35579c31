// The mid-stream resync of the TLS analyzer (docs/tls.md "Mid-stream"): connections whose SYN was
// not captured are searched for a run of record headers. Real traffic: testdata/real/tls-midstream.pcap
// (tests/cli); here the cases a capture cannot force: a partial record first, random bytes, HTTP
// text, a single plausible header, a record split across segments, hostile lengths.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ctana/tls.hpp"
#include "tls_harness.hpp"

namespace ctana {
namespace {

TEST(TlsRecordRun, NeedsTheWholeRun) {
  const std::string two = rec(23, 40) + rec(23, 30);
  tls::RunRule r;
  r.need = 2;
  EXPECT_EQ(tls::record_run(as_bytes(two), 0, r), tls::Run::yes);
  EXPECT_EQ(tls::record_run(as_bytes(two), 1, r), tls::Run::no);
  // the second header cut by the end of the data: not decided yet; final: a run of 2 ending exactly there
  const std::string cut = rec(23, 40) + header(23, 0x0303, 30).substr(0, 3);
  EXPECT_EQ(tls::record_run(as_bytes(cut), 0, r), tls::Run::more);
  r.final = true;
  EXPECT_EQ(tls::record_run(as_bytes(cut), 0, r), tls::Run::no);
  r.need = 3;
  EXPECT_EQ(tls::record_run(as_bytes(two), 0, r), tls::Run::yes);  // 2 records ending exactly at the end
  r.at_end = 3;
  EXPECT_EQ(tls::record_run(as_bytes(two), 0, r), tls::Run::no);
  // versions must agree along the run
  const std::string mixed = rec(23, 40, 0x0303) + rec(23, 30, 0x0301);
  tls::RunRule m;
  EXPECT_EQ(tls::record_run(as_bytes(mixed), 0, m), tls::Run::no);
  m.version = 0x0301;
  EXPECT_EQ(tls::record_run(as_bytes(two), 0, m), tls::Run::no);
}

TEST(TlsRecordRun, LimitsOfTheHeader) {
  tls::RunRule r;
  const auto one = [&r](std::uint8_t type, std::uint16_t version, std::uint16_t len) {
    const std::string s = header(type, version, len) + std::string(len, '\x01') + rec(23, 10, version);
    return tls::record_run(as_bytes(s), 0, r);
  };
  EXPECT_EQ(one(20, 0x0303, 1), tls::Run::yes);
  EXPECT_EQ(one(24, 0x0300, 100), tls::Run::yes);
  EXPECT_EQ(one(23, 0x0304, tls::kMaxRecordLength), tls::Run::yes);
  EXPECT_EQ(one(23, 0x0303, tls::kMaxRecordLength + 1), tls::Run::no);
  EXPECT_EQ(one(23, 0x0303, 0), tls::Run::no);  // no empty records
  EXPECT_EQ(one(19, 0x0303, 10), tls::Run::no);
  EXPECT_EQ(one(25, 0x0303, 10), tls::Run::no);
  EXPECT_EQ(one(23, 0x0305, 10), tls::Run::no);
  EXPECT_EQ(one(23, 0x0203, 10), tls::Run::no);
  // a header whose length points far past the data: undecided, never a read past it
  const std::string big = header(23, 0x0303, 0xffff);
  EXPECT_EQ(tls::record_run(as_bytes(big), 0, r), tls::Run::no);
  const std::string max = header(23, 0x0303, tls::kMaxRecordLength) + "ab";
  EXPECT_EQ(tls::record_run(as_bytes(max), 0, r), tls::Run::more);
  EXPECT_EQ(tls::record_run(as_bytes(max), max.size(), r), tls::Run::more);  // nothing there yet
  EXPECT_EQ(tls::record_run(as_bytes(max), max.size() + 10, r), tls::Run::more);
}

TEST(TlsMidstream, SyncsAfterAPartialRecord) {
  Harness h(443);
  // the tail of a record whose header was before the capture, then three records
  const std::string data = std::string(700, '\x02') + rec(23, 1000) + rec(23, 500) + rec(21, 26);
  h.send(1, data);
  h.send(0, rec(23, 60) + rec(23, 60));
  const TlsSession* s = h.session();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->midstream);
  EXPECT_EQ(s->detected, "resync");
  EXPECT_EQ(s->skipped[1], 700);
  EXPECT_EQ(s->skipped[0], 0);
  EXPECT_TRUE(s->app_data);
  EXPECT_FALSE(s->completed);
  EXPECT_EQ(s->encrypted_alerts, 1u);  // the alert record after the resync is encrypted
  EXPECT_EQ(h.rep.midstream_sessions, 1u);
  EXPECT_EQ(h.rep.sessions_total, 0u);  // no handshake was seen
  EXPECT_EQ(h.rep.handshakes_failed, 0u);
  EXPECT_TRUE(h.findings.empty());  // nothing about a handshake that happened before the capture
}

TEST(TlsMidstream, NoFindingWhenTheConnectionEndsUnfinished) {
  Harness h(8443);
  h.c.state = TcpState::reset;
  h.send(1, std::string(100, 'z') + rec(23, 200) + rec(23, 200));
  h.send(0, rec(22, 40) + rec(23, 200));  // an encrypted handshake message (renegotiation), not decoded
  const TlsSession* s = h.session();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->midstream);
  EXPECT_TRUE(h.findings.empty());
  EXPECT_TRUE(h.rep.handshake_types.empty());
}

TEST(TlsMidstream, RecordSplitAcrossSegments) {
  Harness h(5555);  // no TLS port: a run of three
  const std::string data = std::string(37, '\x05') + rec(23, 3000) + rec(23, 2000) + rec(23, 100) + rec(23, 100);
  for (std::size_t i = 0; i < data.size(); i += 7) h.send(1, data.substr(i, 7));  // 7-byte segments
  const TlsSession* s = h.session();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->skipped[1], 37);
  EXPECT_EQ(s->skipped[0], -1);  // the client sent nothing
  EXPECT_TRUE(s->app_data);
}

TEST(TlsMidstream, OnlyTheStartOfAConnectionWithoutSynMayBeAClientHello) {
  // A ClientHello at the client's first byte: the usual detection by content, not mid-stream.
  // version, random, no session id, one suite (TLS_AES_128_GCM_SHA256), null compression, no extensions
  std::string body = std::string{'\x03', '\x03'} + std::string(32, '\0') + std::string{'\0', '\0', '\x02', '\x13', '\x01', '\x01', '\0', '\0', '\0'};
  std::string hello = header(22, 0x0301, static_cast<std::uint16_t>(body.size() + 4));
  hello += std::string{'\x01', '\0', '\0', static_cast<char>(body.size())} + body;
  Harness h(5555);
  h.send(0, hello);
  h.finish();
  ASSERT_EQ(h.rep.sessions.size(), 1u);
  EXPECT_FALSE(h.rep.sessions[0].midstream);
  EXPECT_EQ(h.rep.sessions[0].detected, "content");
}

TEST(TlsMidstream, NotWithASyn) {
  Harness h(5555, true);  // the connection's start was captured: no resync
  h.send(1, rec(23, 100) + rec(23, 100) + rec(23, 100) + rec(23, 100));
  EXPECT_FALSE(h.open);
  EXPECT_EQ(h.session(), nullptr);
}

TEST(TlsMidstream, NotOnRandomBytes) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    Harness h(443);
    const std::string r = random_bytes(30'000, seed);
    for (std::size_t i = 0; i < r.size(); i += 1448) h.send(seed % 2, r.substr(i, 1448));
    EXPECT_EQ(h.session(), nullptr) << "seed " << seed;
  }
}

TEST(TlsMidstream, NotOnHttpText) {
  Harness h(8080);
  std::string requests;
  while (requests.size() < 25'000) requests += "GET /index.html HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n";
  h.send(0, requests.substr(0, 1000));
  h.send(1, "HTTP/1.1 200 OK\r\nContent-Length: 30000\r\n\r\n" + std::string(5000, 'a'));
  EXPECT_TRUE(h.open);  // still looking: a run may start anywhere in the first 24 KiB
  h.send(0, requests.substr(1000));
  h.send(1, std::string(25'000, 'a'));
  EXPECT_FALSE(h.open);  // both directions gave up: the connection is let go
  EXPECT_EQ(h.session(), nullptr);
}

TEST(TlsMidstream, TextIsLetGoAfterTwoKiB) {
  // No byte 20-24 (no content type) in the first 2 KiB of a direction: not TLS, let go early.
  Harness h(2525);
  h.send(1, "220 mail.test ESMTP\r\n");
  h.send(0, "EHLO me\r\n");
  EXPECT_TRUE(h.open);
  const std::string lines(2100, 'm');
  h.send(0, lines);
  EXPECT_TRUE(h.open);  // the server's direction is still searched
  h.send(1, lines);
  EXPECT_FALSE(h.open);
  // but one content-type byte early keeps the search going (a record may follow)
  Harness g(2525);
  g.send(1, std::string(1, '\x17') + lines);
  g.send(0, lines);
  EXPECT_TRUE(g.open);
}

TEST(TlsMidstream, NotOnASinglePlausibleHeader) {
  // One header (its record ends where something else begins), in binary data, on a TLS port too
  for (const std::uint16_t port : {std::uint16_t{443}, std::uint16_t{5555}}) {
    Harness h(port);
    std::string d = random_bytes(300, 9);
    d += rec(23, 16);
    d += "\x99\x98\x97\x96\x95";
    d += std::string(200, '\0');
    h.send(0, d);
    EXPECT_EQ(h.session(), nullptr) << port;
  }
  // nor one whole record that is all the data: on a TLS port a run needs two, elsewhere three
  Harness one(443);
  one.send(1, rec(23, 50));
  EXPECT_EQ(one.session(), nullptr);
  // two records ending exactly where the data ends are enough at the end of a connection
  Harness two(5555);
  two.send(1, rec(23, 50) + rec(23, 40));
  const TlsSession* s = two.session();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->skipped[1], 0);
}

TEST(TlsMidstream, OneRecordWhenThePeerWasFound) {
  Harness h(443);
  h.send(0, rec(23, 80) + rec(23, 80));
  h.send(1, rec(21, 26));  // just the server's close_notify
  const TlsSession* s = h.session();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->skipped[1], 0);
  EXPECT_EQ(s->encrypted_alerts, 1u);
  Harness other(443);  // not when the versions differ
  other.send(0, rec(23, 80) + rec(23, 80));
  other.send(1, rec(21, 26, 0x0301));
  const TlsSession* o = other.session();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->skipped[1], -1);
}

TEST(TlsMidstream, GivesUpAfterTheWindow) {
  Harness h(443);
  h.send(1, std::string(30'000, 'x'));
  h.send(1, rec(23, 100) + rec(23, 100) + rec(23, 100));  // too late: not searched
  EXPECT_EQ(h.session(), nullptr);
}

TEST(TlsMidstream, HostileLengths) {
  // Headers with the largest lengths, cut anywhere, one byte at a time: no read out of bounds
  // (the sanitizer build checks), and no session from them.
  std::string d;
  for (int i = 0; i < 4; ++i) d += header(23, 0x0303, static_cast<std::uint16_t>(tls::kMaxRecordLength - i));
  d += header(23, 0x0303, 0xffff) + header(24, 0x0304, tls::kMaxRecordLength + 1);
  Harness h(443);
  for (char ch : d) h.send(1, std::string(1, ch));
  EXPECT_EQ(h.session(), nullptr);
  // a valid run of maximal records, split at every odd place
  const std::string big = std::string(3, '\x07') + rec(23, tls::kMaxRecordLength) + rec(23, tls::kMaxRecordLength);
  Harness g(443);
  for (std::size_t i = 0; i < big.size(); i += 1000 + i % 7) g.send(1, big.substr(i, 1000 + i % 7));
  const TlsSession* s = g.session();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->skipped[1], 3);
}

TEST(TlsMidstream, AGapStopsTheSearch) {
  Harness h(443);
  h.send(1, std::string(100, 'q'));
  h.an.on_gap(h.c, Side::server, 100, 50, 0);
  h.off[1] += 50;
  h.send(1, rec(23, 10) + rec(23, 10) + rec(23, 10));
  EXPECT_EQ(h.session(), nullptr);
}

}  // namespace
}  // namespace ctana
