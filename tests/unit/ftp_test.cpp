// FTP: control-line parsing, and the analyzer on the real vsftpd capture and on crafted sessions.
#include <gtest/gtest.h>

#include <string>

#include "ctana/ftp.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;

TEST(FtpParse, HostPortForms) {
  IpAddr a;
  std::uint16_t port = 0;
  ASSERT_TRUE(ftp::parse_host_port("137,72,43,137,40,196", a, port));
  EXPECT_EQ(a.str(), "137.72.43.137");
  EXPECT_EQ(port, 10436);  // the seeds' example: 40*256+196
  ASSERT_TRUE(ftp::parse_host_port("Entering Passive Mode (10,99,0,2,117,48).", a, port));
  EXPECT_EQ(port, 30000);
  EXPECT_FALSE(ftp::parse_host_port("1,2,3,4,5", a, port));
  EXPECT_FALSE(ftp::parse_host_port("1,2,3,256,5,6", a, port));
  ASSERT_TRUE(ftp::parse_eprt("|2|1080::8:800:200C:417A|5282|", a, port));
  EXPECT_EQ(a.version, 6);
  EXPECT_EQ(port, 5282);
  EXPECT_FALSE(ftp::parse_eprt("|1|10.0.0.1|99999|", a, port));
  ASSERT_TRUE(ftp::parse_epsv_port("Entering Extended Passive Mode (|||6446|)", port));
  EXPECT_EQ(port, 6446);
  EXPECT_EQ(ftp::parse_command("retr big file.txt").verb, "RETR");
  EXPECT_EQ(ftp::parse_command("retr big file.txt").arg, "big file.txt");
  EXPECT_EQ(ftp::reply_meaning(425), "Can't open data connection");
}

TEST(Ftp, RealVsftpdSessions) {
  auto res = run_summary(ctana::test::testdata("real/ftp-login.pcap"), RunOptions{});
  const FtpReport& f = res.report.ftp;
  ASSERT_EQ(f.sessions.size(), 2u);
  const FtpSession& bad = f.sessions[0];
  EXPECT_EQ(bad.login, "failed");
  EXPECT_EQ(bad.login_failures, 1u);
  const FtpSession& good = f.sessions[1];
  EXPECT_EQ(good.login, "ok");
  EXPECT_EQ(good.user, "ctanatest");
  EXPECT_EQ(good.type, "I");
  EXPECT_EQ(good.end, "closed");
  bool masked = false;
  for (const auto& c : good.log) {
    if (c.verb == "PASS") {
      masked = c.arg == "*****";
      EXPECT_EQ(c.reply, 230);
    }
  }
  EXPECT_TRUE(masked);
  ASSERT_EQ(good.transfers.size(), 3u);
  EXPECT_EQ(good.transfers[0].command, "LIST");
  EXPECT_TRUE(good.transfers[0].passive);
  EXPECT_EQ(good.transfers[1].command, "RETR");
  EXPECT_EQ(good.transfers[1].file, "ctana-sample.txt");
  EXPECT_EQ(good.transfers[1].reply, 226);
  EXPECT_GT(good.transfers[1].bytes, 20'000u);
  EXPECT_NE(good.transfers[1].data_connection, 0u);
  EXPECT_FALSE(good.transfers[2].passive);  // PORT: the server connected back from port 20
  EXPECT_EQ(good.transfers[2].file, "small.txt");
  EXPECT_EQ(good.transfers[2].bytes, 41u);
  EXPECT_EQ(f.failed_logins, 1u);
  // the data connections are named ftp-data only when they use port 20; the link is by address
  std::uint64_t kinds = 0;
  for (const auto& k : res.report.findings.kinds)
    if (k.kind == "ftp_login_failed") kinds = k.count;
  EXPECT_EQ(kinds, 1u);
}

namespace {
// Drives the analyzer with hand-written control streams.
struct Session {
  FtpReport rep;
  std::vector<Finding> findings;
  FtpAnalyzer ftp{FtpOptions{}, rep, [this](const Finding& f) { findings.push_back(f); }};
  TcpConnection ctl;
  std::uint64_t off[2] = {0, 0};
  Session() {
    std::uint8_t c[4] = {10, 0, 0, 1}, s[4] = {10, 0, 0, 2};
    ctl.id = 1;
    ctl.client = IpAddr::v4(c);
    ctl.server = IpAddr::v4(s);
    ctl.client_port = 40000;
    ctl.server_port = 21;
    EXPECT_TRUE(ftp.wants(ctl));
  }
  void send(Side from, const std::string& text, std::int64_t ts) {
    ftp.on_data(ctl, from, off[index(from)], Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), ts);
    off[index(from)] += text.size();
  }
  bool has(const std::string& kind) const {
    for (const auto& f : findings)
      if (f.kind == kind) return true;
    return false;
  }
};
}  // namespace

