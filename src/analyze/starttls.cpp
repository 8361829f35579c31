// Where TLS begins inside plaintext protocols (docs/tls.md "STARTTLS").
#include "ctana/starttls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <unordered_map>

namespace ctana {

namespace {
constexpr std::size_t kMaxLine = 8192;          // a longer line is skipped to its end
constexpr std::uint64_t kGiveUp = 256 * 1024;   // stream bytes per direction after which no upgrade is expected
constexpr std::size_t kMaxMessage = 64 * 1024;  // an LDAP message held at most (larger ones are skipped)
constexpr std::size_t kMaxOpen = 100'000;

enum class Proto : std::uint8_t { smtp, imap, pop3, ldap, xmpp, postgres, mysql, telnet, http };
constexpr std::size_t kProtos = 9;

struct ProtoInfo {
  const char* name;     // in the report
  const char* upgrade;  // TlsSession::detected
};
constexpr std::array<ProtoInfo, kProtos> kInfo{{
    {"SMTP", "SMTP STARTTLS"},
    {"IMAP", "IMAP STARTTLS"},
    {"POP3", "POP3 STLS"},
    {"LDAP", "LDAP StartTLS"},
    {"XMPP", "XMPP STARTTLS"},
    {"PostgreSQL", "PostgreSQL SSLRequest"},
    {"MySQL", "MySQL SSL"},
    {"Telnet", "Telnet START_TLS"},
    {"HTTP", "HTTP CONNECT"},
}};

constexpr std::size_t idx(Proto p) { return static_cast<std::size_t>(p); }

bool proto_by_name(std::string_view n, Proto& p) {
  static constexpr std::pair<std::string_view, Proto> names[] = {
      {"smtp", Proto::smtp},         {"submission", Proto::smtp}, {"imap", Proto::imap},
      {"pop3", Proto::pop3},         {"ldap", Proto::ldap},       {"xmpp", Proto::xmpp},
      {"postgresql", Proto::postgres}, {"mysql", Proto::mysql},   {"telnet", Proto::telnet},
      {"tn3270", Proto::telnet},     {"http-proxy", Proto::http}};
  for (const auto& [name, proto] : names)
    if (n == name) {
      p = proto;
      return true;
    }
  return false;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return u;
}

// The first word of a line, and what follows it (without the separating blanks).
std::pair<std::string_view, std::string_view> word(std::string_view s) {
  const auto sp = s.find(' ');
  if (sp == std::string_view::npos) return {s, {}};
  std::string_view rest = s.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return {s.substr(0, sp), rest};
}

bool contains_word(std::string_view line, std::string_view w) {
  const std::string u = upper(line);
  for (std::size_t p = u.find(w); p != std::string::npos; p = u.find(w, p + 1)) {
    const bool left = p == 0 || !std::isalnum(static_cast<unsigned char>(u[p - 1]));
    const bool right = p + w.size() >= u.size() || !std::isalnum(static_cast<unsigned char>(u[p + w.size()]));
    if (left && right) return true;
  }
  return false;
}

// A BER length at `pos` of `b`: the length and the offset of the content; false when incomplete
// or not a definite length of at most 4 bytes.
bool ber_length(Bytes b, std::size_t pos, std::uint64_t& len, std::size_t& content) {
  const auto first = u8_at(b, pos);
  if (!first) return false;
  if (*first < 0x80) {
    len = *first;
    content = pos + 1;
    return true;
  }
  const std::size_t n = *first & 0x7f;
  if (n == 0 || n > 4) return false;
  len = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    const auto v = u8_at(b, pos + i);
    if (!v) return false;
    len = (len << 8) | *v;
  }
  content = pos + 1 + n;
  return true;
}

// One BER element at `pos`: tag, content; false when incomplete.
struct Ber {
  std::uint8_t tag = 0;
  Bytes content;
  std::size_t end = 0;
};
bool ber_at(Bytes b, std::size_t pos, Ber& out) {
  const auto tag = u8_at(b, pos);
  std::uint64_t len = 0;
  std::size_t content = 0;
  if (!tag || !ber_length(b, pos + 1, len, content)) return false;
  const auto body = slice(b, content, static_cast<std::size_t>(len));
  if (!body) return false;
  out = {*tag, *body, content + static_cast<std::size_t>(len)};
  return true;
}

std::uint64_t ber_uint(Bytes b) {
  std::uint64_t v = 0;
  for (const std::uint8_t x : head(b, 8)) v = (v << 8) | x;
  return v;
}

std::string ldap_result(std::uint64_t code) {
  switch (code) {
    case 0: return "success";
    case 1: return "operationsError";
    case 2: return "protocolError";
    case 7: return "authMethodNotSupported";
    case 8: return "strongerAuthRequired";
    case 13: return "confidentialityRequired";
    case 51: return "busy";
    case 52: return "unavailable";
    case 53: return "unwillingToPerform";
    case 80: return "other";
    default: return fmt::format("resultCode {}", code);
  }
}

struct Conn {
  Proto p = Proto::smtp;
  std::string buf[2];             // bytes not parsed yet
  std::uint64_t pos[2] = {0, 0};  // stream offset of buf's first byte
  std::uint64_t skip[2] = {0, 0}; // bytes to pass over (IMAP literals, HTTP bodies, large LDAP messages)
  bool overlong[2] = {false, false};
  bool done = false;              // handed over to TLS, or let go
  bool requested = false;         // the client asked for the upgrade (not answered yet)
  std::uint64_t request_end = 0;  // client stream offset after the request
  std::int64_t request_ns = 0;
  bool offered = false, creds = false;
  // SMTP and POP3: commands waiting for their replies (verb, with "+" when POP3 LIST/UIDL had an argument)
  std::deque<std::string> pending;
  bool greeted = false;
  bool client_data = false;       // SMTP: the message after DATA's 354
  bool multiline = false;         // POP3: inside a multi-line answer
  bool capa = false;              // POP3: ... to CAPA
  bool sasl = false;              // the client's next line answers a SASL challenge
  bool continuation = false;      // IMAP: the client's next line continues a command after a literal
  std::string tag;                // IMAP: the STARTTLS command's tag
  std::uint64_t ldap_id = 0;      // LDAP: the StartTLS request's message id
  bool pg_startup = false;        // PostgreSQL: past the startup packet (typed messages follow)
  bool pg_cleartext = false;      // PostgreSQL: the server asked for a cleartext password
  bool mysql_greeting = false;    // MySQL: the server's handshake packet was seen
  bool telnet_follows[2] = {false, false};  // Telnet: IAC SB START_TLS FOLLOWS IAC SE from each side
  std::uint64_t telnet_end[2] = {0, 0};
  int http_status = 0;            // HTTP: the proxy's status (0: not yet)
  std::uint64_t http_length = 0;  // HTTP: the response's Content-Length
  std::string target;             // HTTP: the CONNECT target
};
}  // namespace

