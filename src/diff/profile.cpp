// From a summary JSON document to the metrics, exception kinds and matched entities a comparison
// or a gate looks at (docs/ci.md "Metrics").
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "ctana/diff.hpp"
#include "ctana/module.hpp"
#include "ctana/render.hpp"

namespace ctana {

namespace {

// A number at a path of keys, or nothing when a key is missing or the value is null.
std::optional<double> num(const Json& j, std::initializer_list<const char*> path) {
  const Json* p = &j;
  for (const char* k : path) {
    if (!p->is_object()) return std::nullopt;
    auto it = p->find(k);
    if (it == p->end()) return std::nullopt;
    p = &*it;
  }
  if (!p->is_number()) return std::nullopt;
  return p->get<double>();
}

std::optional<double> num_at(const Json& j, const std::vector<std::string_view>& path) {
  const Json* p = &j;
  for (const std::string_view k : path) {
    if (!p->is_object()) return std::nullopt;
    auto it = p->find(std::string(k));
    if (it == p->end()) return std::nullopt;
    p = &*it;
  }
  if (!p->is_number()) return std::nullopt;
  return p->get<double>();
}

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<double> sum(std::initializer_list<std::optional<double>> v) {
  double s = 0;
  for (const auto& x : v) {
    if (!x) return std::nullopt;
    s += *x;
  }
  return s;
}

std::optional<double> rate(std::optional<double> part, std::optional<double> whole) {
  if (!part || !whole) return std::nullopt;
  return *whole > 0 ? *part / *whole * 100.0 : 0.0;
}

struct Family {
  const char* prefix;
  Unit unit;
  Better better;
  const char* meaning;
};
// Metric names with a variable part.
constexpr Family kFamilies[] = {
    {"exception.", Unit::count, Better::lower, "findings of this kind (docs/tcp.md, docs/ftp.md ... list the kinds)"},
    {"ftp.reply.", Unit::count, Better::neutral, "FTP replies with this code (4xx and 5xx: lower is better)"},
    {"proto.", Unit::percent, Better::neutral, "share of packets whose highest decoded protocol is this one, %"},
};

}  // namespace

const std::vector<MetricDef>& metric_defs() {
  static const std::vector<MetricDef> defs = [] {
    std::vector<MetricDef> v = {
      {"packets", Unit::count, Better::neutral, "packets read"},
      {"bytes", Unit::bytes, Better::neutral, "bytes on the wire"},
      {"malformed", Unit::count, Better::lower, "malformed packets"},
      {"checksum_errors", Unit::count, Better::lower, "bad IPv4, TCP, UDP, ICMP and ICMPv6 checksums"},
      {"connections", Unit::count, Better::neutral, "TCP connections"},
      {"failed_connections", Unit::count, Better::lower, "TCP connections refused, unanswered or with an incomplete handshake"},
      {"refused", Unit::count, Better::lower, "TCP connections refused (SYN answered by RST)"},
      {"syn_unanswered", Unit::count, Better::lower, "TCP connections whose SYN was never answered"},
      {"reset_connections", Unit::count, Better::lower, "established TCP connections ended by a reset"},
      {"resets", Unit::count, Better::lower, "TCP packets with RST"},
      {"retransmissions", Unit::count, Better::lower, "TCP retransmissions (fast and spurious included, as tshark)"},
      {"retrans_rate", Unit::percent, Better::lower, "retransmissions per TCP packet, %"},
      {"fast_retransmissions", Unit::count, Better::lower, "TCP fast retransmissions"},
      {"spurious_retransmissions", Unit::count, Better::lower, "TCP spurious retransmissions"},
      {"dup_acks", Unit::count, Better::lower, "TCP duplicate ACKs"},
      {"dup_ack_rate", Unit::percent, Better::lower, "duplicate ACKs per TCP packet, %"},
      {"out_of_order", Unit::count, Better::lower, "TCP out-of-order segments"},
      {"lost_segments", Unit::count, Better::lower, "TCP segments not captured (gaps in sequence)"},
      {"zero_windows", Unit::count, Better::lower, "TCP zero window advertisements"},
      {"window_full", Unit::count, Better::lower, "TCP segments that filled the receiver's window"},
      {"keepalives", Unit::count, Better::neutral, "TCP keepalives"},
      {"rtt.median", Unit::seconds, Better::lower, "TCP handshake RTT, median"},
      {"rtt.p95", Unit::seconds, Better::lower, "TCP handshake RTT, 95th percentile"},
      {"rtt.max", Unit::seconds, Better::lower, "TCP handshake RTT, maximum"},
      {"response.median", Unit::seconds, Better::lower, "TCP request/response time, median"},
      {"response.p95", Unit::seconds, Better::lower, "TCP request/response time, 95th percentile"},
      {"response.max", Unit::seconds, Better::lower, "TCP request/response time, maximum"},
      {"throughput.median", Unit::bytes_per_s, Better::higher, "TCP throughput of connections with >= 64 KiB one way, median"},
      {"throughput.max", Unit::bytes_per_s, Better::higher, "TCP throughput of connections with >= 64 KiB one way, maximum"},
      {"exceptions.error", Unit::count, Better::lower, "findings of severity error"},
      {"exceptions.warning", Unit::count, Better::lower, "findings of severity warning"},
      {"exceptions.info", Unit::count, Better::neutral, "findings of severity info"},
      {"ftp.sessions", Unit::count, Better::neutral, "FTP control connections"},
      {"ftp.failed_logins", Unit::count, Better::lower, "FTP failed logins"},
      {"ftp.error_replies", Unit::count, Better::lower, "FTP 4xx and 5xx replies, except a rejected login (530 to USER or PASS)"},
      {"ftp.transfers", Unit::count, Better::neutral, "FTP transfers"},
      {"ftp.bytes", Unit::bytes, Better::neutral, "bytes on FTP data connections"},
      {"dns.queries", Unit::count, Better::neutral, "DNS queries"},
      {"dns.unanswered", Unit::count, Better::lower, "DNS queries never answered"},
      {"dns.retries", Unit::count, Better::lower, "DNS queries repeated"},
      {"dns.truncated", Unit::count, Better::lower, "DNS responses with TC set"},
      {"dns.noerror", Unit::count, Better::neutral, "DNS responses NOERROR"},
      {"dns.formerr", Unit::count, Better::lower, "DNS responses FORMERR"},
      {"dns.servfail", Unit::count, Better::lower, "DNS responses SERVFAIL"},
      {"dns.nxdomain", Unit::count, Better::lower, "DNS responses NXDOMAIN"},
      {"dns.notimp", Unit::count, Better::lower, "DNS responses NOTIMP"},
      {"dns.refused", Unit::count, Better::lower, "DNS responses REFUSED"},
      {"dns.latency.median", Unit::seconds, Better::lower, "DNS response time, median"},
      {"dns.latency.p95", Unit::seconds, Better::lower, "DNS response time, 95th percentile"},
      {"dns.latency.max", Unit::seconds, Better::lower, "DNS response time, maximum"},
      {"tls.sessions", Unit::count, Better::neutral, "TLS sessions (ClientHello seen)"},
      {"tls.failed", Unit::count, Better::lower, "TLS handshakes that never completed"},
      {"tls.alerts", Unit::count, Better::lower, "TLS alerts"},
      {"icmp.errors", Unit::count, Better::lower, "ICMP and ICMPv6 error messages (unreachable, time exceeded ...)"},
      {"icmp.echo_unanswered", Unit::count, Better::lower, "ICMP echo requests never answered"},
      {"icmp.echo_rtt.median", Unit::seconds, Better::lower, "ICMP echo round trip, median"},
      {"dhcp.naks", Unit::count, Better::lower, "DHCP NAKs"},
      {"dhcp.declines", Unit::count, Better::lower, "DHCP declines"},
      {"dhcp.discovers_unanswered", Unit::count, Better::lower, "DHCP discovers with no offer"},
    };
    // The protocol modules' tables (include/ctana/module.hpp), in registry order.
    for (const ProtocolModule* mod : protocol_modules())
      for (const ModuleMetric& mm : mod->metrics)
        v.push_back({std::string(mm.name), mm.unit, mm.better, std::string(mm.meaning)});
    return v;
  }();
  return defs;
}

std::optional<MetricDef> find_metric(const std::string& name) {
  for (const auto& d : metric_defs())
    if (d.name == name) return d;
  for (const auto& f : kFamilies) {
    const std::string p = f.prefix;
    if (name.size() > p.size() && name.compare(0, p.size(), p) == 0) {
      MetricDef d{name, f.unit, f.better, f.meaning};
      if (p == "ftp.reply.") {
        const std::string code = name.substr(p.size());
        if (code.size() != 3 || code.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        if (code[0] >= '4') d.better = Better::lower;
      }
      return d;
    }
  }
  return std::nullopt;
}

namespace {

void add_metrics(const Json& d, Profile& p) {
  auto& m = p.metrics;
  m["packets"] = num(d, {"packets", "total"});
  m["bytes"] = num(d, {"bytes", "total"});
  m["malformed"] = num(d, {"packets", "malformed"});
  m["checksum_errors"] = sum({num(d, {"checksum_errors", "ipv4"}), num(d, {"checksum_errors", "tcp"}),
                              num(d, {"checksum_errors", "udp"}), num(d, {"checksum_errors", "icmp"}),
                              num(d, {"checksum_errors", "icmpv6"})});
  const auto tcp_pkts = num(d, {"tcp", "packets"});
  m["connections"] = num(d, {"tcp", "connections"});
  m["refused"] = num(d, {"tcp", "states", "refused"});
  m["syn_unanswered"] = num(d, {"tcp", "states", "syn_unanswered"});
  m["failed_connections"] = sum({m["refused"], m["syn_unanswered"], num(d, {"tcp", "states", "handshake_incomplete"})});
  m["reset_connections"] = num(d, {"tcp", "states", "reset"});
  m["resets"] = num(d, {"tcp", "resets"});
  m["retransmissions"] = num(d, {"tcp", "retransmissions"});
  m["retrans_rate"] = rate(m["retransmissions"], tcp_pkts);
  m["fast_retransmissions"] = num(d, {"tcp", "fast_retransmissions"});
  m["spurious_retransmissions"] = num(d, {"tcp", "spurious_retransmissions"});
  m["dup_acks"] = num(d, {"tcp", "duplicate_acks"});
  m["dup_ack_rate"] = rate(m["dup_acks"], tcp_pkts);
  m["out_of_order"] = num(d, {"tcp", "out_of_order"});
  m["lost_segments"] = num(d, {"tcp", "lost_segments"});
  m["zero_windows"] = num(d, {"tcp", "zero_windows"});
  m["window_full"] = num(d, {"tcp", "window_full"});
  m["keepalives"] = num(d, {"tcp", "keepalives"});
  for (const auto& [name, key] : {std::pair{"rtt", "handshake_rtt"}, std::pair{"response", "response_time"}})
    for (const char* q : {"median", "p95", "max"})
      m[fmt::format("{}.{}", name, q)] = num(d, {"tcp", "latency", key, (std::string(q) + "_s").c_str()});
  m["throughput.median"] = num(d, {"tcp", "throughput", "median_bytes_per_s"});
  m["throughput.max"] = num(d, {"tcp", "throughput", "max_bytes_per_s"});
  for (const char* s : {"error", "warning", "info"}) m[fmt::format("exceptions.{}", s)] = num(d, {"exception_counts", s});

  m["ftp.sessions"] = num(d, {"ftp", "sessions_total"});
  m["ftp.failed_logins"] = num(d, {"ftp", "failed_logins"});
  m["ftp.error_replies"] = num(d, {"ftp", "error_replies"});
  m["ftp.transfers"] = num(d, {"ftp", "transfers"});
  m["ftp.bytes"] = num(d, {"ftp", "bytes"});
  if (auto f = d.find("ftp"); f != d.end() && f->contains("reply_codes") && (*f)["reply_codes"].is_object()) {
    for (const auto& [code, n] : (*f)["reply_codes"].items())  // over every session, listed or not
      m["ftp.reply." + code] = n.is_number() ? n.get<double>() : 0;
  } else if (f != d.end() && f->contains("sessions"))
    for (const auto& s : (*f)["sessions"])
      if (s.contains("reply_codes") && s["reply_codes"].is_object())
        for (const auto& [code, n] : s["reply_codes"].items()) {
          auto& v = m["ftp.reply." + code];
          v = v.value_or(0) + (n.is_number() ? n.get<double>() : 0);
        }

  m["dns.queries"] = num(d, {"dns", "queries"});
  m["dns.unanswered"] = num(d, {"dns", "unanswered"});
  m["dns.retries"] = num(d, {"dns", "retries"});
  m["dns.truncated"] = num(d, {"dns", "truncated"});
  for (const char* rc : {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}) {
    std::string lower = rc;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    m["dns." + lower] = num(d, {"dns", "rcodes", rc});
  }
  for (const char* q : {"median", "p95", "max"})
    m[fmt::format("dns.latency.{}", q)] = num(d, {"dns", "latency", (std::string(q) + "_s").c_str()});

  m["tls.sessions"] = num(d, {"tls", "sessions_total"});
  m["tls.failed"] = num(d, {"tls", "handshakes_failed"});
  m["tls.alerts"] = num(d, {"tls", "alerts"});

  if (auto ic = d.find("icmp"); ic != d.end() && ic->is_object()) {
    double errors = 0;
    if (ic->contains("errors"))
      for (const auto& e : (*ic)["errors"]) errors += num(e, {"count"}).value_or(0);
    m["icmp.errors"] = errors;
  } else {
    m["icmp.errors"] = std::nullopt;
  }
  m["icmp.echo_unanswered"] = num(d, {"icmp", "echo", "unanswered"});
  m["icmp.echo_rtt.median"] = num(d, {"icmp", "echo", "rtt_median_s"});

  m["dhcp.naks"] = num(d, {"dhcp", "naks"});
  m["dhcp.declines"] = num(d, {"dhcp", "declines"});
  m["dhcp.discovers_unanswered"] = num(d, {"dhcp", "discovers_unanswered"});

  for (const ProtocolModule* mod : protocol_modules())
    for (const ModuleMetric& mm : mod->metrics) m[std::string(mm.name)] = num_at(d, mm.path);

  // Exceptions by kind; the protocol mix as shares of packets.
  if (auto ec = d.find("exception_counts"); ec != d.end() && ec->is_object()) {
    if (auto ks = ec->find("kinds"); ks != ec->end() && ks->is_array()) {
      for (const auto& k : *ks) {
        const std::string kind = str(k, "kind");
        if (kind.empty()) continue;
        p.kinds[kind] = {str(k, "category"), str(k, "severity"),
                         static_cast<std::uint64_t>(num(k, {"count"}).value_or(0))};
      }
    } else if (auto bk = ec->find("by_kind"); bk != ec->end() && bk->is_object()) {
      for (const auto& [kind, n] : bk->items())  // older documents: no severity per kind
        p.kinds[kind] = {"", "", static_cast<std::uint64_t>(n.is_number() ? n.get<double>() : 0)};
    }
  }
  for (const auto& [kind, k] : p.kinds) m["exception." + kind] = static_cast<double>(k.count);
  const double total = num(d, {"packets", "total"}).value_or(0);
  if (auto pr = d.find("protocols"); pr != d.end() && pr->is_array())
    for (const auto& row : *pr) {
      const std::string name = str(row, "name");
      if (!name.empty()) m["proto." + name] = total > 0 ? num(row, {"packets"}).value_or(0) / total * 100.0 : 0.0;
    }
}

using Field = Entity::Field;

Field number_field(std::string name, std::optional<double> v, Unit u = Unit::count, Better b = Better::lower) {
  Field f;
  f.name = std::move(name);
  f.unit = u;
  f.better = b;
  f.number = v;
  return f;
}

Field text_field(std::string name, std::string v) {
  Field f;
  f.name = std::move(name);
  f.better = Better::neutral;
  f.text = std::move(v);
  return f;
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(0.5 * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

// TCP connections grouped by server address and port (or only port) and application.
void add_services(const Json& d, const ProfileOptions& opt, Profile& p) {
  auto cs = d.find("connections");
  if (cs == d.end() || !cs->is_array()) return;
  struct Agg {
    double conns = 0, failed = 0, reset = 0, retrans = 0, zero = 0, bytes = 0;
    std::vector<double> rtt, resp;
  };
  std::map<std::string, Agg> groups;
  for (const auto& c : *cs) {
    const std::string app = str(c, "application");
    const auto port = static_cast<unsigned>(num(c, {"server_port"}).value_or(0));
    std::string key = opt.match_addresses ? endpoint_text(str(c, "server"), port) : fmt::format("port {}", port);
    if (!app.empty()) key += " (" + app + ")";
    Agg& a = groups[key];
    ++a.conns;
    const std::string state = str(c, "state");
    if (state == "refused" || state == "syn_unanswered" || state == "handshake_incomplete") ++a.failed;
    if (state == "reset") ++a.reset;
    if (auto r = num(c, {"handshake_rtt_s"})) a.rtt.push_back(*r);
    if (auto r = num(c, {"response_time_max_s"})) a.resp.push_back(*r);
    if (c.contains("directions") && c["directions"].is_array())
      for (const auto& dir : c["directions"]) {
        a.retrans += num(dir, {"analysis", "retransmission"}).value_or(0);
        a.zero += num(dir, {"analysis", "zero_window"}).value_or(0);
        a.bytes += num(dir, {"payload_bytes"}).value_or(0);
      }
  }
  for (auto& [key, a] : groups) {
    Entity e;
    e.section = "service";
    e.key = key;
    e.fields = {number_field("connections", a.conns, Unit::count, Better::neutral),
                number_field("failed connections", a.failed),
                number_field("reset connections", a.reset),
                number_field("retransmissions", a.retrans),
                number_field("zero windows", a.zero),
                number_field("handshake RTT median", median(a.rtt), Unit::seconds),
                number_field("slowest response median", median(a.resp), Unit::seconds),
                number_field("payload bytes", a.bytes, Unit::bytes, Better::neutral)};
    p.entities.push_back(std::move(e));
  }
  if (auto om = num(d, {"connections_omitted"}); om && *om > 0)
    p.notes.push_back(fmt::format("{}: {} connections were not listed (--max-listed): services are compared on the "
                                  "listed ones only", p.source, static_cast<std::uint64_t>(*om)));
}

// FTP control sessions matched by user (the USER argument when the login failed) and order.
void add_ftp(const Json& d, Profile& p) {
  auto f = d.find("ftp");
  if (f == d.end() || !f->contains("sessions")) return;
  std::map<std::string, int> seen;
  for (const auto& s : (*f)["sessions"]) {
    std::string user = str(s, "user");
    std::string verbs;
    if (s.contains("log") && s["log"].is_array())
      for (const auto& l : s["log"]) {
        const std::string v = str(l, "command");
        if (user.empty() && v == "USER") user = str(l, "argument");
        if (verbs.size() < 160) verbs += (verbs.empty() ? "" : " ") + v;
      }
    if (user.empty()) user = "(no user)";
    Entity e;
    e.section = "ftp";
    e.key = fmt::format("user {} #{}", user, ++seen[user]);
    const std::string login = str(s, "login");
    e.fields.push_back(text_field("login", login));
    e.fields.push_back(number_field("failed logins", num(s, {"login_failures"})));
    double errors = 0;
    if (s.contains("reply_codes") && s["reply_codes"].is_object())
      for (const auto& [code, n] : s["reply_codes"].items())
        if (!code.empty() && code[0] >= '4') errors += n.is_number() ? n.get<double>() : 0;
    e.fields.push_back(number_field("4xx/5xx replies", errors));
    double transfers = 0, bytes = 0;
    if (s.contains("transfers") && s["transfers"].is_array())
      for (const auto& t : s["transfers"]) {
        ++transfers;
        bytes += num(t, {"bytes"}).value_or(0);
      }
    e.fields.push_back(number_field("transfers", transfers, Unit::count, Better::neutral));
    e.fields.push_back(number_field("data bytes", bytes, Unit::bytes, Better::neutral));
    e.fields.push_back(text_field("commands", verbs));
    p.entities.push_back(std::move(e));
  }
}

// DNS questions by name and type, from the summary's name lists.
void add_dns(const Json& d, Profile& p) {
  auto dn = d.find("dns");
  if (dn == d.end() || !dn->is_object()) return;
  std::map<std::string, std::array<double, 3>> q;  // queries (top names), errors, unanswered
  const std::pair<const char*, int> lists[] = {{"top_names", 0}, {"error_names", 1}, {"unanswered_names", 2}};
  for (const auto& [list, idx] : lists) {
    auto it = dn->find(list);
    if (it == dn->end() || !it->is_array()) continue;
    for (const auto& row : *it) q[str(row, "name") + " " + str(row, "type")][static_cast<std::size_t>(idx)] += num(row, {"count"}).value_or(0);
  }
  for (const auto& [key, v] : q) {
    Entity e;
    e.section = "dns";
    e.key = key;
    e.fields = {number_field("queries", v[0], Unit::count, Better::neutral), number_field("error responses", v[1]),
                number_field("unanswered", v[2])};
    p.entities.push_back(std::move(e));
  }
}

// TLS sessions by server name (or server address and port without SNI).
void add_tls(const Json& d, Profile& p) {
  auto t = d.find("tls");
  if (t == d.end() || !t->contains("sessions")) return;
  struct Agg {
    double sessions = 0, failed = 0, alerts = 0;
    std::map<std::string, int> versions, ciphers;
    std::vector<double> lat;
  };
  std::map<std::string, Agg> g;
  for (const auto& s : (*t)["sessions"]) {
    // Picked up mid-stream: no handshake to compare.
    if (s.contains("midstream") && s["midstream"].is_boolean() && s["midstream"].get<bool>()) continue;
    std::string key = str(s, "sni");
    if (key.empty()) key = endpoint_text(str(s, "server"), static_cast<unsigned>(num(s, {"server_port"}).value_or(0)));
    Agg& a = g[key];
    ++a.sessions;
    if (s.contains("completed") && s["completed"].is_boolean() && !s["completed"].get<bool>()) ++a.failed;
    if (s.contains("alerts") && s["alerts"].is_array()) a.alerts += static_cast<double>(s["alerts"].size());
    ++a.versions[str(s, "version").empty() ? "-" : str(s, "version")];
    ++a.ciphers[str(s, "cipher").empty() ? "-" : str(s, "cipher")];
    if (auto l = num(s, {"server_hello_latency_s"})) a.lat.push_back(*l);
  }
  auto joined = [](const std::map<std::string, int>& m) {
    std::string o;
    for (const auto& [k, n] : m) o += (o.empty() ? "" : ", ") + k;
    return o;
  };
  for (auto& [key, a] : g) {
    Entity e;
    e.section = "tls";
    e.key = key;
    e.fields = {number_field("sessions", a.sessions, Unit::count, Better::neutral), number_field("failed handshakes", a.failed),
                number_field("alerts", a.alerts), number_field("ServerHello latency median", median(a.lat), Unit::seconds),
                text_field("version", joined(a.versions)), text_field("cipher", joined(a.ciphers))};
    p.entities.push_back(std::move(e));
  }
}

}  // namespace

std::string endpoint_text(const std::string& addr, unsigned port) {
  return addr.find(':') != std::string::npos ? fmt::format("[{}]:{}", addr, port) : fmt::format("{}:{}", addr, port);
}

bool make_profile(const Json& doc, const std::string& source, const std::string& kind, const ProfileOptions& opt,
                  Profile& out, std::string& error) {
  if (!doc.is_object() || !doc.contains("schema_version") || !doc.contains("records") || !doc.contains("packets")) {
    error = fmt::format("{}: not a ctana summary JSON document (write one with: ctana summary --json FILE)", source);
    return false;
  }
  const auto v = num(doc, {"schema_version"});
  if (!v || *v != kSchemaVersion) {
    error = fmt::format("{}: summary schema version {} is not the one this ctana reads ({}); write it again with "
                        "this version: ctana summary --json TRACE",
                        source, v ? fmt::format("{}", *v) : "?", kSchemaVersion);
    return false;
  }
  out = Profile{};
  out.source = source;
  out.kind = kind;
  if (doc.contains("input")) out.input = doc["input"];
  out.packets = static_cast<std::uint64_t>(num(doc, {"packets", "total"}).value_or(0));
  out.span_s = num(doc, {"time", "span_s"});
  add_metrics(doc, out);
  add_services(doc, opt, out);
  add_ftp(doc, out);
  add_dns(doc, out);
  add_tls(doc, out);
  return true;
}

}  // namespace ctana
