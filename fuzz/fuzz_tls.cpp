// libFuzzer target: TLS. The chunks (fuzz_util.hpp) are the two directions of TCP connections:
// the TLS analyzer reads records out of them (handshake messages spanning records, alerts in
// clear and encrypted, ChangeCipherSpec, gaps); the ClientHello / ServerHello parsers and the
// ClientHello sniffer also run on each chunk directly. The first byte picks the server port:
// 443 (TLS by port), 21 (FTP, TLS after start_tls, which flags bit 5 of a chunk triggers) or
// 5555 (TLS only when the client's first bytes are a ClientHello).
#include "ctana/tls.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctana;
  fuzz::Cursor in(data, size);
  const std::uint8_t opts = in.u8();
  static const std::uint16_t kPorts[] = {443, 21, 5555};
  TlsReport rep;
  TlsAnalyzer tls(rep, [](const Finding&) {});
  tls.starttls_port(21);
  auto direct = [&tls](const TcpConnection& c, const fuzz::Cursor::Chunk& ch, const std::uint64_t* off) {
    (void)tls::looks_like_client_hello(ch.data);
    if (ch.data.size() >= 4) {
      tls::ClientHello h;
      tls::ServerHello s;
      (void)tls::parse_client_hello(ch.data.subspan(4), h);
      (void)tls::parse_server_hello(ch.data.subspan(4), s);
      for (auto v : h.versions) (void)tls::version_name(v);
      (void)tls::cipher_name(s.cipher);
      (void)tls::handshake_name(ch.data[0]);
      (void)tls::alert_name(ch.data[1]);
    }
    if (ch.flags & 0x20) tls.start_tls(c, off[0], off[1]);
  };
  fuzz::feed_stream(in, tls, fuzz::connection(1, opts & 1, kPorts[(opts >> 1) % 3]), 4, direct);
  tls.finish();
  fuzz::require(rep.handshakes_failed <= rep.sessions_total, "more failed handshakes than sessions");
  return 0;
}