struct StartTlsAnalyzer::Impl {
  TlsReport& out;
  FindingSink emit;
  std::function<void(const TcpConnection&, std::uint64_t, std::uint64_t, std::string_view)> tls_cb;
  std::function<void(const TcpConnection&)> no_tls_cb;
  std::vector<std::pair<std::uint16_t, Proto>> ports;
  std::unordered_map<std::uint64_t, Conn> conns;
  std::array<StartTlsRow, kProtos> rows{};
  const TcpConnection* cur = nullptr;
  std::int64_t now = 0;

  Impl(TlsReport& r, FindingSink f) : out(r), emit(std::move(f)) {}

  StartTlsRow& row(const Conn& k) { return rows[idx(k.p)]; }
  std::string where() const {
    return fmt::format("{} -> {}:{}", cur->client.str(), cur->server.str(), cur->server_port);
  }

  void request(Conn& k, std::uint64_t end) {
    if (k.requested) return;
    k.requested = true;
    k.request_end = end;
    k.request_ns = now;
    ++row(k).requested;
  }
  void upgrade(Conn& k, std::uint64_t server_end) {
    ++row(k).accepted;
    k.done = true;
    if (tls_cb) tls_cb(*cur, k.request_end, server_end, kInfo[idx(k.p)].upgrade);
  }
  void refuse(Conn& k, std::string_view answer) {
    k.requested = false;
    ++row(k).refused;
    if (!emit) return;
    const std::string what = kInfo[idx(k.p)].upgrade;
    Finding f{Severity::warning, "application", "starttls_refused", now, cur->id,
                 fmt::format("{} refused on {}: {}", what, where(), answer),
                 fmt::format("The client asked to switch to TLS ({}) and the server said no: what follows "
                             "(commands, credentials, data) goes in clear, or the client gives up. Look at the "
                             "server's TLS set-up for this listener (certificate and key configured and readable, "
                             "TLS enabled); for a proxy, its access rules and authentication.",
                             what)};
    emit(f.between(cur->client, cur->client_port, cur->server, cur->server_port).because(what));
  }
  void offer(Conn& k) {
    if (k.offered) return;
    k.offered = true;
    ++row(k).offered;
  }
  void let_go(Conn& k) {
    if (k.done) return;
    k.done = true;
    if (no_tls_cb) no_tls_cb(*cur);
  }
  void credentials(Conn& k, std::string_view what) {
    if (k.creds) return;
    k.creds = true;
    ++row(k).clear_credentials;
    if (!emit) return;
    Finding f{Severity::warning, "application", "plaintext_credentials", now, cur->id,
                 fmt::format("{} {} sent in clear on {}{}", kInfo[idx(k.p)].name, what, where(),
                             k.offered ? " (the server offered STARTTLS)" : ""),
                 "Credentials crossed the network unencrypted: anyone on the path (and anyone with this trace) "
                 "can read them. Make the client switch to TLS first, and the server refuse authentication "
                 "before TLS (Postfix smtpd_tls_auth_only, Dovecot disable_plaintext_auth, slapd security "
                 "simple_bind, PostgreSQL hostssl), or use the protocol's implicit-TLS port."};
    emit(f.between(cur->client, cur->client_port, cur->server, cur->server_port).because(std::string(kInfo[idx(k.p)].name)));
  }

