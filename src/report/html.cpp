// `ctana report`: the HTML page (docs/report.md). Every text part is rendered here, on the server
// side, so the page reads with JavaScript off; the script only sorts and filters the connections
// table and draws the plots from the data block. Every string that comes from the trace (FTP
// users and file names, DNS names, SNI, interface names, finding summaries that quote them) goes
// through html_escape(), and the data block is JSON with '<', '>' and '&' escaped, so nothing in a
// trace can close a tag or a script.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "ctana/html_report.hpp"
#include "ctana/render.hpp"
#include "report/html_assets.hpp"

namespace ctana {

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 8);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F ? '?' : ch;
    }
  }
  return o;
}

bool html_plots_available() { return html_assets::kPlots; }

namespace {

using Json = nlohmann::json;

std::string e(std::string_view s) { return html_escape(s); }

// The JSON of the data block, safe inside <script>: no '<', '>' or '&' (escaped as \u003c ...).
std::string script_json(const Json& j) {
  const std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string o;
  o.reserve(s.size() + 64);
  for (const char c : s) {
    if (c == '<') o += "\\u003c";
    else if (c == '>') o += "\\u003e";
    else if (c == '&') o += "\\u0026";
    else o += c;
  }
  return o;
}

// Seconds with microseconds, for the plots' data.
double secs(std::int64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e6; }

std::string dur(std::int64_t ns) { return ns < 0 ? std::string("-") : human_duration(ns); }

// Where the time went (docs/tcp.md) as one bar: the five parts in proportion, in CSS only (it
// prints, and reads without JavaScript); with `legend`, each part's name, time and share after it.
std::string time_bar(const TcpConnection& c, bool legend) {
  struct Part {
    const char* name;
    const char* color;
    std::int64_t ns;
  };
  const Part parts[] = {{"host time", "#35608f", c.server_time_ns},
                        {"client time", "#7a9a3a", c.client_time_ns},
                        {"receiver stall", "#b3261e", c.stall_time_ns},
                        {"network", "#b58900", c.network_time_ns},
                        {"idle", "#aab2bf", c.idle_time_ns}};
  std::int64_t total = 0;
  for (const Part& p : parts) total += p.ns;
  if (total <= 0) return "-";
  std::string bar = fmt::format("<span class=\"tbar{}\" role=\"img\" aria-label=\"where the time went:", legend ? " big" : "");
  std::string title, text;
  for (const Part& p : parts) {
    if (p.ns <= 0) continue;
    const double share = 100.0 * static_cast<double>(p.ns) / static_cast<double>(total);
    const std::string what = fmt::format("{} {} ({:.0f}%)", p.name, human_duration(p.ns), share);
    title += (title.empty() ? "" : ", ") + what;
    text += fmt::format("{}<span class=\"tkey\" style=\"background:{}\"></span>{}", text.empty() ? "" : " &middot; ",
                        p.color, e(what));
  }
  bar += " " + e(title) + "\" title=\"" + e(title) + "\">";
  for (const Part& p : parts)
    if (p.ns > 0)
      bar += fmt::format("<span style=\"width:{:.2f}%;background:{}\"></span>",
                         100.0 * static_cast<double>(p.ns) / static_cast<double>(total), p.color);
  bar += "</span>";
  if (legend) bar += "<span class=\"tlegend\">" + text + "</span>";
  return bar;
}

std::string num(std::uint64_t v) { return group_digits(v); }

std::string endpoint(const IpAddr& a, std::uint16_t port) {
  if (a.version == 6) return fmt::format("[{}]:{}", a.str(), port);
  return fmt::format("{}:{}", a.str(), port);
}

const char* sev_class(Severity s) {
  switch (s) {
    case Severity::error: return "err";
    case Severity::warning: return "warn";
    default: return "info";
  }
}

struct Page {
  const SummaryReport& r;
  const ReportSeries& s;
  const HtmlOptions& opt;
  std::string o;
  std::int64_t t0 = 0;                  // the first packet: relative times count from it
  std::set<std::uint64_t> in_table;     // connections with a row in the table
  std::set<std::uint64_t> in_detail;    // connections with their own section
  std::map<std::uint64_t, std::uint64_t> findings_per_conn;
  Json data = Json::object();
  int canvases = 0;
  bool plots = false;  // the charting library is embedded and the plots wanted
  std::vector<std::pair<std::string, std::string>> module_html;  // protocol modules' sections: title, HTML

  Page(const SummaryReport& rep, const ReportSeries& ser, const HtmlOptions& op) : r(rep), s(ser), opt(op) {}
  void add(std::string_view text) { o += text; }
  template <class... A>
  void addf(fmt::format_string<A...> f, A&&... a) {
    fmt::format_to(std::back_inserter(o), f, std::forward<A>(a)...);
  }

  std::string rel(std::int64_t ns) const { return fmt::format("+{:.6f}", static_cast<double>(ns - t0) / 1e9); }
  std::string when(std::int64_t ns) const {
    return fmt::format("<span title=\"{}\">{}</span>", e(text_time(ns)), rel(ns));
  }
  // A link to what the report shows of connection `id`: its plots, else its row in the table.
  std::string conn_link(std::uint64_t id) const {
    if (id == 0) return "-";
    if (in_detail.count(id)) return fmt::format("<a href=\"#conn-{0}\">{0}</a>", id);
    if (in_table.count(id)) return fmt::format("<a href=\"#c-{0}\">{0}</a>", id);
    return std::to_string(id);
  }
  void canvas(const std::string& id, const std::string& label, const char* cls = "plot") {
    if (!plots) return;
    ++canvases;
    addf("<div class=\"{}\"><canvas id=\"{}\" role=\"img\" aria-label=\"{}\"></canvas></div>\n", cls, id, e(label));
  }

