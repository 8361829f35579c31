// The HTTP/1.x module: its analyzer (requests and responses matched in order on each
// connection), its report section and its registration (docs/http.md).
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

#include "ctana/html_report.hpp"  // html_escape
#include "ctana/render.hpp"
#include "ctana/stats.hpp"
#include "protocols/http/http.hpp"

namespace ctana::http {

namespace {

constexpr std::size_t kMaxOpen = 100'000;        // connections followed at once
constexpr std::size_t kMaxRows = 1000;           // transactions kept for the report
constexpr std::size_t kMaxPending = 1000;        // requests awaiting their response, per connection
constexpr std::size_t kMaxMethods = 64;          // distinct methods counted by name; the rest as "other"
constexpr std::size_t kMaxTextRows = 20;         // error and slow transactions listed in the text summary
constexpr std::size_t kMaxHtmlRows = 200;

using json = nlohmann::ordered_json;

struct Transaction {
  std::uint64_t connection = 0;
  std::int64_t ts_ns = 0;          // the request's first byte (the response's when no request was seen)
  std::string method, host, target, credentials;  // target and credentials masked unless --show-secrets
  int status = 0;
  std::string reason;
  std::int64_t response_ns = -1;   // request's last byte -> response's first byte
  std::uint64_t request_body = 0, response_body = 0;
  bool chunked = false;            // the response's body was chunked
  bool slow = false;
};

struct Report {
  std::uint64_t connections = 0, keepalive_connections = 0, untracked_connections = 0;
  std::uint64_t requests = 0, responses = 0, matched = 0, unmatched_responses = 0, unanswered_requests = 0,
                interim_responses = 0, pipelined_requests = 0, chunked_messages = 0, gaps = 0, resyncs = 0,
                malformed = 0, slow_responses = 0;
  std::uint64_t request_body_bytes = 0, response_body_bytes = 0;
  std::int64_t slow_threshold_ns = 0;
  std::map<std::string, std::uint64_t> methods;
  std::map<int, std::uint64_t> codes;  // final and interim responses
  std::uint64_t classes[6] = {};       // [1] 1xx ... [5] 5xx
  std::uint64_t rt_samples = 0;
  std::int64_t rt_median = -1, rt_p95 = -1, rt_max = -1;
  std::vector<Transaction> transactions;
  std::uint64_t transactions_omitted = 0;
};

std::string ms(std::int64_t ns) { return ns >= 0 ? fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6) : "-"; }
json seconds(std::int64_t ns) { return ns >= 0 ? json(static_cast<double>(ns) / 1e9) : json(nullptr); }
std::string ep(const IpAddr& a, std::uint16_t port) {
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}
// "host/path" for an origin-form target; an absolute-form or authority-form (CONNECT) target as it is.
std::string where(const std::string& host, const std::string& target) {
  return !target.empty() && target.front() == '/' ? host + target : target;
}
std::string code_label(int code) {
  const auto m = status_meaning(code);
  return m.empty() ? std::to_string(code) : fmt::format("{} {}", code, m);
}

class Section final : public ModuleSection {
 public:
  Report r;

  bool seen() const override { return r.connections > 0; }

