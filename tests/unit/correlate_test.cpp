// ctana correlate: the matcher (keys that survive NAT, TTL, DSCP and MSS clamping; duplicates; the
// horizon) and the clock estimator (offset with its uncertainty, drift, one direction only).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ctana/correlate.hpp"
#include "test_util.hpp"

using namespace ctana;
using namespace ctana::correlate;

namespace {

struct Ip4 {
  std::array<std::uint8_t, 4> src{10, 0, 0, 1}, dst{10, 0, 0, 2};
  std::uint8_t ttl = 64, tos = 0;
  std::uint16_t id = 0x1234, sport = 40000, dport = 80, mss = 0;
  std::uint32_t seq = 1000, ack = 0;
  std::uint8_t flags = tcpflag::ack;
  std::string payload;
};

std::vector<std::uint8_t> build(const Ip4& p) {
  std::vector<std::uint8_t> tcp = {static_cast<std::uint8_t>(p.sport >> 8), static_cast<std::uint8_t>(p.sport),
                                   static_cast<std::uint8_t>(p.dport >> 8), static_cast<std::uint8_t>(p.dport)};
  for (int i = 3; i >= 0; --i) tcp.push_back(static_cast<std::uint8_t>(p.seq >> (8 * i)));
  for (int i = 3; i >= 0; --i) tcp.push_back(static_cast<std::uint8_t>(p.ack >> (8 * i)));
  const std::uint8_t hl = p.mss ? 24 : 20;
  tcp.insert(tcp.end(), {static_cast<std::uint8_t>((hl / 4) << 4), p.flags, 0xff, 0xff, 0, 0, 0, 0});
  if (p.mss) tcp.insert(tcp.end(), {2, 4, static_cast<std::uint8_t>(p.mss >> 8), static_cast<std::uint8_t>(p.mss)});
  tcp.insert(tcp.end(), p.payload.begin(), p.payload.end());
  const std::size_t total = 20 + tcp.size();
  std::vector<std::uint8_t> ip = {0x45, p.tos, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total),
                                  static_cast<std::uint8_t>(p.id >> 8), static_cast<std::uint8_t>(p.id), 0x40, 0,
                                  p.ttl, 6, 0, 0};
  ip.insert(ip.end(), p.src.begin(), p.src.end());
  ip.insert(ip.end(), p.dst.begin(), p.dst.end());
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

Obs obs_of(const Ip4& p, std::int64_t ts, std::uint64_t frame = 1) {
  auto bytes = build(p);
  Record r = test::make_record(bytes, linktype::raw);
  r.ts_ns = ts;
  r.index = frame;
  Packet pkt;
  decode(r, pkt);
  Obs o;
  EXPECT_TRUE(observe(pkt, o));
  return o;
}

}  // namespace

TEST(Correlate, KeySurvivesNatTtlDscpAndClamping) {
  Ip4 a;
  a.flags = tcpflag::syn;
  a.mss = 1460;
  a.payload = "";
  Ip4 b = a;
  b.src = {192, 168, 9, 9};  // masqueraded
  b.sport = 61000;
  b.ttl = 63;
  b.tos = 18 << 2;
  b.mss = 1200;  // clamped: the TCP header is the same length, the option differs
  const Obs oa = obs_of(a, 0), ob = obs_of(b, 1000);
  EXPECT_EQ(oa.key, ob.key);
  EXPECT_TRUE(compatible(oa, ob));
  EXPECT_EQ(ob.dscp, 18);
  EXPECT_EQ(ob.mss, 1200);
  // what identifies the packet does not survive a change: another IP ID, sequence or payload
  Ip4 c = a;
  c.id = 0x1235;
  EXPECT_NE(obs_of(c, 0).key, oa.key);
  c = a;
  c.seq = 1001;
  EXPECT_NE(obs_of(c, 0).key, oa.key);
  Ip4 d = a, e = a;
  d.payload = "hello";
  e.payload = "jello";
  EXPECT_EQ(obs_of(d, 0).key, obs_of(e, 0).key);  // the key leaves the bytes out (snap lengths differ)...
  EXPECT_FALSE(compatible(obs_of(d, 0), obs_of(e, 0)));  // ... the hash of what both captured tells them apart
}

