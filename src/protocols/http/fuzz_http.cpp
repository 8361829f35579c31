// libFuzzer target: HTTP/1.x. The first byte chooses the options (bit 0 --show-secrets, bit 1
// IPv6, bit 2 the connection on a port of the module, else found by the content probe); each
// chunk (fuzz_util.hpp) is connection data from the client or the server, with gaps, several
// connections and resets. The line parsers and the maskers run on each chunk; the module's
// analyzer follows the connections through the registry's probing sink; the section is rendered
// (JSON, text, HTML), and with secrets masked no credential is shown.
#include <string>
#include <string_view>

#include "ctana/module.hpp"
#include "fuzz_util.hpp"
#include "protocols/http/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {  // checked-reads: allow the libFuzzer entry point
  using namespace ctana;
  fuzz::Cursor in(data, size);
  const std::uint8_t opts = in.u8();
  const ProtocolModule* m = find_module("http");
  fuzz::require(m != nullptr, "no http module");
  ModuleContext ctx;
  ctx.tcp_ports = m->tcp_ports;
  ctx.show_secrets = (opts & 1) != 0;
  ctx.rt_threshold_ns = 2'000'000;
  ctx.findings = [](const Finding& f) {
    fuzz::require(!f.kind.empty() && find_kind(f.kind) != nullptr, "finding of a kind not in the catalogue");
  };
  ModuleParts parts = m->make(ctx);
  auto sink = probing_sink(*m, ctx.tcp_ports, *parts.analyzer);
  auto lines = [](const TcpConnection&, const fuzz::Cursor::Chunk& ch, const std::uint64_t*) {
    std::string t;
    for (const std::uint8_t b : ch.data) t.push_back(static_cast<char>(b));
    http::RequestLine r;
    http::StatusLine s;
    std::string_view name, value;
    std::uint64_t n = 0;
    (void)http::parse_request_line(t, r);
    (void)http::parse_status_line(t, s);
    (void)http::parse_header(t, name, value);
    (void)http::parse_chunk_size(t, n);
    (void)http::probe(Side::client, ch.data);
    const std::string masked = http::mask_target(t);
    fuzz::require(masked.size() <= t.size() + 6 * (t.size() + 1), "masked target grew without bound");
    (void)http::mask_authorization(t);
  };
  fuzz::feed_stream(in, *sink, fuzz::connection(1, (opts & 2) != 0, static_cast<std::uint16_t>((opts & 4) ? 80 : 5555)), 4, lines);
  parts.analyzer->finish();
  const auto j = parts.section->json();
  (void)parts.section->text();
  (void)parts.section->html();
  if (!ctx.show_secrets)
    for (const auto& t : j["transactions"])
      if (t["credentials"].is_string()) {
        const std::string c = t["credentials"].get<std::string>();
        fuzz::require(c.find("*****") != std::string::npos, "credentials not masked");
      }
  fuzz::require(j["matched"].get<std::uint64_t>() <= j["requests"].get<std::uint64_t>(), "more matched than requests");
  return 0;
}
