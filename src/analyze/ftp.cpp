// FTP session analysis on the reassembled control streams (docs/ftp.md).
#include "ctana/ftp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <unordered_map>

namespace ctana {

namespace {

constexpr std::size_t kMaxLine = 8192;       // longer control lines are cut
constexpr std::size_t kMaxSessions = 1000;   // sessions kept for the report
constexpr std::size_t kMaxRows = 1000;       // commands and transfers kept per session
constexpr std::uint32_t kMaxErrorFindings = 10;  // per session; the rest are summed up
constexpr std::size_t kMaxReplyText = 1000;  // of a multi-line reply, kept for the log and findings
constexpr std::size_t kMaxClients = 100'000;   // clients whose failed logins are counted (brute force)

std::string ep(const IpAddr& a, std::uint16_t port) {
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}

// z/OS system completion (abend) codes an FTP server quotes when a data set operation failed
// ("451-System completion code and reason: B37-04"), with what they mean and what to change.
struct Abend {
  std::string_view code, meaning, hint;
};
constexpr Abend kAbends[] = {
    {"B37", "the data set is out of space: it has all the extents it may have on this volume (16) or the volume "
            "is full, and it could not be extended",
     "Allocate it larger (SITE PRIMARY=/SECONDARY= with TRACKS or CYLINDERS, or a larger SPACE in the data set's "
     "data class), or on more volumes (SITE VOLUME= / UNIT=), or compress a full PDS."},
    {"D37", "the data set's primary space is full and no secondary space was given",
     "Give secondary space (SITE SECONDARY=) or a larger primary allocation (SITE PRIMARY=)."},
    {"E37", "the data set has used all the volumes or extents it may have (a PDS cannot go to another volume; "
            "a PDS directory or the 16 extents per volume are full)",
     "Allocate it larger or on more volumes (SITE PRIMARY=/SECONDARY=, SITE VOLUME=), or compress a full PDS."},
    {"B14", "a PDS member could not be stored: the directory is full or the member name is not valid",
     "Compress the PDS or allocate it with more directory blocks (SITE DIRECTORY=), or use a PDSE."},
    {"213", "the data set was not found on the volume the catalog names",
     "Check the catalog entry and the volume (LISTCAT, ISPF 3.4)."},
    {"913", "the security product (RACF) denied access to the data set",
     "Check the user's RACF access to the data set profile (the ICH408I message in SYSLOG names it)."},
    {"722", "the job's output line limit was exceeded", "Raise the output limit (LINES on the JOB or JES2 defaults)."},
    {"80A", "not enough virtual storage (region) for the request", "Give the FTP server or the job a larger REGION."},
    {"878", "not enough virtual storage (region) for the request", "Give the FTP server or the job a larger REGION."},
    {"322", "the job exceeded its CPU time limit", "Raise TIME on the JOB or EXEC statement."},
};

// The abend code quoted in a reply, and its reason code after a '-' if any: "System completion code
// and reason: B37-04", "ABEND B37-04", "SB37". Empty when none of kAbends.
std::string_view abend_in(std::string_view text, std::string& reason) {
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    for (const Abend& a : kAbends) {
      if (text.compare(i, 3, a.code) != 0) continue;
      // a word of its own, or after the 'S' of a system code: "B37", "SB37", ": 913-38"
      std::size_t start = i;
      if (start > 0 && (text[start - 1] == 'S' || text[start - 1] == 's')) --start;
      const bool left = start == 0 || !std::isalnum(static_cast<unsigned char>(text[start - 1]));
      const std::size_t end = i + 3;
      const bool right = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
      if (!left || !right) continue;
      reason.clear();
      for (std::size_t j = end + 1; end < text.size() && text[end] == '-' && j < text.size() && j < end + 9 &&
                                    std::isxdigit(static_cast<unsigned char>(text[j]));
           ++j)
        reason += text[j];
      return a.code;
    }
  }
  return {};
}

const Abend* abend_info(std::string_view code) {
  for (const Abend& a : kAbends)
    if (a.code == code) return &a;
  return nullptr;
}

struct Pending {
  std::string verb;
  std::int64_t ts = 0;
  long row = -1;       // index into the session's log, -1 when the log is full
  long transfer = -1;  // index into the session's transfers
};

struct Expect {
  std::size_t session;          // index into Impl::sessions
  long transfer = -1;           // the transfer it carries, once the command came
  IpAddr addr;
  std::uint16_t port = 0;
  bool passive = false;
  std::int64_t ts = 0;
  bool matched = false;
  std::string announced;        // "PORT 137,72,43,137,40,196" / "227 ... (h,p)"
};

struct Ctl {
  long session = -1;            // index into Impl::sessions; -1 beyond the report's cap
  FtpSession scratch;           // the session when it is not kept for the report
  std::string buf[2];
  bool skip[2] = {false, false};  // after a gap: drop the rest of the broken line
  std::deque<Pending> pending;
  int multiline = 0;            // code of the multi-line reply being read, 0 outside one
  std::string multitext;        // its lines so far, joined with " / " (at most kMaxReplyText)
  std::string user;
  long open_expect = -1;        // expectation waiting for its transfer command
  std::uint64_t line_end[2] = {0, 0};  // stream offset after the line being handled
  std::uint64_t auth_end = 0;   // stream offset after the last AUTH command
  std::uint32_t error_findings = 0, errors_more = 0;
  // the longest command -> reply times: of login refusals (530 to USER/PASS), of 425 replies (the
  // server waited for a data connection that never came), and of the rest
  std::int64_t longest_refusal_ns = 0, longest_no_data_ns = 0, longest_other_ns = 0;
};

}  // namespace

