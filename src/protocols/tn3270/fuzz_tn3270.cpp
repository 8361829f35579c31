// libFuzzer target: TN3270 / TN3270E. The first byte chooses the options (bit 1 IPv6, bit 2 the
// connection on port 23, else found by the content probe); each chunk (fuzz_util.hpp) is
// connection data from the terminal or the host, with gaps, several connections and resets. The
// name tables and the probe run on each chunk, a Session of its own reads every chunk too; the
// module's analyzer follows the connections through the registry's probing sink; the section is
// rendered (JSON, text, HTML) and its counts are checked against each other.
#include <string>

#include "ctana/module.hpp"
#include "fuzz_util.hpp"
#include "protocols/tn3270/tn3270.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {  // checked-reads: allow the libFuzzer entry point
  using namespace ctana;
  fuzz::Cursor in(data, size);
  const std::uint8_t opts = in.u8();
  const ProtocolModule* m = find_module("tn3270");
  fuzz::require(m != nullptr, "no tn3270 module");
  ModuleContext ctx;
  ctx.tcp_ports = m->tcp_ports;
  ctx.rt_threshold_ns = 2'000'000;
  ctx.findings = [](const Finding& f) {
    fuzz::require(!f.kind.empty() && find_kind(f.kind) != nullptr, "finding of a kind not in the catalogue");
  };
  ModuleParts parts = m->make(ctx);
  auto sink = probing_sink(*m, ctx.tcp_ports, *parts.analyzer);
  std::uint64_t records = 0;
  tn3270::SessionEvents ev;
  ev.record = [&records](const tn3270::Record& r) {
    ++records;
    fuzz::require(r.first_ns <= r.last_ns, "a record ends before it begins");
  };
  tn3270::Session own(std::move(ev));
  auto each = [&own](const TcpConnection&, const fuzz::Cursor::Chunk& ch, const std::uint64_t*) {
    for (const std::uint8_t b : ch.data) {
      (void)tn3270::command_name(b);
      (void)tn3270::aid_name(b);
      (void)tn3270::option_name(b);
      (void)tn3270::reason_meaning(b);
    }
    (void)tn3270::probe(Side::server, ch.data);
    own.data(ch.data.size() % 2 ? Side::client : Side::server, ch.data, 0);
  };
  fuzz::feed_stream(in, *sink, fuzz::connection(1, (opts & 2) != 0, static_cast<std::uint16_t>((opts & 4) ? 23 : 5555)), 4, each);
  own.close();
  parts.analyzer->finish();
  const auto j = parts.section->json();
  (void)parts.section->text();
  (void)parts.section->html();
  fuzz::require(records <= own.records(Side::client) + own.records(Side::server), "more records reported than read");
  if (parts.section->seen()) {
    const auto n = j["connections"].get<std::uint64_t>();
    fuzz::require(j["modes"]["tn3270e"].get<std::uint64_t>() + j["modes"]["tn3270"].get<std::uint64_t>() +
                          j["modes"]["nvt"].get<std::uint64_t>() == n, "modes do not add up to the sessions");
    fuzz::require(j["responses"].get<std::uint64_t>() <= j["records"]["from_terminal"].get<std::uint64_t>(),
                  "more answers than terminal records");
  }
  return 0;
}