  nlohmann::ordered_json json() const override {
    using J = nlohmann::ordered_json;
    J methods = J::object(), codes = J::object(), rows = J::array();
    for (const auto& [m, n] : r.methods) methods[m] = n;
    for (const auto& [c, n] : r.codes) codes[std::to_string(c)] = n;
    for (const Transaction& t : r.transactions)
      rows.push_back({{"connection", t.connection},
                      {"time", iso_time(t.ts_ns)},
                      {"method", t.method.empty() ? J(nullptr) : J(t.method)},
                      {"host", t.host.empty() ? J(nullptr) : J(t.host)},
                      {"target", t.method.empty() ? J(nullptr) : J(t.target)},
                      {"credentials", t.credentials.empty() ? J(nullptr) : J(t.credentials)},
                      {"status", t.status ? J(t.status) : J(nullptr)},
                      {"reason", t.status ? J(t.reason) : J(nullptr)},
                      {"response_time_s", seconds(t.response_ns)},
                      {"request_body_bytes", t.request_body},
                      {"response_body_bytes", t.response_body},
                      {"chunked", t.chunked},
                      {"slow", t.slow}});
    return {{"connections", r.connections},
            {"keepalive_connections", r.keepalive_connections},
            {"untracked_connections", r.untracked_connections},
            {"requests", r.requests},
            {"responses", r.responses},
            {"matched", r.matched},
            {"unmatched_responses", r.unmatched_responses},
            {"unanswered_requests", r.unanswered_requests},
            {"interim_responses", r.interim_responses},
            {"pipelined_requests", r.pipelined_requests},
            {"chunked_messages", r.chunked_messages},
            {"gaps", r.gaps},
            {"resyncs", r.resyncs},
            {"malformed", r.malformed},
            {"methods", std::move(methods)},
            {"status_codes", std::move(codes)},
            {"status_classes",
             {{"1xx", r.classes[1]}, {"2xx", r.classes[2]}, {"3xx", r.classes[3]}, {"4xx", r.classes[4]}, {"5xx", r.classes[5]}}},
            {"error_responses", r.classes[4] + r.classes[5]},
            {"slow_responses", r.slow_responses},
            {"slow_threshold_s", static_cast<double>(r.slow_threshold_ns) / 1e9},
            {"response_time",
             {{"samples", r.rt_samples}, {"median_s", seconds(r.rt_median)}, {"p95_s", seconds(r.rt_p95)}, {"max_s", seconds(r.rt_max)}}},
            {"body_bytes", {{"requests", r.request_body_bytes}, {"responses", r.response_body_bytes}}},
            {"transactions", std::move(rows)},
            {"transactions_omitted", r.transactions_omitted}};
  }

  std::string text() const override {
    std::string o;
    auto line = [&o](const std::string& s) { o += s + "\n"; };
    line("");
    line(fmt::format("HTTP/1.x: {} requests, {} responses ({} matched), {} unanswered; {} connection{}, {} with "
                     "keep-alive, {} requests pipelined",
                     group_digits(r.requests), group_digits(r.responses), group_digits(r.matched),
                     group_digits(r.unanswered_requests), group_digits(r.connections), r.connections == 1 ? "" : "s",
                     group_digits(r.keepalive_connections), group_digits(r.pipelined_requests)));
    std::string methods, codes;
    for (const auto& [m, n] : r.methods) methods += fmt::format("{}{} {}", methods.empty() ? "" : ", ", m, n);
    for (const auto& [c, n] : r.codes) codes += fmt::format("{}{} {}", codes.empty() ? "" : ", ", code_label(c), n);
    if (!methods.empty()) line("  Methods: " + methods);
    if (!codes.empty()) line("  Status codes: " + codes);
    if (r.rt_samples)
      line(fmt::format("  Response time: median {}, 95th percentile {}, longest {}; {} slower than {}", ms(r.rt_median),
                       ms(r.rt_p95), ms(r.rt_max), r.slow_responses, ms(r.slow_threshold_ns)));
    if (r.chunked_messages) line(fmt::format("  Chunked messages: {}", group_digits(r.chunked_messages)));
    if (r.unmatched_responses || r.interim_responses)
      line(fmt::format("  {} responses without a request seen, {} interim (1xx)", group_digits(r.unmatched_responses),
                       group_digits(r.interim_responses)));
    if (r.gaps || r.resyncs || r.malformed)
      line(fmt::format("  Out of step {} time{} (bytes not captured, or not HTTP), found the step again {} time{}, {} "
                       "line{} not HTTP",
                       group_digits(r.gaps), r.gaps == 1 ? "" : "s", group_digits(r.resyncs), r.resyncs == 1 ? "" : "s",
                       group_digits(r.malformed), r.malformed == 1 ? "" : "s"));
    if (r.untracked_connections)
      line(fmt::format("  {} connections not followed (table full)", group_digits(r.untracked_connections)));
    std::size_t shown = 0;
    for (const Transaction& t : r.transactions) {
      if (t.status < 400 && !t.slow) continue;
      if (shown++ == kMaxTextRows) {
        line("  ... (ctana summary --json lists every transaction kept)");
        break;
      }
      line(fmt::format("  Conn {:<5} {} {} -> {} ({})", t.connection, t.method.empty() ? "?" : t.method,
                       t.method.empty() ? "(request not seen)" : where(t.host, t.target),
                       t.status ? code_label(t.status) : std::string("no response"), ms(t.response_ns)));
    }
    return o;
  }