struct FtpAnalyzer::Impl {
  FtpOptions opt;
  FtpReport& out;
  FindingSink emit;
  std::deque<FtpSession> sessions;      // the first kMaxSessions, kept for the report
  std::unordered_map<std::uint64_t, Ctl> ctl;  // by TCP connection number
  std::vector<Expect> expects;
  struct Endpoint {
    IpAddr addr;
    std::uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
  };
  struct EndpointHash {
    std::size_t operator()(const Endpoint& e) const noexcept { return hash_endpoints(e.addr, e.addr, e.port, e.port); }
  };
  std::unordered_multimap<Endpoint, std::size_t, EndpointHash> expect_index;  // -> expects[]
  std::map<std::string, std::uint32_t> failed_by_client;  // brute force
  std::map<std::string, std::int64_t> first_failed_ns;    // the time of each client's first failed login
  std::map<std::string, std::uint64_t> commands;
  std::map<int, std::uint64_t> codes;
  std::function<void(const TcpConnection&, std::uint64_t, std::uint64_t)> tls_cb;
  const TcpConnection* cur = nullptr;  // the connection whose data is being read

  Impl(FtpOptions o, FtpReport& r, FindingSink f) : opt(std::move(o)), out(r), emit(std::move(f)) {}

  // `on`: the control session it is about (its endpoints go into the finding); `cause` splits the
  // kind into groups (a reply code), `subject` is counted in the group (a user).
  void finding(Severity s, const char* kind, std::int64_t ts, std::uint64_t conn, std::string sum, std::string expl,
               const FtpSession* on = nullptr, std::string cause = {}, std::string subject = {}, std::string hint = {}) {
    if (!emit) return;
    Finding f{s, "application", kind, ts, conn, std::move(sum), std::move(expl)};
    f.hint = std::move(hint);
    if (on) f.between(on->client, on->client_port, on->server, on->server_port);
    f.cause = std::move(cause);
    f.subject = std::move(subject);
    emit(f);
  }

  FtpSession& sess(Ctl& k) { return k.session >= 0 ? sessions[static_cast<std::size_t>(k.session)] : k.scratch; }
  void expect(Ctl& k, const IpAddr& a, std::uint16_t port, bool passive, std::int64_t ts, std::string announced) {
    if (k.session < 0) return;  // nothing to link it to
    if (expects.size() >= opt.max_expects) {
      ++out.data_connections_untracked;
      return;
    }
    expects.push_back(Expect{static_cast<std::size_t>(k.session), -1, a, port, passive, ts, false, std::move(announced)});
    expect_index.emplace(Endpoint{a, port}, expects.size() - 1);
    k.open_expect = static_cast<long>(expects.size() - 1);
  }
  void client_line(FtpSession& s, Ctl& k, std::string_view line, std::int64_t ts);
  void server_line(FtpSession& s, Ctl& k, std::string_view line, std::int64_t ts);
  // `text`: the reply's text (every line of a multi-line one); `last_line`: its last line, when that
  // is not all of it
  void final_reply(FtpSession& s, Ctl& k, int code, std::string_view text, std::int64_t ts,
                   std::string_view last_line = {});
  void lines(FtpSession& s, Ctl& k, Side from, std::uint64_t off, Bytes data, std::int64_t ts);
  void link_transfer(const TcpConnection& c, const Expect& e, bool swapped);
};

