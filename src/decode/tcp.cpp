// TCP (RFC 9293): header, data offset checks, options (MSS, window scale, SACK-permitted, SACK
// blocks, timestamps), checksum when the whole segment was captured.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
// The option values are read through Fixed views of their checked length: a length that the
// switch did not expect gives an empty view (zeros), never a read past the option.
const char* parse_tcp_options(Bytes o, TcpInfo& t) {
  ByteReader r(o);
  std::uint8_t kind = 0;
  while (r.u8(kind)) {
    if (kind == 0) return nullptr;  // end of option list
    if (kind == 1) continue;
    std::uint8_t len = 0;
    if (!r.u8(len)) return "TCP option length byte missing";
    if (len < 2) return "TCP option length below 2";
    Bytes v;
    if (!r.bytes(len - 2u, v)) return "TCP option runs past the header";
    switch (kind) {
      case 2:
        if (len != 4) return "TCP MSS option length not 4";
        t.has_mss = true;
        t.mss = fixed<2>(v).be16<0>();
        break;
      case 3:
        if (len != 3) return "TCP window scale option length not 3";
        t.has_wscale = true;
        t.wscale = fixed<1>(v).u8<0>();
        break;
      case 4:
        if (len != 2) return "TCP SACK-permitted option length not 2";
        t.sack_permitted = true;
        break;
      case 5: {
        if ((len - 2) % 8 != 0 || len < 10) return "TCP SACK option length not 2 + 8n";
        const std::uint32_t blocks = std::min<std::uint32_t>((len - 2u) / 8u, 4);
        for (std::uint32_t b = 0; b < blocks; ++b) {
          const auto block = fixed<8>(v, 8 * b);
          t.sack[2 * b] = block.be32<0>();
          t.sack[2 * b + 1] = block.be32<4>();
        }
        t.sack_count = static_cast<std::uint8_t>(blocks);
        break;
      }
      case 8: {
        if (len != 10) return "TCP timestamps option length not 10";
        const auto ts = fixed<8>(v);
        t.has_timestamps = true;
        t.ts_val = ts.be32<0>();
        t.ts_ecr = ts.be32<4>();
        break;
      }
      default:
        break;  // others (MD5, TCP-AO, MPTCP, fast open, experimental) are skipped by length
    }
  }
  return nullptr;
}
}  // namespace

void decode_tcp(Span s, std::uint32_t seg_len, std::uint32_t pseudo, Packet& p) {
  if (seg_len < 20) return fail(p, Layer::tcp, s.off, "TCP segment shorter than 20 bytes");
  const auto h = s.fixed<20>();
  if (!h) return short_read(p, Layer::tcp, s.off, "TCP header cut short");
  TcpInfo& t = p.tcp;
  t.sport = h.be16<0>();
  t.dport = h.be16<2>();
  t.seq = h.be32<4>();
  t.ack = h.be32<8>();
  const std::uint32_t hlen = (h.u8<12>() >> 4) * 4u;
  t.ns = (h.u8<12>() & 1) != 0;
  t.flags = h.u8<13>();
  t.window = h.be16<14>();
  t.urgent = h.be16<18>();
  t.header_len = static_cast<std::uint8_t>(hlen);
  if (hlen < 20) return fail(p, Layer::tcp, s.off + 12, "TCP data offset below 5 (20 bytes)");
  if (hlen > seg_len) return fail(p, Layer::tcp, s.off + 12, "TCP data offset beyond the segment");
  const Bytes seg = s.bytes();
  const auto options = slice(seg, 20, hlen - 20);
  if (!options) return short_read(p, Layer::tcp, s.off + 20, "TCP options cut short");
  if (!options->empty()) {
    if (const char* why = parse_tcp_options(*options, t)) return fail(p, Layer::tcp, s.off + 20, why);
  }
  p.payload = tail(seg, hlen);
  p.payload_len = seg_len - hlen;
  if (pseudo != 0xffffffffu && seg.size() >= seg_len)
    t.checksum = checksum_fold(checksum_add(pseudo, head(seg, seg_len))) == 0 ? Csum::good : Csum::bad;
}

}  // namespace ctana::detail