TEST(Ftp, MultiLineRepliesAndSplitCommands) {
  Session s;
  s.send(Side::server, "220-Welcome\r\n220-to z/OS\r\n220 ready\r\n", 1);
  s.send(Side::client, "USER bob\r\nPA", 2);  // two commands, the second split over segments
  s.send(Side::client, "SS hunter2\r\n", 3);
  s.send(Side::server, "331 need password\r\n230 logged in\r\n", 4);
  s.send(Side::client, "SITE FIXrecfm 80 LRECL=80\r\n", 5);
  s.send(Side::server, "200 SITE command was accepted\r\n", 6);
  s.ftp.on_close(s.ctl);
  s.ftp.finish();
  ASSERT_EQ(s.rep.sessions.size(), 1u);
  const auto& ses = s.rep.sessions[0];
  EXPECT_EQ(ses.login, "ok");
  EXPECT_EQ(ses.user, "bob");
  ASSERT_EQ(ses.log.size(), 3u);
  EXPECT_EQ(ses.log[1].verb, "PASS");
  EXPECT_EQ(ses.log[1].arg, "*****");
  EXPECT_EQ(ses.log[1].reply, 230);
  EXPECT_EQ(ses.log[2].arg, "FIXrecfm 80 LRECL=80");
  EXPECT_EQ(ses.log[2].reply, 200);
}

TEST(Ftp, MultiLineReplyKeepsEveryLineAndExplainsTheAbend) {
  Session s;
  s.send(Side::server, "220-Welcome\r\n220-to z/OS\r\n   indented\r\n220 ready\r\n", 1);
  s.send(Side::client, "USER bob\r\nPASS x\r\n", 2);
  s.send(Side::server, "331 send password\r\n230 ok\r\n", 3);
  s.send(Side::client, "STOR 'USER1.OUT'\r\n", 4);
  // the z/OS FTP server's form (IBM, z/OS Communications Server IP and SNA Codes, 550 and 451 replies)
  s.send(Side::server, "125 Storing data set USER1.OUT\r\n451-System completion code and reason: B37-04\r\n"
                       "451 Transfer aborted due to file error. File is catalogued.\r\n", 5);
  s.send(Side::client, "DELE etchost\r\n", 6);
  s.send(Side::server, "550-System completion code and reason: 213-50\r\n550 could not delete USER5.PDS(ETCHOST)\r\n", 7);
  s.send(Side::client, "RETR a\r\n", 8);
  s.send(Side::server, "550-No code here: B370 and AB37 are not codes\r\n550 not found\r\n", 9);
  s.ftp.on_close(s.ctl);
  s.ftp.finish();
  const auto& log = s.rep.sessions.at(0).log;
  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[0].verb, "USER");
  const auto& stor = log[2];
  EXPECT_EQ(stor.reply, 451);
  EXPECT_EQ(stor.reply_text, "System completion code and reason: B37-04 / Transfer aborted due to file error. File is catalogued.");
  std::vector<const Finding*> errs;
  for (const auto& f : s.findings)
    if (f.kind == "ftp_error_reply") errs.push_back(&f);
  ASSERT_EQ(errs.size(), 3u);
  EXPECT_EQ(errs[0]->severity, Severity::error);
  EXPECT_EQ(errs[0]->cause, "451 B37");
  EXPECT_EQ(errs[0]->summary, "FTP STOR 'USER1.OUT' answered 451 Transfer aborted due to file error. File is catalogued. (abend B37-04)");
  EXPECT_NE(errs[0]->explanation.find("out of space"), std::string::npos) << errs[0]->explanation;
  EXPECT_NE(errs[0]->hint.find("SITE PRIMARY"), std::string::npos) << errs[0]->hint;
  EXPECT_EQ(errs[1]->cause, "550 213");
  EXPECT_EQ(errs[1]->severity, Severity::error);
  EXPECT_NE(errs[1]->summary.find("(abend 213-50)"), std::string::npos) << errs[1]->summary;
  EXPECT_EQ(errs[2]->cause, "550");  // no code of its own: not an abend
  EXPECT_EQ(errs[2]->severity, Severity::warning);
  EXPECT_TRUE(errs[2]->hint.empty());
}

