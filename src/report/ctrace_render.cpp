// The CTRACE part of the summary, as text and as the JSON `ctrace` object (docs/summary.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "ctana/ctrace.hpp"
#include "ctana/render.hpp"
#include "report/json_parts.hpp"
#include "report/text_util.hpp"

namespace ctana {

namespace {
using text::line;
using Analysis = CtraceReport::DataConnection::Analysis;
std::string pct1(double share) { return fmt::format("{:.1f}%", 100.0 * share); }
std::string_view data_analysis_text(Analysis a) {
  switch (a) {
    case Analysis::data_trace: return "data trace";
    case Analysis::packet_trace: return "packet trace (also in it)";
    case Analysis::not_stream: return "- (not a stream)";
    case Analysis::tcp_off: return "- (TCP analysis off)";
  }
  return "";
}
std::string_view data_analysis_key(Analysis a) {
  switch (a) {
    case Analysis::data_trace: return "data_trace";
    case Analysis::packet_trace: return "packet_trace";
    case Analysis::not_stream: return "not_stream";
    case Analysis::tcp_off: return "tcp_off";
  }
  return "";
}
}  // namespace

std::string render_ctrace_text(const SummaryReport& r) {
  std::string o;
  if (!r.ctrace || !r.read.ctrace) return o;
  const auto& c = *r.ctrace;
  const auto& f = *r.read.ctrace;
  line(o, "");
  line(o, "CTRACE");
  line(o, "  Framing              : {}", f.framing);
  line(o, "  Times                : capture TOD, {} leap seconds subtracted (--tod-leap-seconds)", f.tod_leap_seconds);
  line(o, "  Trace entries        : {} ({} bytes)", group_digits(f.ctes), group_digits(f.cte_bytes));
  line(o, "  Zero fill            : {} bytes", group_digits(f.zero_fill_bytes));
  line(o, "  Descriptors          : {} bytes (RDW/BDW)", group_digits(f.descriptor_bytes));
  line(o, "  Skipped              : {} bytes ({} of them short runs before a buffer: writer headers?)",
       group_digits(f.skipped_bytes), group_digits(f.header_like_bytes));
  line(o, "  Not validated        : {} entries (trailing length did not match)", group_digits(f.not_validated));
  line(o, "  Lost-record markers  : {}", group_digits(f.lost_markers));
  line(o, "  Spanned records      : {} reassembled from {} segments, {} lost", group_digits(f.spanned_records),
       group_digits(f.spanned_segments), group_digits(f.spanned_lost));
  line(o, "  Segmented records    : {} rebuilt from {} segments, {} segments lost", group_digits(f.trace_reassembled),
       group_digits(f.trace_segments), group_digits(f.trace_segments_lost));
  if (f.unusable) line(o, "  Without PTH header   : {} entries (handed out as non-IP records)", group_digits(f.unusable));
  if (f.foreign_records) line(o, "  Foreign records      : {} (pcapng records that are not 2cUTC entries)", group_digits(f.foreign_records));
  if (c.abbreviated || c.local || c.atls_clear || c.atls_confidential)
    line(o, "  Flags                : {} abbreviated, {} local, {} AT-TLS clear text, {} AT-TLS confidential",
         group_digits(c.abbreviated), group_digits(c.local), group_digits(c.atls_clear), group_digits(c.atls_confidential));

  line(o, "");
  line(o, "  Record kinds");
  line(o, "    {:<10} {:<22} {:>12}", "Entry id", "Kind", "Records");
  for (const auto& k : c.kinds)
    line(o, "    {:<10} {:<22} {:>12}", k.name == "ids" ? std::string("(probes)") : fmt::format("{:08X}", k.format_id), k.name,
         group_digits(k.records));

  line(o, "");
  line(o, "  Links");
  line(o, "    {:<16} {:<14} {:<8} {:>12} {:>10} {:>10}", "Name", "Device", "Link", "Records", "In", "Out");
  for (const auto& l : c.links) {
    const auto ln = linktype_name(l.link);
    line(o, "    {:<16} {:<14} {:<8} {:>12} {:>10} {:>10}", l.name, l.device.empty() ? "-" : l.device,
         ln.empty() ? (l.link == linktype::ctrace_data ? std::string("DATA") : fmt::format("{}", l.link)) : std::string(ln),
         group_digits(l.records), group_digits(l.in), group_digits(l.out));
  }

  if (!c.discards.empty()) {
    line(o, "");
    line(o, "  Discarded packets");
    line(o, "    {:>6} {:<16} {:>10}  {}", "Code", "Name", "Packets", "Meaning");
    for (const auto& d : c.discards)
      line(o, "    {:>6} {:<16} {:>10}  {} ({})", d.code, d.name, group_digits(d.packets), d.meaning, d.range);
  }
  if (!c.ids_probes.empty()) {
    line(o, "");
    line(o, "  IDS events by probe");
    line(o, "    {:<9} {:<7} {:>10}  {}", "Probe", "Group", "Events", "Description");
    for (const auto& p : c.ids_probes)
      line(o, "    {:08X}  {:<7} {:>10}  {}", p.probe, p.group, group_digits(p.events), p.description);
    line(o, "  IDS events by source address");
    for (const auto& s : c.ids_sources) line(o, "    {:<40} {:>10}", s.address.str(), group_digits(s.events));
  }
  if (!c.data_jobs.empty()) {
    line(o, "");
    line(o, "  Data trace jobs (bytes in / out: received / sent by the job)");
    line(o, "    {:<8} {:>7} {:>10} {:>6} {:>6} {:>14} {:>14} {:>14}", "Job", "Conns", "Records", "Start", "End",
         "Bytes in", "Bytes out", "Bytes");
    for (const auto& j : c.data_jobs)
      line(o, "    {:<8} {:>7} {:>10} {:>6} {:>6} {:>14} {:>14} {:>14}", j.name, group_digits(j.connections),
           group_digits(j.records), group_digits(j.start_records), group_digits(j.end_records), group_digits(j.bytes_in),
           group_digits(j.bytes_out), group_digits(j.bytes));
  }
  if (!c.data_connections.empty()) {
    constexpr std::size_t kTextRows = 50;
    line(o, "");
    line(o, "  Data trace connections ({}{}; c>s: client to server, roles from the ports)", group_digits(c.data_connections_total),
         c.data_connections.size() > kTextRows ? fmt::format(", the first {} listed", kTextRows) : std::string());
    line(o, "    {:<6} {:<8} {:<8} {:<22} {:<22} {:>8} {:>12} {:>8} {:>12}  {:<9} {}", "Conn", "Job", "Cid", "Client",
         "Server", "Recs c>s", "Bytes c>s", "Recs s>c", "Bytes s>c", "Start/End", "Analysed from");
    for (std::size_t i = 0; i < c.data_connections.size() && i < kTextRows; ++i) {
      const auto& d = c.data_connections[i];
      const auto ep = [](const IpAddr& a, std::uint16_t port) {
        return a.version == 0 ? std::string("-") : a.version == 6 ? fmt::format("[{}]:{}", a.str(), port)
                                                                   : fmt::format("{}:{}", a.str(), port);
      };
      line(o, "    {:<6} {:<8} {:08X} {:<22} {:<22} {:>8} {:>12} {:>8} {:>12}  {:<9} {}",
           d.connection ? fmt::format("{}", d.connection) : std::string("-"), d.job, d.cid, ep(d.client, d.client_port),
           ep(d.server, d.server_port), group_digits(d.records[0]), group_digits(d.bytes[0]), group_digits(d.records[1]),
           group_digits(d.bytes[1]), fmt::format("{}/{}", d.start ? "yes" : "no", d.end ? "yes" : "no"),
           data_analysis_text(d.analysis));
    }
    if (c.data_records_untracked)
      line(o, "    {} records beyond the open-connection cap were not assigned to a connection", group_digits(c.data_records_untracked));
  }

  line(o, "");
  line(o, "  Packet trace header layout: {}", f.layout_from_data
                                                   ? fmt::format("calibrated from {} records", f.calibration_records)
                                                   : fmt::format("hypothesis H1 (not calibrated: {})", f.layout_note));
  if (f.layout_from_data && !f.layout_note.empty()) line(o, "    note: {}", f.layout_note);
  std::string fields;
  for (const auto& fl : f.layout) {
    if (!fields.empty()) fields += ", ";
    fields += fl.offset < 0 ? fmt::format("{} -", fl.name)
                            : fl.calibrated ? fmt::format("{} +{} ({})", fl.name, fl.offset, pct1(fl.agreement))
                                            : fmt::format("{} +{} (H1)", fl.name, fl.offset);
  }
  line(o, "    {}", fields);
  line(o, "    direction: {}", f.direction_bit.empty() ? std::string("unknown")
                                                         : fmt::format("{} ({})", f.direction_bit, pct1(f.direction_agreement)));
  return o;
}

std::string render_ctrace_json(const SummaryReport& r) {
  using json = nlohmann::ordered_json;
  if (!r.ctrace || !r.read.ctrace) return "null";
  const auto& c = *r.ctrace;
  const auto& f = *r.read.ctrace;
  json j;
  j["framing"] = {{"form", f.framing},
                  {"ctes", f.ctes},
                  {"cte_bytes", f.cte_bytes},
                  {"zero_fill_bytes", f.zero_fill_bytes},
                  {"descriptor_bytes", f.descriptor_bytes},
                  {"skipped_bytes", f.skipped_bytes},
                  {"header_like_bytes", f.header_like_bytes},
                  {"not_validated", f.not_validated},
                  {"lost_markers", f.lost_markers},
                  {"spanned_segments", f.spanned_segments},
                  {"spanned_records", f.spanned_records},
                  {"spanned_lost", f.spanned_lost},
                  {"trace_segments", f.trace_segments},
                  {"trace_reassembled", f.trace_reassembled},
                  {"trace_segments_lost", f.trace_segments_lost},
                  {"without_header", f.unusable},
                  {"foreign_records", f.foreign_records}};
  j["tod_leap_seconds"] = f.tod_leap_seconds;
  j["flags"] = {{"abbreviated", c.abbreviated},
                {"segmented", c.segmented},
                {"local", c.local},
                {"atls_clear", c.atls_clear},
                {"atls_confidential", c.atls_confidential}};
  json kinds = json::array();
  for (const auto& k : c.kinds)
    kinds.push_back({{"format_id", k.name == "ids" ? json(nullptr) : json(k.format_id)}, {"kind", k.name}, {"records", k.records}});
  j["record_kinds"] = std::move(kinds);
  json links = json::array();
  for (const auto& l : c.links)
    links.push_back({{"name", l.name},
                     {"device_type", l.device_type},
                     {"device", l.device.empty() ? json(nullptr) : json(l.device)},
                     {"linktype", l.link},
                     {"records", l.records},
                     {"in", l.in},
                     {"out", l.out}});
  j["links"] = std::move(links);
  json disc = json::array();
  for (const auto& d : c.discards)
    disc.push_back({{"code", d.code}, {"name", d.name}, {"meaning", d.meaning}, {"range", d.range}, {"packets", d.packets}});
  j["discards"] = std::move(disc);
  json probes = json::array();
  for (const auto& p : c.ids_probes)
    probes.push_back({{"probe", fmt::format("{:08X}", p.probe)}, {"group", p.group}, {"description", p.description}, {"events", p.events}});
  json sources = json::array();
  for (const auto& s : c.ids_sources) sources.push_back({{"address", s.address.str()}, {"events", s.events}});
  j["ids"] = {{"by_probe", std::move(probes)}, {"by_source", std::move(sources)}};
  json jobs = json::array();
  for (const auto& jb : c.data_jobs)
    jobs.push_back({{"job", jb.name},
                    {"records", jb.records},
                    {"bytes", jb.bytes},
                    {"bytes_in", jb.bytes_in},
                    {"bytes_out", jb.bytes_out},
                    {"start_records", jb.start_records},
                    {"end_records", jb.end_records},
                    {"connections", jb.connections}});
  j["data_jobs"] = std::move(jobs);
  json conns = json::array();
  for (const auto& d : c.data_connections) {
    auto dir = [&d](int k) {
      return json{{"records", d.records[static_cast<std::size_t>(k)]}, {"bytes", d.bytes[static_cast<std::size_t>(k)]}};
    };
    auto addr = [](const IpAddr& a) { return a.version ? json(a.str()) : json(nullptr); };
    conns.push_back({{"connection", d.connection ? json(d.connection) : json(nullptr)},
                     {"job", d.job},
                     {"cid", fmt::format("{:08X}", d.cid)},
                     {"client", addr(d.client)},
                     {"client_port", d.client_port},
                     {"server", addr(d.server)},
                     {"server_port", d.server_port},
                     {"domain", ctrace::dt_domain_label(d.domain)},
                     {"type", ctrace::dt_type_label(d.type)},
                     {"protocol", ctrace::dt_proto_label(d.proto)},
                     {"client_to_server", dir(0)},
                     {"server_to_client", dir(1)},
                     {"start_record", d.start},
                     {"end_record", d.end},
                     {"first", iso_time(d.first_ns)},
                     {"last", iso_time(d.last_ns)},
                     {"analysis", data_analysis_key(d.analysis)}});
  }
  j["data_connections"] = std::move(conns);
  j["data_connections_total"] = c.data_connections_total;
  j["data_records_untracked"] = c.data_records_untracked;
  json fields = json::array();
  for (const auto& fl : f.layout)
    fields.push_back({{"field", fl.name},
                      {"offset", fl.offset < 0 ? json(nullptr) : json(fl.offset)},
                      {"calibrated", fl.calibrated},
                      {"agreement", fl.calibrated ? json(fl.agreement) : json(nullptr)}});
  j["layout"] = {{"source", f.layout_from_data ? "calibrated" : "hypothesis H1"},
                 {"calibration_records", f.calibration_records},
                 {"note", f.layout_note.empty() ? json(nullptr) : json(f.layout_note)},
                 {"fields", std::move(fields)},
                 {"direction_bit", f.direction_bit.empty() ? json(nullptr) : json(f.direction_bit)},
                 {"direction_agreement", f.direction_bit.empty() ? json(nullptr) : json(f.direction_agreement)}};
  return json_text(j);
}

}  // namespace ctana
