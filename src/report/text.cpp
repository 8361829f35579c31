// Text summary for people: fixed columns in the manner of the IPCS packet trace reports.
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "ctana/dhcp.hpp"
#include "ctana/dns.hpp"
#include "ctana/render.hpp"
#include "report/text_util.hpp"

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

using text::line;

}  // namespace

std::string render_summary_text(const SummaryReport& r) {
  std::string o;

  line(o, "ctana {} summary", CTANA_VERSION);
  line(o, "");
  line(o, "File         : {}", r.path);
  if (r.packed)
    line(o, "Format       : {} containing {}{}, {} bytes unpacked", r.packed->label(), format_name(r.format),
         r.file_size ? fmt::format(", {} bytes", group_digits(r.file_size)) : std::string(),
         group_digits(r.packed->unpacked_bytes));
  else
    line(o, "Format       : {}{}", format_name(r.format),
         r.file_size ? fmt::format(", {} bytes", group_digits(r.file_size)) : std::string());
  for (std::size_t i = 0; i < r.link_types.size(); ++i) {
    const auto& lt = r.link_types[i];
    line(o, "{}: {}, {} records{}", i == 0 ? "Link types   " : "             ", link_label(lt.link),
         group_digits(lt.records),
         lt.supported                          ? ""
         : lt.link == linktype::ctrace_data ? " (CTRACE records without a packet, e.g. data trace: see CTRACE below)"
                                              : " (unsupported: counted, not decoded)");
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
    line(o, "First packet : {}", text_time(*r.first_ns));
    line(o, "Last packet  : {}", text_time(*r.last_ns));
    line(o, "Span         : {} s", seconds(*r.last_ns - *r.first_ns));
  } else {
    line(o, "First packet : -");
  }
  if ((r.tcp.present && r.tcp.totals.connections) || r.findings.total()) {
    line(o, "");
    o += render_verdict_text(r.findings);
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
  if (const auto& ra = r.ip_reassembly; p.fragments && !ra.enabled) {
    line(o, "  IP reassembly off (--no-reassembly): the fragments' payload is not analysed");
  } else if (ra.fragments || ra.not_taken) {
    std::string more;
    const std::pair<const char*, std::uint64_t> parts[] = {
        {"timed out", ra.timeouts}, {"incomplete at the end", ra.incomplete}, {"overlaps", ra.overlaps},
        {"conflicting overlaps", ra.overlap_conflicts}, {"with tiny fragments", ra.tiny}, {"too big", ra.too_big},
        {"fragments over the limits", ra.overflow}, {"cut by the snap length", ra.cut},
        {"malformed fragments", ra.not_taken}};
    for (const auto& [what, n] : parts)
      if (n) more += fmt::format(", {} {}", group_digits(n), what);
    line(o, "  Reassembled: {} datagram{} from {} fragment{}{}", group_digits(ra.datagrams), ra.datagrams == 1 ? "" : "s",
         group_digits(ra.fragments), ra.fragments == 1 ? "" : "s", more);
  }
  if (b.captured != b.total) line(o, "  Captured bytes: {} of {} on the wire", group_digits(b.captured), group_digits(b.total));

  if (!r.protocols.empty()) {
    line(o, "");
    line(o, "Protocols (each packet counted once, by its highest decoded layer)");
    line(o, "  {:<20}{:>14} {:>18} {:>7}", "Protocol", "Packets", "Bytes", "%");
    for (const auto& pr : r.protocols)
      line(o, "  {:<20}{:>14} {:>18} {:>7}", pr.name, group_digits(pr.count.packets), group_digits(pr.count.bytes),
           pct(pr.count.bytes, b.total));
  }

  if (const auto& ts = r.tunnels; ts.packets) {
    line(o, "");
    std::string more;
    if (ts.too_deep)
      more += fmt::format("; {} nested deeper than {}: left opaque", group_digits(ts.too_deep), ts.max_depth);
    if (ts.untracked) more += fmt::format("; {} untracked: table full", group_digits(ts.untracked));
    line(o, "Tunnels ({} packet{} through a tunnel{})", group_digits(ts.packets), ts.packets == 1 ? "" : "s", more);
    std::size_t wk = 8, wp = 8, we = 24;
    std::vector<std::string> ends;
    for (const auto& t : ts.rows) {
      ends.push_back(t.a.str() + " - " + t.b.str());
      wk = std::max(wk, t.kind.size());
      wp = std::max(wp, t.payload.size());
      we = std::max(we, ends.back().size());
    }
    line(o, "  {:<{}}  {:<{}}  {:<{}}  {:>10}{:>12}{:>16}  {}", "Kind", wk, "Carries", wp, "Outer endpoints", we,
         "Key/VNI", "Packets", "Bytes", "Inner protocols");
    for (std::size_t i = 0; i < ts.rows.size(); ++i) {
      const auto& t = ts.rows[i];
      std::string inner;
      for (const auto& [name, n] : t.inner) inner += fmt::format("{}{} {}", inner.empty() ? "" : ", ", name, group_digits(n));
      line(o, "  {:<{}}  {:<{}}  {:<{}}  {:>10}{:>12}{:>16}  {}", t.kind, wk, t.payload, wp, ends[i], we,
           t.id ? std::to_string(*t.id) : std::string("-"), group_digits(t.count.packets), group_digits(t.count.bytes),
           inner);
    }
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

  if (r.tcp.present && r.tcp.totals.connections) {
    const auto& t = r.tcp.totals;
    auto fl = [&t](std::uint32_t bit) {
      int i = 0;
      while ((1u << i) != bit) ++i;
      return t.flags[static_cast<std::size_t>(i)];
    };
    line(o, "");
    line(o, "TCP sessions (ctana sessions FILE for each connection)");
    line(o, "  {:<26}{:>12}", "Connections", group_digits(t.connections));
    line(o, "    ended: closed {}, reset {}, refused {}, SYN unanswered {}, handshake incomplete {}, still open {}",
         group_digits(t.closed), group_digits(t.reset_connections), group_digits(t.refused),
         group_digits(t.syn_unanswered), group_digits(t.handshake_incomplete), group_digits(t.open_at_end));
    line(o, "  {:<26}{:>12}", "Most open at once", group_digits(t.peak_open));
    line(o, "  {:<26}{:>12}", "TCP packets", group_digits(t.packets));
    const std::uint64_t retr = fl(tcpa::retransmission) + fl(tcpa::fast_retransmission) + fl(tcpa::spurious_retransmission);
    line(o, "  {:<26}{:>12} {:>7}", "Retransmissions", group_digits(retr), pct(retr, t.packets));
    const std::pair<const char*, std::uint32_t> rows[] = {
        {"  of them fast", tcpa::fast_retransmission}, {"  of them spurious", tcpa::spurious_retransmission},
        {"Out-of-order", tcpa::out_of_order},
        {"Duplicate ACKs", tcpa::duplicate_ack}, {"Segments not captured", tcpa::lost_segment},
        {"ACKed but not captured", tcpa::ack_lost_segment}, {"Zero windows", tcpa::zero_window},
        {"Zero window probes", tcpa::zero_window_probe}, {"Window full", tcpa::window_full},
        {"Window updates", tcpa::window_update}, {"Keepalives", tcpa::keep_alive}};
    for (const auto& [name, bit] : rows)
      line(o, "  {:<26}{:>12} {:>7}", name, group_digits(fl(bit)), pct(fl(bit), t.packets));
    line(o, "  {:<26}{:>12}", "Resets (RST packets)", group_digits(t.resets));
    auto dist = [&o](const char* name, const LatencyStat& l, const char* one, const char* many, auto fmt_value) {
      if (!l.samples) return;
      line(o, "  {:<26}median {}, p95 {}, max {} ({} {})", name, fmt_value(l.median), fmt_value(l.p95),
           fmt_value(l.max), group_digits(l.samples), l.samples == 1 ? one : many);
    };
    dist("Handshake RTT", r.tcp.handshake_rtt, "connection", "connections", human_duration);
    dist("Response time", r.tcp.response_time, "exchange", "exchanges", human_duration);
    dist("Throughput", r.tcp.throughput, "connection with >= 64 KiB one way", "connections with >= 64 KiB one way",
         human_rate);
    if (t.untracked_packets) line(o, "  {:<26}{:>12}", "Untracked (table full)", group_digits(t.untracked_packets));
    if (r.tcp.reassembly.overflow_bytes)
      line(o, "  {:<26}{:>12} bytes given up (reassembly buffers full)", "Reassembly overflow",
           group_digits(r.tcp.reassembly.overflow_bytes));
  }
  if ((r.tcp.present && r.tcp.totals.connections) || r.findings.total()) {
    const auto& sev = r.findings.by_severity;
    line(o, "");
    line(o, "Exceptions: {} errors, {} warnings, {} informational (ctana exceptions FILE)", sev[2], sev[1], sev[0]);
    for (const auto& k : r.findings.kinds) line(o, "  {:<30}{:>8}", k.kind, group_digits(k.count));
  }

  if (r.ftp.present && r.ftp.sessions_total) {
    const auto& f = r.ftp;
    line(o, "");
    line(o, "FTP sessions: {}, transfers {}, {} bytes on data connections, {} failed login{}, {} error repl{}",
         group_digits(f.sessions_total), group_digits(f.transfers_total), group_digits(f.bytes_total),
         f.failed_logins, f.failed_logins == 1 ? "" : "s", f.error_replies, f.error_replies == 1 ? "y" : "ies");
    if (f.sessions_untracked || f.data_connections_untracked)
      line(o, "  not followed (tables full): {} control connections, {} announced data connections",
           group_digits(f.sessions_untracked), group_digits(f.data_connections_untracked));
    for (const auto& s : f.sessions) {
      const std::string who = s.user.empty() ? "" : fmt::format(" user {}", s.user);
      line(o, "  Conn {:<5} {} -> {}{}: login {}{}{}, {} commands, type {}, ended {}", s.connection,
           endpoint(s.client, s.client_port, true), endpoint(s.server, s.server_port, true), who, s.login,
           s.login == "ok" && s.login_failures ? fmt::format(" ({} failed attempts first)", s.login_failures) : "",
           s.tls ? ", TLS" : "", s.commands,
           s.type, s.end.empty() ? "-" : s.end);
      for (const auto& t : s.transfers) {
        const double el = static_cast<double>(t.end_ns - t.start_ns) / 1e9;
        line(o, "    {:<4} {:<28} {:<8} {:<7} {:>12} bytes {:>9.3f} s {:>12} B/s  reply {}  data {}", t.command,
             t.file.empty() ? "-" : t.file.substr(0, 28), t.upload ? "upload" : "download",
             t.data_port ? (t.passive ? "passive" : "active") : "?", group_digits(t.bytes), el,
             el > 0 ? group_digits(static_cast<std::uint64_t>(static_cast<double>(t.bytes) / el)) : std::string("-"),
             t.reply ? std::to_string(t.reply) : std::string("-"),
             t.data_connection ? fmt::format("conn {} ({})", t.data_connection, t.data_end) : std::string("never opened"));
      }
    }
  }

  if (r.dhcp.present && r.dhcp.messages) {
    const auto& d = r.dhcp;
    std::string types;
    for (std::uint8_t i = 0; i < d.by_type.size(); ++i)
      if (d.by_type[i]) types += fmt::format("{}{} {}", types.empty() ? "" : ", ", dhcp::type_name(i), d.by_type[i]);
    line(o, "");
    line(o, "DHCP: {} messages ({}); {} NAK, {} DECLINE, {} DISCOVER unanswered", d.messages, types, d.naks,
         d.declines, d.discovers_unanswered);
    if (d.untracked_exchanges) line(o, "  {} exchanges not followed (table full)", group_digits(d.untracked_exchanges));
    for (const auto& l : d.leases)
      line(o, "  {} got {} from {} for {} s{}", l.client, l.address.str(), l.server.version ? l.server.str() : "?",
           l.lease_s, l.exchange_ns >= 0 ? fmt::format(" ({:.3f} s exchange)", static_cast<double>(l.exchange_ns) / 1e9) : "");
  }

  const bool starttls_seen = std::any_of(r.tls.starttls.begin(), r.tls.starttls.end(), [](const StartTlsRow& s) {
    return s.offered || s.requested || s.clear_credentials;
  });
  if (r.tls.present && (r.tls.sessions_total || r.tls.midstream_sessions || starttls_seen)) {
    const auto& t = r.tls;
    line(o, "");
    line(o, "TLS: {} handshakes, {} failed, {} alerts in clear, {} encrypted", group_digits(t.sessions_total),
         group_digits(t.handshakes_failed), group_digits(t.alerts_total), group_digits(t.encrypted_alerts));
    for (const auto& s : t.starttls)
      if (s.offered || s.requested || s.clear_credentials)
        line(o, "  {} upgrades: {} connections, {} offered, {} requested, {} accepted, {} refused{}", s.protocol,
             group_digits(s.connections), group_digits(s.offered), group_digits(s.requested), group_digits(s.accepted),
             group_digits(s.refused),
             s.clear_credentials ? fmt::format(", {} with credentials in clear", group_digits(s.clear_credentials)) : "");
    if (t.untracked_connections) line(o, "  {} connections not followed (table full)", group_digits(t.untracked_connections));
    if (t.midstream_sessions)
      line(o, "  Picked up mid-stream: {} connection{} (the handshake was before the capture)",
           group_digits(t.midstream_sessions), t.midstream_sessions == 1 ? "" : "s");
    if (t.hello_retries)
      line(o, "  HelloRetryRequest: {} handshake{} (the server asked for another key share: one round trip more)",
           group_digits(t.hello_retries), t.hello_retries == 1 ? "" : "s");
    if (t.sslv2_hellos)
      line(o, "  SSLv2-format ClientHello: {} handshake{} (no extensions: no server name, no TLS 1.3)",
           group_digits(t.sslv2_hellos), t.sslv2_hellos == 1 ? "" : "s");
    auto list = [](const std::vector<std::pair<std::string, std::uint64_t>>& v) {
      std::string s;
      for (const auto& [k, n] : v) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", k, n);
      return s.empty() ? std::string("-") : s;
    };
    line(o, "  Versions: {}", list(t.versions));
    line(o, "  Cipher suites: {}", list(t.ciphers));
    if (!t.snis.empty()) line(o, "  Server names: {}", list(t.snis));
    line(o, "  Handshake messages in clear: {}", list(t.handshake_types));
    if (!t.alert_messages.empty()) line(o, "  Alerts in clear: {}", list(t.alert_messages));
    for (const auto& s : t.sessions)
      if (s.midstream ? !s.alerts.empty() : (!s.completed || !s.alerts.empty()))
        line(o, "  Conn {} {} -> {}:{} {}{}{}: {}", s.connection, s.client.str(), s.server.str(), s.server_port,
             s.sni, s.version.empty() ? "" : " " + s.version,
             s.midstream ? " (mid-stream)"
             : s.detected == "port" || s.detected == "content" ? ""
                                                              : " after " + s.detected,
             s.alerts.empty() ? std::string("handshake not completed") : s.alerts.front());
  }

  if (r.icmp.present && r.icmp.messages) {
    const auto& c = r.icmp;
    line(o, "");
    line(o, "ICMP and ICMPv6: {} messages; pings: {} requests, {} answered, {} unanswered{}", group_digits(c.messages),
         c.echo_requests, c.echo_answered, c.echo_unanswered,
         c.echo_rtt_median_ns >= 0 ? fmt::format(", round trip median {:.3f} ms, longest {:.3f} ms",
                                                 static_cast<double>(c.echo_rtt_median_ns) / 1e6,
                                                 static_cast<double>(c.echo_rtt_max_ns) / 1e6)
                                   : std::string());
    if (c.echo_untracked) line(o, "  {} echo requests not matched (table full)", group_digits(c.echo_untracked));
    for (const auto& t : c.types) line(o, "  {:>8}  {} {}", group_digits(t.count), t.v6 ? "ICMPv6" : "ICMP  ", t.name);
    for (const auto& e : c.errors)
      line(o, "  error: {} {} from {} about {}{}{} ({} time{})", e.v6 ? "ICMPv6" : "ICMP", e.what, e.reporter.str(), e.about,
           e.connection ? fmt::format(" (conn {})", e.connection) : "", e.mtu ? fmt::format(", MTU {}", e.mtu) : "",
           e.count, e.count == 1 ? "" : "s");
  }

  const auto& nw = r.network;
  if (nw.present && (!nw.loops.empty() || nw.storm_seconds)) {
    line(o, "");
    line(o, "Loops and storms: {} packet{} going round a routing loop, {} second{} of broadcast storm", 
         group_digits(nw.loops.size() + nw.loops_untracked), nw.loops.size() + nw.loops_untracked == 1 ? "" : "s",
         nw.storm_seconds, nw.storm_seconds == 1 ? "" : "s");
    for (const auto& l : nw.loops)
      line(o, "  loop: {}{}: {} passes, TTL {} down to {}", l.about,
           l.connection ? fmt::format(" (conn {})", l.connection) : "", l.passes, l.first_ttl, l.last_ttl);
    if (nw.storm_seconds)
      line(o, "  storm: {} broadcast/multicast frames, up to {} in one second (threshold {}); most repeated frame: {} x {}",
           group_digits(nw.group_frames), group_digits(nw.group_peak_per_second), group_digits(nw.storm_threshold),
           group_digits(nw.repeated_frame_copies), nw.repeated_frame);
  }

  if (r.dns.present && (r.dns.queries || r.dns.responses)) {
    const auto& d = r.dns;
    auto ms = [](std::int64_t ns) { return ns >= 0 ? fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6) : std::string("-"); };
    line(o, "");
    line(o, "DNS: {} queries, {} responses ({} matched), {} unanswered, {}{} retries{}{}", group_digits(d.queries),
         group_digits(d.responses), group_digits(d.answered), group_digits(d.unanswered),
         d.icmp_failed ? fmt::format("{} answered by ICMP errors, ", group_digits(d.icmp_failed)) : "", group_digits(d.retries),
         d.truncated ? fmt::format(", {} truncated", d.truncated) : "", d.over_tcp ? fmt::format(", {} over TCP", d.over_tcp) : "");
    std::string codes;
    for (std::uint8_t i = 0; i < 16; ++i)
      if (d.rcodes[i]) codes += fmt::format("{}{} {}", codes.empty() ? "" : ", ", dns::rcode_name(i), d.rcodes[i]);
    if (!codes.empty()) line(o, "  Response codes: {}", codes);
    if (d.untracked_queries) line(o, "  {} queries not tracked (table full)", group_digits(d.untracked_queries));
    if (d.latency_samples) line(o, "  Latency: median {}, 95th percentile {}, longest {}", ms(d.latency_median_ns),
                                ms(d.latency_p95_ns), ms(d.latency_max_ns));
    for (const auto& n : d.error_names) line(o, "  {:>6} x {} {} answered with an error", n.count, n.name, n.type);
    for (const auto& n : d.unanswered_names) line(o, "  {:>6} x {} {} unanswered", n.count, n.name, n.type);
  }

  for (const auto& [name, s] : r.modules)
    if (s->seen()) o += s->text();

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
  if (!rd.issues.empty() || rd.bytes_skipped || !rd.ascii_transfer.empty()) {
    line(o, "");
    line(o, "Read problems{}", rd.truncated ? " (the file is truncated)" : rd.damaged ? " (the file is damaged)" : "");
    if (!rd.ascii_transfer.empty()) line(o, "  the file {}", ascii_transfer_message(rd.ascii_transfer));
    for (const auto& is : rd.issues) line(o, "  offset {}: {}", is.offset, is.message);
    if (rd.issues_dropped) line(o, "  ... and {} more", rd.issues_dropped);
    if (rd.bytes_skipped)
      line(o, "  {} bytes skipped while resynchronising; reading resumed {} time{}", group_digits(rd.bytes_skipped),
           rd.resyncs, rd.resyncs == 1 ? "" : "s");
  }
  return o;
}

}  // namespace ctana
