// Where TLS begins inside a plaintext protocol: SMTP and IMAP STARTTLS, POP3 STLS, LDAP StartTLS,
// XMPP <starttls/>, PostgreSQL SSLRequest, MySQL's SSL request, Telnet START_TLS and HTTP CONNECT.
// Just enough of each protocol is read to see the request, the server's answer, whether the
// server offered the upgrade, and credentials sent in clear. The TLS analyzer is told where TLS
// starts (TlsAnalyzer::start_tls) and reads the handshake. Definitions: docs/tls.md "STARTTLS".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctana/tcp.hpp"
#include "ctana/tls.hpp"

namespace ctana {

struct StartTlsOptions {
  // Extra server ports by protocol name ("smtp", "imap", "pop3", "ldap", "xmpp", "postgresql",
  // "mysql", "telnet", "tn3270", "http-proxy"), from --app NAME=PORT; the usual ports are known.
  std::vector<std::pair<std::string, std::uint16_t>> port_names;
};

class StartTlsAnalyzer final : public TcpStreamSink {
 public:
  // Counts go to out.starttls; findings starttls_refused and plaintext_credentials to `findings`.
  StartTlsAnalyzer(StartTlsOptions opt, TlsReport& out, FindingSink findings);
  ~StartTlsAnalyzer() override;
  bool wants(const TcpConnection& c) override;
  void on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) override;
  void on_gap(const TcpConnection& c, Side from, std::uint64_t offset, std::uint64_t length, std::int64_t ts) override;
  void on_close(const TcpConnection& c) override;
  bool keeps(const TcpConnection& c) override;
  // The server ports watched (for TlsAnalyzer::starttls_port).
  std::vector<std::uint16_t> ports() const;
  // TLS starts at these stream offsets (client, server); `how` names the upgrade ("SMTP STARTTLS").
  void on_tls(std::function<void(const TcpConnection&, std::uint64_t, std::uint64_t, std::string_view)> f);
  // The connection will not switch to TLS (another protocol, or past the point where it could).
  void on_no_tls(std::function<void(const TcpConnection&)> f);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
