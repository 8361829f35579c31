// Record listings in the manner of the IPCS packet trace reports: one SUMMARY line per record,
// or FORMAT detail blocks (docs/cli.md, docs/ctrace.md). Works for every input format; the
// CTRACE facts appear when the record has them.
#include "ctana/records.hpp"
#include "ctana/render.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "ctana/ctrace.hpp"
#include "ctana/decode.hpp"
#include "ctana/dhcp.hpp"
#include "ctana/dns.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace {

std::tm utc_tm(std::int64_t ns, std::int64_t& micros) {  // in the text zone (--tz), UTC by default
  ns += text_zone_shift_ns(ns);
  std::int64_t sec = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) frac += 1'000'000'000, --sec;
  micros = frac / 1000;
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(sec);
  gmtime_r(&t, &tm);
  return tm;
}

std::string proto_letter(const Packet& p) {
  if (p.rec->link == linktype::ctrace_data) return "D";
  switch (p.l4) {
    case L4::tcp: return "T";
    case L4::udp: return "U";
    case L4::icmp: case L4::icmpv6: return "I";
    default: break;
  }
  if ((p.l3 == L3::ipv4 || p.l3 == L3::ipv6) && p.ip_proto == 2) return "G";
  return "P";
}

std::string port_name(std::uint16_t port) {
  switch (port) {
    case 20: return "(ftp-data)";
    case 21: return "(ftp)";
    case 23: return "(telnet)";
    case 25: return "(smtp)";
    case 53: return "(domain)";
    case 67: return "(bootps)";
    case 68: return "(bootpc)";
    case 69: return "(tftp)";
    case 80: return "(www)";
    case 123: return "(ntp)";
    case 137: return "(netbios-ns)";
    case 161: return "(snmp)";
    case 443: return "(https)";
    default: return "()";
  }
}

std::string tcp_flag_words(std::uint8_t f) {
  std::string s;
  auto add = [&](std::uint8_t bit, const char* w) {
    if (!(f & bit)) return;
    if (!s.empty()) s += ' ';
    s += w;
  };
  add(tcpflag::urg, "Urg");
  add(tcpflag::ack, "Ack");
  add(tcpflag::psh, "Psh");
  add(tcpflag::rst, "Rst");
  add(tcpflag::syn, "Syn");
  add(tcpflag::fin, "Fin");
  return s.empty() ? "None" : s;
}

