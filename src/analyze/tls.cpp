// TLS handshakes on the reassembled TCP streams (docs/tls.md).
#include "ctana/tls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace ctana {

namespace {

// What to do about a failed handshake, by its fatal alert (-1: none): the explanation's advice and
// the z/OS hint (docs/tls.md "Findings").
struct AlertAdvice {
  std::string_view advice, hint;
};
AlertAdvice alert_advice(int alert) {
  switch (alert) {
    case 42:
    case 43:
    case 44:
    case 45:
    case 46:
    case 48:
      return {"The side that sent the alert rejected its peer's certificate: check the chain it was sent (the "
              "intermediate certificates included), its validity dates, its revocation, and that the receiver "
              "trusts the issuing CA.",
              "The key ring of the AT-TLS rule (TTLSKeyringParms; RACDCERT LISTRING) must hold the server's "
              "certificate with its private key and the CA certificates of the chain, each TRUSTed and not "
              "expired."};
    case 40:
    case 70:
    case 71:
      return {"The two sides allow no common protocol version or cipher suite: compare the versions and suites "
              "the client offered (its ClientHello) with what the server allows.",
              "The AT-TLS rule's TTLSEnvironmentAdvancedParms (TLSv1.2/TLSv1.3) and TTLSCipherParms choose the "
              "versions and suites the z/OS side accepts."};
    case 112:
      return {"The server has no certificate or virtual host for the server name (SNI) the client asked for.",
              "AT-TLS picks a certificate by label (TTLSEnvironmentParms / ServerCertificateLabel); the name the "
              "client asks for must be one of that certificate's names."};
    case 116:
      return {"The server requires a client certificate and the client sent none: configure one on the client, "
              "or relax the server's client authentication.",
              "HandshakeRole ServerWithClientAuth and ClientAuthType in the AT-TLS rule require it; the client's "
              "CA must be in the server's key ring."};
    case 49:
      return {"The certificate was valid but the peer refused access with it: an access list or a mapping of the "
              "certificate to a user.",
              "With ClientAuthType SAFCheck the client certificate must map to a RACF user ID (RACDCERT MAP) "
              "allowed to the resource."};
    case 120:
      return {"No application protocol (ALPN) in common: the client asked for protocols the server does not "
              "serve.",
              "Look at the AT-TLS policy (pasearch -t) of the listener."};
    case -1:
      return {"No alert was seen: one side closed or reset the connection during the handshake (a peer that "
              "does not speak TLS on this port, a middlebox, or a handshake that timed out).",
              "Look at the AT-TLS policy (pasearch -t): a rule that does not match the connection leaves it "
              "in clear, and the peer then gets no TLS."};
    default:
      return {"The alert's meaning is in RFC 8446 section 6.2; the side that sent it often logs the reason.",
              "Look at the AT-TLS policy (pasearch -t) and the key ring (RACDCERT LISTRING); the TCPIP job log "
              "has the EZD1286I message with the return code of a failed AT-TLS handshake."};
  }
}

constexpr std::size_t kMaxBuffer = 20'000;   // one TLS record (16 KiB + header) at most is held
constexpr std::size_t kMaxSessions = 1000;
constexpr std::size_t kMaxOpen = 100'000;
constexpr std::size_t kMaxHandshake = 1 << 17;  // a handshake message split over records, held at most
constexpr std::size_t kMaxNames = 10'000;       // distinct server names counted
// Mid-stream resync: the first record must start within this many bytes of a direction's first
// captured byte (a whole record of 2^14 + 2048 bytes and its header fit), and a run of this many
// records must follow each other (docs/tls.md "Mid-stream").
constexpr std::uint64_t kResyncWindow = 24 * 1024;
constexpr int kRunOnTlsPort = 2, kRunElsewhere = 3;
// A direction whose first 2 KiB hold no byte 20-24 is not TLS: every record header starts with
// one, and encrypted bytes hold one every 51 bytes on average (none in 2 KiB: about 1 in 10^17).
constexpr std::uint64_t kTextProbe = 2048;

bool tls_port(std::uint16_t p) {
  switch (p) {
    case 443: case 465: case 636: case 853: case 989: case 990: case 992: case 993: case 995: case 4433: case 5061:
    case 8443:
      return true;
    default:
      return false;
  }
}

struct Dir {
  std::string buf;       // bytes of an incomplete record
  bool encrypted = false;  // after ChangeCipherSpec (TLS <= 1.2) or the ServerHello (TLS 1.3)
  bool broken = false;   // a gap, or not TLS: stop reading
  bool ccs = false;
  std::uint32_t app_records = 0;
  std::string hs;        // handshake bytes of an incomplete message (messages may span records)
  bool hs_broken = false;
  bool seen = false;     // data came in this direction
  bool syncing = false;  // mid-stream: looking for a run of record headers in `buf`
  std::uint64_t base = 0;  // while syncing: the stream offset of buf[0]
  std::uint16_t version = 0;  // mid-stream: the record version of the run found
  bool typed = false;    // while syncing: a byte 20-24 (a content type) was seen
  bool v2_checked = false;  // the client's first bytes were checked for an SSLv2-format ClientHello
};

struct Conn {
  TlsSession s;
  Dir dir[2];
  bool hello = false, server_hello = false, fatal = false;
  int fatal_alert = -1;          // description of the first fatal alert in clear
  bool retry = false;            // a TLS 1.3 HelloRetryRequest was seen
  std::int64_t answered_ns = 0;  // the ClientHello the next ServerHello answers (the second after a retry)
  bool waiting = false;          // a connection that may start TLS later (FTP before AUTH TLS, SMTP before STARTTLS)
  bool handed_over = false;      // TLS started where a plaintext protocol said: its ClientHello is checked
  bool verified = false;         // ... and it was
  std::uint64_t start[2] = {0, 0};  // stream offsets where TLS starts
  std::uint16_t chosen = 0;
  bool candidate = false;        // no SYN was seen: the capture may have started mid-stream
  bool tls_port = false;
};
}  // namespace