FtpAnalyzer::FtpAnalyzer(FtpOptions opt, FtpReport& out, FindingSink findings)
    : impl_(std::make_unique<Impl>(std::move(opt), out, std::move(findings))) {
  out.present = true;
}
FtpAnalyzer::~FtpAnalyzer() = default;

bool FtpAnalyzer::wants(const TcpConnection& c) {
  auto& im = *impl_;
  if (std::find(im.opt.control_ports.begin(), im.opt.control_ports.end(), c.server_port) == im.opt.control_ports.end())
    return false;
  if (im.ctl.size() >= im.opt.max_open) {
    ++im.out.sessions_untracked;
    return false;
  }
  ++im.out.sessions_total;
  Ctl& k = im.ctl[c.id];
  if (im.sessions.size() < kMaxSessions) {
    im.sessions.emplace_back();
    k.session = static_cast<long>(im.sessions.size() - 1);
  }
  FtpSession& s = im.sess(k);
  s.connection = c.id;
  s.client = c.client;
  s.server = c.server;
  s.client_port = c.client_port;
  s.server_port = c.server_port;
  s.first_ns = s.last_ns = c.first_ns;
  return true;
}

void FtpAnalyzer::Impl::lines(FtpSession& s, Ctl& k, Side from, std::uint64_t off, Bytes data, std::int64_t ts) {
  const std::size_t d = index(from);
  std::string& b = k.buf[d];
  std::size_t next_i = 0;
  for (const std::uint8_t ch : data) {
    const std::size_t i = next_i++;
    if (s.tls) return;  // after AUTH TLS: encrypted
    if (ch == '\n') {
      k.line_end[d] = off + i + 1;
      if (!k.skip[d]) {
        std::string_view line(b);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (from == Side::client) client_line(s, k, line, ts);
        else server_line(s, k, line, ts);
      }
      k.skip[d] = false;
      b.clear();
    } else if (!k.skip[d] && b.size() < kMaxLine) {
      b.push_back(static_cast<char>(ch));
    }
  }
}

void FtpAnalyzer::on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) {
  auto it = impl_->ctl.find(c.id);
  if (it == impl_->ctl.end()) return;
  FtpSession& s = impl_->sess(it->second);
  s.last_ns = std::max(s.last_ns, ts);
  impl_->cur = &c;
  impl_->lines(s, it->second, from, offset, data, ts);
  impl_->cur = nullptr;
}

const std::vector<std::uint16_t>& FtpAnalyzer::control_ports() const { return impl_->opt.control_ports; }

void FtpAnalyzer::on_tls(std::function<void(const TcpConnection&, std::uint64_t, std::uint64_t)> f) {
  impl_->tls_cb = std::move(f);
}

void FtpAnalyzer::on_gap(const TcpConnection& c, Side from, std::uint64_t, std::uint64_t, std::int64_t) {
  auto it = impl_->ctl.find(c.id);
  if (it == impl_->ctl.end()) return;
  ++impl_->sess(it->second).gaps;
  it->second.buf[index(from)].clear();
  it->second.skip[index(from)] = true;
}