  std::string html() const override {
    auto e = [](std::string_view s) { return html_escape(s); };
    std::string o = "<section id=\"http\"><h2>HTTP</h2>\n";
    o += fmt::format("<p>{} requests, {} responses ({} matched), {} unanswered; {} client errors (4xx), {} server "
                     "errors (5xx); response time median {}, 95th percentile {}, longest {}.</p>\n",
                     group_digits(r.requests), group_digits(r.responses), group_digits(r.matched),
                     group_digits(r.unanswered_requests), group_digits(r.classes[4]), group_digits(r.classes[5]),
                     e(ms(r.rt_median)), e(ms(r.rt_p95)), e(ms(r.rt_max)));
    o += "<div class=\"scroll\"><table><thead><tr><th class=\"n\">conn</th><th>time</th><th>method</th><th>host</th>"
         "<th>target</th><th class=\"n\">status</th><th class=\"n\">response time</th><th class=\"n\">body bytes</th>"
         "</tr></thead><tbody>\n";
    std::size_t n = 0;
    for (const Transaction& t : r.transactions) {
      if (n++ == kMaxHtmlRows) break;
      o += fmt::format("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n {}\">{}"
                       "</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td></tr>\n",
                       t.connection, e(text_time(t.ts_ns)), e(t.method.empty() ? "-" : t.method), e(t.host),
                       e(t.target), t.status >= 500 ? "err" : t.status >= 400 ? "warn" : "",
                       t.status ? e(code_label(t.status)) : "-", t.slow ? " warn" : "", e(ms(t.response_ns)),
                       group_digits(t.response_body));
    }
    o += "</tbody></table></div>\n";
    if (r.transactions.size() > kMaxHtmlRows || r.transactions_omitted)
      o += fmt::format("<p class=\"mut\">The first {} of {} transactions.</p>\n", std::min(kMaxHtmlRows, r.transactions.size()),
                       group_digits(r.transactions.size() + r.transactions_omitted));
    return o + "</section>\n";
  }
};

struct Pending {
  std::string method;
  std::int64_t last_ns = 0;
  long row = -1;  // in Report::transactions
  std::string what;  // "GET host/path" (masked), for findings
};

struct Trouble {  // responses of one status code (or the slow ones) on one connection, for one finding
  std::uint64_t count = 0;
  std::int64_t first_ns = 0, last_ns = 0, worst_ns = 0;
  std::string what;   // the first (errors) or the slowest (slow) request
};

struct Conn {
  struct {
    std::uint64_t id = 0;
    IpAddr client, server;
    std::uint16_t client_port = 0, server_port = 0;
  } c;  // its number and endpoints (not the whole TcpConnection: one of these per open connection)
  std::unique_ptr<StreamParser> parser[2];  // by Side
  std::deque<Pending> pending;
  long response_row = -1;  // the transaction of the response being read
  std::uint64_t requests = 0;
  bool counted = false;
  std::map<int, Trouble> errors;
  Trouble slow;
};

class HttpAnalyzer final : public ModuleAnalyzer {
 public:
  HttpAnalyzer(const ModuleContext& ctx, std::shared_ptr<Section> s)
      : show_secrets_(ctx.show_secrets), threshold_(ctx.rt_threshold_ns), emit_(ctx.findings), s_(std::move(s)),
        r_(s_->r) {
    r_.slow_threshold_ns = threshold_;
  }

