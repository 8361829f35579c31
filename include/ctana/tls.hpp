// TLS (RFC 5246, 8446) seen from the outside: ClientHello (SNI, offered versions, ALPN),
// ServerHello (chosen version and cipher suite), alerts in clear, and whether application data
// followed. Definitions: docs/tls.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctana/tcp.hpp"

namespace ctana {

namespace tls {
struct ClientHello {
  std::uint16_t legacy_version = 0;
  std::string sni;
  std::vector<std::uint16_t> versions;  // supported_versions extension
  std::vector<std::string> alpn;
  std::uint16_t cipher_suites = 0;      // how many were offered
};
struct ServerHello {
  std::uint16_t version = 0;            // from supported_versions when present
  std::uint16_t cipher = 0;
  std::string alpn;
};
// `body` is one handshake message body (after its 4-byte header).
bool parse_client_hello(Bytes body, ClientHello& out);
bool parse_server_hello(Bytes body, ServerHello& out);
std::string version_name(std::uint16_t v);      // "TLS 1.2", "SSL 3.0", ...
std::string cipher_name(std::uint16_t c);       // IANA name for common suites, else 0xNNNN
std::string alert_name(std::uint8_t d);         // "handshake_failure", ...
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
  std::int64_t server_hello_latency_ns = -1;  // ClientHello -> ServerHello
  bool completed = false;       // both Finished sent (TLS <= 1.2: ChangeCipherSpec both ways; TLS 1.3:
                                // an encrypted record from the client) and no fatal alert
  bool app_data = false;        // application data records beyond the handshake
  std::vector<std::string> alerts;  // "fatal handshake_failure from server"
};

struct TlsReport {
  bool present = false;
  std::uint64_t sessions_total = 0, handshakes_failed = 0, alerts_total = 0;
  std::vector<std::pair<std::string, std::uint64_t>> versions, ciphers, snis;  // by count
  std::vector<TlsSession> sessions;  // the first 1000
};

class TlsAnalyzer final : public TcpStreamSink {
 public:
  TlsAnalyzer(TlsReport& out, std::function<void(const Finding&)> findings);
  ~TlsAnalyzer() override;
  bool wants(const TcpConnection& c) override;
  void on_data(const TcpConnection& c, int from, std::uint64_t offset, Bytes data, std::int64_t ts) override;
  void on_gap(const TcpConnection& c, int from, std::uint64_t offset, std::uint64_t length, std::int64_t ts) override;
  void on_close(const TcpConnection& c) override;
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
