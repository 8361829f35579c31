// ClientHello forms and HelloRetryRequest in the TLS analyzer (docs/tls.md "SSLv2-format
// ClientHello", "HelloRetryRequest"). Real traffic: testdata/real/tls-hello.pcap (tests/cli);
// here the cases a capture cannot force: a hello split in the middle of its header, lengths that
// do not add up, a top-bit byte that is no hello, the SSL 2.0 version.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "ctana/tls.hpp"
#include "tls_harness.hpp"

namespace ctana {
namespace {

std::string be16(std::uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// An SSLv2-format CLIENT-HELLO: header with the top bit set, type 1, version, the three lengths,
// `specs` 3-byte cipher specs, no session id, a `challenge`-byte challenge.
std::string v2_hello(std::uint16_t version, std::uint16_t specs = 3, std::uint16_t challenge = 16,
                     int length_error = 0) {
  std::string body = "\x01" + be16(version) + be16(static_cast<std::uint16_t>(specs * 3)) + be16(0) + be16(challenge);
  for (std::uint16_t i = 0; i < specs; ++i) body += std::string("\x00\x00", 2) + static_cast<char>(0x2f + i);
  body += std::string(challenge, '\x5a');
  const std::size_t len = body.size() + static_cast<std::size_t>(length_error);
  return std::string{static_cast<char>(0x80 | (len >> 8)), static_cast<char>(len & 0xff)} + body;
}

std::string handshake_record(std::uint8_t type, const std::string& body) {
  const std::string msg = std::string{static_cast<char>(type), '\0'} + be16(static_cast<std::uint16_t>(body.size())) + body;
  return header(22, 0x0303, static_cast<std::uint16_t>(msg.size())) + msg;
}

// A TLS 1.3 ClientHello: one cipher suite, supported_versions {1.3}.
std::string client_hello() {
  std::string b = be16(0x0303) + std::string(32, '\x11') + std::string(1, '\0') + be16(2) + be16(0x1301) +
                  std::string("\x01\x00", 2);
  const std::string ext = be16(43) + be16(3) + "\x02" + be16(0x0304);
  return handshake_record(1, b + be16(static_cast<std::uint16_t>(ext.size())) + ext);
}

// A ServerHello choosing `cipher`; `retry`: the HelloRetryRequest random (RFC 8446 4.1.3).
std::string server_hello(std::uint16_t cipher, bool tls13, bool retry = false) {
  static const char kHrr[] = "\xCF\x21\xAD\x74\xE5\x9A\x61\x11\xBE\x1D\x8C\x02\x1E\x65\xB8\x91"
                             "\xC2\xA2\x11\x16\x7A\xBB\x8C\x5E\x07\x9E\x09\xE2\xC8\xA8\x33\x9C";
  std::string b = be16(0x0303) + (retry ? std::string(kHrr, 32) : std::string(32, '\x22')) + std::string(1, '\0') +
                  be16(cipher) + std::string(1, '\0');
  const std::string ext = tls13 ? be16(43) + be16(2) + be16(0x0304) : std::string();
  return handshake_record(2, b + be16(static_cast<std::uint16_t>(ext.size())) + ext);
}

std::uint64_t count(const std::vector<std::pair<std::string, std::uint64_t>>& v, const std::string& k) {
  for (const auto& [name, n] : v)
    if (name == k) return n;
  return 0;
}

TEST(TlsSslv2Hello, Recognised) {
  EXPECT_TRUE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303))));
  EXPECT_TRUE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0002))));
  EXPECT_TRUE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0301, 1, 32))));
  EXPECT_TRUE(tls::looks_like_any_client_hello(as_bytes(v2_hello(0x0303))));
  tls::ClientHello h;
  const std::string r = v2_hello(0x0301, 5);
  EXPECT_EQ(tls::sslv2_client_hello(as_bytes(r), h), r.size());
  EXPECT_EQ(h.legacy_version, 0x0301);
  EXPECT_EQ(h.cipher_suites, 5);
  EXPECT_EQ(tls::sslv2_client_hello(as_bytes(std::string_view(r).substr(0, r.size() - 1)), h), 0u);  // cut
}

TEST(TlsSslv2Hello, LengthsMustAddUp) {
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303, 3, 16, 1))));
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303, 3, 16, -1))));
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303, 3, 15))));   // challenge 16-32
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303, 3, 33))));
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303, 0))));       // no cipher spec
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0305))));          // no such version
  std::string odd = v2_hello(0x0303);
  odd[6] = 8;  // cipher-spec length not a multiple of 3 (and no longer adding up)
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(odd)));
  std::string server = v2_hello(0x0002);
  server[2] = 4;  // SERVER-HELLO
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(server)));
  EXPECT_FALSE(tls::looks_like_sslv2_client_hello(as_bytes(v2_hello(0x0303).substr(0, 10))));
}

