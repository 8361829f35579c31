// libFuzzer target: STARTTLS. The chunks (fuzz_util.hpp) are the two directions of TCP
// connections to one of the ports the STARTTLS parsers watch (the first byte picks SMTP, IMAP,
// POP3, LDAP, XMPP, PostgreSQL, MySQL, Telnet or HTTP CONNECT), fed, as in the pipeline, to the
// STARTTLS analyzer and then to the TLS analyzer it hands connections over to.
#include "ctana/starttls.hpp"
#include "ctana/tls.hpp"
#include "fuzz_util.hpp"

namespace {
// The two sinks in the pipeline's order: STARTTLS first, TLS second.
struct Both {
  ctana::StartTlsAnalyzer& s;
  ctana::TlsAnalyzer& t;
  bool s_on = false, t_on = false;
  bool wants(const ctana::TcpConnection& c) {
    s_on = s.wants(c);
    t_on = t.wants(c);
    return s_on || t_on;
  }
  void on_data(const ctana::TcpConnection& c, ctana::Side from, std::uint64_t off, ctana::Bytes d, std::int64_t ts) {
    if (s_on) s.on_data(c, from, off, d, ts);
    if (s_on && !s.keeps(c)) s_on = false;
    if (t_on) t.on_data(c, from, off, d, ts);
    if (t_on && !t.keeps(c)) t_on = false;
  }
  void on_gap(const ctana::TcpConnection& c, ctana::Side from, std::uint64_t off, std::uint64_t len, std::int64_t ts) {
    if (s_on) s.on_gap(c, from, off, len, ts);
    if (t_on) t.on_gap(c, from, off, len, ts);
  }
  void on_close(const ctana::TcpConnection& c) {
    if (s_on) s.on_close(c);
    if (t_on) t.on_close(c);
  }
  bool keeps(const ctana::TcpConnection&) const { return s_on || t_on; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctana;
  fuzz::Cursor in(data, size);
  const std::uint8_t opts = in.u8();
  static const std::uint16_t kPorts[] = {25, 143, 110, 389, 5222, 5432, 3306, 23, 3128};
  TlsReport rep;
  std::uint64_t findings = 0;
  TlsAnalyzer tls(rep, [&findings](const Finding&) { ++findings; });
  StartTlsAnalyzer starttls({}, rep, [&findings](const Finding&) { ++findings; });
  for (auto port : starttls.ports()) tls.starttls_port(port);
  starttls.on_tls([&tls](const TcpConnection& c, std::uint64_t co, std::uint64_t so, std::string_view how) {
    tls.start_tls(c, co, so, how);
  });
  starttls.on_no_tls([&tls](const TcpConnection& c) { tls.no_tls(c); });
  Both both{starttls, tls};
  fuzz::feed_stream(in, both, fuzz::connection(1, opts & 1, kPorts[(opts >> 1) % 9]), 4);
  tls.finish();
  starttls.finish();
  for (const auto& r : rep.starttls) {
    fuzz::require(r.accepted + r.refused <= r.requested, "more upgrades answered than requested");
    fuzz::require(r.offered <= r.connections && r.clear_credentials <= r.connections, "more than one per connection");
  }
  fuzz::require(rep.handshakes_failed <= rep.sessions_total, "more failed handshakes than sessions");
  return 0;
}