  void head();
  void verdict();
  void groups();
  void facts();
  void timeline();
  void protocols();
  void connections();
  void details();
  void ftp();
  void dns();
  void tls();
  void dhcp();
  void ctrace();
  void findings_list();
  void foot();
  void choose();
};

constexpr std::string_view kStyle = R"css(
:root{--fg:#1d2430;--mut:#5b6575;--bg:#fff;--line:#d8dde5;--err:#b3261e;--warn:#9a5b00;--info:#35608f;--hl:#f3f6fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:0 16px 40px}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
nav{margin:6px 0 0;font-size:13px}nav a{margin-right:10px}
.mut{color:var(--mut)}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--hl);position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.err{color:var(--err);font-weight:600}.warn{color:var(--warn);font-weight:600}.info{color:var(--info)}
.verdict li{margin:4px 0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:6px 0}
.facts dt{color:var(--mut)}.facts dd{margin:0}
.plot{position:relative;height:260px;margin:8px 0 14px}.plot.small{height:150px}
.plots3{display:grid;grid-template-columns:1fr;gap:0}
details{margin:4px 0}summary{cursor:pointer}
.scroll{max-height:560px;overflow:auto;border:1px solid var(--line)}
.scroll table{margin:0}
#conn-filter{padding:4px 8px;width:320px;max-width:100%;margin:4px 0}
th[data-sort]{cursor:pointer}th[data-sort]:after{content:" \2195";color:var(--mut)}
pre{white-space:pre-wrap;margin:0}
code{font-size:12px}
.conn{border-top:1px solid var(--line);margin-top:16px}
.tbar{display:inline-flex;width:64px;margin-top:2px;height:10px;background:var(--hl);vertical-align:middle;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.tbar span{display:block;height:100%}.tbar.big{width:100%;height:16px;display:flex;margin:4px 0}
.tkey{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.tlegend{font-size:13px}
@media print{nav,#conn-filter{display:none}.scroll{max-height:none;overflow:visible;border:0}.plot{break-inside:avoid}th{position:static}body{max-width:none}}
)css";

void Page::head() {
  const std::string title = opt.title.empty() ? r.path : opt.title;
  add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  // Nothing may be loaded from anywhere: scripts and styles are inline, images only data: URLs.
  add("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; img-src data:\">\n");
  add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  addf("<meta name=\"generator\" content=\"ctana {}\">\n", e(CTANA_VERSION));
  addf("<title>ctana report: {}</title>\n<style>{}</style>\n", e(title), kStyle);
  // Errors of the page's scripts are counted on the root element (the browser test reads them).
  add("<script>window.ctanaErrors=[];window.addEventListener('error',function(ev){window.ctanaErrors.push("
      "String(ev.message));document.documentElement.setAttribute('data-errors',String(window.ctanaErrors.length));});"
      "</script>\n");
  add("</head>\n<body>\n");
  addf("<header><h1>ctana report: {}</h1>\n", e(title));
  addf("<p class=\"mut\">{} &middot; {} &middot; {} packets",
       e(std::string(format_name(r.format))), r.first_ns ? e(text_time(*r.first_ns)) : std::string("no packets"),
       num(r.packets.total));
  if (r.first_ns && r.last_ns) addf(" over {}", e(human_duration(*r.last_ns - *r.first_ns)));
  if (!r.filter.empty()) addf(" &middot; filter <code>{}</code>", e(r.filter));
  add("</p>\n<nav><a href=\"#verdict\">Verdict</a><a href=\"#findings\">Findings</a><a href=\"#trace\">Trace</a>"
      "<a href=\"#connections\">Connections</a>");
  if (!in_detail.empty()) add("<a href=\"#details\">Connection plots</a>");
  if (r.ftp.present && r.ftp.sessions_total) add("<a href=\"#ftp\">FTP</a>");
  if (r.dns.present && r.dns.queries) add("<a href=\"#dns\">DNS</a>");
  if (r.tls.present && (r.tls.sessions_total || r.tls.midstream_sessions)) add("<a href=\"#tls\">TLS</a>");
  if (r.dhcp.present && r.dhcp.messages) add("<a href=\"#dhcp\">DHCP</a>");
  for (const auto& [name, sec] : r.modules)
    if (const std::string h = sec->seen() ? sec->html() : std::string(); !h.empty()) {
      const ProtocolModule* m = find_module(name);
      addf("<a href=\"#{}\">{}</a>", e(name), e(m ? m->title : name));
      module_html.emplace_back(name, h);
    }
  if (r.ctrace) add("<a href=\"#ctrace\">CTRACE</a>");
  add("<a href=\"#all-findings\">All findings</a></nav></header>\n");
  if (!html_assets::kPlots)
    add("<p class=\"warn\">This ctana was built without plots (CTANA_REPORT_PLOTS=OFF): the report has text and "
        "tables only.</p>\n");
}

void Page::verdict() {
  add("<section id=\"verdict\"><h2>What went wrong</h2>\n");
  const auto top = r.findings.verdict();
  if (top.empty()) {
    add("<p>No problem of severity warning or above was found.");
    if (r.findings.total()) addf(" {} informational findings are listed below.", num(r.findings.total()));
    add("</p>\n</section>\n");
    return;
  }
  add("<ol class=\"verdict\">\n");
  for (const FindingGroup* g : top) {
    const auto gi = static_cast<std::size_t>(g - r.findings.groups.data());
    addf("<li><span class=\"{}\">{}</span> <a href=\"#g-{}\">{}</a>", sev_class(g->severity),
         severity_name(g->severity), gi, e(g->title()));
    if (!g->cause.empty()) addf(" ({})", e(g->cause));
    addf(": {} finding{}", num(g->findings), g->findings == 1 ? "" : "s");
    if (g->connections) addf(", {} connection{}", num(g->connections), g->connections == 1 ? "" : "s");
    addf(", from {}", when(g->first_ns));
    if (!g->examples.empty()) {
      const Finding& f = g->examples.front();
      addf(" &mdash; {}", e(f.summary));
      if (f.connection) addf(" (connection {})", conn_link(f.connection));
    }
    add("</li>\n");
  }
  add("</ol>\n");
  addf("<p class=\"mut\">{} errors, {} warnings, {} informational findings in all.</p>\n",
       num(r.findings.by_severity[2]), num(r.findings.by_severity[1]), num(r.findings.by_severity[0]));
  add("</section>\n");
}

std::string tops(const std::vector<FindingGroup::Top>& v) {
  std::string o;
  for (const auto& t : v) o += fmt::format("{}{} ({})", o.empty() ? "" : ", ", e(t.key), num(t.count));
  return o;
}

void Page::groups() {
  add("<section id=\"findings\"><h2>Findings by kind and cause</h2>\n");
  if (r.findings.groups.empty()) {
    add("<p>None.</p></section>\n");
    return;
  }
  for (std::size_t gi = 0; gi < r.findings.groups.size(); ++gi) {
    const FindingGroup& g = r.findings.groups[gi];
    addf("<details id=\"g-{}\"{}><summary><span class=\"{}\">{}</span> <b>{}</b>{} &middot; {} finding{}",
         gi, g.severity >= Severity::warning ? " open" : "",
         sev_class(g.severity), severity_name(g.severity), e(g.title()),
         g.cause.empty() ? std::string() : " (" + e(g.cause) + ")", num(g.findings), g.findings == 1 ? "" : "s");
    if (g.events > g.findings) addf(", {} events", num(g.events));
    if (g.connections) addf(", {} connection{}", num(g.connections), g.connections == 1 ? "" : "s");
    addf(", {}", when(g.first_ns));
    if (g.last_ns > g.first_ns) addf(" to {}", when(g.last_ns));
    addf(" <span class=\"mut\">[{} &middot; {} &middot; {}]</span></summary>\n", e(g.kind), e(g.module),
         area_name(g.area));
    if (!g.explanation.empty()) addf("<p>{}</p>\n", e(g.explanation));
    if (!g.hint.empty()) addf("<p><b>z/OS:</b> {}</p>\n", e(g.hint));
    if (!g.clients.empty()) addf("<p>Clients: {}</p>\n", tops(g.clients));
    if (!g.servers.empty()) addf("<p>Servers: {}</p>\n", tops(g.servers));
    if (!g.subjects.empty()) addf("<p>Concerning: {}</p>\n", tops(g.subjects));
    add("<table><thead><tr><th>time</th><th class=\"n\">connection</th><th class=\"n\">frames</th><th>finding</th>"
        "</tr></thead><tbody>\n");
    for (const auto& f : g.examples) {
      addf("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n", when(f.ts_ns),
           conn_link(f.connection),
           f.first_frame ? (f.last_frame && f.last_frame != f.first_frame
                                ? fmt::format("{}&ndash;{}", f.first_frame, f.last_frame)
                                : std::to_string(f.first_frame))
                         : std::string("-"),
           e(f.summary));
    }
    add("</tbody></table>\n");
    if (g.findings > g.examples.size())
      addf("<p class=\"mut\">The first {} of {}; every one is in <a href=\"#all-findings\">All findings</a>.</p>\n",
           g.examples.size(), num(g.findings));
    add("</details>\n");
  }
  add("</section>\n");
}

void Page::facts() {
  add("<section id=\"trace\"><h2>The trace</h2>\n<dl class=\"facts\">\n");
  addf("<dt>file</dt><dd>{} ({} bytes)</dd>\n", e(r.path), num(r.file_size));
  std::string fmt_s(format_name(r.format));
  if (r.packed) fmt_s += ", " + r.packed->label();
  addf("<dt>format</dt><dd>{}</dd>\n", e(fmt_s));
  std::string links;
  for (const auto& l : r.link_types) {
    const std::string_view n = linktype_name(l.link);
    links += fmt::format("{}{} {} ({} records{})", links.empty() ? "" : "; ", l.link, n.empty() ? "?" : n,
                         num(l.records), l.supported ? "" : ", not decoded");
  }
  addf("<dt>link types</dt><dd>{}</dd>\n", e(links.empty() ? "-" : links));
  if (r.first_ns) addf("<dt>first packet</dt><dd>{}</dd>\n", e(text_time(*r.first_ns)));
  if (r.last_ns) addf("<dt>last packet</dt><dd>{}</dd>\n", e(text_time(*r.last_ns)));
  if (r.first_ns && r.last_ns) addf("<dt>span</dt><dd>{} s</dd>\n", seconds(*r.last_ns - *r.first_ns));
  addf("<dt>records</dt><dd>{} read = {} decoded + {} malformed + {} truncated (snap length) + {} unsupported link "
       "type{}</dd>\n",
       num(r.records.read), num(r.records.decoded), num(r.records.malformed), num(r.records.truncated),
       num(r.records.unsupported),
       r.records.filtered_out ? fmt::format(" + {} filtered out", num(r.records.filtered_out)) : std::string());
  addf("<dt>bytes</dt><dd>{} on the wire, {} captured</dd>\n", num(r.bytes.total), num(r.bytes.captured));
  if (!r.filter.empty()) addf("<dt>filter</dt><dd><code>{}</code></dd>\n", e(r.filter));
  const auto& rd = r.read;
  std::string state = rd.truncated ? "truncated" : rd.io_error ? "read error" : rd.damaged ? "damaged" : "complete";
  addf("<dt>reading</dt><dd class=\"{}\">{}{}</dd>\n", rd.partial() ? "warn" : "", state,
       rd.resyncs ? fmt::format(", {} resynchronisations, {} bytes skipped", num(rd.resyncs), num(rd.bytes_skipped))
                  : std::string());
  if (!rd.ascii_transfer.empty()) addf("<dt>transfer</dt><dd class=\"err\">{}</dd>\n", e(ascii_transfer_message(rd.ascii_transfer)));
  add("</dl>\n");
  if (!r.interfaces.empty()) {
    add("<h3>Interfaces</h3><table><thead><tr><th class=\"n\">#</th><th>name</th><th>description</th><th>link</th>"
        "<th class=\"n\">snap length</th><th>resolution</th><th class=\"n\">records</th></tr></thead><tbody>\n");
    for (std::size_t i = 0; i < r.interfaces.size() && i < 1000; ++i) {
      const auto& f = r.interfaces[i];
      addf("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td>"
           "<td class=\"n\">{}</td></tr>\n",
           i, e(f.name), e(f.description), f.link, f.snaplen, e(f.ts_resolution), num(f.records));
    }
    add("</tbody></table>\n");
  }
  if (!rd.issues.empty()) {
    add("<h3>Read problems</h3><table><thead><tr><th class=\"n\">offset</th><th>problem</th></tr></thead><tbody>\n");
    for (const auto& is : rd.issues) addf("<tr><td class=\"n\">{}</td><td>{}</td></tr>\n", is.offset, e(is.message));
    add("</tbody></table>\n");
    if (rd.issues_dropped) addf("<p class=\"mut\">{} more not shown.</p>\n", num(rd.issues_dropped));
  }
  if (!r.decode_problems.empty()) {
    add("<h3>Decode problems</h3><table><thead><tr><th>layer</th><th>problem</th><th class=\"n\">packets</th>"
        "<th class=\"n\">first record</th><th class=\"n\">at byte</th></tr></thead><tbody>\n");
    for (const auto& d : r.decode_problems)
      addf("<tr><td>{}</td><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
           e(d.layer), e(d.what), d.truncated ? " (snap length)" : "", num(d.count), d.first_record, d.first_byte);
    add("</tbody></table>\n");
  }
  timeline();
  protocols();
  add("</section>\n");
}

void Page::timeline() {
  if (!s.collected || s.timeline.a.empty()) return;
  add("<h3>Packets and bytes over time</h3>\n");
  addf("<p class=\"mut\">Per {} from the first packet; the findings are marked on the time line.</p>\n",
       e(human_duration(s.timeline.width_ns)));
  canvas("plot-timeline", "packets and bytes per second over time, findings marked");
  Json t;
  t["origin"] = secs(s.timeline.origin_ns - t0);
  t["width"] = static_cast<double>(s.timeline.width_ns) / 1e9;
  t["packets"] = s.timeline.a;
  t["bytes"] = s.timeline.b;
  Json marks = Json::array();
  std::size_t n = 0;
  for (const auto& f : r.findings.list) {
    if (n++ >= 500) break;
    marks.push_back({secs(f.ts_ns - t0), severity_name(f.severity), f.kind + ": " + f.summary, f.connection});
  }
  t["findings"] = std::move(marks);
  data["timeline"] = std::move(t);
}

void Page::protocols() {
  add("<h3>Protocol mix</h3>\n<table><thead><tr><th>protocol</th><th class=\"n\">packets</th><th class=\"n\">bytes</th>"
      "<th class=\"n\">share of bytes</th></tr></thead><tbody>\n");
  Json rows = Json::array();
  for (const auto& p : r.protocols) {
    const double share = r.bytes.total ? 100.0 * static_cast<double>(p.count.bytes) / static_cast<double>(r.bytes.total) : 0;
    addf("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1f}%</td></tr>\n",
         e(p.name), num(p.count.packets), num(p.count.bytes), share);
    rows.push_back({p.name, p.count.packets, p.count.bytes});
  }
  add("</tbody></table>\n");
  addf("<p class=\"mut\">IPv4 {} &middot; IPv6 {} &middot; TCP {} &middot; UDP {} &middot; ICMP {} &middot; ICMPv6 {} "
       "&middot; ARP {} &middot; other {} &middot; IP fragments {} packets.</p>\n",
       num(r.packets.ipv4), num(r.packets.ipv6), num(r.packets.tcp), num(r.packets.udp), num(r.packets.icmp),
       num(r.packets.icmpv6), num(r.packets.arp), num(r.packets.other), num(r.packets.fragments));
  if (!r.protocols.empty()) {
    canvas("plot-protocols", "bytes per protocol", "plot small");
    data["protocols"] = std::move(rows);
  }
}

std::uint32_t flag_count(const TcpConnection& c, int bit) {
  return c.dir[0].flags[static_cast<std::size_t>(bit)] + c.dir[1].flags[static_cast<std::size_t>(bit)];
}

void Page::connections() {
  add("<section id=\"connections\"><h2>TCP connections</h2>\n");
  if (!r.tcp.present || r.tcp.connections.empty()) {
    add("<p>None.</p></section>\n");
    return;
  }
  const auto& tt = r.tcp.totals;
  addf("<p>{} connections: {} closed, {} reset, {} refused, {} never answered, {} handshake incomplete, {} open at "
       "the end. Handshake RTT median {}, response time median {} (95th percentile {}).</p>\n",
       num(tt.connections), num(tt.closed), num(tt.reset_connections), num(tt.refused), num(tt.syn_unanswered),
       num(tt.handshake_incomplete), num(tt.open_at_end), dur(r.tcp.handshake_rtt.median),
       dur(r.tcp.response_time.median), dur(r.tcp.response_time.p95));
  add("<input id=\"conn-filter\" type=\"search\" placeholder=\"filter: address, port, state, app...\" hidden>\n");
  add("<div class=\"scroll\"><table id=\"conn-table\"><thead><tr>"
      "<th class=\"n\" data-sort=\"n\">#</th><th data-sort=\"s\">client</th><th data-sort=\"s\">server</th>"
      "<th data-sort=\"s\">app</th><th data-sort=\"s\">state</th><th class=\"n\" data-sort=\"n\">start</th>"
      "<th class=\"n\" data-sort=\"n\" title=\"and where the time went: host, client, receiver stall, network, "
      "idle\">duration</th><th class=\"n\" data-sort=\"n\">packets</th>"
      "<th class=\"n\" data-sort=\"n\">bytes c&rarr;s</th><th class=\"n\" data-sort=\"n\">bytes s&rarr;c</th>"
      "<th class=\"n\" data-sort=\"n\">handshake RTT</th><th class=\"n\" data-sort=\"n\">max response</th>"
      "<th class=\"n\" data-sort=\"n\">retrans</th><th class=\"n\" data-sort=\"n\">dup ACKs</th>"
      "<th class=\"n\" data-sort=\"n\">zero windows</th><th class=\"n\" data-sort=\"n\">findings</th>"
      "</tr></thead><tbody>\n");
  std::size_t rows = 0;
  for (const auto& c : r.tcp.connections) {
    if (rows++ >= opt.max_table_rows) break;
    const std::uint32_t retrans = flag_count(c, 0) + flag_count(c, 1) + flag_count(c, 2);
    const std::uint32_t dup = flag_count(c, 6), zw = flag_count(c, 7);
    const auto fc = findings_per_conn.find(c.id);
    const std::uint64_t nf = fc == findings_per_conn.end() ? 0 : fc->second;
    addf("<tr id=\"c-{0}\"><td class=\"n\" data-v=\"{0}\">{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td>"
         "<td class=\"n\" data-v=\"{6}\">{7}</td><td class=\"n\" data-v=\"{8}\">{9}<br>{20}</td>"
         "<td class=\"n\" data-v=\"{10}\">{11}</td><td class=\"n\" data-v=\"{12}\">{13}</td>"
         "<td class=\"n\" data-v=\"{14}\">{15}</td><td class=\"n\" data-v=\"{16}\">{17}</td>"
         "<td class=\"n\" data-v=\"{18}\">{19}</td>",
         c.id, in_detail.count(c.id) ? fmt::format("<a href=\"#conn-{0}\">{0}</a>", c.id) : std::to_string(c.id),
         e(endpoint(c.client, c.client_port)), e(endpoint(c.server, c.server_port)), e(c.app),
         tcp_state_name(c.state), c.first_ns - t0, rel(c.first_ns), c.elapsed_ns(), e(human_duration(c.elapsed_ns())),
         c.dir[0].packets + c.dir[1].packets, num(c.dir[0].packets + c.dir[1].packets), c.dir[0].payload_bytes,
         num(c.dir[0].payload_bytes), c.dir[1].payload_bytes, num(c.dir[1].payload_bytes), c.handshake_rtt_ns,
         dur(c.handshake_rtt_ns), c.exchanges ? c.rt_max_ns : -1, c.exchanges ? dur(c.rt_max_ns) : std::string("-"), time_bar(c, false));
    addf("<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n", retrans,
         dup, zw, nf);
  }
  add("</tbody></table></div>\n");
  if (r.tcp.connections.size() > opt.max_table_rows || r.tcp.connections_omitted)
    addf("<p class=\"mut\">The first {} of {} connections (ctana sessions lists them all).</p>\n",
         std::min(r.tcp.connections.size(), opt.max_table_rows), num(r.tcp.totals.connections));
  add("</section>\n");
}

// Picks the connections with plots: those of the verdict's and the groups' findings first, then
// those the collector kept for their problems, then the biggest.
void Page::choose() {
  for (const auto& f : r.findings.list)
    if (f.connection) ++findings_per_conn[f.connection];
  std::size_t rows = 0;
  for (const auto& c : r.tcp.connections) {
    if (rows++ >= opt.max_table_rows) break;
    in_table.insert(c.id);
  }
  if (!s.collected || !plots) return;
  std::set<std::uint64_t> have;
  for (const auto& c : s.connections) have.insert(c.id);
  auto take = [this, &have](std::uint64_t id) {
    if (id && have.count(id) && in_detail.size() < opt.max_detail) in_detail.insert(id);
  };
  for (const auto& g : r.findings.groups)
    if (g.severity >= Severity::warning)
      for (const auto& f : g.examples) take(f.connection);
  std::vector<const ConnectionSeries*> by_score;
  for (const auto& c : s.connections) by_score.push_back(&c);
  std::stable_sort(by_score.begin(), by_score.end(),
                   [](const ConnectionSeries* a, const ConnectionSeries* b) { return a->score > b->score; });
  for (const auto* c : by_score)
    if (c->score > 0) take(c->id);
  std::stable_sort(by_score.begin(), by_score.end(),
                   [](const ConnectionSeries* a, const ConnectionSeries* b) { return a->packets > b->packets; });
  for (const auto* c : by_score) take(c->id);
}

void Page::details() {
  if (in_detail.empty()) return;
  add("<section id=\"details\"><h2>Connection plots</h2>\n");
  add("<p class=\"mut\">For the connections with findings and the biggest ones. The time-sequence graph shows the "
      "data direction (the side that sent more): each data segment at its sequence number, the other side's ACK line "
      "and its receive window (ACK + window) line; retransmissions, duplicate ACKs and zero windows are marked. Large "
      "connections are downsampled: every flagged packet and both ends of every pause of 200 ms or more are kept.</p>\n");
  std::map<std::uint64_t, const TcpConnection*> conns;
  for (const auto& c : r.tcp.connections) conns[c.id] = &c;
  Json list = Json::array();
  for (const auto& cs : s.connections) {
    if (!in_detail.count(cs.id)) continue;
    const auto ci = conns.find(cs.id);
    addf("<div class=\"conn\" id=\"conn-{}\"><h3>Connection {}", cs.id, cs.id);
    std::int64_t first = 0;
    if (ci != conns.end()) {
      const TcpConnection& c = *ci->second;
      first = c.first_ns;
      addf(": {} &rarr; {}{}</h3>\n", e(endpoint(c.client, c.client_port)), e(endpoint(c.server, c.server_port)),
           c.app.empty() ? std::string() : " (" + e(c.app) + ")");
      addf("<p>{} at {}, for {}; {} packets; {} bytes client&rarr;server, {} bytes server&rarr;client; handshake RTT "
           "{}; {} exchanges, slowest response {}.",
           tcp_state_name(c.state), when(c.first_ns), e(human_duration(c.elapsed_ns())),
           num(c.dir[0].packets + c.dir[1].packets), num(c.dir[0].payload_bytes), num(c.dir[1].payload_bytes),
           dur(c.handshake_rtt_ns), num(c.exchanges), c.exchanges ? dur(c.rt_max_ns) : std::string("-"));
      const auto fc = findings_per_conn.find(cs.id);
      if (fc != findings_per_conn.end()) addf(" {} finding{}.", num(fc->second), fc->second == 1 ? "" : "s");
      addf(" <a href=\"#c-{}\">row</a></p>\n", cs.id);
      addf("<div class=\"twent\">Where the time went: {}</div>\n", time_bar(c, true));
    } else {
      add("</h3>\n");
    }
    if (cs.data_dropped || cs.acks_dropped)
      addf("<p class=\"mut\">Downsampled: {} of the data points and {} of the ACK points not drawn.</p>\n",
           num(cs.data_dropped), num(cs.acks_dropped));
    const std::string id = std::to_string(cs.id);
    canvas("plot-tsg-" + id, "time-sequence graph of connection " + id);
    canvas("plot-tput-" + id, "throughput of connection " + id);
    canvas("plot-rtt-" + id, "round-trip time samples of connection " + id);
    add("</div>\n");
    Json j;
    j["id"] = cs.id;
    j["sender"] = side_name(cs.sender);
    Json d = Json::array();
    for (const auto& p : cs.data) {
      d.push_back(secs(p.t_ns));
      d.push_back(p.seq);
      d.push_back(p.len);
      d.push_back(p.flags);
    }
    j["data"] = std::move(d);
    Json a = Json::array();
    for (const auto& p : cs.acks) {
      a.push_back(secs(p.t_ns));
      a.push_back(p.seq);
      a.push_back(p.len);
      a.push_back(p.flags);
    }
    j["acks"] = std::move(a);
    Json rt = Json::array();
    for (const auto& p : cs.rtt) {
      rt.push_back(secs(p.t_ns));
      rt.push_back(std::round(static_cast<double>(p.rtt_ns) / 1e3) / 1e3);  // ms
    }
    j["rtt"] = std::move(rt);
    j["tput"] = {{"origin", secs(cs.throughput.origin_ns - first)},
                 {"width", static_cast<double>(cs.throughput.width_ns) / 1e9},
                 {"c2s", cs.throughput.a},
                 {"s2c", cs.throughput.b}};
    list.push_back(std::move(j));
  }
  data["conns"] = std::move(list);
  add("</section>\n");
}

void Page::ftp() {
  const auto& f = r.ftp;
  if (!f.present || f.sessions_total == 0) return;
  add("<section id=\"ftp\"><h2>FTP</h2>\n");
  addf("<p>{} sessions, {} transfers, {} bytes; {} failed logins, {} error replies.</p>\n", num(f.sessions_total),
       num(f.transfers_total), num(f.bytes_total), num(f.failed_logins), num(f.error_replies));
  std::size_t n = 0;
  for (const auto& sess : f.sessions) {
    if (n++ >= 100) {
      addf("<p class=\"mut\">The first 100 of {} sessions.</p>\n", num(f.sessions.size()));
      break;
    }
    addf("<details{}><summary>Session on connection {}: {} &rarr; {}, user <b>{}</b>, login {}{}, {} commands, {} "
         "transfers, ended {}</summary>\n",
         n <= 5 ? " open" : "", conn_link(sess.connection), e(endpoint(sess.client, sess.client_port)),
         e(endpoint(sess.server, sess.server_port)), e(sess.user.empty() ? "-" : sess.user), e(sess.login),
         sess.tls ? ", TLS" : "", num(sess.commands), num(sess.transfers.size()), e(sess.end));
    if (!sess.log.empty()) {
      add("<div class=\"scroll\"><table><thead><tr><th>time</th><th>command</th><th>argument</th><th class=\"n\">reply</th>"
          "<th>reply text</th><th class=\"n\">latency</th></tr></thead><tbody>\n");
      for (const auto& c : sess.log)
        addf("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n {}\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
             when(c.ts_ns), e(c.verb), e(c.arg), c.reply >= 400 ? "err" : "", c.reply ? std::to_string(c.reply) : "-",
             e(c.reply_text), dur(c.latency_ns));
      add("</tbody></table></div>\n");
    }
    if (!sess.transfers.empty()) {
      add("<table><thead><tr><th>command</th><th>file</th><th>direction</th><th class=\"n\">data connection</th>"
          "<th class=\"n\">bytes</th><th class=\"n\">duration</th><th class=\"n\">rate</th><th class=\"n\">reply</th>"
          "<th>data connection end</th></tr></thead><tbody>\n");
      for (const auto& t : sess.transfers) {
        const std::int64_t d = t.end_ns > t.start_ns ? t.end_ns - t.start_ns : 0;
        addf("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
             "<td class=\"n\">{}</td><td class=\"n {}\">{}</td><td>{}</td></tr>\n",
             e(t.command), e(t.file), t.upload ? "upload" : "download", conn_link(t.data_connection), num(t.bytes),
             d ? e(human_duration(d)) : "-",
             d ? e(human_rate(static_cast<std::int64_t>(static_cast<double>(t.bytes) * 1e9 / static_cast<double>(d))))
               : "-",
             t.reply >= 400 ? "err" : "", t.reply ? std::to_string(t.reply) : "-", e(t.data_end));
      }
      add("</tbody></table>\n");
    }
    add("</details>\n");
  }
  add("</section>\n");
}

void name_table(Page& p, const char* title, const std::vector<DnsNameRow>& rows) {
  if (rows.empty()) return;
  p.addf("<h3>{}</h3><table><thead><tr><th>name</th><th>type</th><th class=\"n\">count</th></tr></thead><tbody>\n",
         title);
  for (const auto& n : rows)
    p.addf("<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n", e(n.name), e(n.type), num(n.count));
  p.add("</tbody></table>\n");
}

// A histogram bound in the unit that makes it a whole number: 100 us, 2 ms, 5 s.
std::string bound(std::int64_t ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{} s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{} ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{} us", ns / 1'000);
  return fmt::format("{} ns", ns);
}

void Page::dns() {
  const auto& d = r.dns;
  if (!d.present || d.queries == 0) return;
  add("<section id=\"dns\"><h2>DNS</h2>\n");
  addf("<p>{} queries, {} answered, {} unanswered, {} retries, {} over TCP. Latency: median {}, 95th percentile {}, "
       "max {} ({} samples).</p>\n",
       num(d.queries), num(d.answered), num(d.unanswered), num(d.retries), num(d.over_tcp), dur(d.latency_median_ns),
       dur(d.latency_p95_ns), dur(d.latency_max_ns), num(d.latency_samples));
  if (d.latency_samples) {
    // The histogram of every answered query's latency (DnsReport::latency_histogram): a bar plot,
    // and the same counts as a table that reads without JavaScript.
    add("<h3>Latency histogram</h3>\n");
    addf("<p class=\"mut\">Every answered query ({}) by latency, first query to response; bucket upper bounds "
         "in a 1-2-5 series.</p>\n",
         num(d.latency_samples));
    canvas("plot-dns-latency", "histogram of DNS latency, answered queries per bucket", "plot small");
    Json labels = Json::array(), counts = Json::array();
    std::string head, row;
    for (std::size_t i = 0; i < d.latency_histogram.size(); ++i) {
      const std::string label = i < kDnsLatencyBoundsNs.size() ? "\u2264 " + bound(kDnsLatencyBoundsNs[i])
                                                                : "> " + bound(kDnsLatencyBoundsNs.back());
      labels.push_back(label);
      counts.push_back(d.latency_histogram[i]);
      head += fmt::format("<th class=\"n\">{}</th>", e(label));
      row += fmt::format("<td class=\"n\">{}</td>", num(d.latency_histogram[i]));
    }
    addf("<table id=\"dns-latency\"><thead><tr><th>latency</th>{}</tr></thead><tbody><tr><td>queries</td>{}</tr>"
         "</tbody></table>\n",
         head, row);
    if (plots) data["dns_latency"] = {{"labels", std::move(labels)}, {"counts", std::move(counts)}};
  }
  std::string rc;
  for (std::size_t i = 0; i < d.rcodes.size(); ++i)
    if (d.rcodes[i])
      rc += fmt::format("{}{} {}", rc.empty() ? "" : ", ", dns::rcode_name(static_cast<std::uint8_t>(i)), num(d.rcodes[i]));
  if (!rc.empty()) addf("<p>Answers by code: {}.</p>\n", e(rc));
  name_table(*this, "Failures: names answered with an error", d.error_names);
  name_table(*this, "Names never answered", d.unanswered_names);
  name_table(*this, "Most queried names", d.top_names);
  add("</section>\n");
}

void pair_list(Page& p, const char* what, const std::vector<std::pair<std::string, std::uint64_t>>& v) {
  if (v.empty()) return;
  std::string o;
  for (const auto& [k, n] : v) o += fmt::format("{}{} ({})", o.empty() ? "" : ", ", e(k), num(n));
  p.addf("<p>{}: {}.</p>\n", what, o);
}

void Page::tls() {
  const auto& t = r.tls;
  if (!t.present || (t.sessions_total == 0 && t.midstream_sessions == 0 && t.starttls.empty())) return;
  add("<section id=\"tls\"><h2>TLS</h2>\n");
  addf("<p>{} handshakes, {} failed, {} alerts ({} encrypted).</p>\n", num(t.sessions_total), num(t.handshakes_failed),
       num(t.alerts_total), num(t.encrypted_alerts));
  if (t.midstream_sessions)
    addf("<p>{} connection{} picked up mid-stream: the handshake was before the capture.</p>\n",
         num(t.midstream_sessions), t.midstream_sessions == 1 ? "" : "s");
  if (t.hello_retries)
    addf("<p>{} handshake{} with a HelloRetryRequest: the server asked for another key share, one round trip "
         "more.</p>\n",
         num(t.hello_retries), t.hello_retries == 1 ? "" : "s");
  if (t.sslv2_hellos)
    addf("<p>{} handshake{} began with an SSLv2-format ClientHello (no extensions: no server name, no TLS "
         "1.3).</p>\n",
         num(t.sslv2_hellos), t.sslv2_hellos == 1 ? "" : "s");
  pair_list(*this, "Versions", t.versions);
  pair_list(*this, "Cipher suites", t.ciphers);
  pair_list(*this, "Server names", t.snis);
  pair_list(*this, "Alerts", t.alert_messages);
  if (!t.starttls.empty()) {
    add("<h3>Upgrades to TLS inside other protocols</h3><table><thead><tr><th>protocol</th><th class=\"n\">connections</th>"
        "<th class=\"n\">offered</th><th class=\"n\">requested</th><th class=\"n\">accepted</th><th class=\"n\">refused</th>"
        "<th class=\"n\">credentials in clear</th></tr></thead><tbody>\n");
    for (const auto& s2 : t.starttls)
      addf("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
           "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
           e(s2.protocol), num(s2.connections), num(s2.offered), num(s2.requested), num(s2.accepted), num(s2.refused),
           num(s2.clear_credentials));
    add("</tbody></table>\n");
  }
  if (!t.sessions.empty()) {
    add("<h3>Handshakes</h3><div class=\"scroll\"><table><thead><tr><th class=\"n\">connection</th><th>time</th>"
        "<th>client</th><th>server</th><th>server name</th><th>version</th><th>cipher</th><th>ALPN</th>"
        "<th class=\"n\">hello &rarr; server hello</th><th>completed</th><th>alerts</th></tr></thead><tbody>\n");
    for (const auto& x : t.sessions) {
      std::string alerts;
      for (const auto& a : x.alerts) alerts += (alerts.empty() ? "" : "; ") + a;
      if (x.encrypted_alerts) alerts += fmt::format("{}{} encrypted", alerts.empty() ? "" : "; ", x.encrypted_alerts);
      addf("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
           "<td class=\"n\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
           conn_link(x.connection), x.midstream ? std::string("-") : when(x.hello_ns), e(x.client.str()),
           e(endpoint(x.server, x.server_port)), e(x.sni),
           e(x.midstream ? std::string("mid-stream") : x.version.empty() ? x.offered + " offered" : x.version), e(x.cipher),
           e(x.alpn), dur(x.server_hello_latency_ns), x.completed || x.midstream ? "" : "warn",
           x.midstream ? "not captured" : x.completed ? "yes" : "no", e(alerts));
    }
    add("</tbody></table></div>\n");
  }
  add("</section>\n");
}

void Page::dhcp() {
  const auto& d = r.dhcp;
  if (!d.present || d.messages == 0) return;
  add("<section id=\"dhcp\"><h2>DHCP</h2>\n");
  std::string types;
  for (std::size_t i = 0; i < d.by_type.size(); ++i)
    if (d.by_type[i])
      types += fmt::format("{}{} {}", types.empty() ? "" : ", ", i == 0 ? std::string_view("BOOTP") : dhcp::type_name(static_cast<std::uint8_t>(i)),
                           num(d.by_type[i]));
  addf("<p>{} messages ({}); {} NAKs, {} declines, {} DISCOVERs unanswered, {} relayed, {} malformed.</p>\n",
       num(d.messages), e(types), num(d.naks), num(d.declines), num(d.discovers_unanswered), num(d.relayed),
       num(d.malformed));
  if (!d.leases.empty()) {
    add("<h3>Leases granted</h3><div class=\"scroll\"><table><thead><tr><th>time</th><th>client</th><th>address</th>"
        "<th>server</th><th>router</th><th class=\"n\">lease</th><th class=\"n\">exchange</th></tr></thead><tbody>\n");
    for (const auto& l : d.leases)
      addf("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{} s</td><td class=\"n\">{}</td></tr>\n",
           when(l.ts_ns), e(l.client), e(l.address.str()), e(l.server.str()), e(l.router.version ? l.router.str() : "-"),
           l.lease_s, dur(l.exchange_ns));
    add("</tbody></table></div>\n");
  }
  add("</section>\n");
}

void Page::ctrace() {
  if (!r.ctrace) return;
  const auto& c = *r.ctrace;
  add("<section id=\"ctrace\"><h2>z/OS CTRACE</h2>\n");
  if (r.read.ctrace) {
    const auto& x = *r.read.ctrace;
    add("<h3>Record accounting</h3><dl class=\"facts\">\n");
    addf("<dt>framing</dt><dd>{}</dd>\n", e(x.framing));
    addf("<dt>trace entries</dt><dd>{} validated ({} bytes), {} not validated, {} unusable</dd>\n", num(x.ctes),
         num(x.cte_bytes), num(x.not_validated), num(x.unusable));
    addf("<dt>bytes</dt><dd>{} zero fill, {} descriptors, {} skipped</dd>\n", num(x.zero_fill_bytes),
         num(x.descriptor_bytes), num(x.skipped_bytes));
    if (x.lost_markers)
      addf("<dt>lost records</dt><dd class=\"err\">{} lost-record markers, {} to {}</dd>\n", num(x.lost_markers),
           e(text_time(x.lost_first_ns)), e(text_time(x.lost_last_ns)));
    if (x.trace_segments)
      addf("<dt>segmented records</dt><dd>{} segments, {} packets rebuilt, {} segments lost</dd>\n",
           num(x.trace_segments), num(x.trace_reassembled), num(x.trace_segments_lost));
    if (x.spanned_segments)
      addf("<dt>spanned records</dt><dd>{} segments, {} records, {} lost</dd>\n", num(x.spanned_segments),
           num(x.spanned_records), num(x.spanned_lost));
    addf("<dt>header layout</dt><dd>{}{}</dd>\n", x.layout_from_data ? "calibrated from the data" : "assumed",
         x.layout_note.empty() ? std::string() : " (" + e(x.layout_note) + ")");
    add("</dl>\n");
  }
  if (!c.kinds.empty()) {
    add("<h3>Record kinds</h3><table><thead><tr><th class=\"n\">format id</th><th>kind</th><th class=\"n\">records</th>"
        "</tr></thead><tbody>\n");
    for (const auto& k : c.kinds)
      addf("<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n", k.format_id, e(k.name), num(k.records));
    add("</tbody></table>\n");
  }
  if (!c.links.empty()) {
    add("<h3>Links</h3><table><thead><tr><th>name</th><th>device</th><th class=\"n\">records</th><th class=\"n\">in</th>"
        "<th class=\"n\">out</th></tr></thead><tbody>\n");
    for (const auto& l : c.links)
      addf("<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
           e(l.name), e(l.device), num(l.records), num(l.in), num(l.out));
    add("</tbody></table>\n");
  }
  if (!c.discards.empty()) {
    add("<h3>Discards by reason</h3><table><thead><tr><th class=\"n\">code</th><th>name</th><th>meaning</th>"
        "<th class=\"n\">packets</th></tr></thead><tbody>\n");
    for (const auto& d : c.discards)
      addf("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n", d.code, e(d.name),
           e(d.meaning), num(d.packets));
    add("</tbody></table>\n");
  }
  // counts over time per code (discard reason, IDS probe), for the page's script
  auto coded_series = [this](const auto& series, auto label_of) {
    Json list = Json::array();
    for (const auto& [code, bins] : series)
      list.push_back({{"label", label_of(code)},
                      {"origin", secs(bins.origin_ns - t0)},
                      {"width", static_cast<double>(bins.width_ns) / 1e9},
                      {"packets", bins.a}});
    return list;
  };
  if (!s.discards.empty() && plots) {
    add("<p class=\"mut\">Discarded packets over time, by reason code:</p>\n");
    canvas("plot-discards", "discarded packets per second by reason code");
    data["discards"] = coded_series(s.discards, [&c](std::uint16_t code) {
      std::string label = code == 0xFFFF ? std::string("other codes") : std::to_string(code);
      for (const auto& d : c.discards)
        if (d.code == code && !d.name.empty()) label += " " + d.name;
      return label;
    });
  }
  if (!c.ids_probes.empty()) {
    add("<h3>IDS events by probe</h3><table><thead><tr><th class=\"n\">probe</th><th>group</th><th>description</th>"
        "<th class=\"n\">events</th></tr></thead><tbody>\n");
    for (const auto& p : c.ids_probes)
      addf("<tr><td class=\"n\">{:08X}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n", p.probe, e(p.group),
           e(p.description), num(p.events));
    add("</tbody></table>\n");
    if (!c.ids_sources.empty()) {
      std::string top;
      for (const auto& src : c.ids_sources)
        top += fmt::format("{}{} ({})", top.empty() ? "" : ", ", src.address.str(), num(src.events));
      addf("<p>Top sources: {}.</p>\n", e(top));
    }
    if (!s.ids.empty() && plots) {
      add("<p class=\"mut\">IDS events over time, by probe:</p>\n");
      canvas("plot-ids", "IDS events per second by probe");
      data["ids"] = coded_series(s.ids, [&c](std::uint32_t probe) {
        if (probe == 0xFFFFFFFF) return std::string("other probes");
        std::string label = fmt::format("{:08X}", probe);
        for (const auto& p : c.ids_probes)
          if (p.probe == probe && !p.group.empty()) label += " " + p.group;
        return label;
      });
    }
  }
  if (!c.data_jobs.empty()) {
    add("<h3>Data trace jobs</h3><table><thead><tr><th>job</th><th class=\"n\">records</th><th class=\"n\">bytes</th>"
        "<th class=\"n\">in</th><th class=\"n\">out</th><th class=\"n\">connections</th></tr></thead><tbody>\n");
    for (const auto& j : c.data_jobs)
      addf("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
           "<td class=\"n\">{}</td></tr>\n",
           e(j.name), num(j.records), num(j.bytes), num(j.bytes_in), num(j.bytes_out), num(j.connections));
    add("</tbody></table>\n");
  }
  add("</section>\n");
}

void Page::findings_list() {
  add("<section id=\"all-findings\"><h2>All findings</h2>\n");
  const auto& l = r.findings.list;
  if (l.empty()) {
    add("<p>None.</p></section>\n");
    return;
  }
  addf("<details{}><summary>{} findings, by time</summary>\n", l.size() <= 50 ? " open" : "", num(l.size()));
  add("<div class=\"scroll\"><table><thead><tr><th>time</th><th>severity</th><th>kind</th><th class=\"n\">connection</th>"
      "<th>summary</th></tr></thead><tbody>\n");
  std::size_t n = 0;
  for (const auto& f : l) {
    if (n++ >= opt.max_findings_rows) break;
    addf("<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n", when(f.ts_ns),
         sev_class(f.severity), severity_name(f.severity), e(f.kind), conn_link(f.connection), e(f.summary));
  }
  add("</tbody></table></div></details>\n");
  if (l.size() > opt.max_findings_rows || r.findings.omitted)
    addf("<p class=\"mut\">The first {} of {} (ctana exceptions lists them all).</p>\n",
         std::min(l.size(), opt.max_findings_rows), num(r.findings.total()));
  add("</section>\n");
}

void Page::foot() {
  add("<footer class=\"mut\"><p>Made by ctana " CTANA_VERSION);
  if (!opt.command.empty()) addf(": <code>{}</code>", e(opt.command));
  if (s.connections_untracked || s.points_dropped_budget)
    addf(". Plots: {} connections not followed (too many open at once), {} points over the budget not kept",
         num(s.connections_untracked), num(s.points_dropped_budget));
  add(".</p></footer>\n");
  addf("<script type=\"application/json\" id=\"ctana-data\">{}</script>\n", script_json(data));
  if (plots) {
    add("<script>");
    for (std::size_t i = 0; i < html_assets::kChartJsParts; ++i) add(html_assets::kChartJs[i]);
    add("</script>\n");
  }
  add("<script>");
  add(html_assets::kPageJs);
  add("</script>\n</body>\n</html>\n");
}

}  // namespace

std::string render_report_html(const SummaryReport& r, const ReportSeries& s, const HtmlOptions& opt) {
  Page p(r, s, opt);
  p.t0 = r.first_ns.value_or(0);
  p.plots = html_assets::kPlots && opt.plots;
  p.choose();
  p.head();
  p.verdict();
  p.groups();
  p.facts();
  p.connections();
  p.details();
  p.ftp();
  p.dns();
  p.tls();
  p.dhcp();
  for (const auto& [name, h] : p.module_html) p.add(h);
  p.ctrace();
  p.findings_list();
  p.data["plots"] = p.canvases;
  p.foot();
  return std::move(p.o);
}

}  // namespace ctana