TEST(TlsSslv2Hello, SessionOnATlsPort) {
  Harness t(443, true);
  t.send(0, v2_hello(0x0303), 1000);
  t.send(1, server_hello(0x009c, false), 1400);
  t.send(0, rec(20, 1));  // ChangeCipherSpec both ways: the handshake completed
  t.send(1, rec(20, 1));
  t.send(0, rec(23, 40));
  const TlsSession* s = t.session();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->sslv2_hello);
  EXPECT_FALSE(s->hello_retry);
  EXPECT_EQ(s->offered, "TLS 1.2");
  EXPECT_EQ(s->version, "TLS 1.2");
  EXPECT_EQ(s->cipher, "TLS_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(s->server_hello_latency_ns, 400);
  EXPECT_TRUE(s->completed);
  EXPECT_EQ(t.rep.sslv2_hellos, 1u);
  EXPECT_EQ(count(t.rep.handshake_types, "client_hello"), 1u);
  ASSERT_EQ(t.findings.size(), 1u);
  EXPECT_EQ(t.findings[0].kind, "tls_sslv2_hello");
}

TEST(TlsSslv2Hello, SplitInsideItsHeaderAndFoundByContent) {
  Harness t(5555, true);  // not a TLS port: found by the client's first bytes
  const std::string h = v2_hello(0x0002);
  t.send(0, h.substr(0, 11));
  t.send(0, h.substr(11, 4));
  t.send(0, h.substr(15));
  t.send(1, header(21, 0x0303, 2) + "\x02\x46");  // fatal protocol_version
  const TlsSession* s = t.session();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->sslv2_hello);
  EXPECT_EQ(s->offered, "SSL 2.0");
  EXPECT_EQ(s->detected, "content");
  EXPECT_FALSE(s->completed);
  EXPECT_EQ(t.rep.handshakes_failed, 1u);
  ASSERT_EQ(t.findings.size(), 2u);
  EXPECT_EQ(t.findings[0].kind, "tls_handshake_failed");
  EXPECT_EQ(t.findings[1].kind, "tls_sslv2_hello");
  EXPECT_NE(t.findings[1].explanation.find("RFC 6176"), std::string::npos);
}

TEST(TlsSslv2Hello, ATopBitByteThatIsNoHello) {
  Harness t(443, true);
  std::string junk = v2_hello(0x0303, 3, 16, 2);  // lengths do not add up
  t.send(0, junk);
  t.send(1, server_hello(0x009c, false));
  const auto& r = t.finish();
  EXPECT_EQ(r.sslv2_hellos, 0u);
  EXPECT_EQ(r.sessions_total, 0u);
  EXPECT_TRUE(t.findings.empty());
}

TEST(TlsHelloRetry, BothClientHellosCountedAndLatencyFromTheSecond) {
  Harness t(443, true);
  t.send(0, client_hello(), 1000);
  t.send(1, server_hello(0x1301, true, true) + rec(20, 1), 1300);  // HelloRetryRequest, dummy ChangeCipherSpec
  t.send(0, rec(20, 1) + client_hello(), 2000);
  t.send(1, server_hello(0x1302, true) + rec(23, 100), 2500);
  t.send(0, rec(23, 50), 2600);  // the client's Finished
  t.send(0, rec(23, 60), 2700);  // data
  const TlsSession* s = t.session();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->hello_retry);
  EXPECT_FALSE(s->sslv2_hello);
  EXPECT_EQ(s->hello_ns, 1000);
  EXPECT_EQ(s->server_hello_latency_ns, 500);
  EXPECT_EQ(s->version, "TLS 1.3");
  EXPECT_EQ(s->cipher, "TLS_AES_256_GCM_SHA384");
  EXPECT_TRUE(s->completed);
  EXPECT_TRUE(s->app_data);
  EXPECT_EQ(t.rep.hello_retries, 1u);
  EXPECT_EQ(count(t.rep.handshake_types, "client_hello"), 2u);
  EXPECT_EQ(count(t.rep.handshake_types, "server_hello"), 2u);  // tshark: type 2 both times
  EXPECT_TRUE(t.findings.empty());
}

}  // namespace
}  // namespace ctana