  bool wants(const TcpConnection& c) override {
    if (conns_.size() >= kMaxOpen) {
      ++r_.untracked_connections;
      return false;
    }
    auto& e = conns_[c.id].c;
    e.id = c.id;
    e.client = c.client;
    e.server = c.server;
    e.client_port = c.client_port;
    e.server_port = c.server_port;
    return true;
  }

  void on_data(const TcpConnection& c, Side from, std::uint64_t, Bytes data, std::int64_t ts) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    Conn& k = it->second;
    if (!k.counted) {  // a connection counts once it carried bytes
      k.counted = true;
      ++r_.connections;
    }
    auto& p = k.parser[index(from)];
    if (!p) {
      // Requests come from the client; when the trace does not show who opened the connection, the
      // side whose first bytes are a response is the server.
      bool requests = from == Side::client;
      if (!c.roles_known) requests = !starts_response(data);
      p = make_parser(k, requests);
    }
    p->data(data, ts);
  }

  void on_gap(const TcpConnection& c, Side from, std::uint64_t, std::uint64_t length, std::int64_t) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    if (auto& p = it->second.parser[index(from)]) p->gap(length);
  }

  void on_close(const TcpConnection& c) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    end(it->second);
    conns_.erase(it);
  }

  void finish() override {
    for (auto& [id, k] : conns_) end(k);
    conns_.clear();
    r_.rt_samples = rt_.count();
    r_.rt_median = rt_.quantile(0.5);
    r_.rt_p95 = rt_.quantile(0.95);
    r_.rt_max = rt_.max();
  }

 private:
  static bool starts_response(Bytes b) {
    constexpr std::string_view kHttp = "HTTP/";
    std::size_t i = 0;
    for (const std::uint8_t x : head(b, kHttp.size()))
      if (static_cast<char>(x) != kHttp[i++]) return false;
    return i == kHttp.size();
  }

  std::unique_ptr<StreamParser> make_parser(Conn& k, bool requests) {
    StreamParser::Events ev;
    if (requests) {
      ev.end = [this, &k](const Message& m) { request(k, m); };
    } else {
      ev.head = [this, &k](Message& m) { response_head(k, m); };
      ev.end = [this, &k](const Message& m) { response_end(k, m); };
    }
    ev.lost = [this, &k] { lost(k); };
    return std::make_unique<StreamParser>(requests, std::move(ev));
  }

  void request(Conn& k, const Message& m) {
    ++r_.requests;
    ++k.requests;
    if (!k.pending.empty()) ++r_.pipelined_requests;
    if (r_.methods.size() < kMaxMethods || r_.methods.count(m.method)) ++r_.methods[m.method];
    else ++r_.methods["other"];
    if (m.chunked) ++r_.chunked_messages;
    r_.request_body_bytes += m.body_bytes;
    const std::string target = show_secrets_ ? m.target : mask_target(m.target);
    Pending p{m.method, m.last_ns, -1, fmt::format("{} {}", m.method, where(m.host, target))};
    if (r_.transactions.size() < kMaxRows) {
      Transaction t;
      t.connection = k.c.id;
      t.ts_ns = m.first_ns;
      t.method = m.method;
      t.host = m.host;
      t.target = target;
      if (!m.authorization.empty()) t.credentials = show_secrets_ ? m.authorization : mask_authorization(m.authorization);
      if (!m.cookie.empty()) {
        if (!t.credentials.empty()) t.credentials += "; ";
        t.credentials += "Cookie " + (show_secrets_ ? m.cookie : std::string("*****"));
      }
      t.request_body = m.body_bytes;
      r_.transactions.push_back(std::move(t));
      p.row = static_cast<long>(r_.transactions.size() - 1);
    } else {
      ++r_.transactions_omitted;
    }
    k.pending.push_back(std::move(p));
    if (k.pending.size() > kMaxPending) {  // a client that never gets answers
      k.pending.pop_front();
      ++r_.unanswered_requests;
    }
  }

  void response_head(Conn& k, Message& m) {
    ++r_.codes[m.code];
    ++r_.classes[std::min(m.code / 100, 5)];
    if (m.code < 200) {  // interim: the final response is still to come
      ++r_.interim_responses;
      m.no_body = true;
      if (m.code == 101) switch_protocols(k, m);
      k.response_row = -1;
      return;
    }
    ++r_.responses;
    if (m.code == 204 || m.code == 304) m.no_body = true;
    Pending p;
    const bool matched = !k.pending.empty();
    if (matched) {
      p = std::move(k.pending.front());
      k.pending.pop_front();
      ++r_.matched;
      if (p.method == "HEAD") m.no_body = true;
      if (p.method == "CONNECT" && m.code < 300) switch_protocols(k, m);
    } else {
      ++r_.unmatched_responses;
    }
    const std::int64_t rt = matched ? std::max<std::int64_t>(0, m.first_ns - p.last_ns) : -1;
    const bool slow = rt > threshold_;
    if (rt >= 0) rt_.add(rt);
    if (slow) {
      ++r_.slow_responses;
      Trouble& t = k.slow;
      if (!t.count++) t.first_ns = m.first_ns;
      t.last_ns = m.first_ns;
      if (rt > t.worst_ns) {
        t.worst_ns = rt;
        t.what = p.what;
      }
    }
    if (m.code >= 400) {
      Trouble& t = k.errors[m.code];
      if (!t.count++) {
        t.first_ns = m.first_ns;
        t.what = matched ? p.what : std::string();
      }
      t.last_ns = m.first_ns;
    }
    long row = p.row;
    if (!matched) {
      if (r_.transactions.size() < kMaxRows) {
        Transaction t;
        t.connection = k.c.id;
        t.ts_ns = m.first_ns;
        r_.transactions.push_back(std::move(t));
        row = static_cast<long>(r_.transactions.size() - 1);
      } else {
        ++r_.transactions_omitted;
      }
    }
    k.response_row = row;
    if (row >= 0) {
      Transaction& t = r_.transactions[static_cast<std::size_t>(row)];
      t.status = m.code;
      t.reason = m.reason;
      t.response_ns = rt;
      t.slow = slow;
    }
  }

  void response_end(Conn& k, const Message& m) {
    if (m.code < 200) return;
    if (m.chunked) ++r_.chunked_messages;
    r_.response_body_bytes += m.body_bytes;
    if (k.response_row >= 0) {
      Transaction& t = r_.transactions[static_cast<std::size_t>(k.response_row)];
      t.response_body = m.body_bytes;
      t.chunked = m.chunked;
    }
    k.response_row = -1;
  }

  // 101 Switching Protocols, or a tunnel opened by CONNECT: neither side speaks HTTP any more.
  void switch_protocols(Conn& k, Message& m) {
    m.tunnel = true;
    for (auto& p : k.parser)
      if (p) p->tunnel();
  }

  // Bytes of one side were lost (or were not HTTP): which response answers which request is no
  // longer known, so the requests awaiting one are given up (counted as unanswered).
  void lost(Conn& k) {
    ++r_.gaps;
    r_.unanswered_requests += k.pending.size();
    k.pending.clear();
    k.response_row = -1;
  }

  void end(Conn& k) {
    for (auto& p : k.parser)
      if (p) p->close();
    for (auto& p : k.parser)
      if (p) {
        r_.malformed += p->malformed();
        r_.resyncs += p->resyncs();
      }
    r_.unanswered_requests += k.pending.size();
    k.pending.clear();
    if (k.requests > 1) ++r_.keepalive_connections;
    findings(k);
  }

  void findings(const Conn& k) {
    if (!emit_) return;
    const auto& c = k.c;
    for (const auto& [code, t] : k.errors) {
      const bool server = code >= 500;
      Finding f{server ? Severity::error : Severity::warning, "application",
                server ? "http_server_error" : "http_client_error", t.first_ns, c.id,
                fmt::format("HTTP {} {} from {}{}{}", code_label(code), t.count == 1 ? "response" : fmt::format("x {}", t.count),
                            ep(c.server, c.server_port), t.what.empty() ? "" : " to ", t.what.empty() ? "" : t.what),
                fmt::format("The server answered {} with status {}: {}. {}", t.count == 1 ? "a request" : "requests",
                            code_label(code), status_explanation(code),
                            server ? "5xx codes are the server's (or a gateway's) failure: the request may have been "
                                     "valid."
                                   : "4xx codes put the fault with the request: its path, its credentials, its "
                                     "size or its rate.")};
      f.between(c.client, c.client_port, c.server, c.server_port);
      f.count = t.count;
      f.last_ns = t.last_ns;
      f.cause = std::to_string(code);
      f.subject = t.what;
      emit_(f);
    }
    if (const Trouble& t = k.slow; t.count) {
      Finding f{Severity::warning, "response time", "http_slow_response", t.first_ns, c.id,
                fmt::format("{} HTTP response{} from {} slower than {}, the slowest {} ({})", t.count,
                            t.count == 1 ? "" : "s", ep(c.server, c.server_port), ms(threshold_), ms(t.worst_ns), t.what),
                "The time from the request's last byte to the response's first byte was longer than the threshold "
                "(--rt-threshold): the server (or what it waited for: a database, a back end, a lock) took that "
                "long. Pipelined requests also wait for the responses before theirs."};
      f.between(c.client, c.client_port, c.server, c.server_port);
      f.count = t.count;
      f.last_ns = t.last_ns;
      f.subject = t.what;
      emit_(f);
    }
  }

  bool show_secrets_;
  std::int64_t threshold_;
  FindingSink emit_;
  std::shared_ptr<Section> s_;
  Report& r_;
  std::unordered_map<std::uint64_t, Conn> conns_;
  Samples rt_;
};

