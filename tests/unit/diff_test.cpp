// Rules (parsing, units, evaluation) and the comparison of profiles, on hand-made summaries.
#include <gtest/gtest.h>

#include <cmath>

#include "ctana/diff.hpp"

namespace ctana {
namespace {

Rule parse(const std::string& text) {
  Rule r;
  std::string err;
  EXPECT_TRUE(parse_rule(text, r, err)) << text << ": " << err;
  return r;
}

std::string parse_error(const std::string& text) {
  Rule r;
  std::string err;
  EXPECT_FALSE(parse_rule(text, r, err)) << text;
  return err;
}

TEST(Rules, ModesAndUnits) {
  Rule r = parse("retrans_rate>+50%");
  EXPECT_EQ(r.metric, "retrans_rate");
  EXPECT_EQ(r.op, ">");
  EXPECT_EQ(r.mode, Rule::Mode::relative);
  EXPECT_DOUBLE_EQ(r.value, 50);

  r = parse("retrans_rate >= 2%");  // absolute, in percent
  EXPECT_EQ(r.mode, Rule::Mode::absolute);
  EXPECT_EQ(r.op, ">=");
  EXPECT_DOUBLE_EQ(r.value, 2);

  r = parse("retrans_rate>+0.5pp");  // change in percentage points
  EXPECT_EQ(r.mode, Rule::Mode::change);
  EXPECT_DOUBLE_EQ(r.value, 0.5);

  r = parse("rtt.p95>+100ms");
  EXPECT_EQ(r.mode, Rule::Mode::change);
  EXPECT_DOUBLE_EQ(r.value, 0.1);
  EXPECT_DOUBLE_EQ(parse("rtt.p95<250us").value, 250e-6);
  EXPECT_DOUBLE_EQ(parse("dns.latency.median<=2s").value, 2);

  r = parse("throughput.median<-30%");
  EXPECT_EQ(r.mode, Rule::Mode::relative);
  EXPECT_DOUBLE_EQ(r.value, -30);
  EXPECT_DOUBLE_EQ(parse("throughput.median<5MB/s").value, 5e6);
  EXPECT_DOUBLE_EQ(parse("bytes>2kB").value, 2000);
  EXPECT_DOUBLE_EQ(parse("packets>1.5k").value, 1500);

  r = parse("tcp.resets!=0");  // tcp. prefix accepted
  EXPECT_EQ(r.metric, "resets");
  EXPECT_EQ(r.op, "!=");

  EXPECT_EQ(parse("exception.zero_window>0").metric, "exception.zero_window");
  EXPECT_EQ(parse("ftp.reply.550>0").metric, "ftp.reply.550");
  EXPECT_EQ(parse("proto.udp>+5pp").mode, Rule::Mode::change);

  r = parse(" new:error ");
  EXPECT_EQ(r.type, Rule::Type::new_kind);
  EXPECT_EQ(r.metric, "error");
  EXPECT_EQ(parse("gone:syn_unanswered").type, Rule::Type::gone_kind);
}

TEST(Rules, Errors) {
  EXPECT_NE(parse_error("retrans_rat>1").find("did you mean retrans_rate"), std::string::npos);
  EXPECT_NE(parse_error("packets>5%").find("not a percentage"), std::string::npos);
  EXPECT_NE(parse_error("packets>5ms").find("not a time"), std::string::npos);
  EXPECT_NE(parse_error("rtt.p95>5k").find("not a count"), std::string::npos);
  EXPECT_NE(parse_error("packets>5pp").find("only applies to rates"), std::string::npos);
  EXPECT_NE(parse_error("packets>5 parsecs").find("unknown unit"), std::string::npos);
  EXPECT_NE(parse_error("packets=5").find("comparison"), std::string::npos);
  EXPECT_NE(parse_error("packets>").find("missing value"), std::string::npos);
  EXPECT_NE(parse_error("packets>x").find("not a number"), std::string::npos);
  EXPECT_NE(parse_error(">5").find("expected METRIC OP VALUE"), std::string::npos);
  EXPECT_NE(parse_error("ftp.reply.55>0").find("unknown metric"), std::string::npos);
  EXPECT_NE(parse_error("new:Error!").find("after the colon"), std::string::npos);
}

TEST(Rules, CollectSplitsCommas) {
  std::vector<Rule> rules;
  std::string err;
  ASSERT_TRUE(collect_rules({"new:error, retrans_rate>+50%", "resets>0"}, {}, rules, err)) << err;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[1].text, "retrans_rate>+50%");
  EXPECT_FALSE(collect_rules({"new:error,bogus>1"}, {}, rules, err));
  EXPECT_NE(err.find("--fail-on"), std::string::npos);
  EXPECT_FALSE(collect_rules({}, {"/nonexistent/rules"}, rules, err));
  EXPECT_NE(err.find("/nonexistent/rules"), std::string::npos);
}

// A minimal summary document with the figures the tests change.
Json summary(double tcp_packets, double retrans, std::optional<double> rtt_p95, Json kinds = Json::array()) {
  Json d = {{"schema_version", 1},
            {"records", {{"read", tcp_packets}}},
            {"packets", {{"total", tcp_packets}, {"malformed", 0}}},
            {"tcp",
             {{"packets", tcp_packets},
              {"connections", 1},
              {"retransmissions", retrans},
              {"resets", 0},
              {"states", {{"refused", 0}, {"syn_unanswered", 0}, {"handshake_incomplete", 0}, {"reset", 0}}},
              {"latency", {{"handshake_rtt", {{"p95_s", rtt_p95 ? Json(*rtt_p95) : Json(nullptr)}}}}}}},
            {"exception_counts", {{"error", 0}, {"warning", 0}, {"info", 0}, {"kinds", kinds}}}};
  return d;
}

Profile profile(const Json& d) {
  Profile p;
  std::string err;
  EXPECT_TRUE(make_profile(d, "test", "json", {}, p, err)) << err;
  return p;
}

std::vector<Rule> rules(std::initializer_list<const char*> texts) {
  std::vector<Rule> out;
  for (const char* t : texts) out.push_back(parse(t));
  return out;
}

TEST(Diff, RelativeAbsoluteAndChangeRules) {
  const Profile base = profile(summary(1000, 10, 0.010));
  const Profile cur = profile(summary(1000, 16, 0.050));
  const auto r = diff_profiles(base, cur,
                               rules({"retrans_rate>+50%", "retrans_rate>+70%", "retransmissions>+5", "retransmissions>+6",
                                      "rtt.p95>+30ms", "rtt.p95>+50ms", "retrans_rate>1.5%"}),
                               {});
  ASSERT_EQ(r.rules.size(), 7u);
  auto st = [&r](std::size_t i) { return r.rules[i].status; };
  EXPECT_EQ(st(0), RuleResult::Status::fail);  // 1.0% -> 1.6% is +60%
  EXPECT_NEAR(*r.rules[0].change, 60.0, 1e-9);
  EXPECT_EQ(st(1), RuleResult::Status::pass);
  EXPECT_EQ(st(2), RuleResult::Status::fail);  // +6 > +5
  EXPECT_EQ(st(3), RuleResult::Status::pass);  // +6 is not > +6
  EXPECT_EQ(st(4), RuleResult::Status::fail);  // +40 ms
  EXPECT_EQ(st(5), RuleResult::Status::pass);
  EXPECT_EQ(st(6), RuleResult::Status::fail);  // 1.6% > 1.5%
  EXPECT_EQ(r.failed, 4);
  // the worst change first: retransmissions or their rate, both worse
  ASSERT_FALSE(r.changes.empty());
  EXPECT_EQ(r.changes.front().level, Change::Level::regression);
}

TEST(Diff, ZeroBaselineAndMissingValues) {
  const Profile base = profile(summary(1000, 0, std::nullopt));
  const Profile cur = profile(summary(1000, 1, 0.02));
  const auto r = diff_profiles(base, cur, rules({"retrans_rate>+1000%", "rtt.p95>+1ms", "rtt.p95>1s"}), {});
  EXPECT_EQ(r.rules[0].status, RuleResult::Status::fail);  // from 0: an infinite increase
  EXPECT_TRUE(std::isinf(*r.rules[0].change));
  EXPECT_EQ(r.rules[1].status, RuleResult::Status::not_evaluated);  // no baseline value
  EXPECT_EQ(r.rules[2].status, RuleResult::Status::pass);
  // 0 -> 0 is no change, never a failure
  const auto same = diff_profiles(base, base, rules({"retrans_rate>+0%", "retransmissions!=+0"}), {});
  EXPECT_EQ(same.failed, 0);
  EXPECT_TRUE(same.changes.empty());
}

TEST(Diff, NewAndVanishedKinds) {
  const Json k_warn = {{{"kind", "zero_window"}, {"category", "traffic"}, {"severity", "warning"}, {"count", 2}}};
  const Json k_err = {{{"kind", "refused"}, {"category", "session"}, {"severity", "error"}, {"count", 1}}};
  const Profile base = profile(summary(10, 0, 0.01, k_warn));
  const Profile cur = profile(summary(10, 0, 0.01, k_err));
  const auto r = diff_profiles(base, cur,
                               rules({"new:error", "new:warning", "new:refused", "gone:zero_window", "gone:error", "new:any"}), {});
  EXPECT_EQ(r.rules[0].status, RuleResult::Status::fail);
  EXPECT_NE(r.rules[0].message.find("refused (error) x1"), std::string::npos);
  EXPECT_EQ(r.rules[1].status, RuleResult::Status::pass);
  EXPECT_EQ(r.rules[2].status, RuleResult::Status::fail);
  EXPECT_EQ(r.rules[3].status, RuleResult::Status::fail);
  EXPECT_EQ(r.rules[4].status, RuleResult::Status::pass);
  EXPECT_EQ(r.rules[5].status, RuleResult::Status::fail);
  ASSERT_GE(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].subject, "exception refused");  // a new error kind is the worst news
  EXPECT_EQ(r.changes[0].level, Change::Level::regression);

