// DNS: message decoding (with hostile compression) and transactions on the real dnsmasq capture.
#include <gtest/gtest.h>

#include "ctana/dns.hpp"
#include "ctana/dhcp.hpp"
#include "ctana/icmp.hpp"
#include "ctana/tls.hpp"
#include "ctana/summary.hpp"
#include "test_util.hpp"

using namespace ctana;
using ctana::test::hex;

TEST(DnsParse, IbmVectorTv4Query) {
  // The DNS part of the spec's TV4: id 40266, rd, one question w3.ibm.com IN AAAA.
  const auto b = hex("9D4A0100 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  dns::Message m;
  const char* err = nullptr;
  ASSERT_TRUE(dns::parse(Bytes(b.data(), b.size()), m, err)) << err;
  EXPECT_EQ(m.id, 40266);
  EXPECT_FALSE(m.qr);
  EXPECT_TRUE(m.rd);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, "w3.ibm.com");
  EXPECT_EQ(dns::type_name(m.questions[0].type), "AAAA");
}

TEST(DnsParse, CompressionAndAnswers) {
  // Response: question www.x.org A; answer via pointer to offset 12: A 192.0.2.1; CNAME to a
  // name that is a label plus a pointer.
  const auto b = hex("00018180 00010002 00000000 03777777 0178036F 72670000 010001"
                     "C00C 0001 0001 0000003C 0004 C0000201"
                     "C00C 0005 0001 0000003C 0006 03617069 C010");
  dns::Message m;
  const char* err = nullptr;
  ASSERT_TRUE(dns::parse(Bytes(b.data(), b.size()), m, err)) << err;
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].name, "www.x.org");
  EXPECT_EQ(m.answers[0].data, "192.0.2.1");
  EXPECT_EQ(m.answers[1].data, "api.x.org");
  EXPECT_EQ(dns::rcode_name(m.rcode), "NOERROR");
}

TEST(DnsParse, HostileNamesAreRefused) {
  dns::Message m;
  const char* err = nullptr;
  // a pointer to itself (a loop)
  auto loop = hex("00010000 00010000 00000000 C00C 00010001");
  EXPECT_FALSE(dns::parse(Bytes(loop.data(), loop.size()), m, err));
  // a forward pointer
  auto fwd = hex("00010000 00010000 00000000 C020 00010001 00000000 00000000 00000000 00");
  EXPECT_FALSE(dns::parse(Bytes(fwd.data(), fwd.size()), m, err));
  // a label running past the end
  auto cut = hex("00010000 00010000 00000000 3F616263");
  EXPECT_FALSE(dns::parse(Bytes(cut.data(), cut.size()), m, err));
  // a header only
  auto hdr = hex("00010000 0000");
  EXPECT_FALSE(dns::parse(Bytes(hdr.data(), hdr.size()), m, err));
}

TEST(Dns, RealDnsmasqTransactions) {
  auto res = run_summary(ctana::test::testdata("real/dns-icmp.pcapng"), RunOptions{});
  const DnsReport& d = res.report.dns;
  EXPECT_EQ(d.queries, 7u);
  EXPECT_EQ(d.responses, 7u);
  EXPECT_EQ(d.answered, 7u);
  EXPECT_EQ(d.unanswered, 0u);
  EXPECT_EQ(d.rcodes[0], 6u);
  EXPECT_EQ(d.rcodes[3], 1u);  // nosuch.ctana.test: NXDOMAIN
  // tshark's dns.time on the same file: longest 0.000477102 s, median 0.000194629 s
  EXPECT_EQ(d.latency_max_ns, 477102);
  EXPECT_EQ(d.latency_median_ns, 194629);
  ASSERT_FALSE(d.error_names.empty());
  EXPECT_EQ(d.error_names[0].name, "nosuch.ctana.test");
}

