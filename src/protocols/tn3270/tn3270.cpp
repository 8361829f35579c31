// The TN3270 / TN3270E module: its analyzer (negotiation, records, host response time per AID,
// who ended the session), its report section and its registration (docs/tn3270.md).
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "ctana/html_report.hpp"  // html_escape
#include "ctana/render.hpp"
#include "ctana/stats.hpp"
#include "protocols/tn3270/tn3270.hpp"

namespace ctana::tn3270 {

namespace {

constexpr std::size_t kMaxOpen = 100'000;   // connections followed at once
constexpr std::size_t kMaxRows = 1000;      // sessions kept for the report
constexpr std::size_t kMaxNames = 64;       // distinct terminal types counted by name; the rest as "other"
constexpr std::size_t kMaxTextRows = 20;    // sessions listed in the text summary
constexpr std::size_t kMaxHtmlRows = 200;

using json = nlohmann::ordered_json;

std::string ms(std::int64_t ns) { return ns >= 0 ? fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6) : "-"; }
json seconds(std::int64_t ns) { return ns >= 0 ? json(static_cast<double>(ns) / 1e9) : json(nullptr); }
std::string ep(const IpAddr& a, std::uint16_t port) {
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}
std::string hex(std::uint8_t b) { return fmt::format("0x{:02X}", b); }
// A record's kind for the counts: the command's or the AID's name, else its first byte.
std::string code_label(const Record& r) {
  if (!r.has_code) return r.length ? "other" : "empty";
  const auto n = r.from == Side::server ? command_name(r.code) : aid_name(r.code);
  return n.empty() ? hex(r.code) : std::string(n);
}

struct Times {  // a response-time distribution, as reported
  std::uint64_t samples = 0;
  std::int64_t median = -1, p95 = -1, max = -1;
  static Times of(const Samples& s) { return {s.count(), s.quantile(0.5), s.quantile(0.95), s.max()}; }
  json to_json() const {
    return {{"samples", samples}, {"median_s", seconds(median)}, {"p95_s", seconds(p95)}, {"max_s", seconds(max)}};
  }
};

struct SessionRow {
  std::uint64_t connection = 0;
  std::int64_t ts_ns = 0;
  std::string client, server;
  std::string mode;                // tn3270e, tn3270, nvt
  std::string terminal_type, device_type, lu_requested, lu;
  std::vector<std::string> functions;
  std::string rejected;            // the REJECT's reason name, "" when none
  std::uint64_t records_in = 0, records_out = 0, aids = 0, responses = 0, unanswered = 0, slow = 0;
  std::int64_t rt_max = -1;
  std::string ended_by;
};

struct Report {
  std::uint64_t connections = 0, untracked_connections = 0;
  std::uint64_t mode_tn3270e = 0, mode_tn3270 = 0, mode_nvt = 0;
  std::map<std::string, std::uint64_t> terminal_types, device_types;
  std::map<std::string, std::uint64_t> refused;         // "TERMINAL-TYPE by client" ...
  std::uint64_t tn3270e_refused = 0, devices_rejected = 0, start_tls = 0;
  std::map<std::string, std::uint64_t> reject_reasons;
  std::uint64_t records_in = 0, records_out = 0, lost = 0, malformed = 0, nvt_bytes = 0;
  std::map<std::string, std::uint64_t> commands, aids, data_types;
  std::uint64_t responses = 0, unanswered = 0, slow = 0;
  std::int64_t slow_threshold_ns = 0;
  Times rt;
  std::map<std::string, Times> rt_by_aid;
  std::uint64_t ended_client_fin = 0, ended_client_rst = 0, ended_host_fin = 0, ended_host_rst = 0, ended_open = 0;
  std::vector<SessionRow> sessions;
  std::uint64_t sessions_omitted = 0;
};

std::string join(const std::map<std::string, std::uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", k, group_digits(n));
  return s;
}
json object(const std::map<std::string, std::uint64_t>& m) {
  json o = json::object();
  for (const auto& [k, n] : m) o[k] = n;
  return o;
}
// "client_fin" -> "the terminal (FIN)" for the text summary.
std::string ended_text(const std::string& by) {
  if (by == "open") return "nobody (open at the end)";
  const auto u = by.find('_');
  if (u == std::string::npos) return by;
  std::string how = by.substr(u + 1);
  for (char& ch : how) ch = static_cast<char>(ch - 'a' + 'A');
  return fmt::format("the {} ({})", by.compare(0, u, "client") == 0 ? "terminal" : "host", how);
}
json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

class Section final : public ModuleSection {
 public:
  Report r;