  // Text protocols: complete lines (without CR LF) and the stream offset after each.
  template <class F>
  void lines(Conn& k, int d, F&& f) {
    std::string& b = k.buf[d];
    while (!k.done) {
      if (k.skip[d]) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(k.skip[d], b.size()));
        b.erase(0, n);
        k.pos[d] += n;
        k.skip[d] -= n;
        if (k.skip[d]) return;
        continue;
      }
      const auto nl = b.find('\n');
      if (nl == std::string::npos) {
        if (b.size() > kMaxLine) {  // skip to the end of this line
          k.overlong[d] = true;
          k.pos[d] += b.size();
          b.clear();
        }
        return;
      }
      std::string line = b.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      b.erase(0, nl + 1);
      k.pos[d] += nl + 1;
      if (k.overlong[d]) {
        k.overlong[d] = false;
        continue;
      }
      f(line, k.pos[d]);
    }
  }

  // SMTP (RFC 5321, 3207): STARTTLS answered 220; EHLO lists STARTTLS; AUTH sends credentials.
  void smtp(Conn& k, int d) {
    lines(k, d, [&](std::string_view line, std::uint64_t end) {
      if (d == 0) {
        if (k.client_data) {
          if (line == ".") {
            k.client_data = false;
            k.pending.push_back(".");
          }
          return;
        }
        if (k.sasl) {
          k.sasl = false;
          return;
        }
        const auto [w, rest] = word(line);
        const std::string verb = upper(w);
        if (k.pending.size() < 64) k.pending.push_back(verb);
        if (verb == "STARTTLS") request(k, end);
        else if (verb == "AUTH") {
          const std::string mech = upper(word(rest).first);
          if (mech == "PLAIN" || mech == "LOGIN" || mech == "XOAUTH2") credentials(k, "AUTH " + mech);
        } else if (verb == "MAIL" || verb == "DATA" || verb == "BDAT") {
          let_go(k);  // the mail transaction: no STARTTLS before it, none will come
        }
        return;
      }
      if (line.size() < 3) return;
      const bool more = line.size() > 3 && line[3] == '-';
      if (!k.pending.empty() && (k.pending.front() == "EHLO") && line.size() > 4 &&
          upper(word(line.substr(4)).first) == "STARTTLS")
        offer(k);
      if (more) return;
      if (!k.greeted) {
        k.greeted = true;
        return;
      }
      const std::string_view code = line.substr(0, 3);
      if (code == "334") {  // a SASL challenge: the client answers with a line of its own
        k.sasl = true;
        return;
      }
      if (k.pending.empty()) return;
      const std::string verb = k.pending.front();
      k.pending.pop_front();
      if (verb == "DATA" && code == "354") k.client_data = true;
      if (verb != "STARTTLS" || !k.requested) return;
      if (code == "220") upgrade(k, end);
      else refuse(k, line);
    });
  }

  // IMAP (RFC 9051): "tag STARTTLS" answered "tag OK"; literals {n} are skipped.
  void imap(Conn& k, int d) {
    auto literal = [&](std::string_view line) {
      if (line.empty() || line.back() != '}') return;
      const auto open = line.rfind('{');
      if (open == std::string_view::npos) return;
      std::string_view n = line.substr(open + 1, line.size() - open - 2);
      if (!n.empty() && (n.back() == '+' || n.back() == '-')) n.remove_suffix(1);
      if (n.empty() || n.size() > 9 || !std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) return;
      k.skip[d] = std::stoull(std::string(n));
      if (d == 0) k.continuation = true;
    };
    lines(k, d, [&](std::string_view line, std::uint64_t end) {
      if (d == 0) {
        if (k.sasl || k.continuation) {
          k.sasl = k.continuation = false;
          literal(line);
          return;
        }
        const auto [tag, rest] = word(line);
        const std::string cmd = upper(word(rest).first);
        if (cmd == "STARTTLS") {
          k.tag = std::string(tag);
          request(k, end);
        } else if (cmd == "LOGIN") {
          credentials(k, "LOGIN");
        } else if (cmd == "AUTHENTICATE") {
          const std::string mech = upper(word(word(rest).second).first);
          if (mech == "PLAIN" || mech == "LOGIN" || mech == "XOAUTH2") credentials(k, "AUTHENTICATE " + mech);
        } else if (cmd != "CAPABILITY" && cmd != "NOOP" && cmd != "ID" && cmd != "LOGOUT" && cmd != "ENABLE") {
          let_go(k);  // authenticated state: STARTTLS is no longer allowed
          return;
        }
        literal(line);
        return;
      }
      if (line.size() >= 2 && line[0] == '+' && line[1] == ' ') {
        k.sasl = true;
        return;
      }
      if (line.size() >= 2 && line[0] == '*' && line[1] == ' ' && contains_word(line, "STARTTLS")) offer(k);
      const auto [tag, rest] = word(line);
      if (k.requested && tag == k.tag) {
        const std::string status = upper(word(rest).first);
        if (status == "OK") upgrade(k, end);
        else refuse(k, line);
        return;
      }
      literal(line);
    });
  }

  // POP3 (RFC 1939, 2595): STLS answered +OK; CAPA lists STLS; USER/PASS and AUTH send credentials.
  void pop3(Conn& k, int d) {
    lines(k, d, [&](std::string_view line, std::uint64_t end) {
      if (d == 0) {
        if (k.sasl) {
          k.sasl = false;
          return;
        }
        const auto [w, rest] = word(line);
        const std::string verb = upper(w);
        if (k.pending.size() < 64) k.pending.push_back(rest.empty() ? verb : verb + "+");
        if (verb == "STLS") request(k, end);
        else if (verb == "PASS") credentials(k, "USER/PASS");
        else if (verb == "AUTH") {
          const std::string mech = upper(word(rest).first);
          if (mech == "PLAIN" || mech == "LOGIN" || mech == "XOAUTH2") credentials(k, "AUTH " + mech);
        } else if (verb == "STAT" || verb == "LIST" || verb == "RETR" || verb == "UIDL" || verb == "TOP" || verb == "DELE") {
          let_go(k);  // the transaction state: no STLS any more
        }
        return;
      }
      if (k.multiline) {
        if (line == ".") k.multiline = k.capa = false;
        else if (k.capa && upper(word(line).first) == "STLS") offer(k);
        return;
      }
      if (!k.greeted) {
        k.greeted = true;
        return;
      }
      if (line.size() >= 2 && line[0] == '+' && line[1] == ' ') {  // a SASL challenge
        k.sasl = true;
        return;
      }
      if (k.pending.empty()) return;
      const std::string verb = k.pending.front();
      k.pending.pop_front();
      const bool ok = line.substr(0, 3) == "+OK";
      if (ok && (verb == "CAPA" || verb == "LIST" || verb == "UIDL" || verb == "RETR+" || verb == "TOP+")) {
        k.multiline = true;
        k.capa = verb == "CAPA";
      }
      if (verb != "STLS" || !k.requested) return;
      if (ok) upgrade(k, end);
      else refuse(k, line);
    });
  }

  // HTTP CONNECT (RFC 9110 9.3.6): the proxy's 2xx starts the tunnel; anything else is let go.
  void http(Conn& k, int d) {
    lines(k, d, [&](std::string_view line, std::uint64_t end) {
      if (d == 0) {
        if (k.requested || !k.target.empty()) {
          if (line.empty()) request(k, end);  // the end of the CONNECT request's header
          return;
        }
        const auto [method, rest] = word(line);
        if (method != "CONNECT") {
          let_go(k);
          return;
        }
        k.target = std::string(word(rest).first);
        return;
      }
      if (!k.requested) return;
      if (k.http_status == 0) {
        const auto [version, rest] = word(line);
        const std::string_view code = word(rest).first;
        if (version.substr(0, 5) != "HTTP/" || code.size() != 3) {
          let_go(k);
          return;
        }
        k.http_status = std::atoi(std::string(code).c_str());
        k.http_length = 0;
        return;
      }
      if (!line.empty()) {
        const auto colon = line.find(':');
        if (colon != std::string_view::npos && upper(line.substr(0, colon)) == "CONTENT-LENGTH") {
          std::string_view v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
          if (!v.empty() && v.size() <= 12 && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            k.http_length = std::stoull(std::string(v));
        }
        return;
      }
      const int status = k.http_status;
      k.http_status = 0;
      if (status >= 100 && status < 200) return;  // an interim answer: the real one follows
      if (status >= 200 && status < 300) {
        upgrade(k, end);
        return;
      }
      refuse(k, fmt::format("{} to CONNECT {}", status, k.target));
      k.target.clear();  // the client may ask again (with credentials after 407)
      k.skip[1] = k.http_length;
    });
  }

  // XMPP (RFC 6120 5.4): <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> answered <proceed/>
  // (or <failure/>), both in that namespace; TLS starts after the element's end.
  void xmpp(Conn& k, int d) {
    std::string& text = k.buf[d];
    // after "/>" or after the element's closing tag; npos while incomplete
    auto element_end = [&text](std::size_t gt, std::string_view name) -> std::size_t {
      if (gt > 0 && text[gt - 1] == '/') return gt + 1;
      const auto close = text.find(fmt::format("</{}", name), gt);
      const auto e = close == std::string::npos ? close : text.find('>', close);
      return e == std::string::npos ? e : e + 1;
    };
    std::size_t from = 0;  // everything before it has been looked at
    while (!k.done) {
      const auto lt = text.find('<', from);
      if (lt == std::string::npos) {
        from = text.size();
        break;
      }
      const auto gt = text.find('>', lt);
      if (gt == std::string::npos) {
        from = lt;
        break;
      }
      const std::string_view tag = std::string_view(text).substr(lt, gt - lt + 1);
      const bool tls_ns = tag.find("urn:ietf:params:xml:ns:xmpp-tls") != std::string_view::npos;
      std::size_t next = gt + 1;
      if (tls_ns && ((d == 0 && tag.substr(0, 9) == "<starttls") || (d == 1 && k.requested && tag.substr(0, 8) == "<proceed"))) {
        const auto e = element_end(gt, d == 0 ? "starttls" : "proceed");
        if (e == std::string::npos) {
          from = lt;
          break;
        }
        if (d == 0) request(k, k.pos[0] + e);
        else upgrade(k, k.pos[1] + e);
        next = e;
      } else if (d == 0 && tag.substr(0, 5) == "<auth" && tag.find("PLAIN") != std::string_view::npos) {
        credentials(k, "SASL PLAIN");
        let_go(k);
      } else if (d == 1 && tls_ns && tag.substr(0, 9) == "<starttls") {
        offer(k);
      } else if (d == 1 && tls_ns && k.requested && tag.substr(0, 8) == "<failure") {
        refuse(k, "<failure/>");
      }
      from = next;
    }
    if (k.done) return;
    text.erase(0, from);
    k.pos[d] += from;
  }

  // PostgreSQL (protocol 3): SSLRequest (length 8, code 80877103) answered 'S' (or 'N'); after
  // that, typed messages, where AuthenticationCleartextPassword is followed by the password.
  void postgres(Conn& k, int d) {
    std::string& b = k.buf[d];
    const Bytes all = as_bytes(b);
    std::size_t pos = 0;
    while (!k.done) {
      if (d == 1 && k.requested) {  // one byte: 'S' or 'N'
        const auto r = u8_at(all, pos);
        if (!r) break;
        ++pos;
        if (*r == 'S') upgrade(k, k.pos[1] + pos);
        else if (*r == 'N') refuse(k, "'N' (the server does not do SSL)");
        else let_go(k);
        continue;
      }
      if (d == 0 && !k.pg_startup) {  // untyped: length, code
        const auto h = fixed<8>(all, pos);
        if (!h) break;
        const std::uint32_t len = h.be32<0>(), code = h.be32<4>();
        if (len == 8 && code == 80877103) {
          pos += 8;
          request(k, k.pos[0] + pos);
          continue;
        }
        if (len == 8 && code == 80877104) {  // GSSENCRequest: answered 'G' or 'N' (one byte, skipped)
          pos += 8;
          k.skip[1] += 1;
          continue;
        }
        if (code != 196608 || len < 8 || len > 10000) {
          let_go(k);
          break;
        }
        if (all.size() - pos < len) break;
        pos += len;
        k.pg_startup = true;
        continue;
      }
      if (k.skip[d]) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(k.skip[d], all.size() - pos));
        pos += n;
        k.skip[d] -= n;
        if (k.skip[d]) break;
        continue;
      }
      const auto h = fixed<5>(all, pos);  // type, length (including itself)
      if (!h) break;
      const std::uint8_t type = h.u8<0>();
      const std::uint32_t len = h.be32<1>();
      if (len < 4) {
        let_go(k);
        break;
      }
      if (d == 1 && type == 'R') {
        const auto body = slice(all, pos + 5, 4);
        if (!body) break;
        const std::uint32_t code = *be32_at(*body, 0);
        if (code == 3) k.pg_cleartext = true;
        if (code == 0) {  // authenticated: nothing more to see
          let_go(k);
          break;
        }
      } else if (d == 0 && type == 'p' && k.pg_cleartext) {
        credentials(k, "cleartext password");
        let_go(k);
        break;
      }
      k.skip[d] = 1u + len;
    }
    b.erase(0, std::min(pos, b.size()));
    k.pos[d] += pos;
  }

  // MySQL: the server's handshake (capability CLIENT_SSL 0x800), then the client's first packet:
  // 32 bytes with CLIENT_SSL is the SSL request, and TLS starts on both sides.
  void mysql(Conn& k, int d) {
    std::string& b = k.buf[d];
    const Bytes all = as_bytes(b);
    const auto h = fixed<4>(all);  // 3-byte little-endian length, sequence
    if (!h) return;
    const std::uint32_t len = h.u8<0>() | (h.u8<1>() << 8) | (h.u8<2>() << 16);
    const auto body = slice(all, 4, len);
    if (!body) {
      if (len > kMaxMessage) let_go(k);
      return;
    }
    if (d == 1) {
      if (k.mysql_greeting) return;
      // protocol version 10, server version (NUL-terminated), thread id, 8 bytes of scramble,
      // a filler, the capability flags' lower half
      const auto first = u8_at(*body, 0);
      if (!first || *first != 10) {
        let_go(k);
        return;
      }
      const std::string_view text(b);
      const auto nul = text.find('\0', 5);
      if (nul == std::string_view::npos || nul >= 4 + len) {
        let_go(k);
        return;
      }
      const auto caps = u8_at(*body, nul - 4 + 1 + 4 + 8 + 1 + 1);  // the second byte of the flags
      k.mysql_greeting = true;
      k.pos[1] += 4 + len;
      b.erase(0, 4 + len);
      if (caps && (*caps & 0x08)) offer(k);
      return;
    }
    const auto flags = fixed<4>(*body);
    if (k.mysql_greeting && flags && len == 32 && (flags.u8<1>() & 0x08)) {
      request(k, k.pos[0] + 4 + len);
      upgrade(k, k.pos[1]);
      return;
    }
    let_go(k);  // a handshake response in clear (its password is a hash, not cleartext)
  }

  // LDAP (RFC 4511 4.14): ExtendedRequest 1.3.6.1.4.1.1466.20037 answered by an ExtendedResponse
  // with the same message id; a simple bind carries its password in clear.
  void ldap(Conn& k, int d) {
    std::string& b = k.buf[d];
    std::size_t pos = 0;
    while (!k.done) {
      const Bytes all = as_bytes(b);
      if (k.skip[d]) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(k.skip[d], all.size() - pos));
        pos += n;
        k.skip[d] -= n;
        if (k.skip[d]) break;
        continue;
      }
      const auto tag = u8_at(all, pos);
      if (!tag) break;
      std::uint64_t len = 0;
      std::size_t content = 0;
      if (*tag != 0x30) {
        let_go(k);
        break;
      }
      if (!ber_length(all, pos + 1, len, content)) {
        if (all.size() - pos > 6) let_go(k);  // an indefinite or absurd length: not LDAP
        break;
      }
      if (len > kMaxMessage) {  // not held: passed over
        k.skip[d] = content - pos + len;
        continue;
      }
      const auto msg = slice(all, content, static_cast<std::size_t>(len));
      if (!msg) break;
      const std::size_t end = content + static_cast<std::size_t>(len);
      Ber id, op;
      if (ber_at(*msg, 0, id) && id.tag == 0x02 && ber_at(*msg, id.end, op)) {
        if (d == 0 && op.tag == 0x77) {  // ExtendedRequest
          Ber name;
          const Bytes oid = as_bytes(std::string_view("1.3.6.1.4.1.1466.20037"));
          if (ber_at(op.content, 0, name) && name.tag == 0x80 &&
              std::equal(name.content.begin(), name.content.end(), oid.begin(), oid.end())) {
            k.ldap_id = ber_uint(id.content);
            request(k, k.pos[0] + end);
          }
        } else if (d == 0 && op.tag == 0x60) {  // BindRequest: version, name, authentication
          Ber version, name, auth;
          if (ber_at(op.content, 0, version) && ber_at(op.content, version.end, name) &&
              ber_at(op.content, name.end, auth) && auth.tag == 0x80 && !auth.content.empty())
            credentials(k, "simple bind");
        } else if (d == 0 && (op.tag == 0x63 || op.tag == 0x66 || op.tag == 0x68 || op.tag == 0x4a ||
                              op.tag == 0x6c || op.tag == 0x6e)) {
          let_go(k);  // the client gets to work in clear
        } else if (d == 1 && op.tag == 0x78 && k.requested && ber_uint(id.content) == k.ldap_id) {
          Ber result;
          const std::uint64_t code = ber_at(op.content, 0, result) && result.tag == 0x0a ? ber_uint(result.content) : 1;
          pos = end;
          if (code == 0) upgrade(k, k.pos[1] + end);
          else refuse(k, ldap_result(code));
          continue;
        }
      }
      pos = end;
    }
    if (k.done) return;
    b.erase(0, std::min(pos, b.size()));
    k.pos[d] += pos;
  }

  // Telnet START_TLS (option 46, draft-altman-telnet-starttls): DO/WILL, then IAC SB 46 FOLLOWS
  // IAC SE from the server and from the client; TLS starts after each side's FOLLOWS.
  void telnet(Conn& k, int d) {
    std::string& b = k.buf[d];
    const Bytes all = as_bytes(b);
    std::size_t pos = 0;
    while (!k.done) {
      const auto iac = std::string_view(b).find('\xff', pos);
      if (iac == std::string_view::npos) {
        pos = b.size();
        break;
      }
      pos = iac;
      const auto cmd = u8_at(all, pos + 1);
      if (!cmd) break;
      if (*cmd >= 251 && *cmd <= 254) {  // WILL WONT DO DONT option
        const auto opt = u8_at(all, pos + 2);
        if (!opt) break;
        pos += 3;
        if (*opt != 46) continue;
        if (d == 1 && *cmd == 253) offer(k);  // DO START_TLS
        if (d == 0 && *cmd == 251) request(k, k.pos[0] + pos);
        if (d == 1 && (*cmd == 252 || *cmd == 254) && k.requested)
          refuse(k, fmt::format("IAC {} START_TLS", *cmd == 252 ? "WONT" : "DONT"));
        continue;
      }
      if (*cmd == 250) {  // SB ... IAC SE
        const auto se = std::string_view(b).find("\xff\xf0", pos + 2);
        if (se == std::string_view::npos) {
          if (b.size() - pos > 4096) pos = b.size();
          break;
        }
        const auto sb = fixed<2>(all, pos + 2);
        pos = se + 2;
        if (sb && sb.u8<0>() == 46 && sb.u8<1>() == 1) {  // START_TLS FOLLOWS
          k.telnet_follows[d] = true;
          k.telnet_end[d] = k.pos[d] + pos;
          if (d == 0) request(k, k.telnet_end[0]);
          if (k.telnet_follows[0] && k.telnet_follows[1] && k.requested) {
            k.request_end = k.telnet_end[0];
            upgrade(k, k.telnet_end[1]);
          }
        }
        continue;
      }
      pos += 2;
    }
    if (k.done) return;
    b.erase(0, std::min(pos, b.size()));
    k.pos[d] += pos;
  }
};

