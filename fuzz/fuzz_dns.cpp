// libFuzzer target: DNS. Each chunk (fuzz_util.hpp) is one DNS message: the message parser runs
// on it (names with compression pointers, loops included, every record type rendered), then the
// DNS analyzer gets it as a UDP datagram between port 53 and a client, or (flags bit 1) as bytes
// of a DNS-over-TCP stream with its 2-byte length framing. Flags bit 0: sent by the server;
// bits 4-7: seconds since the previous message, so queries time out, retry and are answered.
#include <vector>

#include "ctana/dns.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctana;
  fuzz::Cursor in(data, size);
  const bool v6 = in.u8() & 1;
  DnsReport rep;
  DnsAnalyzer dns(DnsOptions{}, rep, [](const Finding&) {});
  TcpConnection c = fuzz::connection(1, v6, 53);
  const bool tcp_open = dns.wants(c);
  std::uint64_t off[2] = {0, 0};
  std::vector<std::uint8_t> pkt;
  std::int64_t ts = 1'700'000'000'000'000'000;
  std::uint64_t n = 0;
  fuzz::Cursor::Chunk ch;
  while (in.chunk(ch)) {
    dns::Message m;
    const char* err = nullptr;
    if (!dns::parse(ch.data, m, err)) fuzz::require(err != nullptr, "DNS parse failed without saying why");
    fuzz::require(m.questions.size() <= 8 && m.answers.size() <= 32, "DNS message kept more records than its caps");
    for (const auto& q : m.questions) (void)dns::type_name(q.type);
    (void)dns::rcode_name(m.rcode);
    ts += 1'000'000'000ll * (ch.flags >> 4) + 1'000'000;
    const bool from_server = ch.flags & 1;
    if (ch.flags & 2) {
      if (tcp_open) dns.on_data(c, from_server ? Side::server : Side::client, off[from_server], ch.data, ts);
      off[from_server] += ch.data.size();
      continue;
    }
    fuzz::udp_packet(pkt, v6, from_server, from_server ? 53 : 40000, from_server ? 40000 : 53, ch.data);
    const Record r = fuzz::ip_record(pkt, ++n, ts);
    Packet p;
    decode(r, p);
    dns.on_packet(p);
  }
  if (tcp_open) dns.on_close(c);
  dns.finish();
  fuzz::require(rep.answered + rep.unmatched_responses <= rep.responses, "more responses matched than seen");
  return 0;
}