struct TlsAnalyzer::Impl {
  TlsReport& out;
  FindingSink emit;
  std::unordered_map<std::uint64_t, Conn> conns;
  std::map<std::string, std::uint64_t> versions, ciphers, snis;
  std::map<std::string, std::uint64_t> hs_types, alert_msgs, by_detection;
  std::vector<TlsSession> kept;
  std::vector<std::uint16_t> starttls_ports;

  Conn& add(const TcpConnection& c, const char* detected) {
    Conn& k = conns[c.id];
    k.s.connection = c.id;
    k.s.client = c.client;
    k.s.server = c.server;
    k.s.server_port = c.server_port;
    k.s.detected = detected;
    return k;
  }

  Impl(TlsReport& r, FindingSink f) : out(r), emit(std::move(f)) {}

  // The handshake bytes of one record: messages may span records, and a record may hold several.
  void handshake_bytes(Conn& c, Side from, Bytes rec, std::int64_t ts) {
    Dir& d = c.dir[index(from)];
    if (d.hs_broken) return;
    d.hs.append(reinterpret_cast<const char*>(rec.data()), rec.size());
    const Bytes all = as_bytes(d.hs);
    std::size_t pos = 0;
    while (const auto h = fixed<4>(all, pos)) {  // type, 3-byte length
      const std::uint32_t len = h.be24<1>();
      if (len > kMaxHandshake) {
        d.hs_broken = true;
        break;
      }
      const auto body = slice(all, pos + 4, len);
      if (!body) break;
      handshake(c, from, h.u8<0>(), *body, ts);
      pos += 4u + len;
    }
    d.hs.erase(0, pos);
    if (d.hs_broken || d.hs.size() > kMaxHandshake) {
      d.hs_broken = true;
      d.hs.clear();
    }
  }

  void client_hello(Conn& c, const tls::ClientHello& h, std::int64_t ts) {
    c.hello = true;
    c.s.hello_ns = ts;
    c.answered_ns = ts;
    c.s.offered = tls::version_name(h.legacy_version);
  }