// One's-complement sum over the bytes as IPCS prints it ("computed"): FFFF = good.
std::uint16_t ones_sum(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// The transport checksum sum over pseudo header + segment; 0 when it cannot be computed.
std::uint16_t l4_sum(const Packet& p) {
  const Bytes d = p.rec->data;
  if (p.fragment || p.l4_offset > d.size()) return 0;
  const std::size_t len = p.ip_len > p.l4_offset - p.l3_offset ? p.ip_len - (p.l4_offset - p.l3_offset) : 0;
  if (len == 0 || p.l4_offset + len > d.size()) return 0;
  std::uint32_t s = 0;
  if (p.l3 == L3::ipv4) {
    s = checksum_add(s, Bytes(p.src.b.data(), 4));
    s = checksum_add(s, Bytes(p.dst.b.data(), 4));
    s += p.ip_proto;
    s += static_cast<std::uint32_t>(len);
  } else {
    if (p.l4 != L4::icmpv6 && p.l4 != L4::tcp && p.l4 != L4::udp) return 0;
    s = checksum_add(s, Bytes(p.src.b.data(), 16));
    s = checksum_add(s, Bytes(p.final_dst.version ? p.final_dst.b.data() : p.dst.b.data(), 16));
    s += static_cast<std::uint32_t>(len);
    s += p.ip_proto;
  }
  s = checksum_add(s, d.subspan(p.l4_offset, len));
  return ones_sum(s);
}

// Code page 037, printable characters only (the EBCDIC column of a dump).
char ebcdic_char(std::uint8_t c) {
  static constexpr char kTable[] =
      "................................................................"
      " ...........<(+|&.........!$*);.-/.........,%_>?.........`:#@'=\""
      ".abcdefghi.......jklmnopqr.......~stuvwxyz......^.........[]...."
      "{ABCDEFGHI......}JKLMNOPQR......\\.STUVWXYZ......0123456789......";
  return kTable[c];
}

char ascii_char(std::uint8_t c) { return c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.'; }

// A data dump: 6-digit offset, four 8-digit groups, then the text between bars: ASCII, EBCDIC,
// or both (EBCDIC, a blank, ASCII, as in IPCS's SUMMARY data column).
void hex_lines(std::string& o, Bytes b, std::size_t max, DumpText text) {
  const std::size_t n = std::min(b.size(), max);
  for (std::size_t i = 0; i < n; i += 16) {
    std::string hex, asc, ebc;
    for (std::size_t k = 0; k < 16 && i + k < n; ++k) {
      if (k % 4 == 0 && k) hex += ' ';
      hex += fmt::format("{:02X}", b[i + k]);
      asc += ascii_char(b[i + k]);
      ebc += ebcdic_char(b[i + k]);
    }
    std::string txt = text == DumpText::ascii    ? fmt::format("{:<16}", asc)
                      : text == DumpText::ebcdic ? fmt::format("{:<16}", ebc)
                                                 : fmt::format("{:<16} {:<16}", ebc, asc);
    o += fmt::format(" {:06X} {:<35} |{}|\n", i, hex, txt);
  }
}

// A header dump as IPCS prints "IP Header" (hex only, up to eight groups a line).
void header_hex(std::string& o, Bytes b) {
  for (std::size_t i = 0; i < b.size(); i += 32) {
    std::string hex;
    for (std::size_t k = 0; k < 32 && i + k < b.size(); ++k) {
      if (k % 4 == 0 && k) hex += ' ';
      hex += fmt::format("{:02X}", b[i + k]);
    }
    o += fmt::format(" {:06X} {}\n", i, hex);
  }
}

// Text from column `col` on (at least one blank before it), as IPCS aligns its third field.
void at_col(std::string& l, std::size_t col, std::string_view text) {
  l.append(l.size() < col ? col - l.size() : 1, ' ');
  l += text;
}

std::string endpoint(const IpAddr& a, std::uint16_t port) { return a.version ? fmt::format("{}-{}", a.str(), port) : std::string(); }

}  // namespace

std::string record_time(std::int64_t ns) {
  std::int64_t us = 0;
  const std::tm tm = utc_tm(ns, us);
  return fmt::format("{:02d}:{:02d}:{:02d}.{:06d}", tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

std::string record_summary_header() {
  return fmt::format("{:<2} {:>7} {:<15} {:<16} {:<4} {:>6} {:<40} {}\n", "DP", "Nr", "hh:mm:ss.uuuuuu", "Link", "IpId",
                     "DatLn", "Source -> Destination", "Info");
}

std::string record_summary_line(const Packet& p) {
  const Record& r = *p.rec;
  const char d = r.dir == Direction::in ? 'I' : r.dir == Direction::out ? 'O' : ' ';
  std::string src, dst, info;
  const bool ports = p.l4 == L4::tcp || p.l4 == L4::udp;
  const bool data_trace = (r.meta.flags & SourceMeta::kCtrace) && r.meta.format_id == ctrace::kFmtData;
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
    src = ports ? fmt::format("{}-{}", p.src.str(), p.l4 == L4::tcp ? p.tcp.sport : p.udp.sport) : p.src.str();
    dst = ports ? fmt::format("{}-{}", p.dst.str(), p.l4 == L4::tcp ? p.tcp.dport : p.udp.dport) : p.dst.str();
  } else if (data_trace && r.meta.dt.src.version && r.meta.dt.dst.version) {
    src = endpoint(r.meta.dt.src, r.meta.dt.sport);
    dst = endpoint(r.meta.dt.dst, r.meta.dt.dport);
  }
  if (p.l4 == L4::tcp)
    info = fmt::format("{} seq {} ack {} win {}", tcp_flag_words(p.tcp.flags), p.tcp.seq, p.tcp.ack, p.tcp.window);
  else if (p.l4 == L4::icmp || p.l4 == L4::icmpv6)
    info = fmt::format("type {} code {}", p.icmp.type, p.icmp.code);
  else if (p.l3 == L3::arp)
    info = "ARP";
  else if (data_trace) {
    const std::string state = ctrace::dt_state_label(r.meta.dt.state);
    info = fmt::format("job {} Cid {:08X}{}{}", r.meta.job_name, r.meta.cid, state.empty() ? "" : " ", state);
  } else if (r.link == linktype::ctrace_data)
    info = fmt::format("job {}", r.meta.job_name);
  else if (p.l3 == L3::none)
    info = fmt::format("link type {}", r.link);
  if (p.malformed()) info += fmt::format(" [malformed {}: {}]", layer_name(p.problem.layer), p.problem.what);
  if (const std::string app = application_info(p); !app.empty()) info += (info.empty() ? "" : "  ") + app;
  const auto& m = r.meta;
  if (m.discard_code)
    info += ctrace::discard_info(m.discard_code).named
                ? fmt::format(" [discard {} {}]", m.discard_code, ctrace::discard_info(m.discard_code).name)
                : fmt::format(" [discard {}]", ctrace::discard_label(m.discard_code));
  if (ctrace::is_ids_probe(m.format_id)) info += fmt::format(" [{} {:08X}]", ctrace::ids_group(m.format_id), m.format_id);
  const std::size_t datlen = r.link == linktype::ctrace_data ? r.data.size() : p.payload_len;
  std::string ends = src.empty() ? std::string() : src + " -> " + dst;
  std::string line = fmt::format("{}{} {:>7} {:<15} {:<16} {:<4} {:>6} {:<40} {}\n", d, proto_letter(p), r.index, record_time(r.ts_ns),
                     r.interface_name.substr(0, 16), p.l3 == L3::ipv4 ? fmt::format("{:04X}", p.ip_id) : std::string(),
                     datlen, ends, info);
  text::printable_from(line, 0);  // interface and job names come from the file
  return line;
}

std::int64_t record_day(std::int64_t ns) {
  ns += text_zone_shift_ns(ns);
  std::int64_t sec = ns / 1'000'000'000;
  if (ns % 1'000'000'000 < 0) --sec;
  return sec >= 0 ? sec / 86'400 : (sec - 86'399) / 86'400;
}

std::string record_date_line(std::int64_t ns) {
  std::int64_t us = 0;
  const std::tm tm = utc_tm(ns, us);
  return fmt::format("**** {:04d}/{:02d}/{:02d}\n", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

namespace {

// IPCS label/value lines: the label left-justified to column 19, ": ", the value in a field of
// 17 characters (two blanks after a longer one), then the second "Label: value" pair.
struct Lines {
  std::string& o;
  void kv(std::string_view indent, std::string_view k1, const std::string& v1, std::string_view k2 = {},
          const std::string& v2 = {}) {
    std::string l = fmt::format("{}{:<{}}: ", indent, k1, 19 - indent.size());
    if (k2.empty()) {
      l += v1;
    } else {
      l += v1.size() >= 17 ? v1 + "  " : fmt::format("{:<17}", v1);
      l += fmt::format("{}: {}", k2, v2);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    o += l + "\n";
  }
};

std::string upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string mac_str(const std::uint8_t* m) {
  return fmt::format("{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

// The IP precedence and type of service in words (RFC 791, RFC 1349) as IPCS prints "QOS:"
// ("Routine Normal Service" for 00 is IBM's; the other words follow the same pattern), and the
// DSCP name (RFC 2474, 2597, 3246) when the field is not a plain precedence.
std::string qos_text(std::uint8_t tos) {
  static constexpr const char* kPrec[] = {"Routine",  "Priority",   "Immediate",            "Flash",
                                          "Flash Override", "Critic/ECP", "Internetwork Control", "Network Control"};
  std::string s = kPrec[tos >> 5];
  std::string svc;
  if (tos & 0x10) svc += " Low Delay";
  if (tos & 0x08) svc += " High Throughput";
  if (tos & 0x04) svc += " High Reliability";
  if (tos & 0x02) svc += " Low Cost";
  s += svc.empty() ? std::string(" Normal Service") : svc;
  const unsigned dscp = tos >> 2;
  if (dscp & 7) {
    std::string name;
    if (dscp == 46) name = "EF";
    else if (dscp == 44) name = "VOICE-ADMIT";
    else if ((dscp & 1) == 0 && (dscp >> 3) >= 1 && (dscp >> 3) <= 4 && ((dscp >> 1) & 3) >= 1)
      name = fmt::format("AF{}{}", dscp >> 3, (dscp >> 1) & 3);
    s += name.empty() ? fmt::format(" (DSCP {})", dscp) : fmt::format(" (DSCP {})", name);
  }
  if (tos & 3) s += fmt::format(" ECN {}", tos & 3);
  return s;
}

// TCP options one line each, as IPCS lists them (NOP and End included).
void tcp_options(Lines& L, Bytes opt) {
  std::size_t i = 0;
  while (i < opt.size()) {
    const std::uint8_t kind = opt[i];
    if (kind == 0) {
      L.kv("  ", "Option", "End of Option List");
      break;
    }
    if (kind == 1) {
      L.kv("  ", "Option", "NOP");
      ++i;
      continue;
    }
    if (i + 1 >= opt.size() || opt[i + 1] < 2 || i + opt[i + 1] > opt.size()) {
      L.kv("  ", "Option", fmt::format("Kind: {} (malformed length)", kind));
      break;
    }
    const std::uint8_t len = opt[i + 1];
    const std::uint8_t* v = opt.data() + i + 2;
    if (kind == 2 && len == 4)
      L.kv("  ", "Option", fmt::format("Max Seg Size Len: 4 MSS: {}", load_be16(v)));
    else if (kind == 3 && len == 3)
      L.kv("  ", "Option", fmt::format("Window Scale OPT Len: 3 Shift: {}", v[0]));
    else if (kind == 4 && len == 2)
      L.kv("  ", "Option", "SACK Permitted");
    else if (kind == 5 && (len - 2) % 8 == 0) {
      std::string b;
      for (std::size_t k = 0; k + 8 <= static_cast<std::size_t>(len - 2); k += 8)
        b += fmt::format(" {}-{}", load_be32(v + k), load_be32(v + k + 4));
      L.kv("  ", "Option", fmt::format("SACK Len: {}{}", len, b));
    } else if (kind == 8 && len == 10)
      L.kv("  ", "Option", fmt::format("Timestamp Len: 10 Value: {} Echo: {}", load_be32(v), load_be32(v + 4)));
    else
      L.kv("  ", "Option", fmt::format("Kind: {} Len: {}", kind, len));
    i += len;
  }
}

std::string telnet_option(std::uint8_t o) {
  switch (o) {
    case 0: return "BINARY";
    case 1: return "ECHO";
    case 3: return "SUPPRESS-GO-AHEAD";
    case 24: return "TERMINAL-TYPE";
    case 25: return "END-OF-RECORD";
    case 31: return "NAWS";
    case 39: return "NEW-ENVIRON";
    case 40: return "TN3270E";
    default: return fmt::format("option {}", o);
  }
}

std::string printable(Bytes b) {
  std::string t;
  for (auto c : b) t += ascii_char(c);
  return t;
}

// Telnet / TN3270: the negotiation (IAC DO/DONT/WILL/WONT, subnegotiation) and the amount of
// 3270 or terminal data between the commands.
void telnet_lines(Lines& L, Bytes d) {
  L.o += " Telnet\n";
  std::size_t i = 0, data = 0, shown = 0;
  auto flush_data = [&] {
    if (data && shown < 24) L.kv("  ", "Data", fmt::format("{} bytes", data)), ++shown;
    data = 0;
  };
  while (i < d.size() && shown < 24) {
    if (d[i] != 255 || i + 1 >= d.size()) {
      ++data, ++i;
      continue;
    }
    const std::uint8_t cmd = d[i + 1];
    if (cmd == 255) {  // escaped 0xFF data byte
      ++data, i += 2;
      continue;
    }
    flush_data();
    if (cmd >= 251 && cmd <= 254 && i + 2 < d.size()) {
      static constexpr const char* kVerb[] = {"WILL", "WONT", "DO", "DONT"};
      L.kv("  ", "Negotiation", fmt::format("{} {}", kVerb[cmd - 251], telnet_option(d[i + 2])));
      i += 3;
    } else if (cmd == 250) {
      std::size_t e = i + 2;
      while (e + 1 < d.size() && !(d[e] == 255 && d[e + 1] == 240)) ++e;
      const Bytes sb = d.subspan(std::min(i + 2, d.size()), std::min(e, d.size()) - std::min(i + 2, d.size()));
      std::string what = sb.empty() ? std::string() : telnet_option(sb[0]);
      if (sb.size() >= 2 && (sb[0] == 24 || sb[0] == 40))
        what += sb[1] == 0 ? " IS " + printable(sb.subspan(2)) : sb[1] == 1 ? " SEND" : fmt::format(" {}", sb[1]);
      L.kv("  ", "Subnegotiation", what);
      i = e + 2;
    } else {
      L.kv("  ", "Command", cmd == 239 ? std::string("EOR (end of 3270 record)") : cmd == 241 ? std::string("NOP")
                                                                                 : fmt::format("IAC {}", cmd));
      i += 2;
    }
    ++shown;
  }
  if (shown < 24) {
    data += d.size() > i ? d.size() - i : 0;
    flush_data();
  }
}

// FTP control connection: the command or reply lines (arguments of PASS/ACCT already masked).
void ftp_lines(Lines& L, Bytes d, bool from_server) {
  L.o += from_server ? " FTP Reply\n" : " FTP Command\n";
  std::size_t start = 0, shown = 0;
  while (start < d.size() && shown < 20) {
    std::size_t e = start;
    while (e < d.size() && d[e] != '\n') ++e;
    std::size_t end = e;
    if (end > start && d[end - 1] == '\r') --end;
    L.kv("  ", from_server ? "Reply" : "Command", printable(d.subspan(start, end - start)));
    ++shown;
    start = e + 1;
  }
}

void dns_lines(Lines& L, Bytes d) {
  dns::Message m;
  const char* err = nullptr;
  if (!dns::parse(d, m, err)) {
    L.o += " DNS\n";
    L.kv("  ", "Not decoded", err ? err : "not a DNS message");
    return;
  }
  L.o += " DNS\n";
  std::string flags = m.qr ? "Response" : "Query";
  if (m.aa) flags += " aa";
  if (m.tc) flags += " tc";
  if (m.rd) flags += " rd";
  if (m.ra) flags += " ra";
  L.kv("  ", "Id", fmt::format("{}", m.id), "Flags", flags);
  L.kv("  ", "Opcode", fmt::format("{}", m.opcode), "Rcode", fmt::format("{} {}", m.rcode, dns::rcode_name(m.rcode)));
  L.kv("  ", "Questions", fmt::format("{}", m.qdcount), "Answers",
       fmt::format("{}  Authority: {}  Additional: {}", m.ancount, m.nscount, m.arcount));
  for (const auto& q : m.questions)
    L.kv("  ", "Question", fmt::format("{} {} {}", q.name.empty() ? "." : q.name, q.klass == 1 ? "IN" : fmt::format("CLASS{}", q.klass),
                                       dns::type_name(q.type)));
  for (const auto& a : m.answers)
    L.kv("  ", "Answer", fmt::format("{} {} TTL {} {}", a.name.empty() ? "." : a.name, dns::type_name(a.type), a.ttl, a.data));
}

void dhcp_lines(Lines& L, Bytes d) {
  dhcp::Message m;
  const char* err = nullptr;
  L.o += " BOOTP/DHCP\n";
  if (!dhcp::parse(d, m, err)) {
    L.kv("  ", "Not decoded", err ? err : "not a BOOTP message");
    return;
  }
  L.kv("  ", "Operation", m.op == 1 ? "1 Request" : m.op == 2 ? "2 Reply" : fmt::format("{}", m.op), "Xid", fmt::format("{:08X}", m.xid));
  L.kv("  ", "Client IP", m.ciaddr.str(), "Your IP", m.yiaddr.str());
  L.kv("  ", "Server IP", m.siaddr.str(), "Relay IP", m.giaddr.str());
  L.kv("  ", "Client Hardware", m.chaddr, "Flags", fmt::format("{:04X}{}", m.flags, m.flags & 0x8000 ? " Broadcast" : ""));
  if (m.type) L.kv("  ", "Message Type", fmt::format("{} {}", m.type, dhcp::type_name(m.type)));
  if (m.requested.version) L.kv("  ", "Requested IP", m.requested.str());
  if (m.server_id.version) L.kv("  ", "Server Id", m.server_id.str());
  if (m.lease_s) L.kv("  ", "Lease Time", fmt::format("{} s", m.lease_s));
  if (m.subnet_mask.version) L.kv("  ", "Subnet Mask", m.subnet_mask.str());
  if (m.router.version) L.kv("  ", "Router", m.router.str());
  for (const auto& a : m.dns) L.kv("  ", "DNS Server", a.str());
  if (!m.hostname.empty()) {
    std::string h = m.hostname;
    text::printable_from(h, 0);
    L.kv("  ", "Host Name", h);
  }
  if (m.relay_info) L.kv("  ", "Relay Agent Info", "present (option 82)");
}

// Application payload formatted by port, as IPCS does with its port keywords (Domain 53,
// Bootp 67/68, Ftp 21, Telnet 23). TCP DNS carries the 2-byte length first.
void payload_lines(Lines& L, Bytes d, std::uint16_t sport, std::uint16_t dport, bool tcp) {
  if (d.empty()) return;
  auto is = [&](std::uint16_t port) { return sport == port || dport == port; };
  if (is(53)) {
    if (tcp) {
      if (d.size() < 14 || load_be16(d.data()) + 2u < d.size()) return;  // not the start of a message
      dns_lines(L, d.subspan(2));
    } else {
      dns_lines(L, d);
    }
  } else if (!tcp && (is(67) || is(68))) {
    dhcp_lines(L, d);
  } else if (tcp && is(21)) {
    ftp_lines(L, d, sport == 21);
  } else if (tcp && (is(23) || is(992))) {
    if (is(992)) return;  // TLS
    telnet_lines(L, d);
  }
}

// An Ethernet frame's MAC header and VLAN tags (OSAENTA records, Ethernet pcaps).
void mac_lines(Lines& L, const Packet& p) {
  const Bytes d = p.rec->data;
  if (d.size() < 14) return;
  L.o += " MAC Header\n";
  L.kv("  ", "Destination", mac_str(d.data()), "Source", mac_str(d.data() + 6));
  std::size_t off = 12;
  for (int k = 0; k < 3 && off + 4 <= d.size(); ++k) {
    const std::uint16_t t = load_be16(d.data() + off);
    if (t != 0x8100 && t != 0x88A8 && t != 0x9100) break;
    const std::uint16_t tci = load_be16(d.data() + off + 2);
    L.kv("  ", "VLAN", fmt::format("{}", tci & 0xFFF), "Priority", fmt::format("{}  Tag: {:04X}", tci >> 13, t));
    off += 4;
  }
  if (off + 2 <= d.size()) {
    const std::uint16_t t = load_be16(d.data() + off);
    const char* n = t == 0x0800 ? " (IPv4)" : t == 0x86DD ? " (IPv6)" : t == 0x0806 ? " (ARP)" : t <= 1500 ? " (802.3 length)" : "";
    L.kv("  ", "EtherType", fmt::format("{:04X}{}", t, n));
  }
}

void arp_lines(Lines& L, const Packet& p) {
  const Bytes d = p.rec->data;
  const std::size_t o = p.l3_offset;
  L.o += " ARP\n";
  if (o + 8 > d.size()) return;
  const std::uint8_t* a = d.data() + o;
  const std::uint16_t op = load_be16(a + 6);
  L.kv("  ", "Hardware Type", fmt::format("{}", load_be16(a)), "Protocol Type", fmt::format("{:04X}", load_be16(a + 2)));
  L.kv("  ", "Operation", op == 1 ? "1 Request" : op == 2 ? "2 Reply" : fmt::format("{}", op));
  const std::size_t hl = a[4], pl = a[5];
  if (hl == 6 && pl == 4 && o + 28 <= d.size()) {
    auto ip = [](const std::uint8_t* b) { return fmt::format("{}.{}.{}.{}", b[0], b[1], b[2], b[3]); };
    L.kv("  ", "Sender MAC", mac_str(a + 8), "Sender IP", ip(a + 14));
    L.kv("  ", "Target MAC", mac_str(a + 18), "Target IP", ip(a + 24));
  }
}

// The IP header and the start of the transport header quoted in an ICMP error.
void icmp_quote_lines(Lines& L, const Packet& p) {
  const Bytes d = p.rec->data;
  const std::size_t q = p.l4_offset + 8;
  if (q + 20 > d.size()) return;
  const std::uint8_t* h = d.data() + q;
  L.o += " Quoted IP Header\n";
  if ((h[0] >> 4) == 4) {
    const std::size_t hl = (h[0] & 0xF) * 4u;
    L.kv("  ", "Version", "4", "Header Length", fmt::format("{}", hl));
    L.kv("  ", "Packet Length", fmt::format("{}", load_be16(h + 2)), "ID Number", fmt::format("{:04X}", load_be16(h + 4)));
    const auto pn = ip_proto_name(h[9]);
    L.kv("  ", "TTL", fmt::format("{}", h[8]), "Protocol", pn.empty() ? fmt::format("{}", h[9]) : upper(pn));
    L.kv("  ", "Source", fmt::format("{}.{}.{}.{}", h[12], h[13], h[14], h[15]));
    L.kv("  ", "Destination", fmt::format("{}.{}.{}.{}", h[16], h[17], h[18], h[19]));
    if ((h[9] == 6 || h[9] == 17) && hl >= 20 && q + hl + 4 <= d.size()) {
      const std::uint16_t sp = load_be16(h + hl), dp = load_be16(h + hl + 2);
      L.kv("  ", "Source Port", fmt::format("{} {}", sp, port_name(sp)), "Destination Port", fmt::format("{:<5} {}", dp, port_name(dp)));
      if (h[9] == 6 && q + hl + 8 <= d.size()) L.kv("  ", "Sequence Number", fmt::format("{}", load_be32(h + hl + 4)));
    }
  } else if (p.icmp.has_quote) {
    const auto& qp = p.icmp.quote;
    L.kv("  ", "Version", fmt::format("{}", qp.src.version));
    const auto pn = ip_proto_name(qp.proto);
    L.kv("  ", "Protocol", pn.empty() ? fmt::format("{}", qp.proto) : upper(pn));
    L.kv("  ", "Source", qp.src.str());
    L.kv("  ", "Destination", qp.dst.str());
    if (qp.has_ports)
      L.kv("  ", "Source Port", fmt::format("{} {}", qp.sport, port_name(qp.sport)), "Destination Port",
           fmt::format("{:<5} {}", qp.dport, port_name(qp.dport)));
  }
}

}  // namespace

std::string record_detail(const Packet& p, const DetailOptions& opt) {
  const Record& r = *p.rec;
  const auto& m = r.meta;
  std::string o;
  Lines L{o};
  const std::size_t dump_bytes = opt.dump_bytes;
  const bool ct = m.flags & SourceMeta::kCtrace;
  if (ct) {
    const std::string kind = ctrace::is_ids_probe(m.format_id) ? ctrace::ids_group(m.format_id)
                             : m.format_id == ctrace::kFmtData ? "DATA"
                             : m.format_id == ctrace::kFmtOsaenta ? "OSAENTA"
                                                                  : "PACKET";
    const std::string desc = ctrace::is_ids_probe(m.format_id) ? ctrace::ids_probe_description(m.format_id)
                             : m.format_id == ctrace::kFmtData ? "Data Trace"
                                                               : "Packet Trace";
    o += fmt::format(" {} {:<8} {:08X} {} {}\n", r.index, kind, m.format_id, record_time(m.trace_time_ns), desc);
  } else {
    o += fmt::format(" {} {}\n", r.index, record_time(r.ts_ns));
  }
  const std::string fromto = r.dir == Direction::out ? "To" : "From";
  const std::string what = m.format_id == ctrace::kFmtData ? "Jobname" : ctrace::is_ids_probe(m.format_id) ? "Link" : "Interface";
  const std::string amount = fmt::format("{}={}", r.orig_len > r.data.size() ? "Abbrev" : "Full", r.orig_len);
  auto dump = [&](Bytes b, std::size_t max) { hex_lines(o, b, max, opt.text); };
  std::int64_t us = 0;
  const std::tm tm = utc_tm(r.ts_ns, us);
  const std::string tod = fmt::format("{:04d}/{:02d}/{:02d} {:02d}:{:02d}:{:02d}.{:06d}", tm.tm_year + 1900, tm.tm_mon + 1,
                                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
  if (ct && m.format_id == ctrace::kFmtData) {
    // IBM's data trace FORMAT lines (IP Diagnosis Guide, "Formatting data traces using IPCS"), then
    // the sender and receiver, and the socket data.
    std::string l = fmt::format(" {:<18}: {}", fromto + " Jobname", r.interface_name);
    at_col(l, 63, amount);
    o += l + "\n";
    l = fmt::format("  {:<17}: {}", "Tod Clock", tod);
    at_col(l, 63, fmt::format("Cid: {:08X}", m.cid));
    o += l + "\n";
    l = fmt::format("  {:<17}: {:<17}Type: {:<17}", "Domain", ctrace::dt_domain_label(m.dt.domain), ctrace::dt_type_label(m.dt.type));
    at_col(l, 63, fmt::format("Protocol: {}", ctrace::dt_proto_label(m.dt.proto)));
    o += l + "\n";
    if (m.dt.state != ctrace::kDtData) L.kv("  ", "State", ctrace::dt_state_label(m.dt.state));
    if (m.sequence) L.kv("  ", "Segment #", fmt::format("{}", m.sequence));
    if (m.dt.src.version) L.kv("  ", "Source", endpoint(m.dt.src, m.dt.sport));
    if (m.dt.dst.version) L.kv("  ", "Destination", endpoint(m.dt.dst, m.dt.dport));
    if (!r.data.empty()) {
      const bool tcp = m.dt.proto == 6 || (m.dt.proto == 0 && m.dt.type == ctrace::kDtStream);
      payload_lines(L, r.data, m.dt.sport, m.dt.dport, tcp);
      o += fmt::format(" Data              : {}\n", r.data.size());
      dump(r.data, dump_bytes);
    }
    o += "\n";
    text::printable_from(o, 0);
    return o;
  }
  L.kv(" ", fmt::format("{} {}", fromto, what), std::string(r.interface_name), ct ? "Device" : "Link",
       ct ? fmt::format("{:<17}{}", ctrace::device_type_label(m.device_type), amount)
          : fmt::format("{:<17}{}", linktype_name(r.link), amount));
  {
    std::string l = fmt::format("  {:<17}: {}", "Tod Clock", tod);
    if (ct && m.intfx) at_col(l, 63, fmt::format("Intfx: {}", m.intfx));
    o += l + "\n";
  }
  if (ct) {
    std::string flags = "Pkt";
    if (r.dir == Direction::out) flags += " Out";
    if (m.discard_code) flags += r.dir == Direction::in ? " In Dscrd" : " Dscrd";
    if (m.flags & SourceMeta::kLocal) flags += " Local";
    L.kv("  ", m.sequence ? "Segment #" : "Sequence #", fmt::format("{}", m.sequence), "Flags", flags);
    if (m.discard_code) L.kv("  ", "Discard", fmt::format("{} ({})", m.discard_code, ctrace::discard_label(m.discard_code)));
    if (ctrace::is_ids_probe(m.format_id)) {
      L.kv("  ", "Module", std::string(m.ids_module), "Job Name", std::string(m.job_name));
      L.kv("  ", "Asid", fmt::format("{:04X}", m.asid), "Correlator", fmt::format("{}", m.ids_correlator));
      L.kv("  ", "Cid", fmt::format("{:08X}", m.cid));
      L.kv("  ", "Policy", std::string(m.ids_policy));
    } else if (m.asid || m.cid) {
      L.kv("  ", "Asid", fmt::format("{:04X}", m.asid), "Cid", fmt::format("{:08X}", m.cid));
    }
  }
  if (r.link == linktype::ethernet && p.l3_offset >= 14) mac_lines(L, p);
  if (p.l3 == L3::arp) arp_lines(L, p);
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
    const Bytes d = r.data;
    const std::size_t hl = p.l3 == L3::ipv4 && p.l3_offset < d.size() ? (d[p.l3_offset] & 0xF) * 4u
                                                                       : (p.l4_offset > p.l3_offset ? p.l4_offset - p.l3_offset : 40u);
    L.kv(" ", "IpHeader: Version", p.l3 == L3::ipv4 ? "4" : "6", "Header Length", fmt::format("{}", hl));
    if (p.l3 == L3::ipv4 && p.l3_offset + 20 <= d.size()) {
      const std::uint8_t* h = d.data() + p.l3_offset;
      L.kv("  ", "Tos", fmt::format("{:02X}", h[1]), "QOS", qos_text(h[1]));
      L.kv("  ", "Packet Length", fmt::format("{}", p.ip_len), "ID Number", fmt::format("{:04X}", p.ip_id));
      L.kv("  ", "Fragment", p.dont_fragment ? "DontFragment" : p.more_fragments ? "MoreFragments" : "", "Offset",
           fmt::format("{}", p.frag_offset));
      const std::uint16_t sum = p.l3_offset + hl <= d.size() ? ones_sum(checksum_add(0, Bytes(h, hl))) : 0;
      const auto pn = ip_proto_name(p.ip_proto);
      L.kv("  ", "TTL", fmt::format("{}", p.ttl), "Protocol",
           fmt::format("{:<15}CheckSum: {:04X} {:04X}", pn.empty() ? fmt::format("{}", p.ip_proto) : upper(pn), load_be16(h + 10), sum));
    } else {
      if (p.l3_offset + 4 <= d.size()) {
        const std::uint8_t tc = static_cast<std::uint8_t>(((d[p.l3_offset] & 0xF) << 4) | (d[p.l3_offset + 1] >> 4));
        L.kv("  ", "Traffic Class", fmt::format("{:02X}", tc), "QOS", qos_text(tc));
      }
      const auto pn = ip_proto_name(p.ip_proto);
      L.kv("  ", "Payload Length", fmt::format("{}", p.ip_len), "Hop Limit",
           fmt::format("{:<15}Next Header: {}", p.ttl, pn.empty() ? fmt::format("{}", p.ip_proto) : upper(pn)));
    }
    L.kv("  ", "Source", p.src.str());
    L.kv("  ", "Destination", p.dst.str());
    std::size_t l4_hl = 0;
    if (p.l4 == L4::tcp) {
      const auto& t = p.tcp;
      o += " TCP\n";
      L.kv("  ", "Source Port", fmt::format("{} {}", t.sport, port_name(t.sport)), "Destination Port",
           fmt::format("{:<5} {}", t.dport, port_name(t.dport)));
      L.kv("  ", "Sequence Number", fmt::format("{}", t.seq), "Ack Number", fmt::format("{}", t.ack));
      L.kv("  ", "Header Length", fmt::format("{}", t.header_len), "Flags", tcp_flag_words(t.flags));
      const std::uint16_t field = p.l4_offset + 18 <= d.size() ? load_be16(d.data() + p.l4_offset + 16) : 0;
      L.kv("  ", "Window Size", fmt::format("{}", t.window), "CheckSum",
           fmt::format("{:04X} {:04X} Urgent Data Pointer: {:04X}", field, l4_sum(p), t.urgent));
      if (t.header_len > 20 && p.l4_offset + 20 <= d.size())
        tcp_options(L, d.subspan(p.l4_offset + 20, std::min<std::size_t>(t.header_len - 20u, d.size() - p.l4_offset - 20)));
      l4_hl = t.header_len;
    } else if (p.l4 == L4::udp) {
      const auto& u = p.udp;
      o += " UDP\n";
      L.kv("  ", "Source Port", fmt::format("{} {}", u.sport, port_name(u.sport)), "Destination Port",
           fmt::format("{:<5} {}", u.dport, port_name(u.dport)));
      const std::uint16_t field = p.l4_offset + 8 <= d.size() ? load_be16(d.data() + p.l4_offset + 6) : 0;
      L.kv("  ", "Datagram Length", fmt::format("{}", u.length), "CheckSum",
           fmt::format("{:04X} {:04X}", field, field == 0 && p.l3 == L3::ipv4 ? 0 : l4_sum(p)));
      l4_hl = 8;
    } else if (p.l4 == L4::icmp || p.l4 == L4::icmpv6) {
      const auto& c = p.icmp;
      o += p.l4 == L4::icmp ? " ICMP\n" : " ICMPv6\n";
      const auto tn = p.l4 == L4::icmp ? icmp_type_name(c.type) : icmpv6_type_name(c.type);
      const std::uint16_t field = p.l4_offset + 4 <= d.size() ? load_be16(d.data() + p.l4_offset + 2) : 0;
      std::uint16_t sum = 0;
      if (p.l4 == L4::icmp && !p.fragment && p.l3_offset + p.ip_len <= d.size() && p.ip_len > hl)
        sum = ones_sum(checksum_add(0, d.subspan(p.l4_offset, p.ip_len - hl)));
      else if (p.l4 == L4::icmpv6)
        sum = l4_sum(p);
      L.kv("  ", "Type/Code", fmt::format("{}/{} {}", c.type, c.code, tn), "CheckSum", fmt::format("{:04X} {:04X}", field, sum));
      const bool echo = c.type == 0 || c.type == 8 || c.type == 128 || c.type == 129;
      if (echo) L.kv("  ", "Id", fmt::format("{:04X}", c.id), "Seq", fmt::format("{}", c.seq));
      const bool error = p.l4 == L4::icmp ? (c.type == 3 || c.type == 4 || c.type == 5 || c.type == 11 || c.type == 12)
                                          : (c.type >= 1 && c.type <= 4);
      if (error) icmp_quote_lines(L, p);
      l4_hl = echo || error ? 8 : 4;
    }
    if (p.malformed()) L.kv(" ", "Malformed", fmt::format("{} at byte {}: {}", layer_name(p.problem.layer), p.problem.offset, p.problem.what));
    if (p.l4 == L4::tcp || p.l4 == L4::udp)
      payload_lines(L, p.payload, p.l4 == L4::tcp ? p.tcp.sport : p.udp.sport, p.l4 == L4::tcp ? p.tcp.dport : p.udp.dport,
                    p.l4 == L4::tcp);
    o += fmt::format(" IP Header         : {}\n", hl);
    const std::size_t l3 = std::min<std::size_t>(p.l3_offset, d.size());
    header_hex(o, d.subspan(l3, std::min(hl, d.size() - l3)));
    if (l4_hl && p.l4_offset < d.size()) {
      const std::size_t n = std::min(l4_hl, d.size() - p.l4_offset);
      o += fmt::format(" Protocol Header   : {}\n", l4_hl);
      header_hex(o, d.subspan(p.l4_offset, n));
    }
    if (!p.payload.empty() && dump_bytes) {
      o += fmt::format(" Data              : {:<17}Data Length: {}\n", p.payload.size(), p.payload_len);
      dump(p.payload, dump_bytes);
    } else if (p.l4 != L4::tcp && p.l4 != L4::udp && p.l4_offset + l4_hl < d.size() && dump_bytes) {
      const Bytes rest = d.subspan(p.l4_offset + l4_hl);
      o += fmt::format(" Data              : {}\n", rest.size());
      dump(rest, dump_bytes);
    }
  } else {
    o += fmt::format(" Data              : {}\n", r.data.size());
    dump(r.data, dump_bytes);
  }
  o += "\n";
  text::printable_from(o, 0);
  return o;
}

}  // namespace ctana