TEST(Ftp, AnnouncedDataConnectionThatNeverCame) {
  Session s;
  s.send(Side::server, "220 ready\r\n", 1);
  s.send(Side::client, "PORT 10,0,0,1,40,196\r\n", 2);
  s.send(Side::server, "200 PORT ok\r\n", 3);
  s.send(Side::client, "RETR 'USER1.DATA'\r\n", 4);
  s.send(Side::server, "425 Can't open data connection\r\n", 5'000'000'000);
  s.ftp.on_close(s.ctl);
  s.ftp.finish();
  EXPECT_TRUE(s.has("ftp_data_connection_missing"));
  EXPECT_TRUE(s.has("ftp_error_reply"));
  for (const auto& f : s.findings)
    if (f.kind == "ftp_data_connection_missing") {
      EXPECT_NE(f.summary.find("PORT 10,0,0,1,40,196 announced port 10436"), std::string::npos) << f.summary;
    }
}

TEST(Ftp, BounceAndBruteForce) {
  Session s;
  s.send(Side::client, "PORT 192,0,2,99,0,25\r\n", 1);  // a third host: FTP bounce
  EXPECT_TRUE(s.has("ftp_port_bounce"));
  for (int i = 0; i < 6; ++i) {
    s.send(Side::client, "USER admin\r\nPASS x\r\n", 10 + i);
    s.send(Side::server, i == 0 ? "200 ok\r\n331 pw\r\n530 no\r\n" : "331 pw\r\n530 no\r\n", 10 + i);
  }
  s.ftp.on_close(s.ctl);
  s.ftp.finish();
  EXPECT_TRUE(s.has("ftp_brute_force"));
  EXPECT_EQ(s.rep.failed_logins, 6u);
}

namespace {
// The records of a client's packets to port 21 through a masker; what it made of each payload.
std::vector<std::string> masked(ftp::SecretMasker& m, const std::vector<std::pair<std::uint32_t, std::string>>& segs,
                                std::uint16_t port = 21) {
  std::vector<std::string> out;
  for (const auto& [seq, text] : segs) {
    const auto bytes = ctana::test::tcp_packet(seq, tcpflag::ack | tcpflag::psh, text, false, port);
    Record r = ctana::test::make_record(bytes, linktype::raw);
    Packet p;
    decode(r, p);
    m.hide(r, p);
    out.emplace_back(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
  }
  return out;
}
}  // namespace

TEST(FtpSecrets, PassAndAcctArgumentsAreMaskedInPacketData) {
  ftp::SecretMasker m;
  const auto out = masked(m, {{100, "USER bob\r\npass hunter2\r\n"},  // two commands, lower case
                              {125, "ACCT 4711\r\n"},
                              {136, "STOR x\r\n"}});
  EXPECT_EQ(out[0], "USER bob\r\npass *******\r\n");
  EXPECT_EQ(out[1], "ACCT ****\r\n");
  EXPECT_EQ(out[2], "STOR x\r\n");
  EXPECT_EQ(m.masked_packets(), 2u);
}

TEST(FtpSecrets, SplitCommandsAndRetransmissions) {
  ftp::SecretMasker m;
  const auto out = masked(m, {{1000, "PA"},              // the verb split
                              {1002, "SS hun"},          // ... and the argument
                              {1008, "ter2\r\nNOOP\r\n"},
                              {1002, "SS hunter2\r\n"},  // a retransmission of a part
                              {1004, " hunt"},           // and of the argument alone
                              {1020, "PASS x"},          // a new command at the end
                              {1100, "PASS lost\r\n"}}); // after a hole in the capture
  EXPECT_EQ(out[0], "PA");
  EXPECT_EQ(out[1], "SS ***");
  EXPECT_EQ(out[2], "****\r\nNOOP\r\n");
  EXPECT_EQ(out[3], "SS *******\r\n");
  EXPECT_EQ(out[4], " ****");
  EXPECT_EQ(out[5], "PASS *");
  EXPECT_EQ(out[6], "PASS ****\r\n");
}

TEST(FtpSecrets, OtherPortsOnlyWhenNamed) {
  ftp::SecretMasker plain;
  EXPECT_EQ(masked(plain, {{1, "PASS hunter2\r\n"}}, 2121)[0], "PASS hunter2\r\n");
  ftp::SecretMasker named({21, 2121});
  EXPECT_EQ(masked(named, {{1, "PASS hunter2\r\n"}}, 2121)[0], "PASS *******\r\n");
}

TEST(FtpSecrets, CtraceDataTraceRecords) {
  ftp::SecretMasker m;
  const std::string text = "PASS hunter2\r\n";
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  Record r = ctana::test::make_record(bytes, linktype::ctrace_data);
  Packet p;
  decode(r, p);
  m.hide(r, p);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data.data()), r.data.size()), "PASS *******\r\n");
}
