// The STARTTLS parsers on exchanges the real captures (testdata/real/starttls-*.pcap) do not
// hold: SMTP AUTH in clear, pipelined replies, an IMAP literal, a proxy that wants credentials
// first, a server that accepts but whose client sends no ClientHello.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "ctana/starttls.hpp"

namespace ctana {
namespace {

struct Harness {
  TlsReport rep;
  std::vector<Finding> findings;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> handed;  // (client, server) offsets
  std::vector<std::string> how;
  bool let_go = false;
  StartTlsAnalyzer an{{}, rep, [this](const Finding& f) { findings.push_back(f); }};
  TcpConnection c;
  std::uint64_t off[2] = {0, 0};
  bool open = true;

  explicit Harness(std::uint16_t port) {
    c.id = 1;
    const std::array<std::uint8_t, 4> ca{10, 0, 0, 1}, sa{10, 0, 0, 2};
    c.client = IpAddr::v4(ca);
    c.server = IpAddr::v4(sa);
    c.client_port = 40000;
    c.server_port = port;
    an.on_tls([this](const TcpConnection&, std::uint64_t co, std::uint64_t so, std::string_view h) {
      handed.emplace_back(co, so);
      how.emplace_back(h);
    });
    an.on_no_tls([this](const TcpConnection&) { let_go = true; });
    open = an.wants(c);
  }
  void send(int from, std::string_view s) {
    if (!open) return;
    an.on_data(c, from == 0 ? Side::client : Side::server, off[from], as_bytes(s), 0);
    off[from] += s.size();
    open = an.keeps(c);
  }
  const StartTlsRow& row() {
    an.finish();
    return rep.starttls.at(0);
  }
  bool has(std::string_view kind) const {
    for (const auto& f : findings)
      if (f.kind == kind) return true;
    return false;
  }
};

TEST(StartTls, SmtpAuthInClearAfterOfferIsAFinding) {
  Harness r(25);
  r.send(1, "220 mx ESMTP\r\n");
  r.send(0, "EHLO me\r\n");
  r.send(1, "250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n");
  r.send(0, "AUTH LOGIN\r\n");
  r.send(1, "334 VXNlcm5hbWU6\r\n");
  r.send(0, "dXNlcg==\r\n");
  r.send(1, "334 UGFzc3dvcmQ6\r\n");
  r.send(0, "cGFzcw==\r\n");
  r.send(1, "235 ok\r\n");
  r.send(0, "MAIL FROM:<a@b>\r\n");
  EXPECT_TRUE(r.let_go);
  EXPECT_TRUE(r.handed.empty());
  ASSERT_TRUE(r.has("plaintext_credentials"));
  EXPECT_NE(r.findings.at(0).summary.find("SMTP AUTH LOGIN sent in clear"), std::string::npos);
  EXPECT_NE(r.findings.at(0).summary.find("the server offered STARTTLS"), std::string::npos);
  const auto& row = r.row();
  EXPECT_EQ(row.offered, 1u);
  EXPECT_EQ(row.requested, 0u);
  EXPECT_EQ(row.clear_credentials, 1u);
}

TEST(StartTls, SmtpPipelinedRepliesAreMatchedInOrder) {
  Harness r(587);
  r.send(1, "220 mx ESMTP\r\n");
  const std::string cmds = "EHLO me\r\nNOOP\r\nSTARTTLS\r\n";  // pipelined
  r.send(0, cmds);
  const std::string replies = "250-mx\r\n250 STARTTLS\r\n250 ok\r\n";  // EHLO's and NOOP's
  r.send(1, replies);
  EXPECT_TRUE(r.handed.empty());
  r.send(1, "220 go ahead\r\n");
  ASSERT_EQ(r.handed.size(), 1u);
  EXPECT_EQ(r.handed[0].first, cmds.size());
  EXPECT_EQ(r.handed[0].second, 14 + replies.size() + 14);  // greeting, replies, "220 go ahead\r\n"
  EXPECT_EQ(r.how[0], "SMTP STARTTLS");
  EXPECT_FALSE(r.open);
}

TEST(StartTls, ImapLiteralIsSkipped) {
  Harness r(143);
  r.send(1, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
  r.send(0, "a1 ID {13}\r\n");
  r.send(1, "+ go\r\n");
  r.send(0, "a2 STARTTLS\r\n");  // inside the literal: not a command
  r.send(0, ")\r\n");
  r.send(1, "a1 OK id\r\n");
  EXPECT_TRUE(r.handed.empty());
  r.send(0, "b STARTTLS\r\n");
  r.send(1, "b NO not now\r\n");
  EXPECT_TRUE(r.handed.empty());
  EXPECT_TRUE(r.has("starttls_refused"));
  const auto& row = r.row();
  EXPECT_EQ(row.requested, 1u);
  EXPECT_EQ(row.refused, 1u);
  EXPECT_EQ(row.offered, 1u);
}

TEST(StartTls, ProxyWantsCredentialsThenTunnels) {
  Harness r(3128);
  const std::string req = "CONNECT db.example:443 HTTP/1.1\r\nHost: db.example:443\r\n\r\n";
  r.send(0, req);
  const std::string deny = "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\nno!\r\n";
  r.send(1, deny);
  EXPECT_TRUE(r.has("starttls_refused"));
  const std::string req2 = "CONNECT db.example:443 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n";
  r.send(0, req2);
  const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
  r.send(1, ok);
  ASSERT_EQ(r.handed.size(), 1u);
  EXPECT_EQ(r.handed[0].first, req.size() + req2.size());
  EXPECT_EQ(r.handed[0].second, deny.size() + ok.size());
  const auto& row = r.row();
  EXPECT_EQ(row.requested, 2u);
  EXPECT_EQ(row.accepted, 1u);
  EXPECT_EQ(row.refused, 1u);
}

TEST(StartTls, OtherHttpIsLetGo) {
  Harness r(80);
  r.send(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.let_go);
  EXPECT_FALSE(r.open);
}

TEST(StartTls, PostgresRefusedThenCleartextPassword) {
  Harness r(5432);
  r.send(0, std::string("\0\0\0\x08\x04\xd2\x16\x2f", 8));  // SSLRequest
  r.send(1, "N");
  std::string startup("\0\0\0\x10\0\x03\0\0user\0u\0\0", 16);
  r.send(0, startup);
  r.send(1, std::string("R\0\0\0\x08\0\0\0\x03", 9));  // AuthenticationCleartextPassword
  r.send(0, std::string("p\0\0\0\x09pass\0", 10));
  EXPECT_TRUE(r.has("starttls_refused"));
  EXPECT_TRUE(r.has("plaintext_credentials"));
  EXPECT_TRUE(r.let_go);
}

TEST(StartTls, HostileBytesDoNotHandOver) {
  for (const std::uint16_t port : std::array<std::uint16_t, 9>{25, 143, 110, 389, 5222, 5432, 3306, 23, 3128}) {
    Harness r(port);
    std::string junk;
    for (int i = 0; i < 3000; ++i) junk.push_back(static_cast<char>((i * 131 + port) & 0xff));
    r.send(0, junk);
    r.send(1, junk);
    EXPECT_TRUE(r.handed.empty()) << port;
  }
}

}  // namespace
}  // namespace ctana