  bool seen() const override { return r.connections > 0; }

  nlohmann::ordered_json json() const override {
    using J = nlohmann::ordered_json;
    J by_aid = J::object(), rows = J::array();
    for (const auto& [a, t] : r.rt_by_aid) by_aid[a] = t.to_json();
    for (const SessionRow& s : r.sessions) {
      J fn = J::array();
      for (const auto& f : s.functions) fn.push_back(f);
      rows.push_back({{"connection", s.connection},
                      {"time", iso_time(s.ts_ns)},
                      {"client", s.client},
                      {"server", s.server},
                      {"mode", s.mode},
                      {"terminal_type", str_or_null(s.terminal_type)},
                      {"device_type", str_or_null(s.device_type)},
                      {"lu_requested", str_or_null(s.lu_requested)},
                      {"lu", str_or_null(s.lu)},
                      {"functions", std::move(fn)},
                      {"rejected", str_or_null(s.rejected)},
                      {"records_from_host", s.records_out},
                      {"records_from_terminal", s.records_in},
                      {"aids", s.aids},
                      {"responses", s.responses},
                      {"unanswered_aids", s.unanswered},
                      {"slow_responses", s.slow},
                      {"response_time_max_s", seconds(s.rt_max)},
                      {"ended_by", s.ended_by}});
    }
    return {{"connections", r.connections},
            {"untracked_connections", r.untracked_connections},
            {"modes", {{"tn3270e", r.mode_tn3270e}, {"tn3270", r.mode_tn3270}, {"nvt", r.mode_nvt}}},
            {"negotiation",
             {{"terminal_types", object(r.terminal_types)},
              {"device_types", object(r.device_types)},
              {"refused", object(r.refused)},
              {"tn3270e_refused", r.tn3270e_refused},
              {"start_tls", r.start_tls},
              {"devices_rejected", r.devices_rejected},
              {"reject_reasons", object(r.reject_reasons)}}},
            {"records",
             {{"from_host", r.records_out},
              {"from_terminal", r.records_in},
              {"lost", r.lost},
              {"malformed", r.malformed},
              {"nvt_bytes", r.nvt_bytes}}},
            {"commands", object(r.commands)},
            {"aids", object(r.aids)},
            {"data_types", object(r.data_types)},
            {"responses", r.responses},
            {"unanswered_aids", r.unanswered},
            {"slow_responses", r.slow},
            {"slow_threshold_s", static_cast<double>(r.slow_threshold_ns) / 1e9},
            {"response_time", r.rt.to_json()},
            {"response_time_by_aid", std::move(by_aid)},
            {"ended_by",
             {{"client_fin", r.ended_client_fin},
              {"client_rst", r.ended_client_rst},
              {"host_fin", r.ended_host_fin},
              {"host_rst", r.ended_host_rst},
              {"open", r.ended_open}}},
            {"sessions", std::move(rows)},
            {"sessions_omitted", r.sessions_omitted}};
  }

