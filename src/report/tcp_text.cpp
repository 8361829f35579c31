// Text reports of the TCP session analysis: the IPCS-style SESSION report, the one-line table,
// and the sequence of execution of one connection.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "ctana/records.hpp"
#include "ctana/render.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace text {
std::string clock_time(std::int64_t ns) {  // hh:mm:ss.uuuuuu
  const std::string iso = iso_time(ns + text_zone_shift_ns(ns));
  return iso.size() >= 26 ? iso.substr(11, 15) : iso;
}

std::string wrap(const std::string& text, std::size_t indent, std::size_t width) {
  std::string out, cur;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    const std::string word = text.substr(pos, sp - pos);
    if (!cur.empty() && cur.size() + 1 + word.size() > width) {
      out += std::string(indent, ' ') + cur + "\n";
      cur.clear();
    }
    cur += (cur.empty() ? "" : " ") + word;
    pos = sp + 1;
  }
  if (!cur.empty()) out += std::string(indent, ' ') + cur + "\n";
  return out;
}
}  // namespace text

namespace {

using text::clock_time;
using text::line;

// IPCS writes times as yyyy/mm/dd hh:mm:ss.uuuuuu.
std::string ipcs_time(std::int64_t ns) {
  std::string iso = iso_time(ns + text_zone_shift_ns(ns));  // 2024-01-02T03:04:05.123456789Z (--tz: local)
  if (iso.size() < 26) return iso;
  std::string s = iso.substr(0, 10) + " " + iso.substr(11, 15);
  std::replace(s.begin(), s.begin() + 10, '-', '/');
  return s;
}

std::string pct2(std::uint64_t n, std::uint64_t total) {
  return total ? fmt::format("({:5.2f}%)", 100.0 * static_cast<double>(n) / static_cast<double>(total)) : "";
}

std::string opt_secs(std::int64_t ns) {
  return ns >= 0 ? fmt::format("{:.6f} s", static_cast<double>(ns) / 1e9) : std::string("-");
}

std::string end_state(const TcpConnection& c) {
  // (these states always have the side; the client when not)
  const std::string_view fin_by = side_name(c.first_fin_by.value_or(Side::client));
  switch (c.state) {
    case TcpState::closed: return fmt::format("closed (FIN from {} first)", fin_by);
    case TcpState::reset: return fmt::format("reset by {}", side_name(c.reset_by.value_or(Side::client)));
    case TcpState::closing: return fmt::format("half-closed (FIN from {} only)", fin_by);
    case TcpState::established:
      return c.evicted_idle ? "idle past the timeout (no close seen)" : "still open at the end of the trace";
    default: return std::string(tcp_state_name(c.state));
  }
}


}  // namespace