  // An SSLv2-format ClientHello at the start of the client's bytes (docs/tls.md "SSLv2-format
  // ClientHello"): read like a ClientHello without extensions; TLS records may follow it. Returns
  // false while the record is incomplete.
  bool sslv2_hello(Conn& c, Dir& d, std::int64_t ts) {
    const Bytes all = as_bytes(d.buf);
    tls::ClientHello h;
    const std::size_t n = tls::sslv2_client_hello(all, h);
    if (n == 0) {
      if (all.size() >= 11 && !tls::looks_like_sslv2_client_hello(all)) d.v2_checked = true;  // not one: read as records
      return d.v2_checked;
    }
    d.v2_checked = true;
    ++hs_types[tls::handshake_name(1)];  // tshark counts it as handshake type 1 too
    client_hello(c, h, ts);
    c.s.sslv2_hello = true;
    ++out.sslv2_hellos;
    d.buf.erase(0, n);
    return true;
  }

  void handshake(Conn& c, Side from, std::uint8_t type, Bytes body, std::int64_t ts) {
    ++hs_types[tls::handshake_name(type)];
    if (type == 1 && from == Side::client && !c.hello) {
        tls::ClientHello h;
        if (!tls::parse_client_hello(body, h)) return;
        client_hello(c, h, ts);
        c.s.sni = h.sni;
        std::uint16_t best = h.legacy_version;
        for (auto v : h.versions)
          if ((v & 0x0f0f) != 0x0a0a) best = std::max(best, v);  // GREASE values do not count
        c.s.offered = tls::version_name(best);
        if (!h.alpn.empty()) c.s.alpn = h.alpn.front();
      } else if (type == 1 && from == Side::client && c.retry && !c.server_hello) {
        c.answered_ns = ts;  // the second ClientHello, after the HelloRetryRequest
      } else if (type == 2 && from == Side::server && !c.server_hello) {
        tls::ServerHello h;
        if (!tls::parse_server_hello(body, h)) return;
        if (h.retry_request) {  // the real one follows, after a second ClientHello
          if (!c.retry) ++out.hello_retries;
          c.retry = true;
          c.s.hello_retry = true;
          return;
        }
        c.server_hello = true;
        c.chosen = h.version;
        c.s.version = tls::version_name(h.version);
        c.s.cipher = tls::cipher_name(h.cipher);
        if (!h.alpn.empty()) c.s.alpn = h.alpn;
        if (c.hello) c.s.server_hello_latency_ns = ts - c.answered_ns;
        if (h.version == 0x0304) c.dir[index(Side::server)].encrypted = true;  // the rest of the server's flight is encrypted
      }
  }

  // The whole records in the direction's buffer; a header that is not TLS stops the reading.
  void records(Conn& k, Side from, std::int64_t ts) {
    Dir& d = k.dir[index(from)];
    if (from == Side::client && !k.hello && !d.v2_checked && !d.buf.empty() &&
        (static_cast<std::uint8_t>(d.buf.front()) & 0x80) != 0 && !sslv2_hello(k, d, ts))
      return;  // the start of an SSLv2-format ClientHello: wait for the rest of it
    const Bytes all = as_bytes(d.buf);
    std::size_t pos = 0;
    while (const auto h = fixed<5>(all, pos)) {  // record header: type, version, length
      const std::uint8_t type = h.u8<0>();
      const std::uint16_t len = h.be16<3>();
      if (type < 20 || type > 24 || h.u8<1>() != 3 || len > tls::kMaxRecordLength) {  // not (or no longer) TLS
        d.broken = true;
        d.buf.clear();
        return;
      }
      const auto body = slice(all, pos + 5, len);
      if (!body) break;
      record(k, from, type, *body, ts);
      pos += 5u + len;
    }
    d.buf.erase(0, pos);
    if (d.buf.size() > kMaxBuffer) {
      d.broken = true;
      d.buf.clear();
    }
  }

