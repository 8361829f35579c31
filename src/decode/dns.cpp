// DNS message decoding (RFC 1035 4.1, RFC 3596 AAAA). Every read is bounds-checked; compressed
// names follow pointers only backwards and at most 64 times, so a loop cannot hang the decoder.
#include "ctana/dns.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace ctana::dns {

namespace {
constexpr std::size_t kMaxQuestions = 8, kMaxAnswers = 32;

// Reads a (possibly compressed) name at `pos`; `end_pos` is where the record continues.
bool read_name(Bytes m, std::size_t pos, std::string& name, std::size_t& end_pos) {
  name.clear();
  std::size_t jumps = 0;
  bool jumped = false;
  std::size_t limit = pos;  // a pointer must point before the label that contains it
  for (;;) {
    const auto len_byte = u8_at(m, pos);
    if (!len_byte) return false;
    const std::uint8_t len = *len_byte;
    if ((len & 0xC0) == 0xC0) {
      const auto ptr = fixed<2>(m, pos);
      if (!ptr) return false;
      const std::size_t target = ptr.be16<0>() & 0x3FFF;
      if (!jumped) end_pos = pos + 2;
      jumped = true;
      if (target >= limit || ++jumps > 64) return false;  // forward pointer or loop
      limit = target;
      pos = target;
      continue;
    }
    if (len & 0xC0) return false;  // 0x40 / 0x80: obsolete label types
    if (len == 0) {
      if (!jumped) end_pos = pos + 1;
      if (name.empty()) name.push_back('.');
      return true;
    }
    const auto label = slice(m, pos + 1, len);
    if (!label) return false;
    if (name.size() + len + 1 > 255) return false;
    if (!name.empty()) name += '.';
    for (const std::uint8_t b : *label) {
      const char c = static_cast<char>(b);
      if (c > 32 && c < 127 && c != '.' && c != '\\') name += c;
      else name += fmt::format("\\{:03d}", static_cast<unsigned char>(c));
    }
    pos += 1 + len;
    if (!jumped) limit = pos;
  }
}

// The record data `r` lies at `pos` in the message `m` (names in it may point back into `m`).
std::string rdata(Bytes m, std::size_t pos, std::uint16_t type, Bytes r) {
  const std::size_t rdlen = r.size();
  char buf[64];
  std::string s, s2;
  std::size_t e = 0;
  switch (type) {
    case 1:
      if (const auto a = fixed<4>(r); rdlen == 4 && a && inet_ntop(AF_INET, a.all().data(), buf, sizeof buf)) return buf;
      break;
    case 28:
      if (const auto a = fixed<16>(r); rdlen == 16 && a && inet_ntop(AF_INET6, a.all().data(), buf, sizeof buf))
        return buf;
      break;
    case 2: case 5: case 12:  // NS, CNAME, PTR
      if (read_name(m, pos, s, e)) return s;
      break;
    case 15:  // MX: preference, exchange
      if (const auto pref = fixed<2>(r); rdlen >= 3 && pref && read_name(m, pos + 2, s, e))
        return fmt::format("{} {}", pref.be16<0>(), s);
      break;
    case 6:  // SOA: mname rname serial ...
      if (read_name(m, pos, s, e) && read_name(m, e, s2, e)) {
        if (const auto serial = fixed<4>(m, e)) return fmt::format("{} {} {}", s, s2, serial.be32<0>());
      }
      break;
    case 16: {  // TXT: character strings
      ByteReader t(r);
      std::uint8_t l = 0;
      Bytes str;
      while (t.u8(l) && t.bytes(l, str)) {
        if (!s.empty()) s += ' ';
        s += '"';
        for (const std::uint8_t b : str) {
          const char c = static_cast<char>(b);
          s += (c >= 32 && c < 127) ? c : '?';
        }
        s += '"';
      }
      return s;
    }
    default:
      break;
  }
  return fmt::format("<{} bytes>", rdlen);
}
}  // namespace

bool parse(Bytes m, Message& out, const char*& error) {
  out = Message{};
  const auto h = fixed<12>(m);
  if (!h) {
    error = "DNS message shorter than its 12-byte header";
    return false;
  }
  out.id = h.be16<0>();
  const std::uint16_t f = h.be16<2>();
  out.qr = f & 0x8000;
  out.opcode = static_cast<std::uint8_t>((f >> 11) & 0xF);
  out.aa = f & 0x0400;
  out.tc = f & 0x0200;
  out.rd = f & 0x0100;
  out.ra = f & 0x0080;
  out.rcode = static_cast<std::uint8_t>(f & 0xF);
  out.qdcount = h.be16<4>();
  out.ancount = h.be16<6>();
  out.nscount = h.be16<8>();
  out.arcount = h.be16<10>();
  std::size_t pos = 12;
  for (std::uint32_t i = 0; i < out.qdcount; ++i) {
    Question q;
    std::size_t e = 0;
    Fixed<4> fields;  // type, class
    if (!read_name(m, pos, q.name, e) || !(fields = fixed<4>(m, e))) {
      error = "DNS question cut short or with a bad name";
      return false;
    }
    q.type = fields.be16<0>();
    q.klass = fields.be16<2>();
    pos = e + 4;
    if (out.questions.size() < kMaxQuestions) out.questions.push_back(std::move(q));
  }
  for (std::uint32_t i = 0; i < out.ancount; ++i) {
    Answer a;
    std::size_t e = 0;
    Fixed<10> fields;  // type, class, TTL, data length
    if (!read_name(m, pos, a.name, e) || !(fields = fixed<10>(m, e))) {
      error = "DNS answer cut short or with a bad name";
      return false;
    }
    a.type = fields.be16<0>();
    a.klass = fields.be16<2>();
    a.ttl = fields.be32<4>();
    const std::uint16_t rdlen = fields.be16<8>();
    const auto data = slice(m, e + 10, rdlen);
    if (!data) {
      error = "DNS answer data runs past the message";
      return false;
    }
    a.data = rdata(m, e + 10, a.type, *data);
    pos = e + 10 + rdlen;
    if (out.answers.size() < kMaxAnswers) out.answers.push_back(std::move(a));
  }
  return true;  // authority and additional sections are not needed here
}

std::string_view rcode_name(std::uint8_t r) {
  static constexpr std::string_view kNames[16] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                                  "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
                                                  "RCODE12", "RCODE13", "RCODE14", "RCODE15"};
  return kNames[r & 15];
}

std::string type_name(std::uint16_t t) {
  switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 41: return "OPT";
    case 43: return "DS";
    case 46: return "RRSIG";
    case 48: return "DNSKEY";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 255: return "ANY";
    default: return fmt::format("TYPE{}", t);
  }
}

}  // namespace ctana::dns