std::string render_sessions_text(const SummaryReport& r, std::uint64_t only_conn) {
  std::string o;
  line(o, "ctana {} TCP sessions of {}", CTANA_VERSION, r.path);
  const auto& t = r.tcp;
  line(o, "{} connections{}; local side: {}", t.totals.connections,
       t.connections_in_trace ? fmt::format(" (numbered as in the whole trace, which has {})", t.connections_in_trace) : "",
       t.local_host ? fmt::format("{}, the host in most connections", t.local_host->str())
       : t.connections.empty() ? "-"
                               : t.connections.front().local_rule);
  for (const TcpConnection& c : t.connections) {
    if (only_conn && c.id != only_conn) continue;
    // IPCS is host-centric: columns are the local and the remote host.
    // An unknown local side is taken to be the server's.
    const Side L = c.local.value_or(Side::server), R = other(L);
    const IpAddr& laddr = L == Side::client ? c.client : c.server;
    const IpAddr& raddr = L == Side::client ? c.server : c.client;
    const std::uint16_t lport = L == Side::client ? c.client_port : c.server_port;
    const std::uint16_t rport = L == Side::client ? c.server_port : c.client_port;
    const auto& dl = c.sent_by(L);
    const auto& dr = c.sent_by(R);
    const char* role[2] = {"Client", "Server"};
    line(o, "");
    line(o, "Connection {}{}", c.id, c.app.empty() ? "" : fmt::format(" ({})", c.app));
    line(o, "Local Ip Address:   {}", laddr.str());
    line(o, "Remote Ip Address:  {}", raddr.str());
    line(o, "Host:                     Local,   Remote");
    if (c.roles_known) line(o, "Client or Server: {:>12},{:>9}", role[index(L)], role[index(R)]);
    else line(o, "Client or Server:      Unknown,  Unknown   (no SYN in the trace; ports suggest {} is the server)",
              c.server.str());
    line(o, " Port:          {:>14},{:>9}", lport, rport);
    line(o, " Application:   {:>14}", c.app.empty() ? "-" : c.app);
    line(o, "Connection:");
    line(o, " First timestamp:   {}", ipcs_time(c.first_ns));
    line(o, " Last timestamp:    {}", ipcs_time(c.last_ns));
    line(o, " Elapsed:           {}", opt_secs(c.elapsed_ns()));
    line(o, " Start:             {}", c.saw_start ? "SYN in the trace" : "already open when the trace began");
    if (const auto* later = t.after_window_of(c.id))
      line(o, " End:               still open at the end of the time window; then {} at {} (frame {})",
           later->state == c.state ? std::string("its last packet") : std::string(tcp_state_name(later->state)),
           ipcs_time(later->last_ns), later->last_frame);
    else
      line(o, " End:               {}", end_state(c));
    if (c.handshake_rtt_ns >= 0 || c.syn_synack_ns >= 0)
      line(o, " Handshake:         SYN to SYN/ACK {}, SYN/ACK to ACK {}, total {}", opt_secs(c.syn_synack_ns),
           opt_secs(c.synack_ack_ns), opt_secs(c.handshake_rtt_ns));
    if (c.exchanges)
      line(o, " Response times:    {} exchange{}, average {}, longest {}", c.exchanges, c.exchanges == 1 ? "" : "s",
           opt_secs(c.rt_total_ns / static_cast<std::int64_t>(c.exchanges)), opt_secs(c.rt_max_ns));
    // where the time went: the five parts sum to the elapsed time
    line(o, " Host time:         {} (the server's turn: answering requests, sending unasked)", opt_secs(c.server_time_ns));
    line(o, " Client time:       {} (the client's turn: think time before its next request)", opt_secs(c.client_time_ns));
    line(o, " Receiver stall:    {} (a zero window, or the sender's window full)", opt_secs(c.stall_time_ns));
    line(o, " Network time:      {} (round trips, transfer, loss recovery)", opt_secs(c.network_time_ns));
    line(o, " Idle:              {} (nothing outstanding; keepalives)", opt_secs(c.idle_time_ns));
    auto opt_pair = [&](auto f) { return fmt::format("{:>9},{:>9}", f(dl), f(dr)); };
    line(o, " MSS:               {}", opt_pair([](const TcpDirection& d) { return d.has_mss ? std::to_string(d.mss) : std::string("-"); }));
    line(o, " Window scale:      {}", opt_pair([](const TcpDirection& d) { return d.wscale >= 0 ? std::to_string(d.wscale) : std::string("-"); }));
    line(o, " SACK permitted:    {}", opt_pair([](const TcpDirection& d) { return d.syn ? (d.sack_permitted ? "yes" : "no") : "-"; }));
    line(o, " Timestamps:        {}", opt_pair([](const TcpDirection& d) { return d.syn ? (d.timestamps ? "yes" : "no") : "-"; }));
    line(o, " Initial window:    {}", opt_pair([](const TcpDirection& d) { return d.syn ? std::to_string(d.initial_window) : std::string("-"); }));
    line(o, " Smallest window:   {}", opt_pair([](const TcpDirection& d) { return d.min_window != UINT64_MAX ? group_digits(d.min_window) : std::string("-"); }));
    line(o, " Largest window:    {}", opt_pair([](const TcpDirection& d) { return d.min_window != UINT64_MAX ? group_digits(d.max_window) : std::string("-"); }));
    line(o, " Payload bytes:     {:>9},{:>9}", group_digits(dl.payload_bytes), group_digits(dr.payload_bytes));
    auto thr = [&c](const TcpDirection& d) {
      const std::int64_t el = c.elapsed_ns();
      return el > 0 ? group_digits(static_cast<std::uint64_t>(static_cast<double>(d.payload_bytes) * 1e9 / static_cast<double>(el)))
                    : std::string("-");
    };
    line(o, " Throughput (B/s):  {:>9},{:>9}", thr(dl), thr(dr));
    line(o, "Packets:              {:>9},{:>9}", dl.packets, dr.packets);
    line(o, "  (x) Untraced Packets:  {:>6},{:>9}", dl.untraced, dr.untraced);
    for (int k = 0; k < kTcpCats; ++k) {
      const auto cat = static_cast<TcpCat>(k);
      const std::uint64_t a = dl.cats[static_cast<std::size_t>(k)], b = dr.cats[static_cast<std::size_t>(k)];
      line(o, "  ({}) {:<20}{:>6},{:>9} {}, {}", tcp_cat_letter(cat), fmt::format("{}:", tcp_cat_name(cat)), a, b,
           pct2(a, dl.packets), pct2(b, dr.packets));
    }
  }
  if (t.connections_omitted) line(o, "\n{} more connections not listed (--max-listed)", t.connections_omitted);
  return o;
}