  // Mid-stream resync: the first offset of the buffer where a run of plausible record headers
  // starts (tls::record_run); the bytes before it are skipped, the records from it are read as
  // those after a ChangeCipherSpec (the handshake was before the capture). `final`: nothing more
  // will come, a shorter run that ends exactly at the end of the data is enough (one record when
  // the other direction was found with the same version). The buffer keeps only the bytes from
  // the first offset that could still start a run.
  void resync(Conn& k, Side from, bool final, std::int64_t ts) {
    Dir& d = k.dir[index(from)];
    const Dir& peer = k.dir[1 - index(from)];
    tls::RunRule rule;
    rule.need = k.tls_port ? kRunOnTlsPort : kRunElsewhere;
    rule.final = final;
    if (final && peer.version != 0) {
      rule.at_end = 1;
      rule.version = peer.version;
    }
    const Bytes all = as_bytes(d.buf);
    std::size_t p = 0;
    const auto give_up = [&d] {  // no run: not TLS, or not found in time
      d.syncing = false;
      d.broken = true;
      d.buf.clear();
    };
    for (;; ++p) {
      // Only a content type (20-24) can start a header: skip to the next one (most bytes are not).
      const Bytes rest = tail(all, p);
      p += static_cast<std::size_t>(
          std::find_if(rest.begin(), rest.end(), [](std::uint8_t b) { return static_cast<unsigned>(b - 20) <= 4u; }) -
          rest.begin());
      if (d.base + std::min(p, all.size()) >= kResyncWindow) return give_up();
      if (p >= all.size()) break;
      d.typed = true;
      const tls::Run r = tls::record_run(all, p, rule);
      if (r == tls::Run::no) continue;
      if (r == tls::Run::more) break;  // wait for more data, keeping the bytes from p
      d.syncing = false;
      d.version = be16_at(all, p + 1).value_or(0);  // a whole header is at p
      d.encrypted = true;
      k.s.midstream = true;
      k.s.detected = "resync";
      k.s.skipped[index(from)] = static_cast<std::int64_t>(d.base + p);
      d.buf.erase(0, p);
      records(k, from, ts);
      return;
    }
    if (final || (!d.typed && d.base + p >= kTextProbe)) return give_up();  // text: not TLS
    d.buf.erase(0, p);
    d.base += p;
  }

  void record(Conn& c, Side from, std::uint8_t type, Bytes body, std::int64_t ts) {
    Dir& d = c.dir[index(from)];
    switch (type) {
      case 20:  // change_cipher_spec
        d.ccs = true;
        // TLS <= 1.2: encrypted from here on. In TLS 1.3, and between a HelloRetryRequest and
        // the real ServerHello, it is the middlebox-compatibility dummy (RFC 8446 D.4).
        if (c.chosen != 0x0304 && !(c.retry && !c.server_hello)) d.encrypted = true;
        break;
      case 21: {  // alerts: two bytes each in clear; after ChangeCipherSpec encrypted (longer, with a MAC)
        bool clear = !d.encrypted && !body.empty() && body.size() % 2 == 0;
        for (std::size_t i = 0; clear && i < body.size(); i += 2) {
          const auto level = u8_at(body, i);
          clear = level && (*level == 1 || *level == 2);
        }
        if (!clear) {
          ++out.encrypted_alerts;
          ++c.s.encrypted_alerts;
          break;
        }
        for (std::size_t i = 0; i < body.size(); i += 2) {
          const auto alert = fixed<2>(body, i);  // level, description (the size is even: checked above)
          const bool fatal = alert.u8<0>() == 2;
          const std::string what = fmt::format("{} {}", fatal ? "fatal" : "warning", tls::alert_name(alert.u8<1>()));
          ++alert_msgs[what];
          if (c.s.alerts.size() < 8) c.s.alerts.push_back(fmt::format("{} from {}", what, side_name(from)));
          ++out.alerts_total;
          if (fatal && c.fatal_alert < 0) c.fatal_alert = alert.u8<1>();
          if (fatal) c.fatal = true;
        }
        break;
      }
      case 22:
        if (!d.encrypted) handshake_bytes(c, from, body, ts);
        break;
      case 23:
        ++d.app_records;
        break;
      default:
        break;
    }
  }
};