void FtpAnalyzer::Impl::client_line(FtpSession& s, Ctl& k, std::string_view line, std::int64_t ts) {
  ftp::Command cmd = ftp::parse_command(line);
  if (cmd.verb.empty()) return;
  ++s.commands;
  if (commands.size() < 1000 || commands.count(cmd.verb)) ++commands[cmd.verb];
  if (cmd.verb == "AUTH") k.auth_end = k.line_end[0];
  Pending p;
  p.verb = cmd.verb;
  p.ts = ts;
  std::string shown = cmd.arg;
  if ((cmd.verb == "PASS" || cmd.verb == "ACCT") && !opt.show_secrets && !shown.empty()) shown = "*****";
  if (s.log.size() < kMaxRows) {
    s.log.push_back(FtpCommandRow{ts, cmd.verb, shown, 0, "", -1});
    p.row = static_cast<long>(s.log.size() - 1);
  }
  if (cmd.verb == "USER") {
    k.user = cmd.arg;
  } else if (cmd.verb == "TYPE" && !cmd.arg.empty()) {
    s.type = cmd.arg;
  } else if (cmd.verb == "MODE" && !cmd.arg.empty()) {
    s.mode = cmd.arg;
  } else if (cmd.verb == "STRU" && !cmd.arg.empty()) {
    s.stru = cmd.arg;
  } else if (cmd.verb == "PORT" || cmd.verb == "EPRT") {
    IpAddr a;
    std::uint16_t port = 0;
    const bool ok = cmd.verb == "PORT" ? ftp::parse_host_port(cmd.arg, a, port) : ftp::parse_eprt(cmd.arg, a, port);
    if (ok) {
      expect(k, a, port, false, ts, fmt::format("{} {}", cmd.verb, cmd.arg));
      if (!(a == s.client)) {
        finding(Severity::warning, "ftp_port_bounce", ts, s.connection,
                fmt::format("FTP client {} asked the server to connect to a third host: {} {}", ep(s.client, s.client_port),
                            cmd.verb, cmd.arg),
                "A PORT or EPRT command naming an address other than the client's own makes the server open a "
                "connection to a third host (the FTP bounce attack, RFC 2577), or the client is behind NAT and "
                "announces its inside address. The data connection will go elsewhere or fail.", &s);
      }
    }
  } else if (ftp::is_transfer_command(cmd.verb)) {
    if (s.transfers.size() < kMaxRows) {
      FtpTransfer t;
      t.command = cmd.verb;
      t.file = cmd.arg;
      t.upload = cmd.verb == "STOR" || cmd.verb == "STOU" || cmd.verb == "APPE";
      t.start_ns = t.end_ns = ts;
      if (k.open_expect >= 0) {
        Expect& e = expects[static_cast<std::size_t>(k.open_expect)];
        t.passive = e.passive;
        t.data_addr = e.addr;
        t.data_port = e.port;
        e.transfer = static_cast<long>(s.transfers.size());
        k.open_expect = -1;
      }
      s.transfers.push_back(std::move(t));
      p.transfer = static_cast<long>(s.transfers.size() - 1);
      ++out.transfers_total;
    }
  }
  k.pending.push_back(std::move(p));
  if (k.pending.size() > 64) k.pending.pop_front();  // a client that never gets replies
}

void FtpAnalyzer::Impl::server_line(FtpSession& s, Ctl& k, std::string_view line, std::int64_t ts) {
  const bool coded = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                     std::isdigit(static_cast<unsigned char>(line[1])) && std::isdigit(static_cast<unsigned char>(line[2]));
  const int code = coded ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
  // RFC 959 4.2: a multi-line reply ends with the same code and a space. Every line is kept (z/OS
  // puts the abend code on an inner one), without a repeated "NNN-".
  auto keep = [&k](std::string_view text) {
    if (k.multitext.size() >= kMaxReplyText) return;
    if (!k.multitext.empty()) k.multitext += " / ";
    k.multitext += text.substr(0, kMaxReplyText - std::min(kMaxReplyText, k.multitext.size()));
  };
  if (k.multiline) {
    const bool last = code == k.multiline && (line.size() == 3 || line[3] == ' ');
    const bool inner_coded = code == k.multiline && line.size() > 3 && line[3] == '-';
    const std::string_view text = last || inner_coded ? (line.size() > 4 ? line.substr(4) : std::string_view())
                                                      : line;
    const std::size_t lead = text.find_first_not_of(' ');
    if (lead != std::string_view::npos) keep(text.substr(lead));
    if (last) {
      k.multiline = 0;
      const std::string full = std::move(k.multitext);
      k.multitext.clear();
      final_reply(s, k, code, full, ts, text);
    }
    return;
  }
  if (!coded) return;
  if (line.size() > 3 && line[3] == '-') {
    k.multiline = code;
    k.multitext.clear();
    keep(line.substr(4));
    return;
  }
  final_reply(s, k, code, line.size() > 4 ? line.substr(4) : std::string_view(), ts);
}