  std::string text() const override {
    std::string o;
    auto line = [&o](const std::string& s) { o += s + "\n"; };
    line("");
    line(fmt::format("TN3270: {} session{} ({} TN3270E, {} TN3270, {} stayed in NVT mode)", group_digits(r.connections),
                     r.connections == 1 ? "" : "s", group_digits(r.mode_tn3270e), group_digits(r.mode_tn3270),
                     group_digits(r.mode_nvt)));
    if (!r.terminal_types.empty()) line("  Terminal types: " + join(r.terminal_types));
    if (!r.device_types.empty()) line("  TN3270E device types: " + join(r.device_types));
    if (!r.refused.empty() || r.tn3270e_refused || r.devices_rejected) {
      std::string s = fmt::format("  Negotiation: TN3270E refused {} time{} (TN3270 used instead), {} device{} rejected",
                                  r.tn3270e_refused, r.tn3270e_refused == 1 ? "" : "s", r.devices_rejected,
                                  r.devices_rejected == 1 ? "" : "s");
      if (!r.reject_reasons.empty()) s += " (" + join(r.reject_reasons) + ")";
      if (!r.refused.empty()) s += "; refused: " + join(r.refused);
      line(s);
    }
    if (r.records_out || r.records_in)
      line(fmt::format("  Records: {} from the host{}, {} from terminals{}", group_digits(r.records_out),
                       r.commands.empty() ? "" : " (" + join(r.commands) + ")", group_digits(r.records_in),
                       r.aids.empty() ? "" : " (" + join(r.aids) + ")"));
    if (!r.data_types.empty()) line("  TN3270E data types: " + join(r.data_types));
    if (r.start_tls)
      line(fmt::format("  {} session{} switched to TLS (START_TLS): not read past that point", group_digits(r.start_tls),
                       r.start_tls == 1 ? "" : "s"));
    if (r.lost || r.malformed)
      line(fmt::format("  {} records lost (bytes not captured, or cut by the end), {} malformed", group_digits(r.lost),
                       group_digits(r.malformed)));
    if (r.rt.samples || r.unanswered) {
      line(fmt::format("  Host response time (key pressed to the host's next write): median {}, 95th percentile {}, "
                       "longest {}; {} slower than {}; {} key{} never answered",
                       ms(r.rt.median), ms(r.rt.p95), ms(r.rt.max), group_digits(r.slow), ms(r.slow_threshold_ns),
                       group_digits(r.unanswered), r.unanswered == 1 ? "" : "s"));
      for (const auto& [a, t] : r.rt_by_aid)
        line(fmt::format("    {:<8} {:>6} answered, median {}, longest {}", a, group_digits(t.samples), ms(t.median),
                         ms(t.max)));
    }
    line(fmt::format("  Ended by: the terminal {} (FIN {}, RST {}), the host {} (FIN {}, RST {}), open at the end {}",
                     group_digits(r.ended_client_fin + r.ended_client_rst), group_digits(r.ended_client_fin),
                     group_digits(r.ended_client_rst), group_digits(r.ended_host_fin + r.ended_host_rst),
                     group_digits(r.ended_host_fin), group_digits(r.ended_host_rst), group_digits(r.ended_open)));
    if (r.untracked_connections)
      line(fmt::format("  {} connections not followed (table full)", group_digits(r.untracked_connections)));
    std::size_t shown = 0;
    for (const SessionRow& s : r.sessions) {
      if (shown++ == kMaxTextRows) {
        line("  ... (ctana summary --json lists every session kept)");
        break;
      }
      std::string what = s.mode == "tn3270e" ? "TN3270E" : s.mode == "tn3270" ? "TN3270" : "NVT";
      if (!s.terminal_type.empty()) what += " " + s.terminal_type;
      if (!s.lu.empty()) what += " LU " + s.lu;
      if (!s.rejected.empty()) what += " (device rejected: " + s.rejected + ")";
      line(fmt::format("  Conn {:<5} {} -> {} {}: {} records from the host, {} keys ({} answered, longest {}), ended by {}",
                       s.connection, s.client, s.server, what, s.records_out, s.aids, s.responses, ms(s.rt_max),
                       ended_text(s.ended_by)));
    }
    return o;
  }

