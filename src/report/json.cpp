// JSON summary for machines. Schema: docs/summary.md (schema_version below); keys are only ever
// added within a version, never renamed or given a new meaning.
#include <nlohmann/json.hpp>

#include "ctana/render.hpp"

namespace ctana {

using json = nlohmann::ordered_json;

namespace {
std::string exit_meaning(int code) {
  switch (code) {
    case 0: return "ok";
    case 3: return "partial";
    default: return "error";
  }
}
}  // namespace

std::string render_summary_json(const SummaryReport& r) {
  json j;
  j["schema_version"] = kSchemaVersion;
  j["generator"] = {{"name", "ctana"}, {"version", CTANA_VERSION}};

  json input;
  input["path"] = r.path;
  input["format"] = std::string(format_name(r.format));
  input["size_bytes"] = r.file_size ? json(r.file_size) : json(nullptr);
  input["bytes_read"] = r.read.bytes_read;
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
                        {"issues", std::move(issues)},       {"issues_dropped", rd.issues_dropped}};

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
  if (r.ctrace) j["ctrace"] = json::parse(render_ctrace_json(r));
  j["exit"] = {{"code", r.exit_code}, {"meaning", exit_meaning(r.exit_code)}};
  return j.dump(2) + "\n";
}

}  // namespace ctana