void FtpAnalyzer::Impl::final_reply(FtpSession& s, Ctl& k, int code, std::string_view text, std::int64_t ts,
                                     std::string_view last_line) {
  if (last_line.data() == nullptr) last_line = text;
  ++s.replies;
  ++codes[code];
  auto rc = std::find_if(s.reply_codes.begin(), s.reply_codes.end(), [code](const auto& p) { return p.first == code; });
  if (rc == s.reply_codes.end()) s.reply_codes.emplace_back(code, 1);
  else ++rc->second;
  if (code >= 100 && code < 200) return;  // preliminary: the final reply follows
  Pending p;
  if (!k.pending.empty()) {
    p = std::move(k.pending.front());
    k.pending.pop_front();
  }
  if (!p.verb.empty()) {
    const bool refusal = code == 530 && (p.verb == "PASS" || p.verb == "USER");
    auto& longest = refusal ? k.longest_refusal_ns : code == 425 ? k.longest_no_data_ns : k.longest_other_ns;
    longest = std::max(longest, ts - p.ts);
  }
  if (p.row >= 0) {
    FtpCommandRow& row = s.log[static_cast<std::size_t>(p.row)];
    row.reply = code;
    row.reply_text = std::string(text.substr(0, 200));
    row.latency_ns = ts - p.ts;
  }
  if (p.transfer >= 0) {
    FtpTransfer& t = s.transfers[static_cast<std::size_t>(p.transfer)];
    t.reply = code;
    t.end_ns = ts;
  }
  if (code == 230 && (p.verb == "PASS" || p.verb == "USER")) {
    s.login = "ok";
    s.user = k.user;
  } else if (code == 530 && (p.verb == "PASS" || p.verb == "USER")) {
    if (s.login != "ok") s.login = "failed";
    ++s.login_failures;
    ++out.failed_logins;
    if (failed_by_client.size() < kMaxClients || failed_by_client.count(s.client.str())) {
      ++failed_by_client[s.client.str()];
      first_failed_ns.try_emplace(s.client.str(), ts);
    }
    finding(Severity::warning, "ftp_login_failed", ts, s.connection,
            fmt::format("FTP login of user '{}' from {} to {} failed (530)", k.user, s.client.str(), ep(s.server, s.server_port)),
            "The server rejected the user name or password. A wrong password, an expired or revoked user, or "
            "(on z/OS) a RACF denial; the server's log (SYSLOG / FTP server trace) gives the reason.", &s, {}, k.user);
  } else if (code == 227 && p.verb == "PASV") {
    IpAddr a;
    std::uint16_t port = 0;
    if (ftp::parse_host_port(text.substr(std::min(text.find('('), text.size())), a, port))
      expect(k, a, port, true, ts, fmt::format("227 ({})", ep(a, port)));
  } else if (code == 229 && p.verb == "EPSV") {
    std::uint16_t port = 0;
    if (ftp::parse_epsv_port(text, port)) expect(k, s.server, port, true, ts, fmt::format("229 (|||{}|)", port));
  } else if (code == 234 && p.verb == "AUTH") {
    s.tls = true;
    if (tls_cb && cur) tls_cb(*cur, k.auth_end, k.line_end[1]);
  }
  if (code >= 400 && !(code == 530 && (p.verb == "PASS" || p.verb == "USER"))) {
    ++out.error_replies;
    if (k.error_findings < kMaxErrorFindings) {
      ++k.error_findings;
      const auto meaning = ftp::reply_meaning(code);
      const bool transfer_failed = code == 425 || code == 426 || code == 451 || code == 452 || code == 552;
      std::string reason;
      const std::string_view abend = abend_in(text, reason);
      const Abend* ab = abend.empty() ? nullptr : abend_info(abend);
      const std::string abend_text = ab ? fmt::format("abend {}{}{}", abend, reason.empty() ? "" : "-", reason) : "";
      std::string expl =
          meaning.empty() ? std::string("An FTP error reply.")
                          : fmt::format("RFC 959: {}. {}", meaning,
                                        code == 425 ? "The server could not open the data connection: check "
                                                      "firewalls between the hosts for the data ports."
                                        : code == 426 || (code == 451 && !ab)
                                            ? "The transfer was aborted part way: the data connection broke "
                                              "or the client sent ABOR."
                                            : "");
      if (ab) expl += fmt::format("{}The server quotes the z/OS system completion code {}: {}.",
                                  expl.back() == ' ' ? "" : " ", abend_text, ab->meaning);
      finding(transfer_failed || ab ? Severity::error : Severity::warning, "ftp_error_reply", ts, s.connection,
              fmt::format("FTP {}{} answered {} {}{}", p.verb.empty() ? "server" : p.verb,
                          p.row >= 0 && !s.log[static_cast<std::size_t>(p.row)].arg.empty()
                              ? " " + s.log[static_cast<std::size_t>(p.row)].arg
                              : "",
                          code, std::string(last_line.substr(0, 120)), ab ? fmt::format(" ({})", abend_text) : ""),
              std::move(expl), &s, ab ? fmt::format("{} {}", code, abend) : std::to_string(code), s.user,
              ab ? std::string(ab->hint) : std::string());
    } else {
      ++k.errors_more;
    }
  }
}