  std::string html() const override {
    auto e = [](std::string_view s) { return html_escape(s); };
    std::string o = "<section id=\"tn3270\"><h2>TN3270</h2>\n";
    o += fmt::format("<p>{} sessions ({} TN3270E, {} TN3270, {} NVT only); {} records from the host, {} from terminals; "
                     "host response time median {}, 95th percentile {}, longest {}; {} keys never answered.</p>\n",
                     group_digits(r.connections), group_digits(r.mode_tn3270e), group_digits(r.mode_tn3270),
                     group_digits(r.mode_nvt), group_digits(r.records_out), group_digits(r.records_in), e(ms(r.rt.median)),
                     e(ms(r.rt.p95)), e(ms(r.rt.max)), group_digits(r.unanswered));
    o += "<div class=\"scroll\"><table><thead><tr><th class=\"n\">conn</th><th>time</th><th>client</th><th>server</th>"
         "<th>mode</th><th>terminal</th><th>LU</th><th class=\"n\">keys</th><th class=\"n\">longest response</th>"
         "<th>ended by</th></tr></thead><tbody>\n";
    std::size_t n = 0;
    for (const SessionRow& s : r.sessions) {
      if (n++ == kMaxHtmlRows) break;
      o += fmt::format("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td>"
                       "<td>{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td>{}</td></tr>\n",
                       s.connection, e(text_time(s.ts_ns)), e(s.client), e(s.server), s.rejected.empty() ? "" : "err",
                       e(s.mode), e(s.terminal_type), e(s.lu), s.aids, s.slow ? " warn" : "", e(ms(s.rt_max)),
                       e(ended_text(s.ended_by)));
    }
    o += "</tbody></table></div>\n";
    if (r.sessions.size() > kMaxHtmlRows || r.sessions_omitted)
      o += fmt::format("<p class=\"mut\">The first {} of {} sessions.</p>\n", std::min(kMaxHtmlRows, r.sessions.size()),
                       group_digits(r.sessions.size() + r.sessions_omitted));
    return o + "</section>\n";
  }
};

struct Conn {
  std::uint64_t id = 0;
  IpAddr client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::int64_t first_ns = 0;
  std::unique_ptr<Session> session;
  bool counted = false;
  // The key waiting for the host's answer: its name and the time of its record's IAC EOR.
  std::optional<std::pair<std::string, std::int64_t>> waiting;
  std::uint64_t records_in = 0, records_out = 0, aids = 0, responses = 0, unanswered = 0, slow = 0;
  std::int64_t rt_max = -1, slow_first = 0, slow_last = 0, slow_worst = -1, unanswered_first = 0, unanswered_last = 0;
  std::string slow_aid, unanswered_aid;
  struct Refusal {
    Side by;
    std::uint8_t opt;
    std::int64_t ts;
  };
  std::vector<Refusal> refusals;  // at most one per side and option
  int rejected = -2;
  std::int64_t rejected_ns = 0;
  std::int64_t host_gap_ns = INT64_MIN;  // when the last gap in the host's bytes was given up
};

class Tn3270Analyzer final : public ModuleAnalyzer {
 public:
  Tn3270Analyzer(const ModuleContext& ctx, std::shared_ptr<Section> s)
      : threshold_(ctx.rt_threshold_ns), emit_(ctx.findings), s_(std::move(s)), r_(s_->r) {
    r_.slow_threshold_ns = threshold_;
  }

  bool wants(const TcpConnection& c) override {
    if (conns_.size() >= kMaxOpen) {
      ++r_.untracked_connections;
      return false;
    }
    auto [it, fresh] = conns_.try_emplace(c.id);
    if (!fresh) return true;
    Conn& k = it->second;
    k.id = c.id;
    k.client = c.client;
    k.server = c.server;
    k.client_port = c.client_port;
    k.server_port = c.server_port;
    k.first_ns = c.first_ns;
    SessionEvents ev;
    ev.record = [this, &k](const Record& rec) { record(k, rec); };
    ev.refused = [&k](Side by, std::uint8_t opt, std::int64_t ts) {
      for (const auto& x : k.refusals)
        if (x.by == by && x.opt == opt) return;
      k.refusals.push_back({by, opt, ts});
    };
    ev.device_rejected = [&k](int reason, std::int64_t ts) {
      if (k.rejected == -2) k.rejected_ns = ts;
      k.rejected = reason;
    };
    k.session = std::make_unique<Session>(std::move(ev));
    return true;
  }

  void on_data(const TcpConnection& c, Side from, std::uint64_t, Bytes data, std::int64_t ts) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    Conn& k = it->second;
    if (!k.counted) {
      k.counted = true;
      ++r_.connections;
    }
    k.session->data(from, data, ts);
  }

