// `ctana ftp` and `ctana dns`: the FTP command logs and the DNS transactions as text (docs/cli.md).
#include <fmt/format.h>

#include <string>

#include "ctana/dns.hpp"
#include "ctana/ftp.hpp"
#include "ctana/render.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace {

using text::clock_time;
using text::line;

std::string ends(const IpAddr& a, std::uint16_t port) {
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}

std::string millis(std::int64_t ns) { return ns < 0 ? std::string("-") : fmt::format("{:.3f}", static_cast<double>(ns) / 1e6); }

}  // namespace

std::string render_ftp_log_text(const SummaryReport& r) {
  std::string o;
  const auto& f = r.ftp;
  if (!f.present || f.sessions.empty()) {
    line(o, "No FTP control connection in the trace.");
    return o;
  }
  line(o, "FTP command log: {} session{} (PASS and ACCT arguments masked; latency: command to final reply)",
       group_digits(f.sessions_total), f.sessions_total == 1 ? "" : "s");
  for (const auto& s : f.sessions) {
    line(o, "");
    line(o, "Conn {} {} -> {}{}: login {}, {} commands, ended {}", s.connection, ends(s.client, s.client_port),
         ends(s.server, s.server_port), s.user.empty() ? "" : fmt::format(" user {}", s.user), s.login, s.commands,
         s.end.empty() ? "-" : s.end);
    if (s.log.empty()) {
      line(o, "  (no command seen{})", s.tls ? ": the session is encrypted" : "");
      continue;
    }
    line(o, "  {:<15} {:<6} {:<30} {:>5} {:>10}  {}", "TimeStamp", "Cmd", "Argument", "Reply", "Latency ms", "Reply text");
    for (const auto& c : s.log)
      line(o, "  {:<15} {:<6} {:<30} {:>5} {:>10}  {}", clock_time(c.ts_ns), c.verb, c.arg.size() > 30 ? c.arg.substr(0, 27) + "..." : c.arg,
           c.reply ? std::to_string(c.reply) : std::string("-"), millis(c.latency_ns), c.reply_text);
    if (s.commands > s.log.size()) line(o, "  ... {} more commands not listed", group_digits(s.commands - s.log.size()));
    if (s.tls) line(o, "  (AUTH accepted: the rest of the session is encrypted)");
  }
  if (f.sessions_total > f.sessions.size())
    line(o, "... {} more sessions not listed", group_digits(f.sessions_total - f.sessions.size()));
  return o;
}

std::string render_dns_log_text(const SummaryReport& r) {
  std::string o;
  const auto& d = r.dns;
  if (!d.present || d.transactions.empty()) {
    line(o, "No DNS query in the trace.");
    return o;
  }
  line(o, "DNS transactions: {} queries, {} answered, {} unanswered, {} retries (latency: first query to response)",
       group_digits(d.queries), group_digits(d.answered), group_digits(d.unanswered), group_digits(d.retries));
  line(o, "");
  line(o, "{:<15} {:<22} {:<22} {:<6} {:<6} {:<32} {:<10} {:>10} {:>3}  {}", "TimeStamp", "Client", "Server", "Id", "Type",
       "Name", "Outcome", "Latency ms", "Try", "Answer");
  for (const auto& x : d.transactions) {
    std::string answer = x.first_answer;
    if (x.answers > 1) answer += fmt::format(" (+{})", x.answers - 1);
    line(o, "{:<15} {:<22} {:<22} 0x{:04x} {:<6} {:<32} {:<10} {:>10} {:>3}  {}{}", clock_time(x.ts_ns),
         ends(x.client, x.client_port), ends(x.server, x.server_port), x.id, x.type, x.name, x.outcome,
         millis(x.latency_ns), x.retries + 1, answer, x.tcp ? " [TCP]" : "");
  }
  if (d.transactions_not_listed) line(o, "... {} more queries not listed", group_digits(d.transactions_not_listed));
  return o;
}

}  // namespace ctana
