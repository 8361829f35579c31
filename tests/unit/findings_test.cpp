// The findings model (include/ctana/findings.hpp): the collector's cap, order and counts, and
// the findings of every analyzer in the report and its JSON whether or not TCP analysis ran.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "ctana/checksum.hpp"
#include "ctana/decode.hpp"
#include "ctana/findings.hpp"
#include "ctana/icmp.hpp"
#include "ctana/render.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;

namespace {
Finding at(std::int64_t ts, std::string kind, Severity sev = Severity::warning) {
  return Finding{sev, "application", std::move(kind), ts, 0, "summary", "explanation"};
}

std::size_t count_kind(const FindingsReport& r, const std::string& kind, const std::string& module) {
  std::size_t n = 0;
  for (const auto& f : r.list) n += f.kind == kind && f.module == module;
  return n;
}
}  // namespace

TEST(Findings, CollectorStampsTheModuleOrdersByTimeAndCountsBeyondTheCap) {
  FindingsReport rep;
  FindingCollector c(rep, 3);
  auto dns = c.sink("dns");
  auto tcp = c.sink("tcp");
  dns(at(30, "dns_nxdomain"));
  tcp(at(10, "refused", Severity::error));
  dns(at(10, "dns_servfail", Severity::error));  // same time as the refused: stays after it
  tcp(at(5, "refused", Severity::info));         // beyond the cap: counted, not listed
  c.finish();
  ASSERT_EQ(rep.list.size(), 3u);
  EXPECT_EQ(rep.omitted, 1u);
  EXPECT_EQ(rep.total(), 4u);
  EXPECT_EQ(rep.by_severity[static_cast<int>(Severity::error)], 2u);
  EXPECT_EQ(rep.list[0].kind, "refused");
  EXPECT_EQ(rep.list[0].module, "tcp");
  EXPECT_EQ(rep.list[1].kind, "dns_servfail");
  EXPECT_EQ(rep.list[2].kind, "dns_nxdomain");
  EXPECT_EQ(rep.list[2].module, "dns");
  ASSERT_EQ(rep.kinds.size(), 3u);  // by name
  EXPECT_EQ(rep.kinds[0].kind, "dns_nxdomain");
  EXPECT_EQ(rep.kinds[2].kind, "refused");
  EXPECT_EQ(rep.kinds[2].count, 2u);
  EXPECT_EQ(rep.kinds[2].severity, Severity::error);  // the highest of its findings
  EXPECT_EQ(rep.kinds[2].module, "tcp");

  rep.list.resize(1);  // narrowed, as `exceptions --conn` does
  rep.recount();
  EXPECT_EQ(rep.total(), 1u);
  EXPECT_EQ(rep.omitted, 0u);
  ASSERT_EQ(rep.kinds.size(), 1u);
  EXPECT_EQ(rep.kinds[0].count, 1u);
}

TEST(Findings, EveryAnalyzersFindingsWithTcpAnalysisOnOrOff) {
  RunOptions on;
  RunOptions off;
  off.tcp = false;
  const auto with = run_summary(test::testdata("real/dns-icmp.pcapng"), on);
  const auto without = run_summary(test::testdata("real/dns-icmp.pcapng"), off);
  EXPECT_GT(count_kind(with.report.findings, "dns_nxdomain", "dns"), 0u);
  EXPECT_GT(count_kind(with.report.findings, "icmp_error", "icmp"), 0u);
  for (const char* kind : {"dns_nxdomain", "icmp_error"}) {
    const std::string module = std::string(kind).substr(0, std::string(kind).find('_'));
    EXPECT_EQ(count_kind(without.report.findings, kind, module), count_kind(with.report.findings, kind, module))
        << kind;
  }
  const auto doc = nlohmann::json::parse(render_summary_json(without.report));
  EXPECT_FALSE(doc.contains("tcp"));
  ASSERT_TRUE(doc.contains("exceptions"));
  ASSERT_TRUE(doc.contains("exception_counts"));
  std::size_t dns = 0;
  for (const auto& f : doc["exceptions"]) dns += f["module"] == "dns" && f["kind"] == "dns_nxdomain";
  EXPECT_EQ(dns, count_kind(with.report.findings, "dns_nxdomain", "dns"));
  EXPECT_EQ(doc["exception_counts"]["by_kind"]["icmp_error"].get<std::size_t>(),
            count_kind(with.report.findings, "icmp_error", "icmp"));

  const auto dhcp = run_summary(test::testdata("real/dhcp.pcap"), off);
  EXPECT_EQ(count_kind(dhcp.report.findings, "dhcp_nak", "dhcp"), 1u);  // the server's NAK
  // and the dnsmasq host's UDP checksums, left to the (virtual) adapter
  EXPECT_EQ(count_kind(dhcp.report.findings, "checksum_offload", "checksum"), 1u);
  EXPECT_EQ(dhcp.report.findings.total(), 2u);
}