  void on_gap(const TcpConnection& c, Side from, std::uint64_t, std::uint64_t length, std::int64_t ts) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    it->second.session->gap(from, length);
    if (from == Side::server) it->second.host_gap_ns = ts;
  }

  void on_close(const TcpConnection& c) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    std::string by = "open";
    if (c.reset_by) by = *c.reset_by == Side::client ? "client_rst" : "host_rst";
    else if (c.first_fin_by) by = *c.first_fin_by == Side::client ? "client_fin" : "host_fin";
    end(it->second, by);
    conns_.erase(it);
  }

  void finish() override {
    for (auto& [id, k] : conns_) end(k, "open");
    conns_.clear();
    r_.rt = Times::of(rt_);
    for (const auto& [a, s] : rt_by_aid_) r_.rt_by_aid[a] = Times::of(s);
  }

 private:
  void record(Conn& k, const Record& rec) {
    if (rec.tn3270e) ++r_.data_types[data_type_name(rec.data_type)];
    const bool host = rec.from == Side::server;
    if (host) {
      ++r_.records_out;
      ++k.records_out;
    } else {
      ++r_.records_in;
      ++k.records_in;
    }
    if (rec.data_type != 0 && rec.data_type != 7) return;  // not 3270 data: a response, a BIND image, SCS...
    auto& counts = host ? r_.commands : r_.aids;
    const std::string label = code_label(rec);
    if (counts.size() < kMaxNames || counts.count(label)) ++counts[label];
    else ++counts["other"];
    if (!host) {
      if (!rec.has_code || !is_user_aid(rec.code)) return;
      ++k.aids;
      if (k.waiting) unanswered(k);  // a second key before the host answered the first
      k.waiting = std::make_pair(label, rec.last_ns);
      return;
    }
    if (!rec.has_code || !is_write_command(rec.code) || !k.waiting) return;
    // A write delivered late, after bytes of the host were given up for lost (its bytes carry the
    // time they were delivered, not sent), or one that began before the key, answers nothing.
    if (rec.first_ns <= k.host_gap_ns || rec.first_ns < k.waiting->second) return;
    const auto [aid, since] = *k.waiting;
    k.waiting.reset();
    const std::int64_t rt = rec.first_ns - since;
    rt_.add(rt);
    auto& per = rt_by_aid_[rt_by_aid_.size() < kMaxNames || rt_by_aid_.count(aid) ? aid : std::string("other")];
    per.add(rt);
    ++r_.responses;
    ++k.responses;
    k.rt_max = std::max(k.rt_max, rt);
    if (rt > threshold_) {
      ++r_.slow;
      if (!k.slow++) k.slow_first = since;
      k.slow_last = since;
      if (rt > k.slow_worst) {
        k.slow_worst = rt;
        k.slow_aid = aid;
      }
    }
  }

  void unanswered(Conn& k) {
    ++r_.unanswered;
    if (!k.unanswered++) {
      k.unanswered_first = k.waiting->second;
      k.unanswered_aid = k.waiting->first;
    }
    k.unanswered_last = k.waiting->second;
    k.waiting.reset();
  }

  void end(Conn& k, const std::string& by) {
    k.session->close();
    if (k.waiting) unanswered(k);
    const Session& ss = *k.session;
    const Negotiation& n = ss.negotiation();
    r_.lost += ss.lost_records();
    if (ss.start_tls()) ++r_.start_tls;
    r_.malformed += ss.malformed();
    r_.nvt_bytes += ss.nvt_bytes(Side::client) + ss.nvt_bytes(Side::server);
    if (!k.counted) return;  // no byte: not a session to report
    if (by == "client_fin") ++r_.ended_client_fin;
    else if (by == "client_rst") ++r_.ended_client_rst;
    else if (by == "host_fin") ++r_.ended_host_fin;
    else if (by == "host_rst") ++r_.ended_host_rst;
    else ++r_.ended_open;
    const std::string mode = n.tn3270e() ? "tn3270e" : ss.records_seen() ? "tn3270" : "nvt";
    if (mode == "tn3270e") ++r_.mode_tn3270e;
    else if (mode == "tn3270") ++r_.mode_tn3270;
    else ++r_.mode_nvt;
    auto count_name = [](std::map<std::string, std::uint64_t>& m, const std::string& s) {
      if (s.empty()) return;
      if (m.size() < kMaxNames || m.count(s)) ++m[s];
      else ++m["other"];
    };
    count_name(r_.terminal_types, n.terminal_type);
    count_name(r_.device_types, n.device_type);
    for (const auto& x : k.refusals) {
      if (x.opt == telnet::TN3270E) ++r_.tn3270e_refused;
      else count_name(r_.refused, fmt::format("{} by {}", option_name(x.opt), x.by == Side::client ? "terminal" : "host"));
    }
    std::string rejected;
    if (k.rejected != -2) {
      ++r_.devices_rejected;
      rejected = k.rejected >= 0 ? reason_name(static_cast<std::uint8_t>(k.rejected)) : std::string("no reason given");
      count_name(r_.reject_reasons, rejected);
    }
    if (r_.sessions.size() < kMaxRows) {
      SessionRow s;
      s.connection = k.id;
      s.ts_ns = k.first_ns;
      s.client = ep(k.client, k.client_port);
      s.server = ep(k.server, k.server_port);
      s.mode = mode;
      s.terminal_type = n.terminal_type;
      s.device_type = n.device_type;
      s.lu_requested = n.lu_requested;
      s.lu = n.lu;
      for (const std::uint8_t f : n.functions_is ? n.functions : n.functions_requested) s.functions.push_back(function_name(f));
      s.rejected = rejected;
      s.records_in = k.records_in;
      s.records_out = k.records_out;
      s.aids = k.aids;
      s.responses = k.responses;
      s.unanswered = k.unanswered;
      s.slow = k.slow;
      s.rt_max = k.rt_max;
      s.ended_by = by;
      r_.sessions.push_back(std::move(s));
    } else {
      ++r_.sessions_omitted;
    }
    findings(k, n, rejected, mode);
  }

  void findings(const Conn& k, const Negotiation& n, const std::string& rejected, const std::string& mode) {
    if (!emit_) return;
    const std::string server = ep(k.server, k.server_port);
    auto stamp = [&k](Finding& f) { f.between(k.client, k.client_port, k.server, k.server_port); };
    for (const auto& x : k.refusals) {
      const bool e3270 = x.opt == telnet::TN3270E;
      const std::string who = x.by == Side::client ? "terminal" : "host";
      Finding f{e3270 ? Severity::info : Severity::warning, "application", "tn3270_option_refused", x.ts, k.id,
                fmt::format("The {} refused Telnet option {} on the session with {}{}", who, option_name(x.opt), server,
                            e3270 ? " (TN3270 used instead)" : mode == "nvt" ? " (the session stayed in NVT mode)" : ""),
                e3270 ? "One side answered WONT/DONT to TN3270E (RFC 2355): the session falls back to plain TN3270 "
                        "(RFC 1576), without LU names, TN3270E headers, SNA responses or SYSREQ. Usual when the "
                        "client or the server does not support TN3270E, or is configured not to."
                      : "A 3270 session needs TERMINAL-TYPE (an IBM-3278/3279 type), BINARY and EOR in both "
                        "directions (RFC 1576). A refusal means the client is not a 3270 emulator (a plain Telnet "
                        "client) or the server does not offer 3270 on this port: the session stays a line-mode "
                        "Telnet (NVT) session, or the host closes it."};
      stamp(f);
      f.cause = option_name(x.opt);
      f.subject = who;
      emit_(f);
    }
    if (k.rejected != -2) {
      const std::string meaning =
          k.rejected >= 0 ? std::string(reason_meaning(static_cast<std::uint8_t>(k.rejected))) : "the server gave no REASON";
      Finding f{Severity::error, "application", "tn3270e_device_rejected", k.rejected_ns, k.id,
                fmt::format("TN3270E DEVICE-TYPE rejected by {}: {}{}", server, rejected,
                            n.lu_requested.empty() ? "" : " (LU " + n.lu_requested + " asked for)"),
                fmt::format("The TN3270E server answered the client's DEVICE-TYPE REQUEST with REJECT (RFC 2355): {}. "
                            "The client may retry without the name, fall back to TN3270, or give up; check the LU "
                            "name and device type the client asks for against the server's definitions (on z/OS, "
                            "the TN3270E server profile's LU pools and mappings).",
                            meaning)};
      stamp(f);
      f.cause = rejected;
      f.subject = n.lu_requested;
      emit_(f);
    }
    if (k.slow) {
      Finding f{Severity::warning, "response time", "tn3270_slow_response", k.slow_first, k.id,
                fmt::format("{} 3270 response{} from {} slower than {}, the slowest {} (after {})", k.slow,
                            k.slow == 1 ? "" : "s", server, ms(threshold_), ms(k.slow_worst), k.slow_aid),
                "The time from the terminal's key (the record with its AID) to the host's next write to the screen "
                "was longer than the threshold (--rt-threshold, 1 s by default: the classic sub-second goal for "
                "3270 response time). It is the response time the user feels: the application (CICS, IMS, TSO), "
                "what it waited for, or VTAM/TN3270 server queuing."};
      stamp(f);
      f.count = k.slow;
      f.last_ns = k.slow_last;
      f.subject = k.slow_aid;
      emit_(f);
    }
    if (k.unanswered) {
      Finding f{Severity::warning, "response time", "tn3270_no_response", k.unanswered_first, k.id,
                fmt::format("{} key{} ({}{}) on the session with {} never answered by a host write", k.unanswered,
                            k.unanswered == 1 ? "" : "s", k.unanswered_aid, k.unanswered > 1 ? ", ..." : "", server),
                "The terminal sent a key (an AID record) and the host wrote nothing to the screen before the next key "
                "or the end of the session: the user saw X SYSTEM / X CLOCK and waited, pressed another key (PA1, "
                "Reset, SysReq) or gave up. The application or the path to it did not answer."};
      stamp(f);
      f.count = k.unanswered;
      f.last_ns = k.unanswered_last;
      f.subject = k.unanswered_aid;
      emit_(f);
    }
  }

  std::int64_t threshold_;
  FindingSink emit_;
  std::shared_ptr<Section> s_;
  Report& r_;
  std::unordered_map<std::uint64_t, Conn> conns_;
  Samples rt_;
  std::map<std::string, Samples> rt_by_aid_;
};