TEST(Correlate, MatcherPairsInTimeOrderAndFindsDuplicatesAndLoss) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  struct U {
    int side;
    std::uint64_t frame;
    bool dup;
  };
  std::vector<U> unmatched;
  Matcher m(1.0, {[&](const Obs& a, const Obs& b, bool) { pairs.emplace_back(a.frame, b.frame); },
                  [&](int side, const Obs& o, std::int64_t, bool dup) { unmatched.push_back({side, o.frame, dup}); },
                  {}});
  Ip4 p;
  p.payload = "x";
  // packet 1 (id 1): once at A, twice at B (duplicated on the path)
  p.id = 1;
  m.add(0, obs_of(p, 0, 1), 0);
  m.add(1, obs_of(p, 2'000'000, 101), 2'000'000);
  m.add(1, obs_of(p, 3'000'000, 102), 3'000'000);
  // packet 2 (id 2): twice at A and twice at B (the same key again): first with first
  p.id = 2;
  m.add(0, obs_of(p, 10'000'000, 2), 10'000'000);
  m.add(0, obs_of(p, 11'000'000, 3), 11'000'000);
  m.add(1, obs_of(p, 12'000'000, 103), 12'000'000);
  m.add(1, obs_of(p, 13'000'000, 104), 13'000'000);
  // packet 3 (id 3): only at A (lost)
  p.id = 3;
  m.add(0, obs_of(p, 20'000'000, 4), 20'000'000);
  // packet 4 (id 4): its copy comes after the horizon: no match
  p.id = 4;
  m.add(0, obs_of(p, 30'000'000, 5), 30'000'000);
  m.add(1, obs_of(p, 1'500'000'000, 105), 1'500'000'000);
  m.finish();
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0], (std::pair<std::uint64_t, std::uint64_t>{1, 101}));
  EXPECT_EQ(pairs[1], (std::pair<std::uint64_t, std::uint64_t>{2, 103}));
  EXPECT_EQ(pairs[2], (std::pair<std::uint64_t, std::uint64_t>{3, 104}));
  ASSERT_EQ(unmatched.size(), 4u);
  EXPECT_EQ(unmatched[0].frame, 102u);
  EXPECT_TRUE(unmatched[0].dup);
  EXPECT_EQ(unmatched[1].frame, 4u);
  EXPECT_FALSE(unmatched[1].dup);
  EXPECT_EQ(unmatched[2].frame, 5u);
  EXPECT_EQ(unmatched[3].frame, 105u);
  EXPECT_EQ(m.pending(), 0u);
}

TEST(Correlate, ImplausiblePairsWait) {
  // B->A packets (TTL lower at A): a copy at A left over from the same key 2.8 s earlier is not taken
  // by B's next copy; B's copy waits for its own copy at A
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  Matcher m(10.0, {[&](const Obs& a, const Obs& b, bool) { pairs.emplace_back(a.frame, b.frame); }, {},
                   [](const Obs& a, std::int64_t ta, const Obs& b, std::int64_t tb) {
                     return a.ttl < b.ttl ? ta >= tb : tb >= ta;
                   }});
  Ip4 at_b, at_a;
  at_b.ttl = 64;
  at_a.ttl = 63;
  m.add(1, obs_of(at_b, 0, 101), 0);
  m.add(0, obs_of(at_a, 1'000'000, 1), 1'000'000);
  m.add(0, obs_of(at_a, 2'000'000, 2), 2'000'000);  // an extra copy at A
  m.add(1, obs_of(at_b, 2'800'000'000, 102), 2'800'000'000);
  m.add(0, obs_of(at_a, 2'801'000'000, 3), 2'801'000'000);
  m.finish();
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0], (std::pair<std::uint64_t, std::uint64_t>{1, 101}));
  EXPECT_EQ(pairs[1], (std::pair<std::uint64_t, std::uint64_t>{3, 102}));
}

