// TCP (RFC 9293): header, data offset checks, options (MSS, window scale, SACK-permitted, SACK
// blocks, timestamps), checksum when the whole segment was captured.
#include "decode/decoders.hpp"

namespace ctana::detail {

namespace {
const char* parse_tcp_options(const std::uint8_t* o, std::uint32_t n, TcpInfo& t) {
  std::uint32_t i = 0;
  while (i < n) {
    const std::uint8_t kind = o[i];
    if (kind == 0) return nullptr;  // end of option list
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= n) return "TCP option length byte missing";
    const std::uint8_t len = o[i + 1];
    if (len < 2) return "TCP option length below 2";
    if (i + len > n) return "TCP option runs past the header";
    const std::uint8_t* v = o + i + 2;
    switch (kind) {
      case 2:
        if (len != 4) return "TCP MSS option length not 4";
        t.has_mss = true;
        t.mss = load_be16(v);
        break;
      case 3:
        if (len != 3) return "TCP window scale option length not 3";
        t.has_wscale = true;
        t.wscale = v[0];
        break;
      case 4:
        if (len != 2) return "TCP SACK-permitted option length not 2";
        t.sack_permitted = true;
        break;
      case 5: {
        if ((len - 2) % 8 != 0 || len < 10) return "TCP SACK option length not 2 + 8n";
        const std::uint32_t blocks = std::min<std::uint32_t>((len - 2u) / 8u, 4);
        for (std::uint32_t b = 0; b < blocks; ++b) {
          t.sack[2 * b] = load_be32(v + 8 * b);
          t.sack[2 * b + 1] = load_be32(v + 8 * b + 4);
        }
        t.sack_count = static_cast<std::uint8_t>(blocks);
        break;
      }
      case 8:
        if (len != 10) return "TCP timestamps option length not 10";
        t.has_timestamps = true;
        t.ts_val = load_be32(v);
        t.ts_ecr = load_be32(v + 4);
        break;
      default:
        break;  // others (MD5, TCP-AO, MPTCP, fast open, experimental) are skipped by length
    }
    i += len;
  }
  return nullptr;
}
}  // namespace

void decode_tcp(Span s, std::uint32_t seg_len, std::uint32_t pseudo, Packet& p) {
  if (seg_len < 20) return fail(p, Layer::tcp, s.off, "TCP segment shorter than 20 bytes");
  if (!s.has(20)) return short_read(p, Layer::tcp, s.off, "TCP header cut short");
  const std::uint8_t* h = s.at(0);
  TcpInfo& t = p.tcp;
  t.sport = load_be16(h);
  t.dport = load_be16(h + 2);
  t.seq = load_be32(h + 4);
  t.ack = load_be32(h + 8);
  const std::uint32_t hlen = (h[12] >> 4) * 4u;
  t.ns = (h[12] & 1) != 0;
  t.flags = h[13];
  t.window = load_be16(h + 14);
  t.urgent = load_be16(h + 18);
  t.header_len = static_cast<std::uint8_t>(hlen);
  if (hlen < 20) return fail(p, Layer::tcp, s.off + 12, "TCP data offset below 5 (20 bytes)");
  if (hlen > seg_len) return fail(p, Layer::tcp, s.off + 12, "TCP data offset beyond the segment");
  if (!s.has(hlen)) return short_read(p, Layer::tcp, s.off + 20, "TCP options cut short");
  if (hlen > 20) {
    if (const char* why = parse_tcp_options(h + 20, hlen - 20, t)) return fail(p, Layer::tcp, s.off + 20, why);
  }
  p.payload = Bytes(h + hlen, s.size() - hlen);
  p.payload_len = seg_len - hlen;
  if (pseudo != 0xffffffffu && s.size() >= seg_len)
    t.checksum = checksum_fold(checksum_add(pseudo, Bytes(h, seg_len))) == 0 ? Csum::good : Csum::bad;
}

}  // namespace ctana::detail