void FtpAnalyzer::on_close(const TcpConnection& c) {
  auto it = impl_->ctl.find(c.id);
  if (it == impl_->ctl.end()) return;
  FtpSession& s = impl_->sess(it->second);
  s.last_ns = std::max(s.last_ns, c.last_ns);
  s.end = std::string(tcp_state_name(c.state));
  if (c.state == TcpState::reset)
    s.end += c.reset_by == Side::client ? " by client" : " by server";
  if (it->second.errors_more)
    impl_->finding(Severity::info, "ftp_error_reply", c.last_ns, c.id,
                   fmt::format("{} more FTP error replies on this session", it->second.errors_more),
                   "Only the first 10 error replies of a session are listed one by one.");
  impl_->ctl.erase(it);
}

const char* FtpAnalyzer::slow_explained(std::uint64_t connection, std::int64_t threshold_ns) const {
  const auto it = impl_->ctl.find(connection);
  if (it == impl_->ctl.end() || it->second.longest_other_ns > threshold_ns) return nullptr;
  const bool refusals = it->second.longest_refusal_ns > threshold_ns;
  const bool no_data = it->second.longest_no_data_ns > threshold_ns;
  if (refusals && no_data)
    return "only FTP login refusals, which servers delay on purpose, and 425 replies, which come after the server "
           "waited for the data connection, were slow";
  if (refusals) return "only FTP login refusals were slow: servers delay them on purpose";
  if (no_data)
    return "only 425 replies were slow: the server waited for the data connection, which never came; the data "
           "connection is the problem, not the server's speed";
  return nullptr;
}

