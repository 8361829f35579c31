// JSON summary for machines. Schema: docs/summary.md (schema_version below); keys are only ever
// added within a version, never renamed or given a new meaning.
#include <nlohmann/json.hpp>

#include "ctana/records.hpp"
#include "ctana/render.hpp"
#include "report/json_parts.hpp"

namespace ctana {

using json = nlohmann::ordered_json;

std::string json_text(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

namespace {
std::string exit_meaning(int code) {
  switch (code) {
    case 0: return "ok";
    case 3: return "partial";
    default: return "error";
  }
}
}  // namespace

namespace {
// {samples, median, p95, max}: seconds (scale 1e9 from ns) or bytes/s (scale 1); null when no samples.
json latency_json(const LatencyStat& l, double scale) {
  auto v = [&l, scale](std::int64_t x) { return l.samples && x >= 0 ? json(static_cast<double>(x) / scale) : json(nullptr); };
  const char* unit = scale == 1 ? "_bytes_per_s" : "_s";
  return {{"samples", l.samples},
          {std::string("median") + unit, v(l.median)},
          {std::string("p95") + unit, v(l.p95)},
          {std::string("max") + unit, v(l.max)}};
}
}  // namespace

json tcp_totals_json(const TcpReport& t) {
  const auto& tt = t.totals;
  auto fl = [&tt](std::uint32_t bit) {
    int i = 0;
    while ((1u << i) != bit) ++i;
    return tt.flags[static_cast<std::size_t>(i)];
  };
  json cats = json::object();
  for (int c = 0; c < kTcpCats; ++c)
    cats[std::string(1, tcp_cat_letter(static_cast<TcpCat>(c)))] = tt.cats[static_cast<std::size_t>(c)];
  json j = {{"connections", tt.connections},
          {"packets", tt.packets},
          // as tshark's tcp.analysis.retransmission: fast and spurious ones included
          {"retransmissions", fl(tcpa::retransmission) + fl(tcpa::fast_retransmission) + fl(tcpa::spurious_retransmission)},
          {"fast_retransmissions", fl(tcpa::fast_retransmission)},
          {"spurious_retransmissions", fl(tcpa::spurious_retransmission)},
          {"duplicate_acks", fl(tcpa::duplicate_ack)},
          {"zero_windows", fl(tcpa::zero_window)},
          {"window_probes", fl(tcpa::zero_window_probe)},
          {"window_probe_acks", fl(tcpa::zero_window_probe_ack)},
          {"out_of_order", fl(tcpa::out_of_order)},
          {"keepalives", fl(tcpa::keep_alive)},
          {"keepalive_acks", fl(tcpa::keep_alive_ack)},
          {"window_updates", fl(tcpa::window_update)},
          {"window_full", fl(tcpa::window_full)},
          {"lost_segments", fl(tcpa::lost_segment)},
          {"ack_lost_segments", fl(tcpa::ack_lost_segment)},
          {"reused_ports", fl(tcpa::reused_ports)},
          {"resets", tt.resets},
          {"states", {{"closed", tt.closed},
                      {"reset", tt.reset_connections},
                      {"refused", tt.refused},
                      {"syn_unanswered", tt.syn_unanswered},
                      {"handshake_incomplete", tt.handshake_incomplete},
                      {"open", tt.open_at_end}}},
          {"categories", std::move(cats)},
          {"peak_open_connections", tt.peak_open},
          {"evicted_idle", tt.evicted_idle},
          {"untracked_packets", tt.untracked_packets},
          {"bytes_per_connection", t.bytes_per_connection},
          {"reassembly", {{"delivered_bytes", t.reassembly.bytes_delivered},
                          {"gap_bytes", t.reassembly.bytes_gap},
                          {"buffered_peak_bytes", t.reassembly.buffered_peak},
                          {"overflow_bytes", t.reassembly.overflow_bytes}}},
          {"latency", {{"handshake_rtt", latency_json(t.handshake_rtt, 1e9)},
                       {"response_time", latency_json(t.response_time, 1e9)}}},
          {"throughput", latency_json(t.throughput, 1)}};
  // with --filter or a time window: the whole trace's connections (their numbers are kept)
  if (t.connections_in_trace) j["connections_in_trace"] = t.connections_in_trace;
  if (t.local_host) j["local_host"] = t.local_host->str();
  return j;
}

json tcp_connection_json(const TcpConnection& c, const TcpReport::AfterWindow* later) {
  json dirs = json::array();
  for (int d = 0; d < 2; ++d) {
    const TcpDirection& D = c.dir[static_cast<std::size_t>(d)];
    json flags = json::object(), cats = json::object();
    for (int b = 0; b < tcpa::kCount; ++b) {
      // retransmission counts fast and spurious ones too, as tshark's field does
      const std::uint64_t n = b == 0 ? std::uint64_t{D.flags[0]} + D.flags[1] + D.flags[2] : D.flags[static_cast<std::size_t>(b)];
      if (n) flags[std::string(tcpa::name(b))] = n;
    }
    for (int k = 0; k < kTcpCats; ++k)
      cats[std::string(1, tcp_cat_letter(static_cast<TcpCat>(k)))] = D.cats[static_cast<std::size_t>(k)];
    dirs.push_back({{"from", d == 0 ? "client" : "server"},
                    {"packets", D.packets},
                    {"ip_bytes", D.ip_bytes},
                    {"payload_bytes", D.payload_bytes},
                    {"first", D.packets ? json(iso_time(D.first_ns)) : json(nullptr)},
                    {"last", D.packets ? json(iso_time(D.last_ns)) : json(nullptr)},
                    {"syn", D.syn},
                    {"fin", D.fin},
                    {"rst", D.rst},
                    {"mss", D.has_mss ? json(D.mss) : json(nullptr)},
                    {"window_scale", D.wscale >= 0 ? json(D.wscale) : json(nullptr)},
                    {"sack_permitted", D.sack_permitted},
                    {"timestamps", D.timestamps},
                    {"initial_window", D.syn ? json(D.initial_window) : json(nullptr)},
                    {"min_window", D.max_window || D.min_window != UINT64_MAX ? json(D.min_window) : json(nullptr)},
                    {"max_window", D.max_window || D.min_window != UINT64_MAX ? json(D.max_window) : json(nullptr)},
                    {"untraced", D.untraced},
                    {"analysis", std::move(flags)},
                    {"categories", std::move(cats)}});
  }
  auto dur = [](std::int64_t ns) { return ns >= 0 ? json(static_cast<double>(ns) / 1e9) : json(nullptr); };
  json j = {{"id", c.id},
          {"client", c.client.str()},
          {"client_port", c.client_port},
          {"server", c.server.str()},
          {"server_port", c.server_port},
          {"roles_known", c.roles_known},
          {"application", c.app.empty() ? json(nullptr) : json(c.app)},
          {"local", c.local ? std::string(side_name(*c.local)) : std::string("unknown")},
          {"local_rule", c.local_rule},
          {"first", iso_time(c.first_ns)},
          {"last", iso_time(c.last_ns)},
          {"first_frame", c.first_frame},
          {"last_frame", c.last_frame},
          {"elapsed_s", dur(c.elapsed_ns())},
          {"state", std::string(tcp_state_name(c.state))},
          {"saw_start", c.saw_start},
          {"reset_by", c.reset_by ? json(std::string(side_name(*c.reset_by))) : json(nullptr)},
          {"handshake_rtt_s", dur(c.handshake_rtt_ns)},
          {"syn_to_synack_s", dur(c.syn_synack_ns)},
          {"synack_to_ack_s", dur(c.synack_ack_ns)},
          {"exchanges", c.exchanges},
          {"response_time_avg_s", c.exchanges ? dur(c.rt_total_ns / static_cast<std::int64_t>(c.exchanges)) : json(nullptr)},
          {"response_time_max_s", c.exchanges ? dur(c.rt_max_ns) : json(nullptr)},
          {"server_time_s", dur(c.server_time_ns)},
          {"client_time_s", dur(c.client_time_ns)},
          {"stall_time_s", dur(c.stall_time_ns)},
          {"network_time_s", dur(c.network_time_ns)},
          {"idle_time_s", dur(c.idle_time_ns)},
          {"idle_evicted", c.evicted_idle},
          {"directions", std::move(dirs)}};
  if (later)  // still open where the time window ends: how it went on in the whole trace
    j["after_window"] = {{"state", std::string(tcp_state_name(later->state))},
                         {"last", iso_time(later->last_ns)},
                         {"last_frame", later->last_frame}};
  return j;
}

json opt_text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json finding_json(const Finding& f) {
  auto addr = [](const IpAddr& a) { return a.version ? json(a.str()) : json(nullptr); };
  auto port = [](const IpAddr& a, std::uint16_t p) { return a.version && p ? json(p) : json(nullptr); };
  json j = {{"severity", std::string(severity_name(f.severity))},
          {"category", f.category},
          {"area", std::string(area_name(f.area))},
          {"kind", f.kind},
          {"cause", opt_text(f.cause)},
          {"module", f.module},
          {"time", iso_time(f.ts_ns)},
          {"last_time", iso_time(f.last())},
          {"connection", f.connection ? json(f.connection) : json(nullptr)}};
  if (f.first_frame) j["first_frame"] = f.first_frame;
  if (f.last_frame) j["last_frame"] = f.last_frame;
  j["client"] = addr(f.client);
  j["client_port"] = port(f.client, f.client_port);
  j["server"] = addr(f.server);
  j["server_port"] = port(f.server, f.server_port);
  j["count"] = f.count;
  j["subject"] = opt_text(f.subject);
  j["summary"] = f.summary;
  j["explanation"] = f.explanation;
  j["hint"] = opt_text(f.hint);
  return j;
}

json tops_json(const std::vector<FindingGroup::Top>& v) {
  json a = json::array();
  for (const auto& t : v) a.push_back({{"key", t.key}, {"count", t.count}});
  return a;
}

json group_json(const FindingGroup& g) {
  json examples = json::array();
  for (const auto& f : g.examples) examples.push_back(finding_json(f));
  return {{"kind", g.kind},
          {"cause", opt_text(g.cause)},
          {"title", g.title()},
          {"module", g.module},
          {"category", g.category},
          {"area", std::string(area_name(g.area))},
          {"severity", std::string(severity_name(g.severity))},
          {"findings", g.findings},
          {"events", g.events},
          {"connections", g.connections},
          {"first", iso_time(g.first_ns)},
          {"last", iso_time(g.last_ns)},
          {"top_clients", tops_json(g.clients)},
          {"top_servers", tops_json(g.servers)},
          {"top_subjects", tops_json(g.subjects)},
          {"examples", std::move(examples)},
          {"explanation", g.explanation},
          {"hint", opt_text(g.hint)}};
}

json dhcp_json(const DhcpReport& d) {
  json types = json::object();
  for (std::uint8_t i = 0; i < d.by_type.size(); ++i)
    if (d.by_type[i]) types[std::string(dhcp::type_name(i))] = d.by_type[i];
  json leases = json::array();
  for (const auto& l : d.leases)
    leases.push_back({{"client", l.client},
                      {"address", l.address.str()},
                      {"server", l.server.version ? json(l.server.str()) : json(nullptr)},
                      {"router", l.router.version ? json(l.router.str()) : json(nullptr)},
                      {"lease_s", l.lease_s},
                      {"time", iso_time(l.ts_ns)},
                      {"exchange_s", l.exchange_ns >= 0 ? json(static_cast<double>(l.exchange_ns) / 1e9) : json(nullptr)}});
  return {{"messages", d.messages},
          {"malformed", d.malformed},
          {"types", std::move(types)},
          {"naks", d.naks},
          {"declines", d.declines},
          {"discovers_unanswered", d.discovers_unanswered},
          {"relayed", d.relayed},
          {"untracked_exchanges", d.untracked_exchanges},
          {"leases", std::move(leases)}};
}

json starttls_json(const std::vector<StartTlsRow>& rows) {
  json a = json::array();
  for (const auto& r : rows)
    a.push_back({{"protocol", r.protocol},
                 {"connections", r.connections},
                 {"offered", r.offered},
                 {"requested", r.requested},
                 {"accepted", r.accepted},
                 {"refused", r.refused},
                 {"clear_credentials", r.clear_credentials},
                 {"untracked", r.untracked}});
  return a;
}

json tls_json(const TlsReport& t) {
  auto counts = [](const std::vector<std::pair<std::string, std::uint64_t>>& v) {
    json o = json::object();
    for (const auto& [k, n] : v) o[k] = n;
    return o;
  };
  json sessions = json::array();
  const auto skipped = [](std::int64_t n) { return n >= 0 ? json(n) : json(nullptr); };
  for (const auto& s : t.sessions)
    sessions.push_back({{"connection", s.connection},
                        {"client", s.client.str()},
                        {"server", s.server.str()},
                        {"server_port", s.server_port},
                        {"sni", s.sni.empty() ? json(nullptr) : json(s.sni)},
                        {"offered", s.offered.empty() ? json(nullptr) : json(s.offered)},
                        {"version", s.version.empty() ? json(nullptr) : json(s.version)},
                        {"cipher", s.cipher.empty() ? json(nullptr) : json(s.cipher)},
                        {"alpn", s.alpn.empty() ? json(nullptr) : json(s.alpn)},
                        {"hello", s.midstream ? json(nullptr) : json(iso_time(s.hello_ns))},
                        {"server_hello_latency_s", s.server_hello_latency_ns >= 0
                                                       ? json(static_cast<double>(s.server_hello_latency_ns) / 1e9)
                                                       : json(nullptr)},
                        {"hello_retry", s.hello_retry},
                        {"sslv2_hello", s.sslv2_hello},
                        {"completed", s.completed},
                        {"application_data", s.app_data},
                        {"alerts", s.alerts},
                        {"encrypted_alerts", s.encrypted_alerts},
                        {"detected", s.detected},
                        {"midstream", s.midstream},
                        {"midstream_skipped", s.midstream ? json{{"client", skipped(s.skipped[0])},
                                                                 {"server", skipped(s.skipped[1])}}
                                                          : json(nullptr)}});
  return {{"sessions_total", t.sessions_total},
          {"handshakes_failed", t.handshakes_failed},
          {"alerts", t.alerts_total},
          {"versions", counts(t.versions)},
          {"ciphers", counts(t.ciphers)},
          {"server_names", counts(t.snis)},
          {"encrypted_alerts", t.encrypted_alerts},
          {"alert_messages", counts(t.alert_messages)},
          {"handshake_types", counts(t.handshake_types)},
          {"untracked_connections", t.untracked_connections},
          {"detected", counts(t.detected)},
          {"starttls", starttls_json(t.starttls)},
          {"handover_not_tls", t.handover_not_tls},
          {"midstream_sessions", t.midstream_sessions},
          {"hello_retries", t.hello_retries},
          {"sslv2_hellos", t.sslv2_hellos},
          {"sessions", std::move(sessions)}};
}

json icmp_json(const IcmpReport& c) {
  json types = json::array();
  for (const auto& t : c.types)
    types.push_back({{"version", t.v6 ? 6 : 4}, {"type", t.type}, {"code", t.code}, {"name", t.name}, {"count", t.count}});
  json errors = json::array();
  for (const auto& e : c.errors)
    errors.push_back({{"version", e.v6 ? 6 : 4},
                      {"type", e.type},
                      {"code", e.code},
                      {"what", e.what},
                      {"reporter", e.reporter.str()},
                      {"about", e.about},
                      {"connection", e.connection ? json(e.connection) : json(nullptr)},
                      {"mtu", e.mtu ? json(e.mtu) : json(nullptr)},
                      {"count", e.count},
                      {"first", iso_time(e.first_ns)},
                      {"last", iso_time(e.last_ns)}});
  auto secs = [](std::int64_t ns) { return ns >= 0 ? json(static_cast<double>(ns) / 1e9) : json(nullptr); };
  return {{"messages", c.messages},
          {"types", std::move(types)},
          {"echo", {{"requests", c.echo_requests},
                    {"replies", c.echo_replies},
                    {"answered", c.echo_answered},
                    {"unanswered", c.echo_unanswered},
                    {"rtt_median_s", secs(c.echo_rtt_median_ns)},
                    {"rtt_max_s", secs(c.echo_rtt_max_ns)},
                    {"untracked", c.echo_untracked}}},
          {"errors", std::move(errors)}};
}

json network_json(const NetworkReport& n) {
  json loops = json::array();
  for (const auto& l : n.loops)
    loops.push_back({{"about", l.about},
                     {"src", l.src.str()},
                     {"dst", l.dst.str()},
                     {"passes", l.passes},
                     {"first_ttl", l.first_ttl},
                     {"last_ttl", l.last_ttl},
                     {"connection", l.connection ? json(l.connection) : json(nullptr)},
                     {"first", iso_time(l.first_ns)},
                     {"last", iso_time(l.last_ns)}});
  return {{"loops", std::move(loops)},
          {"loops_untracked", n.loops_untracked},
          {"group_frames", n.group_frames},
          {"group_peak_per_second", n.group_peak_per_second},
          {"group_peak_at", n.group_frames ? json(iso_time(n.group_peak_second_ns)) : json(nullptr)},
          {"storm_seconds", n.storm_seconds},
          {"storm_threshold", n.storm_threshold},
          {"repeated_frame", n.repeated_frame_copies > 1 ? json({{"copies", n.repeated_frame_copies}, {"frame", n.repeated_frame}})
                                                         : json(nullptr)}};
}

json dns_json(const DnsReport& d) {
  json rc = json::object();
  for (std::uint8_t i = 0; i < 16; ++i)
    if (d.rcodes[i] || i <= 5) rc[std::string(dns::rcode_name(i))] = d.rcodes[i];
  auto rows = [](const std::vector<DnsNameRow>& v) {
    json a = json::array();
    for (const auto& n : v) a.push_back({{"name", n.name}, {"type", n.type}, {"count", n.count}});
    return a;
  };
  auto secs = [](std::int64_t ns) { return ns >= 0 ? json(static_cast<double>(ns) / 1e9) : json(nullptr); };
  json log = json::array();
  for (const auto& x : d.transactions)
    log.push_back({{"time", iso_time(x.ts_ns)},
                   {"client", x.client.str()},
                   {"client_port", x.client_port},
                   {"server", x.server.str()},
                   {"server_port", x.server_port},
                   {"id", x.id},
                   {"name", x.name},
                   {"type", x.type},
                   {"transport", x.tcp ? "tcp" : "udp"},
                   {"retries", x.retries},
                   {"outcome", x.outcome},
                   {"latency_s", secs(x.latency_ns)},
                   {"answers", x.answers},
                   {"first_answer", x.first_answer.empty() ? json(nullptr) : json(x.first_answer)},
                   {"frame", x.frame ? json(x.frame) : json(nullptr)},
                   {"response_frame", x.response_frame ? json(x.response_frame) : json(nullptr)}});
  json hist = json::array();
  for (std::size_t i = 0; i < d.latency_histogram.size(); ++i)
    hist.push_back({{"le_s", i < kDnsLatencyBoundsNs.size() ? json(static_cast<double>(kDnsLatencyBoundsNs[i]) / 1e9)
                                                             : json(nullptr)},
                    {"count", d.latency_histogram[i]}});
  return {{"queries", d.queries},
          {"responses", d.responses},
          {"answered", d.answered},
          {"unanswered", d.unanswered},
          {"icmp_failed", d.icmp_failed},
          {"retries", d.retries},
          {"unmatched_responses", d.unmatched_responses},
          {"truncated", d.truncated},
          {"malformed", d.malformed},
          {"over_tcp", d.over_tcp},
          {"rcodes", std::move(rc)},
          {"latency", {{"samples", d.latency_samples},
                       {"median_s", secs(d.latency_median_ns)},
                       {"p95_s", secs(d.latency_p95_ns)},
                       {"max_s", secs(d.latency_max_ns)}}},
          {"latency_histogram", std::move(hist)},
          {"top_names", rows(d.top_names)},
          {"error_names", rows(d.error_names)},
          {"unanswered_names", rows(d.unanswered_names)},
          {"untracked_queries", d.untracked_queries},
          {"transactions", std::move(log)},
          {"transactions_not_listed", d.transactions_not_listed}};
}

json ftp_json(const FtpReport& f) {
  json sessions = json::array();
  for (const auto& s : f.sessions) {
    json codes = json::object();
    for (const auto& [code, n] : s.reply_codes) codes[std::to_string(code)] = n;
    json log = json::array();
    for (const auto& c : s.log)
      log.push_back({{"time", iso_time(c.ts_ns)},
                     {"command", c.verb},
                     {"argument", c.arg},
                     {"reply", c.reply ? json(c.reply) : json(nullptr)},
                     {"reply_text", c.reply ? json(c.reply_text) : json(nullptr)},
                     {"latency_s", c.latency_ns >= 0 ? json(static_cast<double>(c.latency_ns) / 1e9) : json(nullptr)}});
    json transfers = json::array();
    for (const auto& t : s.transfers) {
      const double el = static_cast<double>(t.end_ns - t.start_ns) / 1e9;
      transfers.push_back({{"command", t.command},
                           {"file", t.file},
                           {"direction", t.upload ? "upload" : "download"},
                           {"mode", t.data_port ? (t.passive ? "passive" : "active") : "unknown"},
                           {"data_address", t.data_port ? json(t.data_addr.str()) : json(nullptr)},
                           {"data_port", t.data_port ? json(t.data_port) : json(nullptr)},
                           {"data_connection", t.data_connection ? json(t.data_connection) : json(nullptr)},
                           {"data_end", t.data_connection ? json(t.data_end) : json("never opened")},
                           {"bytes", t.bytes},
                           {"start", iso_time(t.start_ns)},
                           {"end", iso_time(t.end_ns)},
                           {"elapsed_s", el},
                           {"throughput_bytes_per_s", el > 0 ? json(static_cast<double>(t.bytes) / el) : json(nullptr)},
                           {"reply", t.reply ? json(t.reply) : json(nullptr)}});
    }
    sessions.push_back({{"connection", s.connection},
                        {"client", s.client.str()},
                        {"client_port", s.client_port},
                        {"server", s.server.str()},
                        {"server_port", s.server_port},
                        {"first", iso_time(s.first_ns)},
                        {"last", iso_time(s.last_ns)},
                        {"user", s.user.empty() ? json(nullptr) : json(s.user)},
                        {"login", s.login},
                        {"login_failures", s.login_failures},
                        {"type", s.type},
                        {"mode", s.mode},
                        {"structure", s.stru},
                        {"tls", s.tls},
                        {"commands", s.commands},
                        {"replies", s.replies},
                        {"stream_gaps", s.gaps},
                        {"end", s.end},
                        {"reply_codes", std::move(codes)},
                        {"log", std::move(log)},
                        {"transfers", std::move(transfers)}});
  }
  return {{"sessions_total", f.sessions_total},
          {"transfers", f.transfers_total},
          {"bytes", f.bytes_total},
          {"failed_logins", f.failed_logins},
          {"error_replies", f.error_replies},
          {"untracked_sessions", f.sessions_untracked},
          {"untracked_data_connections", f.data_connections_untracked},
          {"commands", [&f] {
             json o = json::object();
             for (const auto& [verb, n] : f.commands) o[verb] = n;
             return o;
           }()},
          {"reply_codes", [&f] {
             json o = json::object();
             for (const auto& [code, n] : f.reply_codes) o[std::to_string(code)] = n;
             return o;
           }()},
          {"sessions", std::move(sessions)}};
}

namespace {
void add_tcp(json& j, const TcpReport& t) {
  j["tcp"] = tcp_totals_json(t);
  json conns = json::array();
  for (const auto& c : t.connections) conns.push_back(tcp_connection_json(c, t.after_window_of(c.id)));
  j["connections"] = std::move(conns);
  j["connections_omitted"] = t.connections_omitted;
}

void add_findings(json& j, const FindingsReport& f) {
  json ex = json::array();
  for (const auto& x : f.list) ex.push_back(finding_json(x));
  j["exceptions"] = std::move(ex);
  json kinds = json::object();
  json rows = json::array();
  for (const auto& k : f.kinds) {
    kinds[k.kind] = k.count;
    rows.push_back({{"kind", k.kind},
                    {"category", k.category},
                    {"module", k.module},
                    {"severity", std::string(severity_name(k.severity))},
                    {"count", k.count}});
  }
  json groups = json::array();
  for (const auto& g : f.groups) groups.push_back(group_json(g));
  j["exception_groups"] = std::move(groups);
  json verdict = json::array();
  for (const FindingGroup* g : f.verdict())
    verdict.push_back({{"group", static_cast<std::size_t>(g - f.groups.data())},
                       {"severity", std::string(severity_name(g->severity))},
                       {"kind", g->kind},
                       {"cause", opt_text(g->cause)},
                       {"title", g->title()},
                       {"summary", g->findings == 1 && !g->examples.empty() ? g->examples.front().summary : g->title()},
                       {"findings", g->findings},
                       {"connections", g->connections}});
  j["verdict"] = std::move(verdict);
  j["exception_counts"] = {{"error", f.by_severity[2]},
                           {"warning", f.by_severity[1]},
                           {"info", f.by_severity[0]},
                           {"omitted", f.omitted},
                           {"by_kind", std::move(kinds)},
                           {"kinds", std::move(rows)}};
}
}  // namespace

std::string render_sessions_json(const SummaryReport& r, std::uint64_t only_conn) {
  json j;
  j["schema_version"] = kSchemaVersion;
  j["generator"] = {{"name", "ctana"}, {"version", CTANA_VERSION}};
  j["input"] = {{"path", r.path}, {"format", std::string(format_name(r.format))}};
  j["tcp"] = tcp_totals_json(r.tcp);
  json conns = json::array();
  for (const auto& c : r.tcp.connections)
    if (!only_conn || c.id == only_conn) conns.push_back(tcp_connection_json(c, r.tcp.after_window_of(c.id)));
  j["connections"] = std::move(conns);
  j["connections_omitted"] = r.tcp.connections_omitted;
  return json_text(j, 2) + "\n";
}

json flow_row_json(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local, std::int64_t delta_ns) {
  json flags = json::array();
  for (int b = 0; b < tcpa::kCount; ++b)
    if (info.flags & (1u << b)) flags.push_back(std::string(tcpa::name(b)));
  std::string tcpflags;
  const char* names = "FSRPAUEC";
  for (int i = 0; i < 8; ++i)
    if (p.tcp.flags & (1u << i)) tcpflags += names[i];
  json j = {{"nr", nr},
            {"frame", p.frame()},
            {"connection", info.connection},
            {"time", iso_time(p.rec->ts_ns)},
            {"delta_s", static_cast<double>(delta_ns) / 1e9},
            {"from", std::string(side_name(info.from))},
            {"io", info.from == local ? "O" : "I"},
            {"flags", tcpflags},
            {"category", std::string(1, tcp_cat_letter(info.cat))},
            {"seq", p.tcp.seq},
            {"ack", p.tcp.ack},
            {"relative_seq", info.rel_seq},
            {"relative_ack", info.rel_ack},
            {"window", info.window},
            {"data", p.payload_len},
            {"analysis", std::move(flags)}};
  const std::string app = application_info(p);
  j["application"] = app.empty() ? json(nullptr) : json(app);
  return j;
}

std::string render_flow_json_row(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                                 std::int64_t delta_ns) {
  return json_text(flow_row_json(nr, p, info, local, delta_ns)) + "\n";
}

std::string render_exceptions_json(const SummaryReport& r) {
  json j;
  j["schema_version"] = kSchemaVersion;
  j["generator"] = {{"name", "ctana"}, {"version", CTANA_VERSION}};
  j["input"] = {{"path", r.path}, {"format", std::string(format_name(r.format))}};
  add_findings(j, r.findings);
  return json_text(j, 2) + "\n";
}

std::string render_summary_json(const SummaryReport& r) {
  json j;
  j["schema_version"] = kSchemaVersion;
  j["generator"] = {{"name", "ctana"}, {"version", CTANA_VERSION}};

  json input;
  input["path"] = r.path;
  input["format"] = std::string(format_name(r.format));
  input["size_bytes"] = r.file_size ? json(r.file_size) : json(nullptr);
  input["bytes_read"] = r.read.bytes_read;
  if (r.packed)
    input["packed"] = {{"format", "terse"},
                       {"method", r.packed->method},
                       {"record_format", r.packed->record_format.empty() ? json(nullptr) : json(r.packed->record_format)},
                       {"lrecl", r.packed->record_format.empty() ? json(nullptr) : json(r.packed->lrecl)},
                       {"packed_bytes_read", r.packed->packed_bytes},
                       {"unpacked_bytes", r.packed->unpacked_bytes}};
  input["filter"] = r.filter.empty() ? json(nullptr) : json(r.filter);
  input["link_types"] = json::array();
  for (const auto& lt : r.link_types) {
    const auto n = linktype_name(lt.link);
    input["link_types"].push_back({{"linktype", lt.link},
                                   {"name", n.empty() ? json(nullptr) : json(std::string(n))},
                                   {"records", lt.records},
                                   {"supported", lt.supported}});
  }
  input["interfaces"] = json::array();
  for (std::size_t i = 0; i < r.interfaces.size(); ++i) {
    const auto& f = r.interfaces[i];
    input["interfaces"].push_back({{"id", i},
                                   {"name", f.name},
                                   {"description", f.description},
                                   {"linktype", f.link},
                                   {"snaplen", f.snaplen},
                                   {"ts_resolution", f.ts_resolution},
                                   {"records", f.records}});
  }
  j["input"] = std::move(input);

  const auto& rc = r.records;
  j["records"] = {{"read", rc.read},           {"filtered_out", rc.filtered_out}, {"decoded", rc.decoded},
                  {"malformed", rc.malformed}, {"truncated", rc.truncated},       {"unsupported", rc.unsupported}};

  const auto& rd = r.read;
  json issues = json::array();
  for (const auto& is : rd.issues) issues.push_back({{"offset", is.offset}, {"message", is.message}});
  j["read_problems"] = {{"truncated", rd.truncated},         {"damaged", rd.damaged},
                        {"io_error", rd.io_error},           {"bytes_skipped", rd.bytes_skipped},
                        {"resyncs", rd.resyncs},             {"other_blocks", rd.other_blocks},
                        {"issues", std::move(issues)},       {"issues_dropped", rd.issues_dropped},
                        {"ascii_transfer", rd.ascii_transfer.empty() ? json(nullptr) : json(rd.ascii_transfer)}};

  if (r.first_ns) {
    j["time"] = {{"first", iso_time(*r.first_ns)},
                 {"last", iso_time(*r.last_ns)},
                 {"first_ns", *r.first_ns},
                 {"last_ns", *r.last_ns},
                 {"span_s", static_cast<double>(*r.last_ns - *r.first_ns) / 1e9}};
  } else {
    j["time"] = {{"first", nullptr}, {"last", nullptr}, {"first_ns", nullptr}, {"last_ns", nullptr}, {"span_s", nullptr}};
  }

  const auto& p = r.packets;
  j["packets"] = {{"total", p.total},   {"ipv4", p.ipv4},           {"ipv6", p.ipv6},
                  {"tcp", p.tcp},       {"udp", p.udp},             {"icmp", p.icmp},
                  {"icmpv6", p.icmpv6}, {"arp", p.arp},             {"other", p.other},
                  {"fragments", p.fragments}, {"malformed", p.malformed}, {"truncated", p.truncated}};
  const auto& ra = r.ip_reassembly;
  j["ip_reassembly"] = {{"enabled", ra.enabled},     {"fragments", ra.fragments},
                        {"datagrams", ra.datagrams}, {"timeouts", ra.timeouts},
                        {"incomplete", ra.incomplete}, {"overlaps", ra.overlaps},
                        {"overlap_conflicts", ra.overlap_conflicts}, {"tiny", ra.tiny},
                        {"too_big", ra.too_big},     {"overflow", ra.overflow},
                        {"cut", ra.cut},             {"not_taken", ra.not_taken}};
  if (const auto& ts = r.tunnels; ts.packets) {  // only when a tunnel was seen (docs/decoding.md "Tunnels")
    json rows = json::array();
    for (const auto& t : r.tunnels.rows) {
      json inner = json::array();
      for (const auto& [name, n] : t.inner) inner.push_back({{"name", name}, {"packets", n}});
      rows.push_back({{"kind", t.kind},
                      {"payload", t.payload},
                      {"a", t.a.str()},
                      {"b", t.b.str()},
                      {"id", t.id ? json(*t.id) : json(nullptr)},
                      {"packets", t.count.packets},
                      {"bytes", t.count.bytes},
                      {"inner", std::move(inner)}});
    }
    j["tunnels"] = {{"packets", ts.packets},     {"too_deep", ts.too_deep}, {"max_depth", ts.max_depth},
                    {"untracked", ts.untracked}, {"rows", std::move(rows)}};
  }
  const auto& b = r.bytes;
  j["bytes"] = {{"total", b.total}, {"captured", b.captured}, {"ipv4", b.ipv4},     {"ipv6", b.ipv6},
                {"tcp", b.tcp},     {"udp", b.udp},           {"icmp", b.icmp},     {"icmpv6", b.icmpv6},
                {"arp", b.arp},     {"other", b.other}};

  json protos = json::array();
  for (const auto& pr : r.protocols)
    protos.push_back({{"name", pr.name}, {"packets", pr.count.packets}, {"bytes", pr.count.bytes}});
  j["protocols"] = std::move(protos);

  json convs = json::array();
  for (const auto& c : r.conversations) {
    convs.push_back({{"proto", c.proto},
                     {"a", c.a.str()},
                     {"a_port", c.a_port},
                     {"b", c.b.str()},
                     {"b_port", c.b_port},
                     {"packets_a_to_b", c.a_to_b.packets},
                     {"bytes_a_to_b", c.a_to_b.bytes},
                     {"packets_b_to_a", c.b_to_a.packets},
                     {"bytes_b_to_a", c.b_to_a.bytes},
                     {"first", iso_time(c.first_ns)},
                     {"last", iso_time(c.last_ns)},
                     {"duration_s", static_cast<double>(c.last_ns - c.first_ns) / 1e9}});
  }
  j["conversations"] = std::move(convs);
  j["conversation_stats"] = {{"total", r.conversations_total}, {"shown", r.conversations.size()},
                             {"untracked_packets", r.conversations_untracked}};

  const auto& ck = r.checksum_errors;
  j["checksum_errors"] = {{"ipv4", ck.ipv4}, {"tcp", ck.tcp}, {"udp", ck.udp}, {"icmp", ck.icmp}, {"icmpv6", ck.icmpv6}};

  json probs = json::array();
  for (const auto& d : r.decode_problems) {
    probs.push_back({{"layer", d.layer},
                     {"problem", d.what},
                     {"truncated", d.truncated},
                     {"packets", d.count},
                     {"first_record", d.first_record},
                     {"first_record_offset", d.first_offset},
                     {"first_byte", d.first_byte}});
  }
  j["decode_problems"] = std::move(probs);
  if (r.tcp.present) add_tcp(j, r.tcp);
  add_findings(j, r.findings);
  if (r.ftp.present) j["ftp"] = ftp_json(r.ftp);
  if (r.dns.present) j["dns"] = dns_json(r.dns);
  if (r.icmp.present) j["icmp"] = icmp_json(r.icmp);
  if (r.network.present) j["network"] = network_json(r.network);
  if (r.tls.present) j["tls"] = tls_json(r.tls);
  if (r.dhcp.present) j["dhcp"] = dhcp_json(r.dhcp);
  for (const auto& [name, s] : r.modules)
    if (s->seen()) j[name] = s->json();
  if (r.ctrace) j["ctrace"] = json::parse(render_ctrace_json(r));
  j["exit"] = {{"code", r.exit_code}, {"meaning", exit_meaning(r.exit_code)}};
  return json_text(j, 2) + "\n";
}

}  // namespace ctana