ModuleParts make(const ModuleContext& ctx) {
  auto section = std::make_shared<Section>();
  auto analyzer = std::make_unique<Tn3270Analyzer>(ctx, section);
  return {std::move(section), std::move(analyzer)};
}

}  // namespace

}  // namespace ctana::tn3270

namespace ctana {

const ProtocolModule& tn3270_module() {
  using A = Area;
  static const ProtocolModule m{
      "tn3270",
      "TN3270",
      {23},
      {},
      &tn3270::probe,
      3,
      &tn3270::make,
      {
          {"tn3270.sessions", {"tn3270", "connections"}, Unit::count, Better::neutral, "TN3270/Telnet sessions"},
          {"tn3270.aids", {"tn3270", "records", "from_terminal"}, Unit::count, Better::neutral,
           "3270 records from terminals"},
          {"tn3270.unanswered_aids", {"tn3270", "unanswered_aids"}, Unit::count, Better::lower,
           "3270 keys the host never answered with a write"},
          {"tn3270.slow_responses", {"tn3270", "slow_responses"}, Unit::count, Better::lower,
           "3270 host responses slower than --rt-threshold"},
          {"tn3270.devices_rejected", {"tn3270", "negotiation", "devices_rejected"}, Unit::count, Better::lower,
           "TN3270E DEVICE-TYPE requests rejected"},
          {"tn3270.response_time.median", {"tn3270", "response_time", "median_s"}, Unit::seconds, Better::lower,
           "3270 host response time (key to the host's next write), median"},
          {"tn3270.response_time.p95", {"tn3270", "response_time", "p95_s"}, Unit::seconds, Better::lower,
           "3270 host response time, 95th percentile"},
          {"tn3270.response_time.max", {"tn3270", "response_time", "max_s"}, Unit::seconds, Better::lower,
           "3270 host response time, maximum"},
      },
      {
          {"tn3270_option_refused", "tn3270", A::configuration, "Telnet options refused in TN3270 negotiation"},
          {"tn3270e_device_rejected", "tn3270", A::configuration, "TN3270E device (LU) requests rejected"},
          {"tn3270_slow_response", "tn3270", A::host, "slow 3270 host responses"},
          {"tn3270_no_response", "tn3270", A::host, "3270 keys never answered by the host"},
      },
  };
  return m;
}

}  // namespace ctana