ModuleParts make(const ModuleContext& ctx) {
  auto section = std::make_shared<Section>();
  auto analyzer = std::make_unique<HttpAnalyzer>(ctx, section);
  return {std::move(section), std::move(analyzer)};
}

}  // namespace

}  // namespace ctana::http

namespace ctana {

const ProtocolModule& http_module() {
  using A = Area;
  static const ProtocolModule m{
      "http",
      "HTTP",
      {80, 8080},
      {},
      &http::probe,
      8192,
      &http::make,
      {
          {"http.requests", {"http", "requests"}, Unit::count, Better::neutral, "HTTP requests"},
          {"http.responses", {"http", "responses"}, Unit::count, Better::neutral, "HTTP final responses"},
          {"http.unanswered", {"http", "unanswered_requests"}, Unit::count, Better::lower, "HTTP requests never answered"},
          {"http.error_responses", {"http", "error_responses"}, Unit::count, Better::lower, "HTTP 4xx and 5xx responses"},
          {"http.client_errors", {"http", "status_classes", "4xx"}, Unit::count, Better::lower, "HTTP 4xx responses"},
          {"http.server_errors", {"http", "status_classes", "5xx"}, Unit::count, Better::lower, "HTTP 5xx responses"},
          {"http.slow_responses", {"http", "slow_responses"}, Unit::count, Better::lower,
           "HTTP responses slower than --rt-threshold"},
          {"http.response_time.median", {"http", "response_time", "median_s"}, Unit::seconds, Better::lower,
           "HTTP response time (request's last byte to response's first), median"},
          {"http.response_time.p95", {"http", "response_time", "p95_s"}, Unit::seconds, Better::lower,
           "HTTP response time, 95th percentile"},
          {"http.response_time.max", {"http", "response_time", "max_s"}, Unit::seconds, Better::lower,
           "HTTP response time, maximum"},
      },
      {
          {"http_client_error", "http", A::application, "HTTP client errors (4xx)"},
          {"http_server_error", "http", A::host, "HTTP server errors (5xx)"},
          {"http_slow_response", "http", A::host, "slow HTTP responses"},
      },
  };
  return m;
}

}  // namespace ctana