  // one trace: new:X means any X; rules that need a baseline are refused
  std::vector<RuleResult> out;
  std::string err;
  ASSERT_TRUE(gate_profile(cur, rules({"new:error", "retransmissions>0"}), out, err)) << err;
  EXPECT_EQ(out[0].status, RuleResult::Status::fail);
  EXPECT_EQ(out[1].status, RuleResult::Status::pass);
  EXPECT_FALSE(gate_profile(cur, rules({"retransmissions>+1"}), out, err));
  EXPECT_NE(err.find("baseline"), std::string::npos);
  EXPECT_FALSE(gate_profile(cur, rules({"gone:error"}), out, err));
}

TEST(Diff, RefusesOtherDocuments) {
  Profile p;
  std::string err;
  EXPECT_FALSE(make_profile(Json{{"connections", Json::array()}}, "x.json", "json", {}, p, err));
  EXPECT_NE(err.find("x.json: not a ctana summary"), std::string::npos);
  Json d = summary(1, 0, std::nullopt);
  d["schema_version"] = 2;
  EXPECT_FALSE(make_profile(d, "y.json", "json", {}, p, err));
  EXPECT_NE(err.find("schema version 2"), std::string::npos);
}

TEST(Diff, JunitEscapesAndCounts) {
  RuleResult a, b;
  a.rule.text = "rtt.p95>+100ms";
  a.status = RuleResult::Status::fail;
  a.message = "a < b & \"c\"";
  b.rule.text = "new:error";
  b.status = RuleResult::Status::not_evaluated;
  const std::string x = render_junit("suite <1>", {a, b}, "details\x01");
  EXPECT_NE(x.find("tests=\"2\" failures=\"1\" skipped=\"1\""), std::string::npos);
  EXPECT_NE(x.find("a &lt; b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(x.find("suite &lt;1&gt;"), std::string::npos);
  EXPECT_NE(x.find("details\\x01"), std::string::npos);  // no raw control character in XML
  EXPECT_EQ(x.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace ctana
