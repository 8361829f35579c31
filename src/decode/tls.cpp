// TLS handshake decoding: ClientHello and ServerHello (RFC 8446 4.1, RFC 5246 7.4), with the
// server_name (RFC 6066), ALPN (RFC 7301) and supported_versions extensions. Bounds-checked.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "ctana/bytes.hpp"
#include "ctana/tls.hpp"

namespace ctana::tls {

namespace {
bool skip_vec(ByteReader& r, int len_bytes) {
  std::uint32_t n = 0;
  if (len_bytes == 1) {
    std::uint8_t v;
    if (!r.u8(v)) return false;
    n = v;
  } else {
    std::uint16_t v;
    if (!r.u16(v)) return false;
    n = v;
  }
  return r.skip(n);
}

void extensions(ByteReader& r, const std::function<void(std::uint16_t, Bytes)>& f) {
  std::uint16_t total;
  Bytes all;
  if (!r.u16(total) || !r.bytes(total, all)) return;
  ByteReader e(all);
  std::uint16_t type, len;
  Bytes body;
  while (e.u16(type) && e.u16(len) && e.bytes(len, body)) f(type, body);
}
}  // namespace

bool parse_client_hello(Bytes body, ClientHello& out) {
  ByteReader r(body);
  std::uint16_t cs_len;
  if (!r.u16(out.legacy_version) || !r.skip(32) || !skip_vec(r, 1) || !r.u16(cs_len) || !r.skip(cs_len) ||
      !skip_vec(r, 1))
    return false;
  out.cipher_suites = static_cast<std::uint16_t>(cs_len / 2);
  extensions(r, [&out](std::uint16_t type, Bytes b) {
    ByteReader e(b);
    if (type == 0) {  // server_name: list of (type, name)
      std::uint16_t list, nlen;
      std::uint8_t nt;
      Bytes name;
      if (e.u16(list) && e.u8(nt) && nt == 0 && e.u16(nlen) && e.bytes(nlen, name))
        for (auto c : name) out.sni += (c > 32 && c < 127) ? static_cast<char>(c) : '?';
    } else if (type == 43) {  // supported_versions (client: 1-byte length)
      std::uint8_t n;
      std::uint16_t v;
      if (e.u8(n))
        for (int i = 0; i < n / 2 && e.u16(v); ++i) out.versions.push_back(v);
    } else if (type == 16) {  // ALPN
      std::uint16_t list;
      std::uint8_t l;
      Bytes p;
      if (e.u16(list))
        while (e.u8(l) && e.bytes(l, p)) out.alpn.emplace_back(p.begin(), p.end());
    }
  });
  return true;
}

bool parse_server_hello(Bytes body, ServerHello& out) {
  ByteReader r(body);
  std::uint8_t comp;
  static constexpr std::uint8_t kHrr[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                                            0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                                            0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  Bytes random;
  if (!r.u16(out.version) || !r.bytes(32, random) || !skip_vec(r, 1) || !r.u16(out.cipher) || !r.u8(comp))
    return false;
  out.retry_request = std::equal(random.begin(), random.end(), kHrr);
  extensions(r, [&out](std::uint16_t type, Bytes b) {
    ByteReader e(b);
    std::uint16_t v;
    if (type == 43 && e.u16(v)) out.version = v;  // supported_versions (server: the chosen one)
    if (type == 16) {
      std::uint16_t list;
      std::uint8_t l;
      Bytes p;
      if (e.u16(list) && e.u8(l) && e.bytes(l, p)) out.alpn.assign(p.begin(), p.end());
    }
  });
  return true;
}

namespace {
// The fields of an SSLv2-format CLIENT-HELLO record (RFC 6101 appendix E.2, RFC 5246 appendix
// E.2) after its 2-byte header: message type 1, version, and the three lengths. `len` is the
// record length from the header; the lengths must add up to it exactly.
struct V2Hello {
  std::uint16_t version = 0, specs = 0;
  std::size_t size = 0;  // of the whole record, header included
};
std::optional<V2Hello> v2_hello_header(Bytes d) {
  const auto h = fixed<11>(d);  // header (2), type, version, cipher-spec, session-id, challenge lengths
  if (!h || (h.u8<0>() & 0x80) == 0 || h.u8<2>() != 1) return std::nullopt;
  const std::uint32_t len = ((h.u8<0>() & 0x7fu) << 8) | h.u8<1>();
  const std::uint16_t version = h.be16<3>(), specs = h.be16<5>(), sid = h.be16<7>(), challenge = h.be16<9>();
  if (version != 0x0002 && (version < 0x0300 || version > 0x0304)) return std::nullopt;
  if (specs == 0 || specs % 3 != 0 || (sid != 0 && sid != 16) || challenge < 16 || challenge > 32) return std::nullopt;
  if (9u + specs + sid + challenge != len) return std::nullopt;
  return V2Hello{version, static_cast<std::uint16_t>(specs / 3), 2u + len};
}
}  // namespace

std::size_t sslv2_client_hello(Bytes data, ClientHello& out) {
  const auto h = v2_hello_header(data);
  if (!h) return 0;
  if (data.size() < h->size) return 0;
  out.legacy_version = h->version;
  out.cipher_suites = h->specs;
  return h->size;
}

bool looks_like_sslv2_client_hello(Bytes data) { return v2_hello_header(data).has_value(); }

std::string version_name(std::uint16_t v) {
  switch (v) {
    case 0x0002: return "SSL 2.0";
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: return (v & 0x0f0f) == 0x0a0a ? "GREASE" : fmt::format("0x{:04x}", v);
  }
}

std::string cipher_name(std::uint16_t c) {
  switch (c) {
    case 0x1301: return "TLS_AES_128_GCM_SHA256";
    case 0x1302: return "TLS_AES_256_GCM_SHA384";
    case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256";
    case 0xC02B: return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    case 0xC02C: return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    case 0xC02F: return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    case 0xC030: return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    case 0xCCA8: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    case 0xCCA9: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
    case 0x009C: return "TLS_RSA_WITH_AES_128_GCM_SHA256";
    case 0x009D: return "TLS_RSA_WITH_AES_256_GCM_SHA384";
    case 0x002F: return "TLS_RSA_WITH_AES_128_CBC_SHA";
    case 0x0035: return "TLS_RSA_WITH_AES_256_CBC_SHA";
    case 0x000A: return "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
    case 0x0005: return "TLS_RSA_WITH_RC4_128_SHA";
    case 0xC013: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
    case 0xC014: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA";
    default: return fmt::format("0x{:04X}", c);
  }
}

std::string handshake_name(std::uint8_t t) {
  switch (t) {
    case 0: return "hello_request";
    case 1: return "client_hello";
    case 2: return "server_hello";
    case 3: return "hello_verify_request";
    case 4: return "new_session_ticket";
    case 5: return "end_of_early_data";
    case 8: return "encrypted_extensions";
    case 11: return "certificate";
    case 12: return "server_key_exchange";
    case 13: return "certificate_request";
    case 14: return "server_hello_done";
    case 15: return "certificate_verify";
    case 16: return "client_key_exchange";
    case 20: return "finished";
    case 21: return "certificate_url";
    case 22: return "certificate_status";
    case 24: return "key_update";
    case 254: return "message_hash";
    default: return fmt::format("type_{}", t);
  }
}

bool looks_like_client_hello(Bytes d) {
  // record header (type, version, length), handshake header (type, length), client version
  const auto h = fixed<11>(d);
  if (!h || h.u8<0>() != 22 || h.u8<1>() != 3 || h.u8<2>() > 4 || h.u8<5>() != 1) return false;
  const std::uint32_t rec = h.be16<3>();
  const std::uint32_t hs = h.be24<6>();
  // a ClientHello has at least version, random, three vectors: 38+ bytes; it fits its record
  // unless that record is full (then it continues in the next)
  return rec >= 4 + 38 && rec <= 16384 && hs >= 38 && (hs + 4 <= rec || rec == 16384) && h.u8<9>() == 3;
}

bool looks_like_any_client_hello(Bytes d) { return looks_like_client_hello(d) || looks_like_sslv2_client_hello(d); }

namespace {
// The bytes of a record header at `pos` that are there (up to 5) are plausible: content type
// 20-24, version 3.0-3.4, length 1..kMaxRecordLength. `ok` false: not a header; `len` set when all
// five bytes are there.
struct HeaderCheck {
  bool ok = false, whole = false;
  std::uint16_t version = 0, len = 0;
};
HeaderCheck header_at(Bytes d, std::size_t pos) {
  HeaderCheck c;
  const auto type = u8_at(d, pos);
  if (!type) {
    c.ok = true;  // nothing there yet
    return c;
  }
  if (*type < 20 || *type > 24) return c;
  const auto major = u8_at(d, pos + 1), minor = u8_at(d, pos + 2);
  if ((major && *major != 3) || (minor && *minor > 4)) return c;
  c.ok = true;
  if (const auto h = fixed<5>(d, pos)) {
    c.whole = true;
    c.version = h.be16<1>();
    c.len = h.be16<3>();
    c.ok = c.len >= 1 && c.len <= kMaxRecordLength;
  }
  return c;
}
}  // namespace

Run record_run(Bytes d, std::size_t pos, const RunRule& rule) {
  std::uint16_t version = rule.version;
  int n = 0;
  for (;;) {
    if (n >= rule.need) return Run::yes;
    if (rule.final && pos == d.size() && n >= rule.at_end && n > 0) return Run::yes;
    const HeaderCheck h = header_at(d, pos);
    if (!h.ok) return Run::no;
    if (!h.whole) return rule.final ? Run::no : Run::more;  // the header is cut by the end of the data
    if (version != 0 && h.version != version) return Run::no;  // one version all along
    version = h.version;
    ++n;
    pos += 5u + h.len;
    if (pos > d.size()) return rule.final ? Run::no : Run::more;  // the record continues past the data
  }
}

std::string_view alert_meaning(std::uint8_t d) {
  switch (d) {
    case 10: return "a message out of order: the peer does not speak the same protocol";
    case 20: return "a record failed its integrity check: corruption, or a middlebox altering the stream";
    case 40: return "no acceptable set of parameters: no common cipher suite or group";
    case 42: return "the certificate was rejected";
    case 43: return "the certificate is of an unsupported type";
    case 44: return "the certificate was revoked by its issuer";
    case 45: return "the certificate has expired or is not yet valid";
    case 46: return "the certificate could not be accepted";
    case 47: return "a field was out of range or inconsistent";
    case 48: return "the certificate's issuer (CA) is not trusted";
    case 49: return "the peer's identity was valid but access was refused";
    case 50: return "a message could not be decoded";
    case 51: return "a signature or key check failed";
    case 70: return "no protocol version both sides accept";
    case 71: return "the server requires stronger cipher suites than the client offered";
    case 80: return "an internal error in the peer";
    case 86: return "a downgrade attempt was detected";
    case 109: return "a required extension was missing";
    case 112: return "the server does not know the requested server name (SNI)";
    case 116: return "the server requires a client certificate";
    case 120: return "no application protocol (ALPN) in common";
    default: return "see RFC 8446 section 6";
  }
}

std::string alert_name(std::uint8_t d) {
  switch (d) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 22: return "record_overflow";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return fmt::format("alert {}", d);
  }
}

}  // namespace ctana::tls