void FtpAnalyzer::on_connection(const TcpConnection& c) {
  // A data connection goes to the address and port a PORT/EPRT or a 227/229 reply announced. When
  // the connection's roles were only guessed from its ports (no SYN seen, or a data trace), the
  // announced endpoint may be the side taken as the client.
  auto& im = *impl_;
  if (im.expects.empty()) return;
  for (const bool swapped : {false, true}) {
    if (swapped && c.roles_known) break;
    // The oldest announcement of this endpoint not yet matched (the index keeps no order).
    auto [lo, hi] = swapped ? im.expect_index.equal_range(Impl::Endpoint{c.client, c.client_port})
                            : im.expect_index.equal_range(Impl::Endpoint{c.server, c.server_port});
    auto best = hi;
    for (auto it = lo; it != hi; ++it)
      if (c.first_ns + 1'000'000'000 >= im.expects[it->second].ts && (best == hi || it->second < best->second))
        best = it;
    if (best != hi) {
      Expect& e = im.expects[best->second];
      im.expect_index.erase(best);  // matched: only unmatched announcements stay in the index
      e.matched = true;
      if (e.transfer >= 0) {
        im.link_transfer(c, e, swapped);
      } else if (c.state == TcpState::syn_sent) {
        // The announced data connection was tried and never answered, and no transfer command
        // followed (a client gives up on the connection before it sends LIST/RETR): still the FTP
        // data connection's failure, linked to its announcement.
        im.finding(Severity::error, "ftp_data_connection_unanswered", c.first_ns, im.sessions[e.session].connection,
                   fmt::format("FTP data connection to {} was never answered ({}); no transfer command followed",
                               ep(c.server, c.server_port), e.announced),
                   e.passive ? "The client tried the port the server announced but got no answer, and gave up: a "
                               "firewall blocks the passive data ports, or the server announced a port "
                               "(PASSIVEDATAPORTS) or an address (behind NAT) that cannot be reached."
                             : "The server tried to connect back to the port the client announced but got no "
                               "answer: a firewall in front of the client blocks it; passive mode usually helps.",
                   &im.sessions[e.session]);
      }
      return;
    }
  }
}

void FtpAnalyzer::Impl::link_transfer(const TcpConnection& c, const Expect& e, bool swapped) {
  FtpTransfer& t = sessions[e.session].transfers[static_cast<std::size_t>(e.transfer)];
  t.data_connection = c.id;
  // passive: the FTP client opened it (its client side); active: the FTP server did
  Side sender = e.passive ? (t.upload ? Side::client : Side::server) : (t.upload ? Side::server : Side::client);
  if (swapped) sender = other(sender);
  t.bytes = c.sent_by(sender).payload_bytes;
  out.bytes_total += t.bytes;
  t.data_end = std::string(tcp_state_name(c.state));
  if (c.state == TcpState::syn_sent) {
    finding(Severity::error, "ftp_data_connection_unanswered", c.first_ns, sessions[e.session].connection,
            fmt::format("FTP {} {}: the data connection to {} was never answered ({})", t.command, t.file,
                        ep(c.server, c.server_port), e.announced),
            e.passive ? "The client tried the port the server announced but got no answer: a firewall blocks "
                        "the passive data ports, or the server announced a port (PASSIVEDATAPORTS) or an "
                        "address (behind NAT) that cannot be reached."
                      : "The server tried to connect back to the port the client announced but got no "
                        "answer: a firewall in front of the client blocks it; passive mode usually helps.",
            &sessions[e.session]);
  }
}

void FtpAnalyzer::finish() {
  auto& im = *impl_;
  for (const auto& e : im.expects) {
    if (e.matched) continue;
    const FtpSession& s = im.sessions[e.session];
    const std::string what = e.transfer >= 0
                                 ? fmt::format(" for {} {}", s.transfers[static_cast<std::size_t>(e.transfer)].command,
                                               s.transfers[static_cast<std::size_t>(e.transfer)].file)
                                 : std::string();
    const FtpTransfer* t = e.transfer >= 0 ? &s.transfers[static_cast<std::size_t>(e.transfer)] : nullptr;
    if (t && (t->reply == 226 || t->reply == 250)) {
      // The server says the transfer completed: the data connection happened, outside this trace.
      if (!im.emit) continue;
      Finding f{Severity::info, "application", "ftp_data_connection_missing", e.ts, s.connection,
                fmt::format("{}{} completed ({}) but its data connection (port {}) is not in the trace", e.announced,
                            what, t->reply, e.port),
                "The server reported the transfer complete, so the data connection did happen: it is not in this "
                "capture. A capture filter on the control port only, a data connection over another interface or "
                "path, or a trace started or stopped around it."};
      f.between(s.client, s.client_port, s.server, s.server_port).because("completed");
      f.area = Area::capture;
      f.area_set = true;
      im.emit(f);
      continue;
    }
    im.finding(Severity::error, "ftp_data_connection_missing", e.ts, s.connection,
               e.passive ? fmt::format("{} told the client to connect to port {}{}; no connection followed", e.announced,
                                       e.port, what)
                         : fmt::format("{} announced port {}{}; no SYN from the server followed", e.announced, e.port,
                                       what),
               e.passive ? "The client never opened the announced data connection: a firewall between them, or a "
                           "client that gave up."
                         : "The server never connected back to the client's announced port: a firewall, or the "
                           "server's PORT command handling (on z/OS: PASSIVEDATAPORTS, PORTCOMMAND) refused it.",
               &s);
  }
  for (const auto& [client, n] : im.failed_by_client) {
    if (n >= 5)
      im.finding(Severity::error, "ftp_brute_force", im.first_failed_ns[client], 0, fmt::format("{} failed {} FTP logins", client, n),
                 "Many failed logins from one host: a password guessing attack, or a script with a wrong "
                 "password retrying.",
                 nullptr, {}, client);
  }
  for (const auto& s : im.sessions) im.out.sessions.push_back(s);
  im.out.commands.assign(im.commands.begin(), im.commands.end());
  im.out.reply_codes.assign(im.codes.begin(), im.codes.end());
  std::sort(im.out.sessions.begin(), im.out.sessions.end(),
            [](const FtpSession& a, const FtpSession& b) { return a.connection < b.connection; });
}

}  // namespace ctana