std::string render_sessions_table(const SummaryReport& r) {
  std::string o;
  std::size_t wc = 21, ws = 21;
  auto ep = [](const IpAddr& a, std::uint16_t p) {
    return a.version == 6 ? fmt::format("[{}]:{}", a.str(), p) : fmt::format("{}:{}", a.str(), p);
  };
  for (const auto& c : r.tcp.connections) {
    wc = std::max(wc, ep(c.client, c.client_port).size());
    ws = std::max(ws, ep(c.server, c.server_port).size());
  }
  line(o, "{:>6} {:<{}} {:<{}} {:<9} {:>8} {:>12} {:<15} {:>11} {:>9} {:>5} {:>5} {:>4} {}", "Conn", "Client", wc,
       "Server", ws, "App", "Packets", "Bytes", "Start", "Duration s", "RTT ms", "Retr", "DupA", "ZWin", "End");
  for (const auto& c : r.tcp.connections) {
    const auto& a = c.dir[0];
    const auto& b = c.dir[1];
    auto fl = [&](int bit) { return a.flags[static_cast<std::size_t>(bit)] + b.flags[static_cast<std::size_t>(bit)]; };
    line(o, "{:>6} {:<{}} {:<{}} {:<9} {:>8} {:>12} {:<15} {:>11.6f} {:>9} {:>5} {:>5} {:>4} {}", c.id,
         ep(c.client, c.client_port), wc, ep(c.server, c.server_port), ws, c.app.empty() ? "-" : c.app,
         group_digits(a.packets + b.packets), group_digits(a.ip_bytes + b.ip_bytes), clock_time(c.first_ns),
         static_cast<double>(c.elapsed_ns()) / 1e9,
         c.handshake_rtt_ns >= 0 ? fmt::format("{:.3f}", static_cast<double>(c.handshake_rtt_ns) / 1e6) : "-",
         fl(0) + fl(1) + fl(2), fl(6), fl(7), end_state(c));
  }
  return o;
}

std::string render_flow_header(const TcpConnection& c, bool relative) {
  std::string o;
  line(o, "Sequence of execution, connection {}: {}:{} (client) <-> {}:{} (server){}; I/O as seen by the {} side",
       c.id, c.client.str(), c.client_port, c.server.str(), c.server_port, relative ? ", relative sequence numbers" : "",
       side_name(c.local.value_or(Side::server)));
  line(o, "{:>7} {:>8} {:<6} {:<2} {:<1} {:>10} {:>10} {:>8} {:>6} {:>10} {:<15} {:<26} {}", "Nr", "Frame", "TcpHdr", "IO",
       "F", "Seq", "Ack", "RcvWnd", "Data", "Delta", "TimeStamp", "Analysis", "Application");
  return o;
}

std::string render_flow_row(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                            std::int64_t delta_ns, bool relative) {
  std::string o;
  const std::uint8_t f = p.tcp.flags;
  std::string hdr = "      ";
  const char* letters = "UAPRSF";
  const std::uint8_t bits[6] = {tcpflag::urg, tcpflag::ack, tcpflag::psh, tcpflag::rst, tcpflag::syn, tcpflag::fin};
  for (int i = 0; i < 6; ++i)
    if (f & bits[i]) hdr[static_cast<std::size_t>(i)] = letters[i];
  std::string analysis;
  for (int b = 0; b < tcpa::kCount; ++b) {
    if (info.flags & (1u << b)) {
      if (!analysis.empty()) analysis += ",";
      analysis += tcpa::name(b);
    }
  }
  const bool out = info.from == local;
  line(o, "{:>7} {:>8} {:<6} {:<2} {:<1} {:>10} {:>10} {:>8} {:>6} {:>10.6f} {:<15} {:<26} {}", nr, p.frame(), hdr,
       out ? "O" : "I", tcp_cat_letter(info.cat), relative ? info.rel_seq : p.tcp.seq, relative ? info.rel_ack : p.tcp.ack,
       info.window, p.payload_len, static_cast<double>(delta_ns) / 1e9, clock_time(p.rec->ts_ns), analysis,
       application_info(p));
  return o;
}


}  // namespace ctana