StartTlsAnalyzer::StartTlsAnalyzer(StartTlsOptions opt, TlsReport& out, FindingSink findings)
    : impl_(std::make_unique<Impl>(out, std::move(findings))) {
  auto& p = impl_->ports;
  p = {{25, Proto::smtp},   {587, Proto::smtp},   {143, Proto::imap},      {110, Proto::pop3},
       {389, Proto::ldap},  {5222, Proto::xmpp},  {5269, Proto::xmpp},     {5432, Proto::postgres},
       {3306, Proto::mysql}, {23, Proto::telnet}, {3128, Proto::http},     {8080, Proto::http},
       {80, Proto::http}};
  for (const auto& [name, port] : opt.port_names) {
    Proto proto;
    if (!proto_by_name(name, proto)) continue;
    std::erase_if(p, [port = port](const auto& e) { return e.first == port; });
    p.emplace_back(port, proto);
  }
  for (std::size_t i = 0; i < kProtos; ++i) impl_->rows[i].protocol = kInfo[i].name;
}
StartTlsAnalyzer::~StartTlsAnalyzer() = default;

std::vector<std::uint16_t> StartTlsAnalyzer::ports() const {
  std::vector<std::uint16_t> v;
  for (const auto& e : impl_->ports) v.push_back(e.first);
  return v;
}

