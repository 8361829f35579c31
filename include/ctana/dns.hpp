// DNS (RFC 1035) over UDP and TCP: messages decoded with name compression (loop-safe),
// queries matched to responses, latency, unanswered queries and retries, response codes.
// Definitions: docs/dns.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctana/tcp.hpp"

namespace ctana {

namespace dns {
struct Question {
  std::string name;
  std::uint16_t type = 0, klass = 0;
};
struct Answer {
  std::string name;
  std::uint16_t type = 0, klass = 0;
  std::uint32_t ttl = 0;
  std::string data;  // A, AAAA, CNAME, PTR, NS, MX, SOA, TXT rendered; other types as "<n bytes>"
};
struct Message {
  std::uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false;
  std::uint8_t opcode = 0, rcode = 0;
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::vector<Question> questions;  // at most 8 kept
  std::vector<Answer> answers;      // at most 32 kept
};
// Parses a DNS message; returns nullptr (the problem in `error`) if it is not one.
bool parse(Bytes msg, Message& out, const char*& error);
std::string_view rcode_name(std::uint8_t rcode);  // NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED...
std::string type_name(std::uint16_t type);        // A, AAAA, ..., or TYPEnnn
}  // namespace dns

struct DnsNameRow {
  std::string name;
  std::string type;
  std::uint64_t count = 0;
};

// One DNS transaction: a query and what became of it (`ctana dns`, summary JSON dns.transactions).
struct DnsTransaction {
  std::int64_t ts_ns = 0;          // the (first) query
  IpAddr client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::uint16_t id = 0;
  std::string name, type;          // the first question
  std::uint32_t retries = 0;       // the same question asked again before the answer
  bool tcp = false;
  std::string outcome;             // the response code (NOERROR, NXDOMAIN...), or "unanswered", "not judged"
  std::int64_t latency_ns = -1;    // first query -> response; -1 without a response
  std::uint16_t answers = 0;       // answer records
  std::string first_answer;        // the data of the first answer
  std::uint64_t frame = 0, response_frame = 0;  // 0 over TCP (a stream) or without a response
};

// The latency histogram's buckets (docs/dns.md): a 1-2-5 series from 100 us to 5 s. Bucket i counts
// the answered queries with latency <= kDnsLatencyBoundsNs[i] (and above the bound before it); the
// last bucket, kDnsLatencyBuckets - 1, those above 5 s (retried queries, from their first try).
inline constexpr std::array<std::int64_t, 15> kDnsLatencyBoundsNs{
    100'000,     200'000,     500'000,       1'000'000,     2'000'000,     5'000'000,     10'000'000, 20'000'000,
    50'000'000, 100'000'000, 200'000'000, 500'000'000, 1'000'000'000, 2'000'000'000, 5'000'000'000};
inline constexpr std::size_t kDnsLatencyBuckets = kDnsLatencyBoundsNs.size() + 1;
// The bucket of a latency (a negative one, from a capture clock stepping back, in the first).
constexpr std::size_t dns_latency_bucket(std::int64_t ns) {
  std::size_t i = 0;
  while (i < kDnsLatencyBoundsNs.size() && ns > kDnsLatencyBoundsNs[i]) ++i;
  return i;
}

struct DnsReport {
  bool present = false;
  std::uint64_t queries = 0, responses = 0, answered = 0, unanswered = 0, retries = 0, unmatched_responses = 0;
  std::uint64_t icmp_failed = 0;   // queries answered by an ICMP error instead (a router, or the server host)
  std::uint64_t truncated = 0, malformed = 0, over_tcp = 0;
  std::array<std::uint64_t, 16> rcodes{};
  std::uint64_t latency_samples = 0;
  std::int64_t latency_median_ns = -1, latency_p95_ns = -1, latency_max_ns = -1;
  // every answered query's latency by bucket (kDnsLatencyBoundsNs); sums to latency_samples
  std::array<std::uint64_t, kDnsLatencyBuckets> latency_histogram{};
  std::vector<DnsNameRow> top_names;     // most queried (name, type)
  std::vector<DnsNameRow> error_names;   // names answered with an error rcode, most frequent first
  std::vector<DnsNameRow> unanswered_names;
  std::uint64_t untracked_queries = 0;  // queries not matched because max_pending were open
  std::vector<DnsTransaction> transactions;  // in query order, the first max_log queries
  std::uint64_t transactions_not_listed = 0;
};

struct DnsOptions {
  std::vector<std::uint16_t> ports{53};
  std::int64_t timeout_ns = 5'000'000'000;  // a query without response this long is unanswered
  std::int64_t slow_ns = 1'000'000'000;     // a response slower than this is a finding
  std::size_t max_pending = 200'000;        // queries open at once; beyond: untracked_queries
  std::size_t max_log = 1'000;              // transactions listed (DnsReport::transactions)
};

class DnsAnalyzer final : public Analyzer, public TcpStreamSink {
 public:
  DnsAnalyzer(DnsOptions opt, DnsReport& out, FindingSink findings);
  ~DnsAnalyzer() override;
  void on_packet(const Packet& p) override;  // UDP
  bool takes_datagrams() const override { return true; }  // reassembled IP datagrams
  void finish() override;
  // DNS over TCP (2-byte length prefix), through the TCP analyzer's payload delivery
  bool wants(const TcpConnection& c) override;
  void on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) override;
  void on_gap(const TcpConnection& c, Side from, std::uint64_t offset, std::uint64_t length, std::int64_t ts) override;
  void on_close(const TcpConnection& c) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
