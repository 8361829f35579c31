// `records --statistics`: tallies in the manner of the IPCS packet trace STATISTICS(DETAIL)
// report (z/OS CS IP Diagnosis Guide, "STATISTICS"; docs/cli.md): the record counts, then one
// table per key with the records and bytes in each direction and the first and last record.
#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <map>

#include "ctana/ctrace.hpp"
#include "ctana/decode.hpp"
#include "ctana/reader.hpp"
#include "ctana/records.hpp"
#include "ctana/render.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace {

struct Tally {
  std::uint64_t total = 0, in = 0, in_bytes = 0, out = 0, out_bytes = 0;
  std::uint64_t first = 0, last = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  void add(const Record& r) {
    ++total;
    if (r.dir == Direction::in) ++in, in_bytes += r.orig_len;
    if (r.dir == Direction::out) ++out, out_bytes += r.orig_len;
    if (!first) first = r.index, first_ns = r.ts_ns;
    last = r.index;
    last_ns = r.ts_ns;
  }
};

// Rows ordered by a numeric key first (codes, ids), then by the label.
using Table = std::map<std::pair<std::uint64_t, std::string>, Tally>;

std::string date_time(std::int64_t ns) {
  ns += text_zone_shift_ns(ns);
  std::int64_t sec = ns / 1'000'000'000;
  if (ns % 1'000'000'000 < 0) --sec;
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(sec);
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}/{:02d}/{:02d} {:02d}:{:02d}:{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string record_type(const Record& r) {
  const auto& m = r.meta;
  if (!(m.flags & SourceMeta::kCtrace)) {
    const auto n = linktype_name(r.link);
    return fmt::format("link type {}({})", r.link, n.empty() ? "unknown" : n);
  }
  if (ctrace::is_ids_probe(m.format_id))
    return fmt::format("{:08X}({} {})", m.format_id, ctrace::ids_group(m.format_id), ctrace::ids_probe_description(m.format_id));
  switch (m.format_id) {
    case 1: return "1(Packet Trace, old format)";
    case ctrace::kFmtPacket: return "4(Packet Trace)";
    case ctrace::kFmtData: return "5(Data Trace)";
    case ctrace::kFmtEE: return "6(Enterprise Extender)";
    case ctrace::kFmtOsaenta: return "7(OSAENTA)";
    case ctrace::kFmtSmc: return "8(SMC)";
    default: return fmt::format("{}({})", m.format_id, ctrace::format_id_name(m.format_id));
  }
}

}  // namespace

// The address and port tables hold at most this many keys; records of further keys are
// tallied in one "(others)" row, so that a scan of the whole address space stays bounded.
constexpr std::size_t kMaxKeys = 10'000;

struct RecordStatistics::State {
  std::uint64_t read = 0, passed = 0, packet_trace = 0, data_trace = 0, other = 0;
  Table types, versions, devices, links, jobs, protocols, discards, addresses, tcp_ports, udp_ports;
  void bounded(Table& t, std::pair<std::uint64_t, std::string> key, const Record& r) {
    auto it = t.find(key);
    if (it == t.end() && t.size() >= kMaxKeys) it = t.try_emplace({~0ull, "(others)"}).first;
    else if (it == t.end()) it = t.try_emplace(std::move(key)).first;
    it->second.add(r);
  }
};

RecordStatistics::RecordStatistics() : st_(std::make_unique<State>()) {}
RecordStatistics::~RecordStatistics() = default;

void RecordStatistics::read(const Record&) { ++st_->read; }

void RecordStatistics::passed(const Packet& p) {
  auto& s = *st_;
  const Record& r = *p.rec;
  const auto& m = r.meta;
  const bool ct = m.flags & SourceMeta::kCtrace;
  ++s.passed;
  if (ct && m.format_id == ctrace::kFmtData) ++s.data_trace;
  else if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6 || (ct && m.format_id != 1 && !ctrace::is_lost_marker(m.format_id))) ++s.packet_trace;
  else ++s.other;
  s.types[{ct ? m.format_id : r.link, record_type(r)}].add(r);
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6)
    s.versions[{p.l3 == L3::ipv4 ? 4u : 6u, p.l3 == L3::ipv4 ? "4" : "6"}].add(r);
  else if (ct && m.format_id == ctrace::kFmtData && m.dt.src.version)
    s.versions[{m.dt.src.version, fmt::format("{}(data trace)", m.dt.src.version)}].add(r);
  else
    s.versions[{99, "-(not IP)"}].add(r);
  if (ct && m.format_id != ctrace::kFmtData)
    s.devices[{m.device_type, fmt::format("{}({})", m.device_type, ctrace::device_type_label(m.device_type))}].add(r);
  std::string name(r.interface_name.substr(0, 16));
  text::printable_from(name, 0);
  if (!(ct && m.format_id == ctrace::kFmtData)) s.links[{0, name.empty() ? std::string("-") : name}].add(r);
  if (!m.job_name.empty()) {
    std::string job(m.job_name.substr(0, 8));
    text::printable_from(job, 0);
    s.jobs[{0, job}].add(r);
  }
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
    const auto pn = ip_proto_name(p.ip_proto);
    std::string u(pn.empty() ? std::string_view("unknown") : pn);
    for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    s.protocols[{p.ip_proto, fmt::format("{}({})", p.ip_proto, u)}].add(r);
  } else if (ct && m.format_id == ctrace::kFmtData) {
    s.protocols[{m.dt.proto, fmt::format("{}({}, data trace)", m.dt.proto, ctrace::dt_proto_label(m.dt.proto))}].add(r);
  }
  IpAddr a, b;
  std::uint16_t pa = 0, pb = 0;
  bool tcp = false, udp = false;
  if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
    a = p.src, b = p.dst;
    tcp = p.l4 == L4::tcp, udp = p.l4 == L4::udp;
    pa = tcp ? p.tcp.sport : udp ? p.udp.sport : 0;
    pb = tcp ? p.tcp.dport : udp ? p.udp.dport : 0;
  } else if (ct && m.format_id == ctrace::kFmtData) {
    a = m.dt.src, b = m.dt.dst;
    const bool stream = m.dt.type == ctrace::kDtStream;
    tcp = stream && (m.dt.proto == 6 || m.dt.proto == 0), udp = m.dt.proto == 17;
    pa = m.dt.sport, pb = m.dt.dport;
  }
  auto addr_key = [](const IpAddr& x) {
    std::uint64_t k = x.version;  // IPv4 before IPv6, then by the leading bytes
    for (int i = 0; i < 7; ++i) k = (k << 8) | x.b[static_cast<std::size_t>(i)];
    return std::make_pair(k, x.str());
  };
  if (a.version) s.bounded(s.addresses, addr_key(a), r);
  if (b.version && !(b == a)) s.bounded(s.addresses, addr_key(b), r);
  Table* ports = tcp ? &s.tcp_ports : udp ? &s.udp_ports : nullptr;
  if (ports && (a.version || b.version)) {
    s.bounded(*ports, {pa, fmt::format("{}", pa)}, r);
    if (pb != pa) s.bounded(*ports, {pb, fmt::format("{}", pb)}, r);
  }
  if (m.discard_code) s.discards[{m.discard_code, fmt::format("{}({})", m.discard_code, ctrace::discard_label(m.discard_code))}].add(r);
}