TlsAnalyzer::TlsAnalyzer(TlsReport& out, FindingSink findings)
    : impl_(std::make_unique<Impl>(out, std::move(findings))) {
  out.present = true;
}
TlsAnalyzer::~TlsAnalyzer() = default;

bool TlsAnalyzer::wants(const TcpConnection& c) {
  auto& im = *impl_;
  if (im.conns.size() >= kMaxOpen) {
    if (tls_port(c.server_port)) ++im.out.untracked_connections;
    return false;
  }
  if (tls_port(c.server_port)) {
    Conn& k = im.add(c, "port");
    k.tls_port = true;
    k.candidate = !c.roles_known;
  } else if (std::find(im.starttls_ports.begin(), im.starttls_ports.end(), c.server_port) != im.starttls_ports.end()) {
    im.add(c, "").waiting = true;
  } else if (!c.roles_known) {
    im.add(c, "resync").candidate = true;  // TLS by a ClientHello at its start, or by the mid-stream resync
  }
  return true;  // any other connection: TLS when the client's first bytes are a ClientHello (on_data)
}

bool TlsAnalyzer::keeps(const TcpConnection& c) {
  const auto it = impl_->conns.find(c.id);
  if (it == impl_->conns.end()) return false;
  // Both directions stopped being read before any ClientHello, and no plaintext protocol may hand
  // the connection over: nothing can come of it any more (on_close would only forget it), so it
  // is let go now rather than when the connection is finished.
  const Conn& k = it->second;
  if (!k.hello && !k.waiting && !k.handed_over && !k.s.midstream && k.dir[0].broken && k.dir[1].broken) {
    impl_->conns.erase(it);
    return false;
  }
  return true;
}

void TlsAnalyzer::starttls_port(std::uint16_t port) { impl_->starttls_ports.push_back(port); }

void TlsAnalyzer::start_tls(const TcpConnection& c, std::uint64_t client_offset, std::uint64_t server_offset,
                            std::string_view how) {
  auto it = impl_->conns.find(c.id);
  if (it == impl_->conns.end() || !it->second.waiting) return;
  it->second.waiting = false;
  it->second.handed_over = true;
  it->second.s.detected = how;
  it->second.start[0] = client_offset;
  it->second.start[1] = server_offset;
}

void TlsAnalyzer::no_tls(const TcpConnection& c) {
  auto it = impl_->conns.find(c.id);
  if (it != impl_->conns.end() && it->second.waiting) impl_->conns.erase(it);  // keeps() lets it go
}

void TlsAnalyzer::on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) {
  auto it = impl_->conns.find(c.id);
  if (it == impl_->conns.end()) {
    // Not on a TLS port: TLS when the client's first bytes hold a ClientHello; else let go.
    if (from != Side::client || offset != 0 || !tls::looks_like_any_client_hello(data)) return;
    if (impl_->conns.size() >= kMaxOpen) {
      ++impl_->out.untracked_connections;
      return;
    }
    it = impl_->conns.find(impl_->add(c, "content").s.connection);
  }
  Conn& k = it->second;
  if (k.waiting) return;
  const std::uint64_t start = k.start[index(from)];
  if (offset + data.size() <= start) return;  // before AUTH TLS was accepted
  if (offset < start) data = tail(data, static_cast<std::size_t>(start - offset));
  Dir& d = k.dir[index(from)];
  if (d.broken) return;
  if (k.candidate && !d.seen) {
    // No SYN: a ClientHello at the client's first byte starts TLS as usual; anything else is
    // searched for a run of record headers (the capture started mid-stream).
    if (from == Side::client && offset == 0 && tls::looks_like_any_client_hello(data)) {
      k.candidate = false;
      if (!k.tls_port) k.s.detected = "content";
      for (Dir& o : k.dir) {  // the server's bytes may have come first: read from their start
        if (!o.syncing) continue;
        o.syncing = false;
        o.broken = o.base != 0;
      }
    } else {
      d.syncing = true;
      d.base = offset;
    }
  }
  d.seen = true;
  if (d.broken) return;
  d.buf.append(reinterpret_cast<const char*>(data.data()), data.size());
  if (k.handed_over && from == Side::client && !k.verified) {
    // Content check at the hand-over: the client's first bytes there must be a ClientHello (a
    // client that gave up, or a protocol parser that misread the exchange, sends something else).
    if (d.buf.size() < 11) return;
    if (!tls::looks_like_any_client_hello(as_bytes(d.buf))) {
      ++impl_->out.handover_not_tls;
      impl_->conns.erase(it);  // keeps() lets it go
      return;
    }
    k.verified = true;
  }
  if (d.syncing) impl_->resync(k, from, false, ts);
  else impl_->records(k, from, ts);
}