namespace {
IpAddr ip4(const char* dotted) {
  std::array<std::uint8_t, 4> b{};
  unsigned x[4] = {};
  EXPECT_EQ(std::sscanf(dotted, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]), 4);
  for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(x[i]);
  return IpAddr::v4(std::span<const std::uint8_t, 4>(b));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Finding between(std::int64_t ts, std::string kind, Severity sev, std::uint64_t conn, const char* client,
                const char* server, std::uint16_t port) {
  Finding f{sev, "init", std::move(kind), ts, conn, "summary " + std::to_string(ts), "explanation"};
  f.client = ip4(client);
  f.server = ip4(server);
  f.client_port = 40000;
  f.server_port = port;
  return f;
}
}  // namespace

TEST(Findings, GroupsByKindAndCauseOverEveryFindingAndRanksThem) {
  FindingsReport rep;
  FindingCollector c(rep, 2);  // groups count beyond the listing cap
  auto tcp = c.sink("tcp");
  for (int i = 0; i < 5; ++i)  // 5 connections, 2 clients, one server
    tcp(between(100 + i, "syn_unanswered", Severity::error, 10 + static_cast<std::uint64_t>(i),
                i < 3 ? "10.0.0.1" : "10.0.0.2", "10.0.0.9", 21));
  tcp(between(50, "syn_unanswered", Severity::error, 10, "10.0.0.1", "10.0.0.9", 21));  // same connection again
  auto dns = c.sink("dns");
  Finding a = at(60, "dns_error");
  a.because("SERVFAIL").about("a.example");
  Finding b = at(70, "dns_error");
  b.because("REFUSED").about("b.example");
  dns(a);
  dns(b);
  dns(at(80, "dns_nxdomain", Severity::info));
  c.finish();

  EXPECT_EQ(rep.list.size(), 2u);
  EXPECT_EQ(rep.omitted, 7u);
  ASSERT_EQ(rep.groups.size(), 4u);  // syn_unanswered, dns_error x2 causes, dns_nxdomain
  const auto& g = rep.groups[0];
  EXPECT_EQ(g.kind, "syn_unanswered");
  EXPECT_EQ(g.findings, 6u);
  EXPECT_EQ(g.connections, 5u);  // distinct
  EXPECT_EQ(g.first_ns, 50);
  EXPECT_EQ(g.last_ns, 104);
  EXPECT_EQ(g.area, Area::network);  // from the catalogue
  ASSERT_EQ(g.clients.size(), 2u);
  EXPECT_EQ(g.clients[0].key, "10.0.0.1");
  EXPECT_EQ(g.clients[0].count, 4u);
  ASSERT_EQ(g.servers.size(), 1u);
  EXPECT_EQ(g.servers[0].key, "10.0.0.9:21");
  ASSERT_EQ(g.examples.size(), 3u);
  EXPECT_EQ(g.examples[0].ts_ns, 50);  // the first ones, by time
  EXPECT_EQ(g.title(), "connection attempts never answered");
  // the two warnings: equal in severity, connections and findings; the earlier first
  EXPECT_EQ(rep.groups[1].cause, "SERVFAIL");
  EXPECT_EQ(rep.groups[2].cause, "REFUSED");
  EXPECT_EQ(rep.groups[3].kind, "dns_nxdomain");
  ASSERT_EQ(rep.groups[1].subjects.size(), 1u);
  EXPECT_EQ(rep.groups[1].subjects[0].key, "a.example");

  const auto v = rep.verdict();  // warnings and errors only
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0]->kind, "syn_unanswered");
  EXPECT_EQ(rep.verdict(1).size(), 1u);

  const std::string text = render_verdict_text(rep);
  EXPECT_NE(text.find("1. error   6 x connection attempts never answered [syn_unanswered, network]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("5 connections, from 10.0.0.1 and 1 more, to 10.0.0.9:21"), std::string::npos) << text;
  EXPECT_EQ(text.find("dns_nxdomain"), std::string::npos) << text;
}

TEST(Findings, VerdictSaysSoWhenNothingIsAboveInfo) {
  FindingsReport rep;
  FindingCollector c(rep, 10);
  c.add(at(1, "still_open", Severity::info));
  c.finish();
  EXPECT_TRUE(rep.verdict().empty());
  EXPECT_EQ(render_verdict_text(rep), "What went wrong: nothing above informational (1 informational finding).\n");
}

TEST(Findings, FilterActsBeforeCountsAndGroups) {
  FindingsReport rep;
  FindingFilter keep;
  keep.min_severity = Severity::warning;
  keep.kinds = {"syn_unanswered", "dns_nxdomain"};
  FindingCollector c(rep, 10, keep);
  c.add(between(1, "syn_unanswered", Severity::error, 3, "10.0.0.1", "10.0.0.9", 21));
  c.add(between(2, "refused", Severity::warning, 4, "10.0.0.1", "10.0.0.9", 22));      // kind not asked for
  c.add(at(3, "dns_nxdomain", Severity::info));                                         // below the severity
  c.finish();
  EXPECT_EQ(rep.total(), 1u);
  ASSERT_EQ(rep.groups.size(), 1u);
  EXPECT_EQ(rep.groups[0].kind, "syn_unanswered");

  FindingsReport one;
  FindingFilter conn;
  conn.connection = 4;
  FindingCollector d(one, 10, conn);
  d.add(between(1, "syn_unanswered", Severity::error, 3, "10.0.0.1", "10.0.0.9", 21));
  d.add(between(2, "refused", Severity::warning, 4, "10.0.0.1", "10.0.0.9", 22));
  d.finish();
  ASSERT_EQ(one.list.size(), 1u);
  EXPECT_EQ(one.list[0].connection, 4u);
}

TEST(Findings, RanksAreTheSameWhateverTheOrderOfArrival) {
  std::vector<Finding> all;
  for (int i = 0; i < 20; ++i)
    all.push_back(between(i, i % 3 ? "refused" : "reset", i % 4 ? Severity::warning : Severity::info,
                          static_cast<std::uint64_t>(i % 7 + 1), "10.0.0.1", "10.0.0.9", 80));
  auto ranked = [](const std::vector<Finding>& v) {
    FindingsReport rep;
    FindingCollector c(rep, 100);
    for (const auto& f : v) c.add(f);
    c.finish();
    std::vector<std::string> kinds;
    for (const auto& g : rep.groups) kinds.push_back(g.kind + "/" + std::to_string(g.findings));
    return kinds;
  };
  auto reversed = all;
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(ranked(all), ranked(reversed));
}

// The catalogue of kinds (src/analyze/findings.cpp), docs/findings.md and the JSON schema's
// finding_kind list name the same kinds.
TEST(Findings, CatalogueDocsAndSchemaAgree) {
  const std::string doc = read_text(std::string(CTANA_TESTDATA) + "/../docs/findings.md");
  const auto schema =
      nlohmann::json::parse(read_text(std::string(CTANA_TESTDATA) + "/../docs/schema/common.schema.json"));
  std::set<std::string> in_schema;
  for (const auto& k : schema["$defs"]["finding_kind"]["enum"]) in_schema.insert(k.get<std::string>());
  std::set<std::string> in_catalogue;
  for (const auto& k : finding_kinds()) {
    in_catalogue.insert(std::string(k.kind));
    const std::string row = fmt::format("| `{}` | {} | {} |", k.kind, k.module, area_name(k.area));
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/findings.md lacks the row " << row;
    EXPECT_EQ(find_kind(k.kind), &k);
  }
  EXPECT_EQ(in_catalogue, in_schema);
  // and the table has no row for a kind the catalogue lacks
  std::size_t rows = 0;
  const std::size_t table = doc.find("## Every kind");
  ASSERT_NE(table, std::string::npos);
  for (std::size_t p = doc.find("\n| `", table); p != std::string::npos; p = doc.find("\n| `", p + 1)) ++rows;
  EXPECT_EQ(rows, finding_kinds().size());
}

// Every finding ctana emits on the real captures has a kind of the catalogue, an area, and
// endpoints when it is about one TCP connection.
TEST(Findings, RealCapturesFindingsAreStructured) {
  std::size_t seen = 0;
  for (const char* name : {"real/ftp-login.pcap", "real/tcp-refused.pcap", "real/tcp-retrans-reset.pcap",
                           "real/tcp-scan.pcap", "real/dns-icmp.pcapng", "real/tcp-zero-window.pcap"}) {
    const auto res = run_summary(test::testdata(name), RunOptions{});
    for (const auto& f : res.report.findings.list) {
      ++seen;
      const auto* k = find_kind(f.kind);
      ASSERT_NE(k, nullptr) << name << ": " << f.kind;
      if (!f.area_set) {
        EXPECT_EQ(f.area, k->area) << f.kind;
      }
      if (f.connection && f.module == "tcp") {
        EXPECT_NE(f.client.version, 0) << name << ": " << f.kind;
        EXPECT_NE(f.server_port, 0) << name << ": " << f.kind;
      }
    }
    EXPECT_FALSE(res.report.findings.groups.empty()) << name;
  }
  EXPECT_GT(seen, 20u);
}

// vsftpd delays its 530 after a wrong password (about 3 s): a brake on password guessing, not a
// slow server. The failed login stays a warning.
TEST(Findings, DelayedFtpLoginRefusalIsNotASlowResponse) {
  const auto res = run_summary(test::testdata("real/ftp-login.pcap"), RunOptions{});
  std::size_t slow = 0, failed = 0;
  for (const auto& f : res.report.findings.list) {
    if (f.kind == "slow_response") {
      ++slow;
      EXPECT_EQ(f.severity, Severity::info);
      EXPECT_NE(f.summary.find("FTP login refusals"), std::string::npos) << f.summary;
    }
    failed += f.kind == "ftp_login_failed" && f.severity == Severity::warning;
  }
  EXPECT_EQ(slow, 1u);
  EXPECT_EQ(failed, 1u);
}

// The port unreachable that ends a traceroute (UDP to 33434 and up) is informational; one about
// another UDP port (here DNS) stays a warning.
TEST(Findings, TracerouteEndIsNotAWarning) {
  auto severity_of = [](const std::string& hex) {
    IcmpReport rep;
    std::vector<Finding> got;
    IcmpAnalyzer icmp(rep, [&got](const Finding& f) { got.push_back(f); });
    const auto d = test::decode_hex(hex, linktype::raw);
    icmp.on_packet(d.pkt);
    icmp.finish();
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? Severity::error : got[0].severity;
  };
  EXPECT_EQ(severity_of("4500003800090000400166ba0a0000020a0000010303de14000000004500002000070000401166c40a0000010a00"
                        "00029c40829b000c0000"),
            Severity::info);
  EXPECT_EQ(severity_of("4500003800090000400166ba0a0000020a0000010303607b000000004500002000070000401166c40a0000010a00"
                        "00029c400035000c0000"),
            Severity::warning);
}

// Bad checksums only in one host's packets, with a zero checksum field: checksum offload seen by a
// capture on that host (info). Bad checksums from two hosts: errors, one per host.
TEST(Findings, ChecksumOffloadIsToldApartFromChecksumErrors) {
  auto run = [](bool both_sides) {
    std::vector<Finding> got;
    ChecksumAnalyzer cs([&got](const Finding& f) { got.push_back(f); });
    std::vector<std::vector<std::uint8_t>> packets;  // IPv4 and TCP checksums left 0
    for (std::uint32_t i = 0; i < 4; ++i)
      packets.push_back(test::tcp_packet(1000 + i, 0x18, "data", both_sides && i % 2 == 1));
    for (const auto& b : packets) {
      Record r = test::make_record(b, linktype::raw);
      Packet p;
      decode(r, p);
      EXPECT_EQ(p.tcp.checksum, Csum::bad);
      cs.on_packet(p);
    }
    cs.finish();
    return got;
  };
  const auto one = run(false);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].kind, "checksum_offload");
  EXPECT_EQ(one[0].severity, Severity::info);
  EXPECT_EQ(one[0].count, 4u);
  EXPECT_EQ(one[0].client.str(), "10.0.0.1");
  const auto two = run(true);
  ASSERT_EQ(two.size(), 2u);
  for (const auto& f : two) {
    EXPECT_EQ(f.kind, "checksum_errors");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.count, 2u);
  }
}
