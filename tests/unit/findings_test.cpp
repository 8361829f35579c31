// The findings model (include/ctana/findings.hpp): the collector's cap, order and counts, and
// the findings of every analyzer in the report and its JSON whether or not TCP analysis ran.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ctana/findings.hpp"
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
  EXPECT_EQ(dhcp.report.findings.total(), 1u);
}
