// Text summary for people: fixed columns in the manner of the IPCS packet trace reports.
#include <fmt/format.h>

#include <utility>
#include <vector>

#include "ctana/render.hpp"

namespace ctana {

namespace {

std::string pct(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "     -";
  return fmt::format("{:5.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string link_label(std::uint16_t lt) {
  const auto n = linktype_name(lt);
  return n.empty() ? fmt::format("linktype {}", lt) : fmt::format("{} ({})", n, lt);
}

std::string endpoint(const IpAddr& a, std::uint16_t port, bool ports) {
  if (!ports) return a.str();
  return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
}

template <class... A>
void line(std::string& o, fmt::format_string<A...> f, A&&... a) {
  fmt::format_to(std::back_inserter(o), f, std::forward<A>(a)...);
  while (!o.empty() && o.back() == ' ') o.pop_back();
  o += '\n';
}

}  // namespace

std::string render_summary_text(const SummaryReport& r) {
  std::string o;

  line(o, "ctana {} summary", CTANA_VERSION);
  line(o, "");
  line(o, "File         : {}", r.path);
  line(o, "Format       : {}{}", format_name(r.format),
       r.file_size ? fmt::format(", {} bytes", group_digits(r.file_size)) : std::string());
  for (std::size_t i = 0; i < r.link_types.size(); ++i) {
    const auto& lt = r.link_types[i];
    line(o, "{}: {}, {} records{}", i == 0 ? "Link types   " : "             ", link_label(lt.link),
         group_digits(lt.records), lt.supported ? "" : " (unsupported: counted, not decoded)");
  }
  const bool show_ifaces = r.interfaces.size() > 1 || (r.interfaces.size() == 1 && !r.interfaces[0].name.empty());
  if (show_ifaces) {
    for (std::size_t i = 0; i < r.interfaces.size(); ++i) {
      const auto& f = r.interfaces[i];
      line(o, "{}: #{} {} {}, snaplen {}, timestamps {}, {} records", i == 0 ? "Interfaces   " : "             ", i,
           f.name.empty() ? "(unnamed)" : f.name, link_label(f.link), f.snaplen, f.ts_resolution,
           group_digits(f.records));
    }
  }
  if (!r.filter.empty()) line(o, "Filter       : {}", r.filter);
  if (r.first_ns) {
    line(o, "First packet : {}", iso_time(*r.first_ns));
    line(o, "Last packet  : {}", iso_time(*r.last_ns));
    line(o, "Span         : {} s", seconds(*r.last_ns - *r.first_ns));
  } else {
    line(o, "First packet : -");
  }

  line(o, "");
  line(o, "Records");
  const auto& rc = r.records;
  line(o, "  {:<22}{:>14}", "Read", group_digits(rc.read));
  if (!r.filter.empty()) line(o, "  {:<22}{:>14}", "Filtered out", group_digits(rc.filtered_out));
  line(o, "  {:<22}{:>14}", "Decoded", group_digits(rc.decoded));
  line(o, "  {:<22}{:>14}", "Malformed", group_digits(rc.malformed));
  line(o, "  {:<22}{:>14}", "Truncated (snaplen)", group_digits(rc.truncated));
  line(o, "  {:<22}{:>14}", "Unsupported link type", group_digits(rc.unsupported));

  line(o, "");
  line(o, "Packets and bytes");
  line(o, "  {:<14}{:>14} {:>7}{:>18} {:>7}", "Protocol", "Packets", "%", "Bytes", "%");
  const auto& p = r.packets;
  const auto& b = r.bytes;
  auto row = [&](const char* name, std::uint64_t n, std::uint64_t by) {
    line(o, "  {:<14}{:>14} {:>7}{:>18} {:>7}", name, group_digits(n), pct(n, p.total), group_digits(by), pct(by, b.total));
  };
  row("Total", p.total, b.total);
  row("IPv4", p.ipv4, b.ipv4);
  row("IPv6", p.ipv6, b.ipv6);
  row("TCP", p.tcp, b.tcp);
  row("UDP", p.udp, b.udp);
  row("ICMP", p.icmp, b.icmp);
  row("ICMPv6", p.icmpv6, b.icmpv6);
  row("ARP", p.arp, b.arp);
  row("Other", p.other, b.other);
  line(o, "  {:<14}{:>14} {:>7}", "IP fragments", group_digits(p.fragments), pct(p.fragments, p.total));
  if (b.captured != b.total) line(o, "  Captured bytes: {} of {} on the wire", group_digits(b.captured), group_digits(b.total));

  if (!r.protocols.empty()) {
    line(o, "");
    line(o, "Protocols (each packet counted once, by its highest decoded layer)");
    line(o, "  {:<20}{:>14} {:>18} {:>7}", "Protocol", "Packets", "Bytes", "%");
    for (const auto& pr : r.protocols)
      line(o, "  {:<20}{:>14} {:>18} {:>7}", pr.name, group_digits(pr.count.packets), group_digits(pr.count.bytes),
           pct(pr.count.bytes, b.total));
  }

  if (!r.conversations.empty()) {
    line(o, "");
    line(o, "Top conversations by bytes ({} of {}{})", r.conversations.size(), group_digits(r.conversations_total),
         r.conversations_untracked ? fmt::format("; {} packets untracked: table full", group_digits(r.conversations_untracked))
                                   : std::string());
    std::vector<std::pair<std::string, std::string>> ends;
    std::size_t wa = 16, wb = 16, wp = 6;
    for (const auto& c : r.conversations) {
      const bool ports = (c.proto == "tcp" || c.proto == "udp") && (c.a_port || c.b_port);
      ends.emplace_back(endpoint(c.a, c.a_port, ports), endpoint(c.b, c.b_port, ports));
      wa = std::max(wa, ends.back().first.size());
      wb = std::max(wb, ends.back().second.size());
      wp = std::max(wp, c.proto.size());
    }
    line(o, "  {:<{}} {:<{}} {:<{}} {:>9} {:>13} {:>9} {:>13} {:>12}", "Proto", wp, "A (first sender)", wa, "B", wb,
         "Pkts A>B", "Bytes A>B", "Pkts B>A", "Bytes B>A", "Duration s");
    for (std::size_t i = 0; i < r.conversations.size(); ++i) {
      const auto& c = r.conversations[i];
      line(o, "  {:<{}} {:<{}} {:<{}} {:>9} {:>13} {:>9} {:>13} {:>12}", c.proto, wp, ends[i].first, wa, ends[i].second, wb,
           group_digits(c.a_to_b.packets), group_digits(c.a_to_b.bytes), group_digits(c.b_to_a.packets),
           group_digits(c.b_to_a.bytes), seconds(c.last_ns - c.first_ns));
    }
  }

  const auto& ck = r.checksum_errors;
  if (ck.ipv4 + ck.tcp + ck.udp + ck.icmp + ck.icmpv6) {
    line(o, "");
    line(o, "Checksum errors: IPv4 {}, TCP {}, UDP {}, ICMP {}, ICMPv6 {}", ck.ipv4, ck.tcp, ck.udp, ck.icmp, ck.icmpv6);
    line(o, "  (packets sent by the capturing host often show bad TCP/UDP checksums: checksum offload)");
  }

  if (!r.decode_problems.empty()) {
    line(o, "");
    line(o, "Decode problems");
    line(o, "  {:>9}  {:<7} {:<52} {:>12} {:>12}", "Packets", "Layer", "Problem", "First rec", "At byte");
    for (const auto& d : r.decode_problems)
      line(o, "  {:>9}  {:<7} {:<52} {:>12} {:>12}", group_digits(d.count), d.layer,
           d.truncated ? fmt::format("{} (snaplen)", d.what) : d.what, d.first_record, d.first_byte);
  }

  o += render_ctrace_text(r);

  const auto& rd = r.read;
  if (!rd.issues.empty() || rd.bytes_skipped) {
    line(o, "");
    line(o, "Read problems{}", rd.truncated ? " (the file is truncated)" : rd.damaged ? " (the file is damaged)" : "");
    for (const auto& is : rd.issues) line(o, "  offset {}: {}", is.offset, is.message);
    if (rd.issues_dropped) line(o, "  ... and {} more", rd.issues_dropped);
    if (rd.bytes_skipped)
      line(o, "  {} bytes skipped while resynchronising; reading resumed {} time{}", group_digits(rd.bytes_skipped),
           rd.resyncs, rd.resyncs == 1 ? "" : "s");
  }
  return o;
}

}  // namespace ctana
