// DNS transactions: queries matched to responses by client, server, ports and id (docs/dns.md).
#include "ctana/decode.hpp"
#include "ctana/dns.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "ctana/ctrace.hpp"

namespace ctana {

namespace {
constexpr std::size_t kMaxNames = 20'000;       // distinct names counted
constexpr std::size_t kMaxSamples = 1'000'000;  // latencies kept for the percentiles
constexpr std::size_t kMaxTcpBuffer = 65'537;

struct PendingQuery {
  std::int64_t ts = 0;       // the first query
  std::int64_t last_ts = 0;  // the last retry: the timeout runs from here
  std::string name;
  std::uint16_t type = 0;
  std::uint32_t retries = 0;
  IpAddr client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::uint64_t frame = 0;   // the first query's frame; 0 over TCP (delivered as a stream)
  std::size_t log = SIZE_MAX;  // its row in DnsReport::transactions, if listed
};

std::string endpoint(const IpAddr& a, std::uint16_t port) {
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}
}  // namespace

struct DnsAnalyzer::Impl {
  DnsOptions opt;
  DnsReport& out;
  FindingSink emit;
  // key: client|client port|server|server port|id
  std::unordered_map<std::string, PendingQuery> pending;
  // key: client|name|type -> key in `pending` of the open query asking it (for retries)
  std::unordered_map<std::string, std::string> open_question;
  std::map<std::pair<std::string, std::uint16_t>, std::uint64_t> names, errors, unanswered;
  std::vector<std::int64_t> samples;
  std::uint64_t sample_seen = 0;
  std::unordered_map<std::uint64_t, std::string> tcp_buf[2];  // per TCP connection and direction
  std::int64_t now = 0, last_expire = 0;
  std::map<std::uint8_t, std::uint32_t> rcode_findings;
  // UDP flows (both endpoints) -> which trace showed them first: 1 packet trace, 2 CTRACE data
  // trace. A flow both traces carry is analysed from the first only (docs/ctrace.md).
  std::unordered_map<std::string, std::uint8_t> udp_source;
  static constexpr std::size_t kMaxUdpFlows = 200'000;
  // ICMP errors about DNS queries (a router or the server answered instead of the name server),
  // by the query's endpoints (key with id 0): the last one of each flow
  struct IcmpAnswer {
    IpAddr from;
    std::string what;  // "TTL Exceeded in Transit", "Port Unreachable", ...
    std::int64_t ts = 0;
    std::uint64_t frame = 0;
  };
  std::unordered_map<std::string, IcmpAnswer> icmp_answers;
  static constexpr std::size_t kMaxIcmpAnswers = 10'000;
  // queries failed that way, per sender of the ICMP error and what it said
  struct IcmpFailures {
    std::uint64_t queries = 0;
    std::int64_t first_ns = 0, last_ns = 0;
    std::uint64_t first_frame = 0, last_frame = 0;
    IpAddr client, server;
    std::uint16_t server_port = 0;
    std::string example;
  };
  std::map<std::pair<std::string, std::string>, IcmpFailures> icmp_failures;  // (from, what)

  void note_icmp(const Packet& p) {
    const QuotedPacket& q = p.icmp.quote;
    if (icmp_answers.size() >= kMaxIcmpAnswers && !icmp_answers.count(key(q.src, q.sport, q.dst, q.dport, 0))) return;
    const bool v6 = p.l4 == L4::icmpv6;
    std::string_view what = v6 ? icmpv6_code_name(p.icmp.type, p.icmp.code) : icmp_code_name(p.icmp.type, p.icmp.code);
    if (what.empty()) what = v6 ? icmpv6_type_name(p.icmp.type) : icmp_type_name(p.icmp.type);
    icmp_answers[key(q.src, q.sport, q.dst, q.dport, 0)] = IcmpAnswer{p.src, std::string(what), p.rec->ts_ns, p.frame()};
  }

  // A query closed without an answer that an ICMP error about its datagram came back for (after
  // the query): failed with that error, not unanswered.
  bool failed_by_icmp(const PendingQuery& q) {
    const auto it = icmp_answers.find(key(q.client, q.client_port, q.server, q.server_port, 0));
    if (it == icmp_answers.end() || it->second.ts < q.ts) return false;
    const IcmpAnswer& a = it->second;
    IcmpFailures& f = icmp_failures[{a.from.str(), a.what}];
    if (!f.queries++) {
      f.first_ns = q.ts, f.first_frame = q.frame, f.client = q.client, f.server = q.server;
      f.server_port = q.server_port, f.example = q.name;
    }
    if (a.ts >= f.last_ns) f.last_ns = a.ts, f.last_frame = a.frame;
    ++out.icmp_failed;
    if (q.log < out.transactions.size()) {
      out.transactions[q.log].outcome = fmt::format("ICMP {} from {}", a.what, a.from.str());
      out.transactions[q.log].retries = q.retries;
    }
    return true;
  }