void TlsAnalyzer::on_gap(const TcpConnection& c, Side from, std::uint64_t, std::uint64_t, std::int64_t) {
  auto it = impl_->conns.find(c.id);
  if (it == impl_->conns.end()) return;
  Dir& d = it->second.dir[index(from)];
  d.broken = true;  // record framing is lost with the bytes (also while looking for it mid-stream)
  d.syncing = false;
  d.buf.clear();
}

void TlsAnalyzer::on_close(const TcpConnection& c) {
  auto& im = *impl_;
  auto it = im.conns.find(c.id);
  if (it == im.conns.end()) return;
  Conn& k = it->second;
  for (const Side from : {Side::client, Side::server})  // the end of the data may complete a run
    if (k.dir[index(from)].syncing) im.resync(k, from, true, c.last_ns);
  if (!k.hello && k.s.midstream) {
    // Picked up mid-stream: the handshake was before the capture, so nothing is said about it
    // (no handshake failure, no version); only what the records show.
    TlsSession& s = k.s;
    s.app_data = k.dir[0].app_records + k.dir[1].app_records > 0;
    ++im.out.midstream_sessions;
    ++im.by_detection[s.detected];
    if (im.kept.size() < kMaxSessions) im.kept.push_back(s);
  } else if (k.hello) {
    TlsSession& s = k.s;
    // TLS 1.3 hides the client's Finished (and the server's whole flight) in application-data
    // records: the client's first such record completes the handshake, a second one is data.
    const bool v13 = k.chosen == 0x0304;
    s.completed = !k.fatal && (v13 ? k.dir[0].app_records >= 1 : (k.dir[0].ccs && k.dir[1].ccs));
    s.app_data = v13 ? k.dir[0].app_records >= 2 : (k.dir[0].app_records + k.dir[1].app_records) > 0;
    ++im.out.sessions_total;
    ++im.by_detection[s.detected];
    if (!s.version.empty()) ++im.versions[s.version];
    if (!s.cipher.empty()) ++im.ciphers[s.cipher];
    if (!s.sni.empty() && (im.snis.size() < kMaxNames || im.snis.count(s.sni))) ++im.snis[s.sni];
    const std::string where =
        fmt::format("{} -> {}:{}{}", s.client.str(), s.server.str(), s.server_port, s.sni.empty() ? "" : " (" + s.sni + ")");
    if (k.fatal || (!s.completed && c.state != TcpState::established)) {
      ++im.out.handshakes_failed;
      const std::string why = s.alerts.empty() ? std::string(": the connection ended before any data") : ": " + s.alerts.front();
      const AlertAdvice advice = alert_advice(k.fatal_alert);
      const std::string cause =
          k.fatal_alert >= 0 ? tls::alert_name(static_cast<std::uint8_t>(k.fatal_alert)) : std::string("no alert");
      if (im.emit && k.handed_over) {
        Finding f{Severity::error, "application", "starttls_failed", s.hello_ns, c.id,
                  fmt::format("TLS handshake after {} {} failed{}{}", s.detected, where, why,
                              k.fatal_alert >= 0 ? fmt::format(" ({})", tls::alert_meaning(static_cast<std::uint8_t>(k.fatal_alert)))
                                                 : std::string()),
                  fmt::format("The server accepted the switch to TLS ({}) but the handshake that followed "
                              "failed: the connection cannot carry its protocol securely. {}",
                              s.detected, advice.advice)};
        f.between(c.client, c.client_port, c.server, c.server_port).because(cause).about(s.sni);
        f.hint = advice.hint;
        im.emit(f);
      } else if (im.emit) {
        Finding f{Severity::error, "application", "tls_handshake_failed", s.hello_ns, c.id,
                  fmt::format("TLS handshake {} failed{}", where, why),
                  fmt::format("The client and server could not complete the handshake{}. {}",
                              k.fatal_alert >= 0 ? fmt::format(" ({})", tls::alert_meaning(static_cast<std::uint8_t>(k.fatal_alert)))
                                                 : std::string(),
                              advice.advice)};
        f.between(c.client, c.client_port, c.server, c.server_port).because(cause).about(s.sni);
        f.hint = advice.hint;
        im.emit(f);
      }
    }
    if ((s.version == "SSL 3.0" || s.version == "TLS 1.0" || s.version == "TLS 1.1") && im.emit) {
      Finding f{Severity::warning, "application", "tls_obsolete_version", s.hello_ns, c.id,
                fmt::format("TLS session {} uses {}", where, s.version),
                "SSL 3.0, TLS 1.0 and 1.1 are deprecated (RFC 8996): configure TLS 1.2 or 1.3."};
      f.between(c.client, c.client_port, c.server, c.server_port).because(s.version).about(s.sni);
      f.hint = "The AT-TLS rule's TTLSEnvironmentAdvancedParms (TLSv1.2/TLSv1.3 On, older Off) chooses the "
               "versions.";
      im.emit(f);
    }
    if (s.sslv2_hello && im.emit) {
      Finding f{Severity::warning, "application", "tls_sslv2_hello", s.hello_ns, c.id,
                fmt::format("TLS client {} sent its ClientHello in the SSLv2 format, offering {}", where, s.offered),
                s.offered == "SSL 2.0"
                    ? "The client asked for SSL 2.0, which is prohibited (RFC 6176): a scanner probing for SSLv2, "
                      "or a client far too old to talk to a current server."
                    : "The SSLv2 record format cannot carry TLS extensions: no server name (SNI), no elliptic-curve "
                      "groups or signature algorithms, no TLS 1.3. It comes from very old TLS stacks or from "
                      "scanners; a server that needs any of these fails the handshake or falls back to weaker "
                      "choices."};
      f.between(c.client, c.client_port, c.server, c.server_port).because(s.offered);
      f.hint = "Find the client by its address: update its TLS library or configuration (a client that still sends "
               "SSLv2-format hellos has SSLv2 compatibility switched on), or, for a scanner, nothing needs to change.";
      im.emit(f);
    }
    if (im.kept.size() < kMaxSessions) im.kept.push_back(s);
  } else if (k.handed_over && im.emit) {
    Finding f{Severity::error, "application", "starttls_failed", c.last_ns, c.id,
                    fmt::format("{} accepted on {} -> {}:{} but the client sent no TLS handshake", k.s.detected,
                                k.s.client.str(), k.s.server.str(), k.s.server_port),
                    "The server agreed to switch to TLS and the client then closed the connection (or the capture "
                    "ended) before its ClientHello: the client could not start TLS (its own TLS configuration, "
                    "no usable certificate or protocol version)."};
    im.emit(f.between(c.client, c.client_port, c.server, c.server_port));
  }
  im.conns.erase(it);
}

void TlsAnalyzer::finish() {
  auto& im = *impl_;
  auto sorted = [](const std::map<std::string, std::uint64_t>& m) {
    std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > 50) v.resize(50);
    return v;
  };
  im.out.versions = sorted(im.versions);
  im.out.ciphers = sorted(im.ciphers);
  im.out.snis = sorted(im.snis);
  im.out.handshake_types.assign(im.hs_types.begin(), im.hs_types.end());
  im.out.alert_messages.assign(im.alert_msgs.begin(), im.alert_msgs.end());
  im.out.detected.assign(im.by_detection.begin(), im.by_detection.end());
  im.out.sessions = im.kept;
  std::sort(im.out.sessions.begin(), im.out.sessions.end(),
            [](const TlsSession& a, const TlsSession& b) { return a.connection < b.connection; });
}

}  // namespace ctana