void StartTlsAnalyzer::on_tls(std::function<void(const TcpConnection&, std::uint64_t, std::uint64_t, std::string_view)> f) {
  impl_->tls_cb = std::move(f);
}
void StartTlsAnalyzer::on_no_tls(std::function<void(const TcpConnection&)> f) { impl_->no_tls_cb = std::move(f); }

bool StartTlsAnalyzer::wants(const TcpConnection& c) {
  auto& im = *impl_;
  const auto it = std::find_if(im.ports.begin(), im.ports.end(), [&c](const auto& e) { return e.first == c.server_port; });
  if (it == im.ports.end()) return false;
  if (im.conns.size() >= kMaxOpen) {
    ++im.rows[idx(it->second)].untracked;
    return false;
  }
  Conn& k = im.conns[c.id];
  k.p = it->second;
  ++im.rows[idx(k.p)].connections;
  return true;
}

bool StartTlsAnalyzer::keeps(const TcpConnection& c) {
  const auto it = impl_->conns.find(c.id);
  if (it == impl_->conns.end()) return false;
  if (!it->second.done) return true;
  impl_->conns.erase(it);
  return false;
}

void StartTlsAnalyzer::on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) {
  auto& im = *impl_;
  const auto it = im.conns.find(c.id);
  if (it == im.conns.end()) return;
  Conn& k = it->second;
  if (k.done) return;
  im.cur = &c;
  im.now = ts;
  const int d = from == Side::client ? 0 : 1;
  if (offset != k.pos[d] + k.buf[d].size()) {  // not where this direction's parse stands
    im.let_go(k);
    return;
  }
  if (offset + data.size() > kGiveUp && !k.requested) {  // too far in for an upgrade
    im.let_go(k);
    return;
  }
  k.buf[d].append(reinterpret_cast<const char*>(data.data()), data.size());
  switch (k.p) {
    case Proto::smtp: im.smtp(k, d); break;
    case Proto::imap: im.imap(k, d); break;
    case Proto::pop3: im.pop3(k, d); break;
    case Proto::ldap: im.ldap(k, d); break;
    case Proto::xmpp: im.xmpp(k, d); break;
    case Proto::postgres: im.postgres(k, d); break;
    case Proto::mysql: im.mysql(k, d); break;
    case Proto::telnet: im.telnet(k, d); break;
    case Proto::http: im.http(k, d); break;
  }
  if (!k.done && k.buf[d].size() > kMaxMessage + 16) im.let_go(k);
}

void StartTlsAnalyzer::on_gap(const TcpConnection& c, Side, std::uint64_t, std::uint64_t, std::int64_t) {
  auto& im = *impl_;
  const auto it = im.conns.find(c.id);
  if (it == im.conns.end()) return;
  im.cur = &c;
  im.let_go(it->second);  // the protocol's framing is lost with the bytes
}

void StartTlsAnalyzer::on_close(const TcpConnection& c) { impl_->conns.erase(c.id); }

void StartTlsAnalyzer::finish() {
  auto& im = *impl_;
  for (const auto& r : im.rows)
    if (r.connections || r.untracked) im.out.starttls.push_back(r);
}

}  // namespace ctana
