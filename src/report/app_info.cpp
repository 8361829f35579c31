// The application column of `records` and `flow`: what one packet carries at the application
// layer, decoded from that packet alone (docs/cli.md, "The application column").
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "ctana/decode.hpp"
#include "ctana/dhcp.hpp"
#include "ctana/dns.hpp"
#include "ctana/ftp.hpp"
#include "ctana/records.hpp"
#include "ctana/tls.hpp"

namespace ctana {

namespace {

constexpr std::size_t kMaxText = 96;  // characters of a name, argument or reply text shown

// Printable ASCII only (the text comes from the packet): other bytes become '.', and the text is
// cut at kMaxText with "...".
std::string clean(std::string_view s, std::size_t max = kMaxText) {
  std::string o;
  o.reserve(std::min(s.size(), max + 3));
  for (const char ch : s) {
    if (o.size() >= max) {
      o += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    o += c >= 0x20 && c < 0x7F ? ch : '.';
  }
  return o;
}

std::string_view as_text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The first line of `s` (without CR LF) and how many more complete or partial lines follow.
std::string_view first_line(std::string_view s, std::size_t& more) {
  const std::size_t nl = s.find('\n');
  std::string_view first = nl == std::string_view::npos ? s : s.substr(0, nl);
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  more = 0;
  if (nl != std::string_view::npos) {
    for (std::size_t i = nl + 1; i < s.size();) {
      ++more;
      const std::size_t n = s.find('\n', i);
      if (n == std::string_view::npos) break;
      i = n + 1;
    }
  }
  return first;
}

bool is_reply_line(std::string_view l) {
  return l.size() >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' && l[2] <= '9' &&
         (l.size() == 3 || l[3] == ' ' || l[3] == '-');
}

// FTP control: a command from the client, a reply from the server (the first line of the segment).
std::string ftp_info(const Packet& p, bool from_server) {
  std::size_t more = 0;
  const std::string_view line = first_line(as_text(p.payload), more);
  std::string o;
  if (from_server) {
    if (!is_reply_line(line)) return line.empty() ? std::string() : "FTP reply continued";
    o = "FTP " + clean(line);
  } else {
    const ftp::Command c = ftp::parse_command(line);
    if (c.verb.empty()) return "FTP command continued";
    const bool secret = c.verb == "PASS" || c.verb == "ACCT";
    o = "FTP " + clean(c.verb, 8);
    if (!c.arg.empty()) o += secret ? " ****" : " " + clean(c.arg);
  }
  if (more) o += fmt::format(" (+{} line{})", more, more == 1 ? "" : "s");
  return o;
}

bool dns_port(std::uint16_t port) { return port == 53 || port == 5353 || port == 5355; }

std::string dns_info(Bytes msg, bool tcp) {
  dns::Message m;
  const char* error = nullptr;
  if (!dns::parse(msg, m, error)) return fmt::format("DNS{} (not decoded: {})", tcp ? " over TCP" : "", error ? error : "?");
  std::string o = fmt::format("DNS {} 0x{:04x}", m.qr ? "response" : "query", m.id);
  if (m.opcode) o += fmt::format(" opcode {}", m.opcode);
  if (m.qr) o += fmt::format(" {}", dns::rcode_name(m.rcode));
  if (!m.questions.empty()) o += fmt::format(" {} {}", dns::type_name(m.questions[0].type), clean(m.questions[0].name));
  if (m.qdcount > 1) o += fmt::format(" (+{} questions)", m.qdcount - 1);
  if (m.qr && !m.answers.empty()) {
    o += " -> " + clean(m.answers[0].data, 48);
    if (m.ancount > 1) o += fmt::format(" (+{})", m.ancount - 1);
  }
  if (m.tc) o += " truncated";
  return o;
}

bool set(const IpAddr& a) {
  return a.version && std::any_of(a.b.begin(), a.b.end(), [](std::uint8_t x) { return x != 0; });
}

std::string dhcp_info(Bytes b) {
  dhcp::Message m;
  const char* error = nullptr;
  if (!dhcp::parse(b, m, error)) return fmt::format("DHCP (not decoded: {})", error ? error : "?");
  std::string o = m.type ? fmt::format("DHCP {} xid 0x{:08x}", dhcp::type_name(m.type), m.xid)
                         : fmt::format("BOOTP {} xid 0x{:08x}", m.op == 1 ? "request" : "reply", m.xid);
  if (set(m.yiaddr)) o += " yiaddr " + m.yiaddr.str();
  else if (set(m.requested)) o += " requested " + m.requested.str();
  return o;
}

bool http_request(std::string_view l) {
  for (const std::string_view m : {"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "})
    if (l.substr(0, m.size()) == m) return l.find(" HTTP/") != std::string_view::npos;
  return false;
}

std::string http_info(const Packet& p) {
  std::size_t more = 0;
  const std::string_view line = first_line(as_text(p.payload), more);
  if (http_request(line) || line.substr(0, 7) == "HTTP/1." || line.substr(0, 7) == "HTTP/2 ")
    return "HTTP " + clean(line);
  return {};
}

// TLS records starting at the segment's first byte (a segment that begins inside a record is not
// named: that needs the stream, which `sessions` and `summary` follow).
std::string tls_info(Bytes b) {
  std::string o;
  std::string last;
  int repeat = 0;
  auto add = [&](std::string what) {
    if (what == last) {
      ++repeat;
      return;
    }
    if (repeat) o += fmt::format(" x{}", repeat + 1);
    repeat = 0;
    if (!o.empty()) o += ", ";
    o += what;
    last = std::move(what);
  };
  std::size_t off = 0;
  int records = 0;
  while (off + 5 <= b.size() && records < 64) {
    const std::uint8_t type = b[off];
    const std::size_t len = static_cast<std::size_t>(b[off + 3] << 8 | b[off + 4]);
    if (type < 20 || type > 24 || b[off + 1] != 3 || b[off + 2] > 4 || len == 0 || len > (1u << 14) + 2048) break;
    ++records;
    const Bytes body = b.subspan(off + 5, std::min(len, b.size() - off - 5));
    const bool whole = body.size() == len;
    if (type == 20) add("ChangeCipherSpec");
    else if (type == 23) add("Application Data");
    else if (type == 24) add("Heartbeat");
    else if (type == 21) {
      if (len == 2 && whole && (body[0] == 1 || body[0] == 2))
        add(fmt::format("Alert {} {}", body[0] == 2 ? "fatal" : "warning", tls::alert_name(body[1])));
      else add("Encrypted Alert");
    } else {  // handshake: the messages in the record, when they parse as such; else encrypted
      std::size_t h = 0;
      std::string names;
      bool plain = true;
      while (h + 4 <= body.size()) {
        const std::uint8_t ht = body[h];
        const std::size_t hl = static_cast<std::size_t>(body[h + 1] << 16 | body[h + 2] << 8 | body[h + 3]);
        const std::string name = tls::handshake_name(ht);
        if (name.rfind("type_", 0) == 0 || hl > len || (h + 4 + hl > len)) {
          plain = false;
          break;
        }
        std::string one = name;
        const Bytes hb = body.subspan(h + 4, std::min(hl, body.size() - h - 4));
        if (ht == 1) {
          tls::ClientHello ch;
          if (hb.size() == hl && tls::parse_client_hello(hb, ch) && !ch.sni.empty()) one += " SNI " + clean(ch.sni, 64);
        } else if (ht == 2) {
          tls::ServerHello sh;
          if (hb.size() == hl && tls::parse_server_hello(hb, sh))
            one += fmt::format(" {} {}", tls::version_name(sh.version), tls::cipher_name(sh.cipher));
        }
        names += (names.empty() ? "" : ", ") + one;
        h += 4 + hl;
        if (names.size() > 200) break;
      }
      if (plain && h == 0 && !body.empty()) plain = false;
      add(plain && !names.empty() ? names : std::string("Encrypted Handshake Message"));
    }
    off += 5 + len;
  }
  if (repeat) o += fmt::format(" x{}", repeat + 1);
  if (o.empty()) return o;
  return "TLS " + o;
}

std::string icmp_info(const Packet& p) {
  const bool v6 = p.l4 == L4::icmpv6;
  const std::string_view type = v6 ? icmpv6_type_name(p.icmp.type) : icmp_type_name(p.icmp.type);
  const std::string_view code = v6 ? icmpv6_code_name(p.icmp.type, p.icmp.code) : icmp_code_name(p.icmp.type, p.icmp.code);
  std::string o = fmt::format("{} {}", v6 ? "ICMPv6" : "ICMP", type.empty() ? fmt::format("type {}", p.icmp.type) : std::string(type));
  if (!code.empty()) o += fmt::format(": {}", code);
  const bool echo = v6 ? (p.icmp.type == 128 || p.icmp.type == 129) : (p.icmp.type == 8 || p.icmp.type == 0);
  if (echo) o += fmt::format(" id {} seq {}", p.icmp.id, p.icmp.seq);
  if (p.icmp.has_quote && p.icmp.quote.src.version) {
    const QuotedPacket& q = p.icmp.quote;
    const char* proto = q.proto == 6 ? "TCP" : q.proto == 17 ? "UDP" : nullptr;
    if (proto && q.has_ports)
      o += fmt::format(" (quotes {} {}:{} -> {}:{})", proto, q.src.str(), q.sport, q.dst.str(), q.dport);
    else o += fmt::format(" (quotes {} -> {} protocol {})", q.src.str(), q.dst.str(), q.proto);
  }
  return o;
}

}  // namespace

std::string application_info(const Packet& p) {
  if (p.malformed() && p.l4 == L4::none) return {};
  if (p.l4 == L4::icmp || p.l4 == L4::icmpv6) return icmp_info(p);
  if (p.payload.empty() || !p.is_first_fragment_or_whole()) return {};
  if (p.l4 == L4::udp) {
    const std::uint16_t s = p.udp.sport, d = p.udp.dport;
    if (dns_port(s) || dns_port(d)) return dns_info(p.payload, false);
    if ((s == 67 || s == 68) && (d == 67 || d == 68)) return dhcp_info(p.payload);
    return {};
  }
  if (p.l4 != L4::tcp) return {};
  const std::uint16_t s = p.tcp.sport, d = p.tcp.dport;
  if (s == 21 || d == 21) {
    const std::string tls = tls_info(p.payload);  // after AUTH TLS
    return tls.empty() ? ftp_info(p, s == 21) : tls;
  }
  if ((dns_port(s) || dns_port(d)) && p.payload.size() >= 2) {
    const std::size_t n = static_cast<std::size_t>(p.payload[0] << 8 | p.payload[1]);
    if (n + 2 <= p.payload.size()) return dns_info(p.payload.subspan(2, n), true);
    return {};
  }
  std::string o = tls_info(p.payload);
  if (o.empty()) o = http_info(p);
  return o;
}

}  // namespace ctana