std::string RecordStatistics::text(const ReadStats& rs) const {
  const auto& s = *st_;
  std::string o;
  auto count = [&o](std::uint64_t n, std::string_view what) { o += fmt::format("{:>12} {}\n", group_digits(n), what); };
  o += "Trace Statistics\n";
  if (rs.ctrace) {
    const auto& c = *rs.ctrace;
    count(c.ctes, "ctrace records processed (component trace entries)");
    count(c.trace_segments, "segmented trace records read");
    count(c.trace_segments_lost, "segmented trace records were lost");
    count(c.not_validated, "records could not be validated");
    count(c.lost_markers, "lost-record markers (trace records lost for lack of buffer space)");
    count(c.spanned_lost, "spanned data set records lost (a VBS segment missing)");
  }
  count(s.read, "trace records read");
  count(s.passed, "records passed filtering");
  count(s.read - s.passed, "records filtered out (--first/--last/--start/--stop)");
  count(s.packet_trace, "packet trace records processed");
  count(s.data_trace, "data trace records processed");
  if (s.other) count(s.other, "other records processed (not IP, not data trace)");
  if (rs.bytes_skipped) count(rs.bytes_skipped, "bytes skipped (damaged or unreadable)");

  auto table = [&o](const Table& t, std::string_view title, std::string_view key, std::string_view what) {
    if (t.empty()) return;
    o += fmt::format("\n{} Report\n", title);
    o += fmt::format("{:>9} {:>9} {:>13} {:>9} {:>13} {:>9} {:<19} {:>9} {:<19} {}\n", "Total", "Input", "Data", "Output",
                     "Data", "First", "yyyy/mm/dd hh:mm:ss", "Last", "yyyy/mm/dd hh:mm:ss", key);
    Tally sum;
    for (const auto& [k, v] : t) {
      o += fmt::format("{:>9} {:>9} {:>13} {:>9} {:>13} {:>9} {:<19} {:>9} {:<19} {}\n", group_digits(v.total), group_digits(v.in),
                       group_digits(v.in_bytes), group_digits(v.out), group_digits(v.out_bytes), v.first, date_time(v.first_ns),
                       v.last, date_time(v.last_ns), k.second);
      sum.total += v.total, sum.in += v.in, sum.in_bytes += v.in_bytes, sum.out += v.out, sum.out_bytes += v.out_bytes;
    }
    o += fmt::format("{:>9} {:>9} {:>13} {:>9} {:>13} Total\n", group_digits(sum.total), group_digits(sum.in),
                     group_digits(sum.in_bytes), group_digits(sum.out), group_digits(sum.out_bytes));
    o += fmt::format(" {} {}(s) found\n", t.size(), what);
  };
  table(s.types, "Record Type", "Record Type", "Record Type");
  table(s.versions, "Ip Version", "Ip Version", "Ip Version");
  table(s.devices, "Device Type", "Device Type", "Device Type");
  table(s.links, "Link Name", "Link Name", "Link Name");
  table(s.jobs, "Job Name", "Job Name", "Job Name");
  table(s.protocols, "Protocol", "Protocol", "Protocol");
  table(s.addresses, "IP Address", "IP Address", "IP Address");
  table(s.tcp_ports, "TCP Port", "TCP Port", "TCP Port");
  table(s.udp_ports, "UDP Port", "UDP Port", "UDP Port");
  table(s.discards, "Discard", "Discard Code", "Discard Code");
  if (s.discards.empty() && s.passed) o += "\nNo discarded packets\n";
  return o;
}

}  // namespace ctana