TEST(Dns, LatencyBuckets) {
  // upper bounds are inclusive: 100 us is in the first bucket, 100.001 us in the second
  EXPECT_EQ(dns_latency_bucket(-5), 0u);
  EXPECT_EQ(dns_latency_bucket(0), 0u);
  EXPECT_EQ(dns_latency_bucket(100'000), 0u);
  EXPECT_EQ(dns_latency_bucket(100'001), 1u);
  EXPECT_EQ(dns_latency_bucket(194'629), 1u);
  EXPECT_EQ(dns_latency_bucket(477'102), 2u);
  EXPECT_EQ(dns_latency_bucket(1'000'000), 3u);
  EXPECT_EQ(dns_latency_bucket(999'999'999), 12u);
  EXPECT_EQ(dns_latency_bucket(5'000'000'000), 14u);
  EXPECT_EQ(dns_latency_bucket(5'000'000'001), 15u);
  EXPECT_EQ(kDnsLatencyBuckets, 16u);
  for (std::size_t i = 1; i < kDnsLatencyBoundsNs.size(); ++i) EXPECT_LT(kDnsLatencyBoundsNs[i - 1], kDnsLatencyBoundsNs[i]);
}

TEST(Dns, LatencyHistogramCountsEveryAnsweredQuery) {
  // The histogram sums to latency_samples (= answered), and on these small traces, where every
  // transaction is listed, it is the listed latencies bucketed.
  for (const char* f : {"real/dns-icmp.pcapng", "real/dns-tcp.pcap"}) {
    auto res = run_summary(ctana::test::testdata(f), RunOptions{});
    const DnsReport& d = res.report.dns;
    SCOPED_TRACE(f);
    ASSERT_GT(d.latency_samples, 0u);
    EXPECT_EQ(d.latency_samples, d.answered);
    std::uint64_t sum = 0;
    for (const auto n : d.latency_histogram) sum += n;
    EXPECT_EQ(sum, d.latency_samples);
    ASSERT_EQ(d.transactions_not_listed, 0u);
    std::array<std::uint64_t, kDnsLatencyBuckets> from_log{};
    for (const auto& x : d.transactions)
      if (x.latency_ns >= 0) ++from_log[dns_latency_bucket(x.latency_ns)];
    EXPECT_EQ(d.latency_histogram, from_log);
  }
  // dns-icmp.pcapng: dnsmasq on the same host; tshark's dns.time: 0.123, 0.140, 0.143, 0.195 ms
  // (<= 0.2 ms) and 0.203, 0.224, 0.477 ms (<= 0.5 ms)
  auto res = run_summary(ctana::test::testdata("real/dns-icmp.pcapng"), RunOptions{});
  const auto& h = res.report.dns.latency_histogram;
  EXPECT_EQ(h[0], 0u);
  EXPECT_EQ(h[1], 4u);
  EXPECT_EQ(h[2], 3u);
}

TEST(Dns, UnansweredQueriesAndRetries) {
  // Three copies of one query (a retry each second) and no answer.
  std::vector<std::vector<std::uint8_t>> frames;
  std::vector<Record> recs;
  for (int i = 0; i < 3; ++i)
    frames.push_back(hex("45000038 00010000 40110000 0A000001 0A000002 D4310035 00240000"
                         "9D4A0100 00010000 00000000 02773303 69626D03 636F6D00 001C0001"));
  DnsReport rep;
  std::vector<Finding> findings;
  DnsAnalyzer a(DnsOptions{}, rep, [&findings](const Finding& f) { findings.push_back(f); });
  for (int i = 0; i < 3; ++i) {
    Record r = ctana::test::make_record(frames[static_cast<std::size_t>(i)], linktype::raw);
    r.ts_ns = 1'000'000'000LL * i;
    Packet p;
    decode(r, p);
    a.on_packet(p);
  }
  // time passes: another packet 10 s later
  Record late = ctana::test::make_record(frames[0], linktype::raw);
  late.ts_ns = 12'000'000'000LL;
  Packet p;
  decode(late, p);
  a.on_packet(p);
  a.finish();
  EXPECT_EQ(rep.queries, 4u);
  EXPECT_EQ(rep.retries, 2u);
  EXPECT_EQ(rep.unanswered, 1u);  // the last query had not yet waited 5 s: not judged
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings.back().kind, "dns_unanswered");
}

TEST(Dns, LateServfailAfterRetriesIsAnAnswer) {
  // A query retried every 4 s (the last from another port and with another id), then SERVFAIL
  // 11 s after the first, to the last retry: one query, answered with an error, slowly.
  const auto query = hex("45000038 00010000 40110000 0A000001 0A000002 D4310035 00240000"
                         "9D4A0100 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  const auto retry = hex("45000038 00010000 40110000 0A000001 0A000002 D4320035 00240000"
                         "9D4B0100 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  const auto servfail = hex("45000038 00010000 40110000 0A000002 0A000001 0035D432 00240000"
                            "9D4B8182 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  DnsReport rep;
  std::vector<Finding> findings;
  DnsAnalyzer a(DnsOptions{}, rep, [&findings](const Finding& f) { findings.push_back(f); });
  const std::vector<std::pair<const std::vector<std::uint8_t>*, std::int64_t>> seq = {
      {&query, 0}, {&query, 4'000'000'000}, {&retry, 8'000'000'000}, {&servfail, 11'000'000'000}};
  for (const auto& [frame, ts] : seq) {
    Record r = ctana::test::make_record(*frame, linktype::raw);
    r.ts_ns = ts;
    Packet p;
    decode(r, p);
    a.on_packet(p);
  }
  a.finish();
  EXPECT_EQ(rep.queries, 3u);
  EXPECT_EQ(rep.retries, 2u);
  EXPECT_EQ(rep.answered, 1u);
  EXPECT_EQ(rep.unanswered, 0u);
  EXPECT_EQ(rep.unmatched_responses, 0u);
  EXPECT_EQ(rep.latency_max_ns, 11'000'000'000);
  // in the histogram from the first query: above 5 s, the last bucket
  EXPECT_EQ(rep.latency_histogram[kDnsLatencyBuckets - 1], 1u);
  EXPECT_EQ(rep.latency_samples, 1u);
  // one problem, one finding: the late SERVFAIL says how late it came (no dns_slow besides)
  std::vector<std::string> kinds;
  for (const auto& f : findings) kinds.push_back(f.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"dns_error"}));
  ASSERT_FALSE(findings.empty());
  EXPECT_NE(findings[0].summary.find(", after 11.000 s and 2 retries"), std::string::npos) << findings[0].summary;
}

TEST(Icmp, RealPingsAndPortUnreachables) {
  auto res = run_summary(ctana::test::testdata("real/dns-icmp.pcapng"), RunOptions{});
  const IcmpReport& c = res.report.icmp;
  EXPECT_EQ(c.messages, res.report.packets.icmp + res.report.packets.icmpv6);
  EXPECT_EQ(c.echo_requests, 10u);  // ping -c 3 and the fragmented ping -s 3000 -c 2, v4 and v6
  EXPECT_EQ(c.echo_answered, 10u);
  EXPECT_EQ(c.echo_unanswered, 0u);
  ASSERT_EQ(c.errors.size(), 2u);
  for (const auto& e : c.errors) {
    EXPECT_EQ(e.what, "Port Unreachable");
    EXPECT_NE(e.about.find(":9999"), std::string::npos) << e.about;  // the quoted UDP datagram
  }
}

TEST(Icmp, CraftedErrorsQuoteTheirPackets) {
  auto res = run_summary(ctana::test::testdata("crafted/udp-icmp.pcap"), RunOptions{});
  const IcmpReport& c = res.report.icmp;
  bool ttl = false;
  for (const auto& e : c.errors)
    if (e.what == "TTL Exceeded in Transit") {
      ttl = true;
      EXPECT_EQ(e.reporter.str(), "203.0.113.1");
      EXPECT_EQ(e.about, "TCP 192.0.2.10:40000 -> 198.51.100.20:80");
    }
  EXPECT_TRUE(ttl);
  EXPECT_EQ(c.echo_unanswered, 1u);  // the ICMPv6 echo request has no reply
}

TEST(Tls, RealOpensslHandshakes) {
  // tools/capture/make-tls.sh: TLS 1.3 with SNI and ALPN, TLS 1.2, a TLS 1.1-only client refused
  // by a server that requires 1.2, and a client that rejects the self-signed certificate.
  auto res = run_summary(ctana::test::testdata("real/tls.pcap"), RunOptions{});
  const TlsReport& t = res.report.tls;
  ASSERT_EQ(t.sessions.size(), 4u);
  EXPECT_EQ(t.sessions[0].sni, "www.ctana.test");
  EXPECT_EQ(t.sessions[0].version, "TLS 1.3");
  EXPECT_EQ(t.sessions[0].alpn, "http/1.1");
  EXPECT_TRUE(t.sessions[0].completed);
  EXPECT_TRUE(t.sessions[0].app_data);
  EXPECT_EQ(t.sessions[1].version, "TLS 1.2");
  EXPECT_EQ(t.sessions[1].cipher, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  EXPECT_TRUE(t.sessions[1].completed);
  EXPECT_EQ(t.sessions[2].offered, "TLS 1.1");
  ASSERT_EQ(t.sessions[2].alerts.size(), 1u);
  EXPECT_EQ(t.sessions[2].alerts[0], "fatal protocol_version from server");
  EXPECT_FALSE(t.sessions[2].completed);
  EXPECT_EQ(t.sessions[3].alerts.at(0), "fatal unknown_ca from client");
  EXPECT_EQ(t.handshakes_failed, 2u);
  EXPECT_GE(t.sessions[0].server_hello_latency_ns, 0);
}

TEST(Dhcp, RealDnsmasqLeasesAndNak) {
  // tools/capture/make-dhcp.sh: dhclient gets a lease from dnsmasq; then asks to keep an
  // address of another subnet (INIT-REBOOT), is refused with NAK and starts over.
  auto res = run_summary(ctana::test::testdata("real/dhcp.pcap"), RunOptions{});
  const DhcpReport& d = res.report.dhcp;
  EXPECT_EQ(d.messages, 10u);
  EXPECT_EQ(d.by_type[1], 2u);  // DISCOVER
  EXPECT_EQ(d.by_type[2], 2u);  // OFFER
  EXPECT_EQ(d.by_type[3], 3u);  // REQUEST
  EXPECT_EQ(d.by_type[5], 2u);  // ACK
  EXPECT_EQ(d.naks, 1u);
  ASSERT_EQ(d.leases.size(), 2u);
  EXPECT_EQ(d.leases[0].client, "02:00:00:dd:00:02");
  EXPECT_EQ(d.leases[0].server.str(), "10.99.50.1");
  EXPECT_EQ(d.leases[0].router.str(), "10.99.50.1");
  EXPECT_EQ(d.leases[0].lease_s, 3600u);
  EXPECT_EQ(d.discovers_unanswered, 0u);
}

TEST(Dhcp, TooShortOrBadOptionsAreRefused) {
  dhcp::Message m;
  const char* err = nullptr;
  std::vector<std::uint8_t> b(240, 0);
  b[0] = 1;
  b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
  b.push_back(53);
  b.push_back(40);  // option length past the end
  EXPECT_FALSE(dhcp::parse(Bytes(b.data(), b.size()), m, err));
  EXPECT_FALSE(dhcp::parse(Bytes(b.data(), 100), m, err));
  b.resize(240);
  b.push_back(53);
  b.push_back(1);
  b.push_back(1);
  b.push_back(255);
  ASSERT_TRUE(dhcp::parse(Bytes(b.data(), b.size()), m, err)) << err;
  EXPECT_EQ(dhcp::type_name(m.type), "DISCOVER");
}
