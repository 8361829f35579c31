// TLS (RFC 5246, 8446) seen from the outside: ClientHello (SNI, offered versions, ALPN),
// ServerHello (chosen version and cipher suite), alerts in clear, and whether application data
// followed. Definitions: docs/tls.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ctana/tcp.hpp"

namespace ctana {

namespace tls {
struct ClientHello {
  std::uint16_t legacy_version = 0;
  std::string sni;
  std::vector<std::uint16_t> versions;  // supported_versions extension
  std::vector<std::string> alpn;
  std::uint16_t cipher_suites = 0;      // how many were offered (SSLv2 format: cipher specs)
};
struct ServerHello {
  std::uint16_t version = 0;            // from supported_versions when present
  std::uint16_t cipher = 0;
  std::string alpn;
  bool retry_request = false;           // a HelloRetryRequest (RFC 8446 4.1.3), not the real ServerHello
};
// `body` is one handshake message body (after its 4-byte header).
bool parse_client_hello(Bytes body, ClientHello& out);
bool parse_server_hello(Bytes body, ServerHello& out);
std::string version_name(std::uint16_t v);      // "TLS 1.2", "SSL 3.0", ...
std::string cipher_name(std::uint16_t c);       // IANA name for common suites, else 0xNNNN
std::string alert_name(std::uint8_t d);         // "handshake_failure", ...
std::string_view alert_meaning(std::uint8_t d); // what a fatal alert usually means, in words
std::string handshake_name(std::uint8_t t);     // "client_hello", "certificate", ... (RFC 8446 names)
// Whether `data`, the first bytes a client sent on a connection, start a TLS record holding a
// ClientHello: content type 22, version 3.x, a plausible length, handshake type 1.
bool looks_like_client_hello(Bytes data);
// The SSLv2-format ClientHello (RFC 5246 appendix E.2) that old clients and scanners still send:
// a 2-byte header with the top bit set, message type 1, version 2.0 or 3.x, and cipher-spec,
// session-id and challenge lengths that add up to the record length. Whether `data` starts with
// one (its first 11 bytes are enough), and, when the whole record is there, its size in bytes
// (0 otherwise) with the version and the number of cipher specs in `out`.
bool looks_like_sslv2_client_hello(Bytes data);
std::size_t sslv2_client_hello(Bytes data, ClientHello& out);
// Either form.
bool looks_like_any_client_hello(Bytes data);

// Mid-stream resync (docs/tls.md "Mid-stream"): a record header is plausible when its content
// type is 20-24, its version 3.0-3.4 and its length 1..kMaxRecordLength (2^14 + 2048).
constexpr std::uint16_t kMaxRecordLength = 16384 + 2048;
enum class Run { no, more, yes };
struct RunRule {
  int need = 2;                // consecutive plausible headers, each record ending where the next begins
  bool final = false;          // no more data will come: `more` becomes `no`, and ...
  int at_end = 2;              // ... a run of this many records ending exactly at the end of the data is enough
  std::uint16_t version = 0;   // every header has this version (0: the first header's)
};
// Whether a run of plausible record headers of one version starts at `pos` of `d`: yes, no, or
// more (the data ends before it can be told). Reads only inside `d`.
Run record_run(Bytes d, std::size_t pos, const RunRule& rule);
}  // namespace tls

struct TlsSession {
  std::uint64_t connection = 0;
  IpAddr client, server;
  std::uint16_t server_port = 0;
  std::string sni;
  std::string offered;          // highest version the client offered
  std::string version;          // the version the server chose
  std::string cipher;
  std::string alpn;
  std::int64_t hello_ns = 0;
  std::int64_t server_hello_latency_ns = -1;  // ClientHello -> ServerHello (after a HelloRetryRequest:
                                              // the second ClientHello -> the real ServerHello)
  bool hello_retry = false;     // the server answered the first ClientHello with a HelloRetryRequest
  bool sslv2_hello = false;     // the ClientHello came in the SSLv2 record format
  bool completed = false;       // both Finished sent (TLS <= 1.2: ChangeCipherSpec both ways; TLS 1.3:
                                // an encrypted record from the client) and no fatal alert
  bool app_data = false;        // application data records beyond the handshake
  std::vector<std::string> alerts;  // "fatal handshake_failure from server"
  std::uint32_t encrypted_alerts = 0;  // alert records that are encrypted (after ChangeCipherSpec)
  std::string detected = "port";  // how TLS was found: "port", "content" (a ClientHello), the
                                // upgrade it followed: "AUTH TLS" (FTP), "SMTP STARTTLS", "HTTP CONNECT", ...,
                                // or "resync" (picked up mid-stream)
  // The capture started in the middle of the connection (no SYN) and its records were found by
  // the mid-stream resync: the handshake was not captured (no ClientHello, version or cipher).
  bool midstream = false;
  std::array<std::int64_t, 2> skipped{-1, -1};  // per sender (client, server): bytes before the first
                                                // record; -1: no record found in that direction
};

// A plaintext protocol that can switch to TLS (STARTTLS and the like), seen on some connections.
struct StartTlsRow {
  std::string protocol;           // "SMTP", "IMAP", ...
  std::uint64_t connections = 0;  // connections followed
  std::uint64_t offered = 0;      // the server announced the upgrade (SMTP EHLO, IMAP/POP3 capabilities, XMPP features)
  std::uint64_t requested = 0, accepted = 0, refused = 0;
  std::uint64_t clear_credentials = 0;  // connections that sent credentials in clear and never switched
  std::uint64_t untracked = 0;    // connections not followed: 100,000 were open
};

struct TlsReport {
  bool present = false;
  std::uint64_t sessions_total = 0, handshakes_failed = 0, alerts_total = 0;
  std::vector<std::pair<std::string, std::uint64_t>> versions, ciphers, snis;  // by count
  std::uint64_t encrypted_alerts = 0;  // alert records sent encrypted: level and description unknown
  std::vector<std::pair<std::string, std::uint64_t>> handshake_types;  // clear handshake messages, by name
  std::vector<std::pair<std::string, std::uint64_t>> alert_messages;   // clear alerts: "fatal unknown_ca" -> count
  std::vector<TlsSession> sessions;  // the first 1000
  std::uint64_t untracked_connections = 0;  // TLS connections not followed: 100,000 were open
  std::vector<std::pair<std::string, std::uint64_t>> detected;  // sessions by how TLS was found
  std::vector<StartTlsRow> starttls;  // per protocol, those with connections (StartTlsAnalyzer)
  std::uint64_t handover_not_tls = 0;  // a protocol handed over but the client's next bytes were no ClientHello
  std::uint64_t midstream_sessions = 0;  // connections picked up mid-stream (in `sessions`, not in sessions_total)
  std::uint64_t hello_retries = 0;       // handshakes with a HelloRetryRequest (TLS 1.3: an extra round trip)
  std::uint64_t sslv2_hellos = 0;        // handshakes whose ClientHello came in the SSLv2 record format
};

class TlsAnalyzer final : public TcpStreamSink {
 public:
  TlsAnalyzer(TlsReport& out, FindingSink findings);
  ~TlsAnalyzer() override;
  bool wants(const TcpConnection& c) override;
  void on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) override;
  void on_gap(const TcpConnection& c, Side from, std::uint64_t offset, std::uint64_t length, std::int64_t ts) override;
  void on_close(const TcpConnection& c) override;
  bool keeps(const TcpConnection& c) override;
  // Connections to this port may switch to TLS later (FTP control after AUTH TLS, SMTP after
  // STARTTLS, ...): follow them and wait for start_tls() or no_tls().
  void starttls_port(std::uint16_t port);
  // TLS starts at these stream offsets (client, server) of a connection to a starttls_port; `how`
  // names the upgrade ("AUTH TLS" for FTP, "SMTP STARTTLS", ...). The client's bytes at its offset must
  // hold a ClientHello, or the connection is let go (docs/tls.md).
  void start_tls(const TcpConnection& c, std::uint64_t client_offset, std::uint64_t server_offset,
                 std::string_view how = "AUTH TLS");
  // The connection to a starttls_port will not switch to TLS: stop following it.
  void no_tls(const TcpConnection& c);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
