// Record listings in the manner of the IPCS packet trace reports: one SUMMARY line per record,
// or FORMAT detail blocks (docs/cli.md, docs/ctrace.md). Works for every input format; the
// CTRACE facts appear when the record has them.
#include "ctana/records.hpp"

#include <fmt/format.h>

#include <ctime>

#include "ctana/ctrace.hpp"
#include "ctana/decode.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace {

std::tm utc_tm(std::int64_t ns, std::int64_t& micros) {
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

void hex_lines(std::string& o, Bytes b, std::size_t max) {
  const std::size_t n = std::min(b.size(), max);
  for (std::size_t i = 0; i < n; i += 16) {
    std::string hex, txt;
    for (std::size_t k = 0; k < 16 && i + k < n; ++k) {
      if (k % 4 == 0 && k) hex += ' ';
      hex += fmt::format("{:02X}", b[i + k]);
      const auto c = b[i + k];
      txt += c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.';
    }
    o += fmt::format(" {:06X} {:<35} |{:<16}|\n", i, hex, txt);
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
  const auto& m = r.meta;
  if (m.discard_code) info += fmt::format(" [discard {} {}]", m.discard_code, ctrace::discard_info(m.discard_code).name);
  if (ctrace::is_ids_probe(m.format_id)) info += fmt::format(" [{} {:08X}]", ctrace::ids_group(m.format_id), m.format_id);
  const std::size_t datlen = r.link == linktype::ctrace_data ? r.data.size() : p.payload_len;
  std::string ends = src.empty() ? std::string() : src + " -> " + dst;
  std::string line = fmt::format("{}{} {:>7} {:<15} {:<16} {:<4} {:>6} {:<40} {}\n", d, proto_letter(p), r.index, record_time(r.ts_ns),
                     r.interface_name.substr(0, 16), p.l3 == L3::ipv4 ? fmt::format("{:04X}", p.ip_id) : std::string(),
                     datlen, ends, info);
  text::printable_from(line, 0);  // interface and job names come from the file
  return line;
}

std::string record_detail(const Packet& p, std::size_t dump_bytes) {
  const Record& r = *p.rec;
  const auto& m = r.meta;
  std::string o;
  const bool ct = m.flags & SourceMeta::kCtrace;
  auto kv = [&o](std::string_view indent, std::string_view k1, const std::string& v1, std::string_view k2 = {},
                 const std::string& v2 = {}) {
    std::string l = fmt::format("{}{:<{}}: ", indent, k1, 19 - indent.size());
    if (k2.empty()) l += v1;
    else l += fmt::format("{:<17}{}: {}", v1, k2, v2);
    while (!l.empty() && l.back() == ' ') l.pop_back();
    o += l + "\n";
  };
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
  auto dump = [&](Bytes b, std::size_t max) { hex_lines(o, b, max); };
  if (ct && m.format_id == ctrace::kFmtData) {
    // IBM's data trace FORMAT lines (IP Diagnosis Guide, "Formatting data traces using IPCS"), then
    // the sender and receiver, and the socket data.
    std::int64_t us = 0;
    const std::tm tm = utc_tm(r.ts_ns, us);
    std::string l = fmt::format(" {:<18}: {}", fromto + " Jobname", r.interface_name);
    at_col(l, 63, amount);
    o += l + "\n";
    l = fmt::format("  {:<17}: {:04d}/{:02d}/{:02d} {:02d}:{:02d}:{:02d}.{:06d}", "Tod Clock", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
    at_col(l, 63, fmt::format("Cid: {:08X}", m.cid));
    o += l + "\n";
    l = fmt::format("  {:<17}: {:<17}Type: {:<17}", "Domain", ctrace::dt_domain_label(m.dt.domain), ctrace::dt_type_label(m.dt.type));
    at_col(l, 63, fmt::format("Protocol: {}", ctrace::dt_proto_label(m.dt.proto)));
    o += l + "\n";
    if (m.dt.state != ctrace::kDtData) kv("  ", "State", ctrace::dt_state_label(m.dt.state));
    if (m.sequence) kv("  ", "Segment #", fmt::format("{}", m.sequence));
    if (m.dt.src.version) kv("  ", "Source", endpoint(m.dt.src, m.dt.sport));
    if (m.dt.dst.version) kv("  ", "Destination", endpoint(m.dt.dst, m.dt.dport));
    if (!r.data.empty()) {
      o += fmt::format(" Data              : {}\n", r.data.size());
      dump(r.data, dump_bytes);
    }
    o += "\n";
    return o;
  }
  kv(" ", fmt::format("{} {}", fromto, what), std::string(r.interface_name),
     ct ? fmt::format("Device") : std::string("Link"), ct ? fmt::format("{:<17}{}", ctrace::device_type_label(m.device_type), amount)
                                                           : fmt::format("{:<17}{}", linktype_name(r.link), amount));
  std::int64_t us = 0;
  const std::tm tm = utc_tm(r.ts_ns, us);
  kv("  ", "Tod Clock", fmt::format("{:04d}/{:02d}/{:02d} {:02d}:{:02d}:{:02d}.{:06d}", tm.tm_year + 1900, tm.tm_mon + 1,
                                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us));
  if (ct) {
    std::string flags = "Pkt";
    if (r.dir == Direction::in) flags += " In";
    if (r.dir == Direction::out) flags += " Out";
    if (m.discard_code) flags += " Dscrd";
    if (m.flags & SourceMeta::kLocal) flags += " Local";
    kv("  ", "Sequence #", fmt::format("{}", m.sequence), "Flags", flags);
    if (m.discard_code)
      kv("  ", "Discard", fmt::format("{} ({})", m.discard_code, ctrace::discard_info(m.discard_code).name));
    if (ctrace::is_ids_probe(m.format_id)) {
      kv("  ", "Module", std::string(m.ids_module), "Job Name", std::string(m.job_name));
      kv("  ", "Asid", fmt::format("{:04X}", m.asid), "Correlator", fmt::format("{}", m.ids_correlator));
      kv("  ", "Policy", std::string(m.ids_policy));
    } else if (m.asid) {
      kv("  ", "Asid", fmt::format("{:04X}", m.asid));
    }
  }
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
    const Bytes d = r.data;
    const std::size_t hl = p.l3 == L3::ipv4 && p.l3_offset < d.size() ? (d[p.l3_offset] & 0xF) * 4u : 40u;
    kv(" ", "IpHeader: Version", p.l3 == L3::ipv4 ? "4" : "6", "Header Length", fmt::format("{}", hl));
    if (p.l3 == L3::ipv4 && p.l3_offset + 20 <= d.size()) {
      const std::uint8_t* h = d.data() + p.l3_offset;
      kv("  ", "Tos", fmt::format("{:02X}", h[1]));
      kv("  ", "Packet Length", fmt::format("{}", p.ip_len), "ID Number", fmt::format("{:04X}", p.ip_id));
      kv("  ", "Fragment", p.dont_fragment ? "DontFragment" : p.more_fragments ? "MoreFragments" : "", "Offset",
         fmt::format("{}", p.frag_offset));
      const std::uint16_t sum = p.l3_offset + hl <= d.size() ? ones_sum(checksum_add(0, Bytes(h, hl))) : 0;
      const auto pn = ip_proto_name(p.ip_proto);
      kv("  ", "TTL", fmt::format("{}", p.ttl), "Protocol",
         fmt::format("{:<15}CheckSum: {:04X} {:04X}", pn.empty() ? fmt::format("{}", p.ip_proto) : [&] {
           std::string u(pn);
           for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
           return u;
         }(), load_be16(h + 10), sum));
    } else {
      kv("  ", "Payload Length", fmt::format("{}", p.ip_len), "Hop Limit", fmt::format("{}", p.ttl));
    }
    kv("  ", "Source", p.src.str());
    kv("  ", "Destination", p.dst.str());
    if (p.l4 == L4::tcp) {
      const auto& t = p.tcp;
      o += " TCP\n";
      kv("  ", "Source Port", fmt::format("{} {}", t.sport, port_name(t.sport)), "Destination Port",
         fmt::format("{:<5} {}", t.dport, port_name(t.dport)));
      kv("  ", "Sequence Number", fmt::format("{}", t.seq), "Ack Number", fmt::format("{}", t.ack));
      kv("  ", "Header Length", fmt::format("{}", t.header_len), "Flags", tcp_flag_words(t.flags));
      const std::uint16_t field = p.l4_offset + 18 <= d.size() ? load_be16(d.data() + p.l4_offset + 16) : 0;
      kv("  ", "Window Size", fmt::format("{}", t.window), "CheckSum",
         fmt::format("{:04X} {:04X} Urgent Data Pointer: {:04X}", field, l4_sum(p), t.urgent));
      if (t.has_mss) kv("  ", "Option", fmt::format("Max Seg Size Len: 4 MSS: {}", t.mss));
      if (t.has_wscale) kv("  ", "Option", fmt::format("Window Scale OPT Len: 3 Shift: {}", t.wscale));
      if (t.sack_permitted) kv("  ", "Option", "SACK Permitted");
      if (t.has_timestamps) kv("  ", "Option", fmt::format("Timestamp Len: 10 Value: {} Echo: {}", t.ts_val, t.ts_ecr));
    } else if (p.l4 == L4::udp) {
      const auto& u = p.udp;
      o += " UDP\n";
      kv("  ", "Source Port", fmt::format("{} {}", u.sport, port_name(u.sport)), "Destination Port",
         fmt::format("{:<5} {}", u.dport, port_name(u.dport)));
      const std::uint16_t field = p.l4_offset + 8 <= d.size() ? load_be16(d.data() + p.l4_offset + 6) : 0;
      kv("  ", "Datagram Length", fmt::format("{}", u.length), "CheckSum",
         fmt::format("{:04X} {:04X}", field, field == 0 && p.l3 == L3::ipv4 ? 0 : l4_sum(p)));
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
      kv("  ", "Type/Code", fmt::format("{}/{} {}", c.type, c.code, tn), "CheckSum", fmt::format("{:04X} {:04X}", field, sum));
      if (c.type == 0 || c.type == 8 || c.type == 128 || c.type == 129)
        kv("  ", "Id", fmt::format("{:04X}", c.id), "Seq", fmt::format("{}", c.seq));
    }
    if (p.malformed()) kv(" ", "Malformed", fmt::format("{} at byte {}: {}", layer_name(p.problem.layer), p.problem.offset, p.problem.what));
    o += fmt::format(" IP Header         : {}\n", hl);
    hex_lines(o, d.subspan(std::min<std::size_t>(p.l3_offset, d.size())), std::min<std::size_t>(hl, dump_bytes));
    if (!p.payload.empty() && dump_bytes > hl) {
      o += fmt::format(" Data              : {}\n", p.payload.size());
      dump(p.payload, dump_bytes - hl);
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
