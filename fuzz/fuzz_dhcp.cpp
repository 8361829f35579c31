// libFuzzer target: DHCP / BOOTP. Each chunk (fuzz_util.hpp) is one message: the parser runs on
// it (fixed part, magic cookie, every option), then the DHCP analyzer gets it as a UDP datagram
// between ports 68 and 67 (flags bit 0: from the server), so exchanges are followed by
// transaction id.
#include <vector>

#include "ctana/dhcp.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctana;
  fuzz::Cursor in(data, size);
  DhcpReport rep;
  DhcpAnalyzer dhcp(rep, [](const Finding&) {});
  std::vector<std::uint8_t> pkt;
  std::uint64_t n = 0;
  fuzz::Cursor::Chunk ch;
  while (in.chunk(ch)) {
    dhcp::Message m;
    const char* err = nullptr;
    if (!dhcp::parse(ch.data, m, err)) fuzz::require(err != nullptr, "DHCP parse failed without saying why");
    (void)dhcp::type_name(m.type);
    const bool from_server = ch.flags & 1;
    fuzz::udp_packet(pkt, false, from_server, from_server ? 67 : 68, from_server ? 68 : 67, ch.data);
    ++n;
    const Record r = fuzz::ip_record(pkt, n, static_cast<std::int64_t>(n) * 1'000'000'000);
    Packet p;
    decode(r, p);
    dhcp.on_packet(p);
  }
  dhcp.finish();
  fuzz::require(rep.messages + rep.malformed <= n, "more DHCP messages counted than sent");
  return 0;
}