TEST(Correlate, MatcherMemoryIsBoundedByTheHorizon) {
  Matcher m(0.5, {});
  Ip4 p;
  for (int i = 0; i < 20000; ++i) {
    p.id = static_cast<std::uint16_t>(i);
    const std::int64_t t = std::int64_t{i} * 1'000'000;  // 1000 packets per second, none matched
    m.add(i % 2, obs_of(p, t), t);
    EXPECT_LE(m.pending(), 502u);
  }
}

namespace {
// Matched packets of both directions over `span_s` seconds: B's clock = A's + offset + drift,
// one-way delays min_ab / min_ba plus exponential queueing.
Envelope synthetic(double offset_s, double drift_ppm, double min_ab, double min_ba, double span_s, bool both = true) {
  Envelope env;
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> q(1 / 0.004);
  const std::int64_t t0 = 1'700'000'000'000'000'000;
  for (double t = 0; t < span_s; t += 0.05) {
    const std::int64_t ta = t0 + static_cast<std::int64_t>(t * 1e9);
    const double off = offset_s + drift_ppm * 1e-6 * t;
    env.add({ta, static_cast<std::int64_t>((off + min_ab + q(rng)) * 1e9), +1});
    if (both) env.add({ta, static_cast<std::int64_t>((off - min_ba - q(rng)) * 1e9), -1});
  }
  return env;
}
}  // namespace

TEST(Correlate, ClockOffsetWithinItsUncertainty) {
  const Clock c = estimate_clock(synthetic(2.5, 0, 0.001, 0.003, 30));
  EXPECT_EQ(c.method, "two-way");
  EXPECT_TRUE(c.separable);
  EXPECT_FALSE(c.drift_estimated);  // 30 s
  EXPECT_LE(std::abs(c.offset_s - 2.5), c.uncertainty_s + 1e-6);
  // the uncertainty is half the least round trip between the points: (1 + 3) ms / 2
  EXPECT_NEAR(c.uncertainty_s, 0.002, 0.0002);
  EXPECT_NEAR(c.offset_s, 2.5 - 0.001, 0.0002);  // the asymmetry is what cannot be known
}

TEST(Correlate, ClockDriftOverALongTrace) {
  // 40 ppm over 20 minutes: 48 ms, far more than the delays
  const Clock c = estimate_clock(synthetic(-3600.25, 40, 0.0005, 0.0005, 1200));
  ASSERT_TRUE(c.drift_estimated);
  EXPECT_NEAR(c.drift_ppm, 40, 2);
  EXPECT_NEAR(c.offset_s, -3600.25, c.uncertainty_s + 0.002);
  EXPECT_LT(c.uncertainty_s, 0.003);
  // without the drift the offset would be uncertain by the whole 48 ms
  const std::int64_t t_end = 1'700'000'000'000'000'000 + 1'199'000'000'000;
  EXPECT_NEAR(c.offset_at(t_end), -3600.25 + 40e-6 * 1199, 0.003);
}

TEST(Correlate, OneDirectionIsNotSeparable) {
  const Clock c = estimate_clock(synthetic(1.0, 0, 0.002, 0.002, 10, false));
  EXPECT_EQ(c.method, "one-way");
  EXPECT_FALSE(c.separable);
  EXPECT_NEAR(c.offset_s, 1.002, 0.0005);  // offset + least delay: they cannot be told apart
  EXPECT_EQ(c.samples_ba, 0u);
}

TEST(Correlate, EnvelopeStaysBounded) {
  Envelope env;
  for (std::int64_t i = 0; i < 100'000; ++i) env.add({i * 1'000'000'000, 5, +1});  // 100,000 s
  EXPECT_LE(env.bins().size(), Envelope::kMaxBins);
  EXPECT_GT(env.bin_ns(), 1'000'000'000);
}
