// libFuzzer target: FTP. Each chunk (fuzz_util.hpp) is control-connection data from the client
// or the server; the line parsers (commands, PORT/227 host-port, EPRT, 229 EPSV) run on each
// chunk, the FTP analyzer follows the connection (logins, replies, multi-line replies, AUTH
// TLS, gaps, several sessions), and every data connection a PORT, EPRT, 227 or 229 announced is
// then offered to it as a finished TCP connection.
#include <string_view>
#include <vector>

#include "ctana/ftp.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctana;
  fuzz::Cursor in(data, size);
  const std::uint8_t opts = in.u8();
  FtpOptions fo;
  fo.show_secrets = opts & 1;
  FtpReport rep;
  FtpAnalyzer ftp(fo, rep, [](const Finding& f) { fuzz::require(!f.kind.empty(), "finding without a kind"); });
  ftp.on_tls([](const TcpConnection&, std::uint64_t, std::uint64_t) {});
  std::vector<TcpConnection> data_conns;
  const bool v6 = opts & 2;
  auto parse = [&](const TcpConnection&, const fuzz::Cursor::Chunk& ch, const std::uint64_t*) {
    const std::string_view t(reinterpret_cast<const char*>(ch.data.data()), ch.data.size());
    (void)ftp::parse_command(t);
    IpAddr a;
    std::uint16_t port = 0;
    TcpConnection d = fuzz::connection(100 + data_conns.size(), v6, 0);
    d.state = static_cast<TcpState>(ch.flags % 7);
    d.dir[0].payload_bytes = d.dir[1].payload_bytes = ch.data.size();
    if (ftp::parse_host_port(t, a, port) || (t.size() > 5 && ftp::parse_eprt(t.substr(5), a, port))) {
      d.server = a;
      d.server_port = port;
      data_conns.push_back(d);
    } else if (ftp::parse_epsv_port(t, port)) {
      d.server_port = port;
      data_conns.push_back(d);
    }
    for (int code : {ch.flags * 4, 425, 530}) (void)ftp::reply_meaning(code);
  };
  fuzz::feed_stream(in, ftp, fuzz::connection(1, v6, 21), 4, parse);
  for (const auto& c : data_conns) ftp.on_connection(c);
  ftp.finish();
  if (!fo.show_secrets)
    for (const auto& s : rep.sessions)
      for (const auto& row : s.log)
        fuzz::require(!(row.verb == "PASS" || row.verb == "ACCT") || row.arg.empty() || row.arg == "*****",
                      "PASS/ACCT argument not masked");
  return 0;
}