  bool first_source(const IpAddr& a, std::uint16_t ap, const IpAddr& b, std::uint16_t bp, std::uint8_t source) {
    const bool swap = std::make_pair(a.b, ap) > std::make_pair(b.b, bp);
    const std::string k = swap ? key(b, bp, a, ap, 0) : key(a, ap, b, bp, 0);
    auto it = udp_source.find(k);
    if (it != udp_source.end()) return it->second == source;
    if (udp_source.size() < kMaxUdpFlows) udp_source.emplace(k, source);
    return true;
  }

  Impl(DnsOptions o, DnsReport& r, FindingSink f) : opt(std::move(o)), out(r), emit(std::move(f)) {}

  static std::string key(const IpAddr& c, std::uint16_t cp, const IpAddr& s, std::uint16_t sp, std::uint16_t id) {
    std::string k;
    k.reserve(40);
    k.append(reinterpret_cast<const char*>(c.b.data()), 16);
    k.append(reinterpret_cast<const char*>(s.b.data()), 16);
    const std::uint8_t t[6] = {static_cast<std::uint8_t>(cp >> 8), static_cast<std::uint8_t>(cp),
                               static_cast<std::uint8_t>(sp >> 8), static_cast<std::uint8_t>(sp),
                               static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
    k.append(reinterpret_cast<const char*>(t), 6);
    return k;
  }

  void count_name(std::map<std::pair<std::string, std::uint16_t>, std::uint64_t>& m, const std::string& n,
                  std::uint16_t t) {
    auto it = m.find({n, t});
    if (it != m.end()) ++it->second;
    else if (m.size() < kMaxNames) m.emplace(std::make_pair(n, t), 1);
  }

  void sample(std::int64_t ns) {
    ++sample_seen;
    ++out.latency_histogram[dns_latency_bucket(ns)];
    if (samples.size() < kMaxSamples) {
      samples.push_back(ns);
    } else {  // reservoir sampling keeps the percentiles unbiased (deterministic generator)
      const std::uint64_t j = (sample_seen * 0x9E3779B97F4A7C15ull) % sample_seen;
      if (j < kMaxSamples) samples[j] = ns;
    }
    out.latency_max_ns = std::max(out.latency_max_ns, ns);
  }

  void expire(std::int64_t t, bool all) {
    for (auto it = pending.begin(); it != pending.end();) {
      if ((all || t - it->second.last_ts > opt.timeout_ns) && failed_by_icmp(it->second)) {
        open_question.erase(it->second.client.str() + "|" + it->second.name + "|" + std::to_string(it->second.type));
        it = pending.erase(it);
      } else if (all || t - it->second.last_ts > opt.timeout_ns) {
        ++out.unanswered;
        count_name(unanswered, it->second.name, it->second.type);
        if (it->second.log < out.transactions.size()) {
          out.transactions[it->second.log].retries = it->second.retries;
        }
        open_question.erase(it->second.client.str() + "|" + it->second.name + "|" + std::to_string(it->second.type));
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    last_expire = t;
  }

  void message(Bytes msg, const IpAddr& src, std::uint16_t sport, const IpAddr& dst, std::uint16_t dport,
               std::int64_t ts, bool tcp, std::uint64_t frame = 0) {
    now = std::max(now, ts);
    if (now - last_expire > 1'000'000'000) expire(now, false);
    dns::Message m;
    const char* err = nullptr;
    if (!dns::parse(msg, m, err)) {
      ++out.malformed;
      return;
    }
    if (tcp) ++out.over_tcp;
    if (!m.qr) {  // query
      ++out.queries;
      const std::string name = m.questions.empty() ? "" : m.questions[0].name;
      const std::uint16_t type = m.questions.empty() ? 0 : m.questions[0].type;
      count_name(names, name, type);
      const std::string qk = src.str() + "|" + name + "|" + std::to_string(type);
      auto open = open_question.find(qk);
      if (open != open_question.end()) {  // the same question again while unanswered: a retry
        ++out.retries;
        auto p = pending.find(open->second);
        if (p != pending.end()) {
          ++p->second.retries;
          p->second.last_ts = ts;
        }
        return;
      }
      if (pending.size() >= opt.max_pending) {
        ++out.untracked_queries;
        return;
      }
      const std::string k = key(src, sport, dst, dport, m.id);
      PendingQuery q{ts, ts, name, type, 0, src, dst, sport, dport, frame};
      if (out.transactions.size() < opt.max_log) {
        q.log = out.transactions.size();
        DnsTransaction& x = out.transactions.emplace_back();
        x.ts_ns = ts, x.client = src, x.server = dst, x.client_port = sport, x.server_port = dport, x.id = m.id;
        x.name = name, x.type = dns::type_name(type), x.tcp = tcp, x.frame = frame, x.outcome = "unanswered";
      } else {
        ++out.transactions_not_listed;
      }
      pending[k] = std::move(q);
      open_question[qk] = k;
      return;
    }
    ++out.responses;
    ++out.rcodes[m.rcode & 15];
    if (m.tc) ++out.truncated;
    auto it = pending.find(key(dst, dport, src, sport, m.id));
    if (it == pending.end() && !m.questions.empty()) {
      // The answer to a retry sent from another port or with another id: the same question from the
      // same client is one query, answered late.
      const auto open = open_question.find(dst.str() + "|" + m.questions[0].name + "|" +
                                           std::to_string(m.questions[0].type));
      if (open != open_question.end()) it = pending.find(open->second);
    }
    if (it == pending.end()) {
      ++out.unmatched_responses;
      return;
    }
    const PendingQuery q = it->second;
    open_question.erase(q.client.str() + "|" + q.name + "|" + std::to_string(q.type));
    pending.erase(it);
    ++out.answered;
    const std::int64_t lat = ts - q.ts;
    if (q.log < out.transactions.size()) {
      DnsTransaction& x = out.transactions[q.log];
      x.outcome = std::string(dns::rcode_name(m.rcode));
      x.latency_ns = lat, x.retries = q.retries, x.answers = m.ancount, x.response_frame = frame;
      if (!m.answers.empty()) x.first_answer = m.answers[0].data;
    }
    // frames: the query's and this response's (none over TCP)
    auto framed = [&q, frame](Finding f) {
      f.first_frame = q.frame ? q.frame : frame;
      f.last_frame = frame ? frame : q.frame;
      return f;
    };
    sample(lat);
    // SERVFAIL REFUSED FORMERR NOTIMP: one finding, dns_error; when it came late (a resolver waiting
    // for its upstream servers, answered after the client's retries) the delay is part of it, not a
    // second finding dns_slow about the same answer.
    const bool serious = m.rcode == 2 || m.rcode == 5 || m.rcode == 1 || m.rcode == 4;
    if (m.rcode != 0) {
      count_name(errors, q.name, q.type);
      if (serious && rcode_findings[m.rcode]++ < 10 && emit) {
        const std::string late =
            lat > opt.slow_ns ? fmt::format(", after {:.3f} s{}", static_cast<double>(lat) / 1e9,
                                            q.retries ? fmt::format(" and {} retr{}", q.retries,
                                                                    q.retries == 1 ? "y" : "ies")
                                                      : std::string())
                              : std::string();
        Finding f{Severity::warning, "application", "dns_error", ts, 0,
                     fmt::format("DNS {} for {} {} from {} (asked by {}){}", dns::rcode_name(m.rcode), q.name,
                                 dns::type_name(q.type), endpoint(src, sport), q.client.str(), late),
                     m.rcode == 2 ? "SERVFAIL: the server could not answer (its upstream servers failed, or DNSSEC "
                                    "validation failed)."
                     : m.rcode == 5 ? "REFUSED: the server will not answer this client (recursion not allowed, or an "
                                      "access list)."
                                    : "The server could not understand or does not implement the query."};
        f.between(q.client, 0, src, sport).because(std::string(dns::rcode_name(m.rcode))).about(q.name);
        emit(framed(std::move(f)));
      }
    }
    if (lat > opt.slow_ns && !serious && emit) {
      Finding f{Severity::warning, "response time", "dns_slow", ts, 0,
                fmt::format("DNS answer for {} {} took {:.3f} s", q.name, dns::type_name(q.type),
                            static_cast<double>(lat) / 1e9),
                "A slow name server delays every connection that needs the name first."};
      emit(framed(f.between(q.client, 0, src, sport).about(q.name)));
    }
    if (m.tc && !tcp && emit) {
      Finding f{Severity::info, "application", "dns_truncated", ts, 0,
                fmt::format("DNS answer for {} {} was truncated (TC): the client should retry over TCP", q.name,
                            dns::type_name(q.type)),
                "The answer did not fit in a UDP datagram; a client that does not retry over TCP (or a firewall "
                "that blocks TCP port 53) gets no answer."};
      emit(framed(f.between(q.client, 0, src, sport).about(q.name)));
    }
  }
};

DnsAnalyzer::DnsAnalyzer(DnsOptions opt, DnsReport& out, FindingSink findings)
    : impl_(std::make_unique<Impl>(std::move(opt), out, std::move(findings))) {
  out.present = true;
}
DnsAnalyzer::~DnsAnalyzer() = default;

void DnsAnalyzer::on_packet(const Packet& p) {
  const auto& ports = impl_->opt.ports;
  const Record& r = *p.rec;
  if ((r.meta.flags & SourceMeta::kCtrace) && r.meta.format_id == ctrace::kFmtData) {
    // A CTRACE data trace record of a datagram socket: one record is one datagram read or
    // written by the job, its sender and receiver in the header (docs/ctrace.md).
    const auto& dt = r.meta.dt;
    if (dt.type != ctrace::kDtDatagram || (dt.proto != 17 && dt.proto != 0) || dt.state != ctrace::kDtData) return;
    if (!dt.src.version || !dt.dst.version || r.data.empty() || r.orig_len > r.data.size()) return;
    const bool dt_server = std::find(ports.begin(), ports.end(), dt.dport) != ports.end() ||
                           std::find(ports.begin(), ports.end(), dt.sport) != ports.end();
    if (!dt_server || !impl_->first_source(dt.src, dt.sport, dt.dst, dt.dport, 2)) return;
    impl_->message(r.data, dt.src, dt.sport, dt.dst, dt.dport, r.ts_ns, false, r.index);
    return;
  }
  if ((p.l4 == L4::icmp || p.l4 == L4::icmpv6) && p.icmp.has_quote && p.icmp.quote.proto == 17 &&
      p.icmp.quote.has_ports && std::find(ports.begin(), ports.end(), p.icmp.quote.dport) != ports.end()) {
    impl_->note_icmp(p);
    return;
  }
  if (p.l4 != L4::udp || p.malformed() || p.fragment) return;
  const bool to_server = std::find(ports.begin(), ports.end(), p.udp.dport) != ports.end();
  const bool from_server = std::find(ports.begin(), ports.end(), p.udp.sport) != ports.end();
  if (!to_server && !from_server) return;
  if (p.payload.size() < p.payload_len) return;  // cut by the snap length
  if (!impl_->first_source(p.src, p.udp.sport, p.dst, p.udp.dport, 1)) return;
  impl_->message(p.payload, p.src, p.udp.sport, p.dst, p.udp.dport, p.rec->ts_ns, false, p.frame());
}

bool DnsAnalyzer::wants(const TcpConnection& c) {
  const auto& ports = impl_->opt.ports;
  return std::find(ports.begin(), ports.end(), c.server_port) != ports.end();
}

void DnsAnalyzer::on_data(const TcpConnection& c, Side from, std::uint64_t, Bytes data, std::int64_t ts) {
  std::string& b = impl_->tcp_buf[index(from)][c.id];
  b.append(reinterpret_cast<const char*>(data.data()), data.size());
  for (;;) {  // RFC 1035 4.2.2: a 2-byte length before each message
    const auto prefix = be16_at(as_bytes(b), 0);
    if (!prefix) break;
    const std::size_t len = *prefix;
    const auto message = slice(as_bytes(b), 2, len);
    if (!message) {
      if (b.size() > kMaxTcpBuffer) b.clear();
      break;
    }
    const Bytes msg = *message;
    if (from == Side::client) impl_->message(msg, c.client, c.client_port, c.server, c.server_port, ts, true);
    else impl_->message(msg, c.server, c.server_port, c.client, c.client_port, ts, true);
    b.erase(0, 2 + len);
  }
}

void DnsAnalyzer::on_gap(const TcpConnection& c, Side from, std::uint64_t, std::uint64_t, std::int64_t) {
  impl_->tcp_buf[index(from)].erase(c.id);  // the framing is lost with the bytes
}

void DnsAnalyzer::on_close(const TcpConnection& c) {
  impl_->tcp_buf[0].erase(c.id);
  impl_->tcp_buf[1].erase(c.id);
}

void DnsAnalyzer::finish() {
  auto& im = *impl_;
  // Queries still open at the end: unanswered if they waited the timeout, otherwise not judged.
  for (auto it = im.pending.begin(); it != im.pending.end();) {
    if (im.now - it->second.last_ts > im.opt.timeout_ns) {
      ++it;
      continue;
    }
    if (im.failed_by_icmp(it->second)) {  // the ICMP error judged it
      it = im.pending.erase(it);
      continue;
    }
    if (it->second.log < im.out.transactions.size()) {
      im.out.transactions[it->second.log].outcome = "not judged";
      im.out.transactions[it->second.log].retries = it->second.retries;
    }
    it = im.pending.erase(it);
  }
  im.expire(im.now, true);
  if (!im.samples.empty()) {
    auto v = im.samples;
    auto pick = [&v](double q) {
      const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
      return v[i];
    };
    im.out.latency_median_ns = pick(0.5);
    im.out.latency_p95_ns = pick(0.95);
    im.out.latency_samples = im.sample_seen;
  }
  auto top = [](const std::map<std::pair<std::string, std::uint16_t>, std::uint64_t>& m, std::size_t n) {
    std::vector<DnsNameRow> rows;
    for (const auto& [k, c] : m) rows.push_back(DnsNameRow{k.first, dns::type_name(k.second), c});
    std::stable_sort(rows.begin(), rows.end(), [](const DnsNameRow& a, const DnsNameRow& b) { return a.count > b.count; });
    if (rows.size() > n) rows.resize(n);
    return rows;
  };
  im.out.top_names = top(im.names, 10);
  im.out.error_names = top(im.errors, 20);
  im.out.unanswered_names = top(im.unanswered, 20);
  if (im.out.unanswered && im.emit) {
    std::string some;
    for (std::size_t i = 0; i < im.out.unanswered_names.size() && i < 3; ++i)
      some += fmt::format("{}{} {}", i ? ", " : "", im.out.unanswered_names[i].name, im.out.unanswered_names[i].type);
    Finding f{Severity::warning, "application", "dns_unanswered", im.now, 0,
                    fmt::format("{} DNS quer{} got no answer within {} s ({} retr{}); e.g. {}", im.out.unanswered,
                                im.out.unanswered == 1 ? "y" : "ies", im.opt.timeout_ns / 1'000'000'000, im.out.retries,
                                im.out.retries == 1 ? "y" : "ies", some),
                    "Queries without answers: the name server is down or unreachable, or a firewall drops DNS. "
                    "Every lookup then waits for the resolver's timeout."};
    f.count = im.out.unanswered;
    im.emit(f);
  }
  for (const auto& [by, f] : im.icmp_failures) {
    if (!im.emit) break;
    const bool from_server = by.first == f.server.str();
    Finding x{Severity::error, "application", "dns_icmp_error", f.first_ns, 0,
              fmt::format("{} DNS quer{} to {} {} answered by ICMP {} from {}{}; e.g. {}", f.queries,
                          f.queries == 1 ? "y" : "ies", endpoint(f.server, f.server_port), f.queries == 1 ? "was" : "were",
                          by.second, by.first,
                          from_server ? " (the server itself)" : " (a router on the way)", f.example),
              from_server ? "The name server's host answered instead of its DNS service: nothing listens on the DNS "
                            "port there (the name server is not running), or its firewall rejects DNS."
                          : "A router on the way to the name server sent the query back with an ICMP error: the name "
                            "server is unreachable from here (a route missing or looping, a filter on that router). "
                            "Look at that router, named above, and the route from it to the name server."};
    x.between(f.client, 0, f.server, f.server_port).because(by.second).about(by.first);
    x.count = f.queries;
    x.last_ns = f.last_ns;
    x.first_frame = f.first_frame;
    x.last_frame = f.last_frame;
    im.emit(x);
  }
  if (im.out.rcodes[3] && im.emit) {
    std::string some;
    for (std::size_t i = 0; i < im.out.error_names.size() && i < 3; ++i)
      some += fmt::format("{}{}", i ? ", " : "", im.out.error_names[i].name);
    Finding f{Severity::info, "application", "dns_nxdomain", im.now, 0,
                    fmt::format("{} DNS answer{} said the name does not exist (NXDOMAIN), e.g. {}", im.out.rcodes[3],
                                im.out.rcodes[3] == 1 ? "" : "s", some),
                    "A misspelt or retired host name in a configuration, or a search-list lookup that is expected "
                    "to fail first."};
    f.count = im.out.rcodes[3];
    im.emit(f);
  }
}

}  // namespace ctana
