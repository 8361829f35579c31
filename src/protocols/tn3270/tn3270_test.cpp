// TN3270 / TN3270E: the Telnet layer, negotiation and subnegotiations, records and the TN3270E
// header, gaps, the probe, and the module on the real capture (tools/capture/make-tn3270.sh) and
// the crafted one (tools/craft/make-tn3270.py).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ctana/summary.hpp"
#include "protocols/tn3270/tn3270.hpp"
#include "test_util.hpp"

using namespace ctana;
using namespace ctana::tn3270;

namespace {
using V = std::vector<std::uint8_t>;
constexpr std::uint8_t IAC = 255, SB = 250, SE = 240, WILL = 251, WONT = 252, DO = 253, EOR = 239;

struct Got {
  std::vector<tn3270::Record> records;
  std::vector<std::pair<Side, std::uint8_t>> refused;
  std::vector<int> rejected;
};

Session session(Got& g) {
  SessionEvents ev;
  ev.record = [&g](const tn3270::Record& r) { g.records.push_back(r); };
  ev.refused = [&g](Side by, std::uint8_t opt, std::int64_t) { g.refused.emplace_back(by, opt); };
  ev.device_rejected = [&g](int reason, std::int64_t) { g.rejected.push_back(reason); };
  return Session(std::move(ev));
}
void feed(Session& s, Side from, const V& v, std::int64_t ts = 0) { s.data(from, Bytes(v), ts); }
V cat(std::initializer_list<V> parts) {
  V out;
  for (const V& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
V str(std::string_view s) { return V(s.begin(), s.end()); }
// BINARY and EOR agreed both ways, TERMINAL-TYPE IS `type`.
void tn3270_negotiation(Session& s, std::string_view type = "IBM-3278-2") {
  feed(s, Side::server, {IAC, DO, 24});
  feed(s, Side::client, {IAC, WILL, 24});
  feed(s, Side::server, {IAC, SB, 24, 1, IAC, SE});
  feed(s, Side::client, cat({{IAC, SB, 24, 0}, str(type), {IAC, SE}}));
  feed(s, Side::server, {IAC, DO, 25, IAC, WILL, 25, IAC, DO, 0, IAC, WILL, 0});
  feed(s, Side::client, {IAC, WILL, 25, IAC, DO, 25, IAC, WILL, 0, IAC, DO, 0});
}
void tn3270e_negotiation(Session& s, std::string_view lu) {
  feed(s, Side::server, {IAC, DO, 40});
  feed(s, Side::client, {IAC, WILL, 40});
  feed(s, Side::server, {IAC, SB, 40, 8, 2, IAC, SE});
  feed(s, Side::client, cat({{IAC, SB, 40, 2, 7}, str("IBM-3278-2-E"), {1}, str(lu), {IAC, SE}}));
}
}  // namespace

TEST(Tn3270Parse, Names) {
  EXPECT_EQ(command_name(0xF5), "EW");
  EXPECT_EQ(command_name(0x05), "EW");  // the local (CCW) code
  EXPECT_EQ(command_name(0x7E), "EWA");
  EXPECT_EQ(command_name(0x11), "WSF");
  EXPECT_EQ(command_name(0x42), "");
  EXPECT_TRUE(is_write_command(0x6F));
  EXPECT_FALSE(is_write_command(0xF2));  // Read Buffer changes no screen
  EXPECT_EQ(aid_name(0x7D), "Enter");
  EXPECT_EQ(aid_name(0xF1), "PF1");
  EXPECT_EQ(aid_name(0x7C), "PF12");
  EXPECT_EQ(aid_name(0xC1), "PF13");
  EXPECT_EQ(aid_name(0x4C), "PF24");
  EXPECT_EQ(aid_name(0x6B), "PA3");
  EXPECT_EQ(aid_name(0x6D), "Clear");
  EXPECT_EQ(aid_name(0xF0), "SysReq");
  EXPECT_TRUE(is_user_aid(0x6C));
  EXPECT_FALSE(is_user_aid(0x88));  // a query reply, not a key
  EXPECT_EQ(reason_name(1), "DEVICE-IN-USE");
  EXPECT_EQ(reason_name(3), "INV-NAME");
  EXPECT_EQ(reason_name(99), "reason 99");
  EXPECT_EQ(option_name(40), "TN3270E");
  EXPECT_EQ(function_name(2), "RESPONSES");
  EXPECT_EQ(data_type_name(2), "RESPONSE");
}

TEST(Tn3270Parse, Probe) {
  EXPECT_EQ(probe(Side::server, Bytes(V{IAC, DO, 40})), ProbeResult::yes);
  EXPECT_EQ(probe(Side::server, Bytes(V{IAC, DO, 24})), ProbeResult::yes);
  EXPECT_EQ(probe(Side::server, Bytes(V{IAC, DO})), ProbeResult::need_more);
  EXPECT_EQ(probe(Side::server, Bytes(V{})), ProbeResult::need_more);
  EXPECT_EQ(probe(Side::server, Bytes(V{IAC, DO, 31})), ProbeResult::no);  // NAWS: not a 3270 option
  EXPECT_EQ(probe(Side::client, Bytes(str("GET / HTTP/1.1"))), ProbeResult::no);
  EXPECT_EQ(probe(Side::client, Bytes(V{IAC, SB, 24})), ProbeResult::no);
}

TEST(Tn3270Session, Tn3270RecordsByteByByte) {
  Got g;
  Session s = session(g);
  tn3270_negotiation(s, "IBM-3279-2-E");
  EXPECT_EQ(s.negotiation().terminal_type, "IBM-3279-2-E");
  EXPECT_TRUE(s.negotiation().agreed(Side::client, 25));
  EXPECT_TRUE(s.negotiation().agreed(Side::server, 0));
  EXPECT_FALSE(s.negotiation().tn3270e());
  // An EW whose data holds an escaped 0xFF, then Enter from the terminal, one byte at a time.
  const V ew{0xF5, 0xC3, 0x11, IAC, IAC, 0x40, IAC, EOR};
  for (std::size_t i = 0; i < ew.size(); ++i) feed(s, Side::server, {ew[i]}, static_cast<std::int64_t>(100 + i));
  feed(s, Side::client, {0x7D, 0x40, 0x5A, IAC, EOR}, 200);
  ASSERT_EQ(g.records.size(), 2u);
  EXPECT_EQ(g.records[0].from, Side::server);
  EXPECT_TRUE(g.records[0].has_code);
  EXPECT_EQ(g.records[0].code, 0xF5);
  EXPECT_EQ(g.records[0].length, 5u);  // F5 C3 11 FF 40
  EXPECT_EQ(g.records[0].first_ns, 100);
  EXPECT_EQ(g.records[0].last_ns, 107);
  EXPECT_FALSE(g.records[0].tn3270e);
  EXPECT_EQ(g.records[1].code, 0x7D);
  EXPECT_EQ(s.records(Side::client), 1u);
  EXPECT_EQ(s.malformed(), 0u);
  EXPECT_TRUE(g.refused.empty());
}

TEST(Tn3270Session, Tn3270eHeaderDeviceAndFunctions) {
  Got g;
  Session s = session(g);
  tn3270e_negotiation(s, "TCP00001");
  feed(s, Side::server, cat({{IAC, SB, 40, 2, 4}, str("IBM-3278-2-E"), {1}, str("TCP00001"), {IAC, SE}}));
  feed(s, Side::client, {IAC, SB, 40, 3, 7, 0, 2, 4, IAC, SE});
  feed(s, Side::server, {IAC, SB, 40, 3, 4, 2, IAC, SE});
  const Negotiation& n = s.negotiation();
  EXPECT_TRUE(n.tn3270e());
  EXPECT_EQ(n.device_type, "IBM-3278-2-E");
  EXPECT_EQ(n.lu_requested, "TCP00001");
  EXPECT_EQ(n.lu, "TCP00001");
  EXPECT_EQ(n.functions_requested, (std::vector<std::uint8_t>{0, 2, 4}));
  EXPECT_EQ(n.functions, (std::vector<std::uint8_t>{2}));
  feed(s, Side::server, {0, 0, 2, 0, 7, 0xF1, 0xC2, IAC, EOR});  // 3270-DATA, response flag, seq 7: W
  feed(s, Side::client, {2, 0, 0, 0, 7, 0, IAC, EOR});           // RESPONSE
  feed(s, Side::client, {0, 0, 0, IAC, EOR});                    // shorter than its header
  ASSERT_EQ(g.records.size(), 2u);
  EXPECT_TRUE(g.records[0].tn3270e);
  EXPECT_EQ(g.records[0].seq, 7);
  EXPECT_EQ(g.records[0].response_flag, 2);
  EXPECT_EQ(g.records[0].code, 0xF1);
  EXPECT_EQ(g.records[1].data_type, 2);
  EXPECT_FALSE(g.records[1].has_code);  // a RESPONSE carries no AID
  EXPECT_EQ(s.malformed(), 1u);
}

TEST(Tn3270Session, RejectAndRefusals) {
  Got g;
  Session s = session(g);
  tn3270e_negotiation(s, "BADLU01");
  feed(s, Side::server, {IAC, SB, 40, 2, 6, 5, 1, IAC, SE});  // REJECT REASON DEVICE-IN-USE
  ASSERT_EQ(g.rejected.size(), 1u);
  EXPECT_EQ(g.rejected[0], 1);
  EXPECT_EQ(s.negotiation().reject_reason, 1);
  feed(s, Side::server, {IAC, SB, 40, 2, 6, IAC, SE});  // REJECT without REASON
  EXPECT_EQ(g.rejected.back(), -1);
  Got g2;
  Session t = session(g2);
  feed(t, Side::server, {IAC, DO, 24, IAC, DO, 40});
  feed(t, Side::client, {IAC, WONT, 24, IAC, WONT, 40, IAC, WONT, 25});  // WONT EOR unasked: no refusal
  ASSERT_EQ(g2.refused.size(), 2u);
  EXPECT_EQ(g2.refused[0], std::make_pair(Side::client, std::uint8_t{24}));
  EXPECT_EQ(g2.refused[1], std::make_pair(Side::client, std::uint8_t{40}));
  // No EOR agreed: data is NVT text, not records.
  feed(t, Side::server, cat({str("login: "), {IAC, EOR}}));
  EXPECT_EQ(t.nvt_bytes(Side::server), 7u);
  EXPECT_TRUE(g2.records.size() <= 1u);
  EXPECT_FALSE(g2.records.empty() && g2.records[0].length != 0);
}

TEST(Tn3270Session, GapsOverlongAndBrokenCommands) {
  Got g;
  Session s = session(g);
  tn3270_negotiation(s);
  feed(s, Side::server, {0xF5, 0xC3, 0x40});
  s.gap(Side::server, 100);                       // the rest of that record was not captured
  feed(s, Side::server, {0x40, 0x40, IAC, EOR});  // its end: not a record
  feed(s, Side::server, {0xF1, 0xC2, IAC, EOR});  // the next one is whole
  ASSERT_EQ(g.records.size(), 1u);
  EXPECT_EQ(g.records[0].code, 0xF1);
  EXPECT_EQ(s.lost_records(), 1u);
  V big{IAC, SB, 40, 3, 7};
  big.insert(big.end(), 400, 2);
  big.insert(big.end(), {IAC, SE});
  feed(s, Side::client, big);                     // longer than kept: dropped, counted
  feed(s, Side::client, {IAC, 0x10});             // IAC and no command
  feed(s, Side::client, {IAC, SB, 24, 0, 'X', IAC, WILL, 0});  // a command breaks the subnegotiation off
  EXPECT_EQ(s.malformed(), 3u);
  EXPECT_TRUE(s.negotiation().functions_requested.empty());
  feed(s, Side::client, {0x7D, 0x40});            // a record cut by the end
  s.close();
  EXPECT_EQ(s.lost_records(), 2u);
}

namespace {
nlohmann::ordered_json tn_json(const SummaryReport& r) {
  for (const auto& [name, sec] : r.modules)
    if (name == "tn3270") return sec->json();
  return nullptr;
}
std::map<std::string, int> kinds(const SummaryReport& r) {
  std::map<std::string, int> k;
  for (const auto& f : r.findings.list)
    if (f.module == "tn3270") ++k[f.kind];
  return k;
}
}  // namespace

TEST(Tn3270, RealCapture) {
  const auto res = run_summary(test::testdata("real/tn3270.pcap"), RunOptions{});
  const auto j = tn_json(res.report);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["connections"], 5);
  EXPECT_EQ(j["modes"]["tn3270"], 4);
  EXPECT_EQ(j["modes"]["nvt"], 1);
  EXPECT_EQ(j["modes"]["tn3270e"], 0);  // Hercules offers no TN3270E
  EXPECT_EQ(j["negotiation"]["terminal_types"]["IBM-3279-4-E"], 3);
  EXPECT_EQ(j["negotiation"]["refused"]["TERMINAL-TYPE by terminal"], 1);
  EXPECT_EQ(j["commands"]["EW"], 4);
  EXPECT_EQ(j["aids"]["Enter"], 1);
  EXPECT_EQ(j["aids"]["PF3"], 1);
  EXPECT_EQ(j["aids"]["Clear"], 1);
  EXPECT_EQ(j["unanswered_aids"], 3);  // no system IPLed: no host answers a key
  EXPECT_EQ(j["responses"], 0);
  EXPECT_EQ(j["ended_by"]["client_fin"], 4);
  EXPECT_EQ(j["ended_by"]["host_fin"], 1);
  EXPECT_EQ(j["records"]["malformed"], 0);
  auto k = kinds(res.report);
  EXPECT_EQ(k["tn3270_no_response"], 3);
  EXPECT_EQ(k["tn3270_option_refused"], 1);
  EXPECT_EQ(k["tn3270_slow_response"], 0);

  RunOptions no_tcp;  // the module follows TCP streams: no TCP analysis, no section
  no_tcp.tcp = false;
  EXPECT_TRUE(tn_json(run_summary(test::testdata("real/tn3270.pcap"), no_tcp).report).is_null());
}

TEST(Tn3270, CraftedTn3270e) {
  const auto res = run_summary(test::testdata("crafted/tn3270e.pcap"), RunOptions{});
  const auto j = tn_json(res.report);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["connections"], 4);
  EXPECT_EQ(j["modes"]["tn3270e"], 2);
  EXPECT_EQ(j["modes"]["tn3270"], 1);  // port 3270: found by the negotiation
  EXPECT_EQ(j["negotiation"]["tn3270e_refused"], 1);
  EXPECT_EQ(j["negotiation"]["devices_rejected"], 1);
  EXPECT_EQ(j["negotiation"]["reject_reasons"]["INV-NAME"], 1);
  EXPECT_EQ(j["commands"]["EW"], 5);
  EXPECT_EQ(j["commands"]["W"], 3);
  EXPECT_EQ(j["aids"]["Enter"], 3);
  EXPECT_EQ(j["aids"]["PF3"], 1);
  EXPECT_EQ(j["aids"]["PA1"], 1);
  EXPECT_EQ(j["data_types"]["RESPONSE"], 1);
  EXPECT_EQ(j["responses"], 5);
  EXPECT_EQ(j["unanswered_aids"], 1);  // conn 4's Enter (the write delivered after the gap came before it)
  EXPECT_EQ(j["slow_responses"], 1);
  EXPECT_NEAR(j["response_time"]["max_s"].get<double>(), 2.5, 1e-9);
  EXPECT_NEAR(j["response_time_by_aid"]["Clear"]["median_s"].get<double>(), 0.05, 1e-9);
  EXPECT_NEAR(j["response_time_by_aid"]["PA1"]["median_s"].get<double>(), 0.12, 1e-9);
  EXPECT_EQ(j["records"]["malformed"], 3);
  EXPECT_EQ(j["records"]["lost"], 1);
  EXPECT_EQ(j["ended_by"]["client_fin"], 1);
  EXPECT_EQ(j["ended_by"]["client_rst"], 1);
  EXPECT_EQ(j["ended_by"]["host_fin"], 1);
  EXPECT_EQ(j["ended_by"]["host_rst"], 1);
  bool lu = false;
  for (const auto& s : j["sessions"])
    if (s["connection"] == 1) {
      lu = true;
      EXPECT_EQ(s["lu"], "TCP00001");
      EXPECT_EQ(s["functions"], nlohmann::ordered_json::array({"RESPONSES"}));
    }
  EXPECT_TRUE(lu);
  auto k = kinds(res.report);
  EXPECT_EQ(k["tn3270e_device_rejected"], 1);
  EXPECT_EQ(k["tn3270_slow_response"], 1);
  EXPECT_EQ(k["tn3270_option_refused"], 1);
  EXPECT_EQ(k["tn3270_no_response"], 1);

  RunOptions slow;  // --rt-threshold 100ms: the 120, 250 ms answers are slow too
  slow.tcp_options.rt_threshold_ns = 100'000'000;
  EXPECT_EQ(tn_json(run_summary(test::testdata("crafted/tn3270e.pcap"), slow).report)["slow_responses"], 3);
}
