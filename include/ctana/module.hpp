// Protocol modules: everything one application protocol owns, declared in one place and
// registered with one line (src/protocols/registry.cpp). The pipeline (src/analyze/run.cpp)
// loops over the registry; the renderers and `ctana diff` loop over the report's sections and the
// modules' metric tables. docs/architecture.md "Adding a protocol" walks through one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctana/analyzer.hpp"
#include "ctana/diff.hpp"  // Unit, Better
#include "ctana/findings.hpp"
#include "ctana/tcp.hpp"

namespace ctana {

// What a module's content probe says about the first bytes one side sent on a connection.
enum class ProbeResult : std::uint8_t { no, yes, need_more };

// A module's part of the summary report: owned by the report (SummaryReport::modules), filled by
// the module's analyzer during the run, rendered by the summary renderers. It formats; it does not
// compute (the analyzer did).
class ModuleSection {
 public:
  virtual ~ModuleSection() = default;
  // Whether the protocol was seen at all: a section with nothing to report is left out of every
  // output (a summary without HTTP has no `http` key), so adding a module changes no output of
  // traces without its protocol.
  virtual bool seen() const = 0;
  // The JSON object written under the module's name in `summary --json` (schema:
  // docs/schema/NAME.schema.json).
  virtual nlohmann::ordered_json json() const = 0;
  // Its block in the text summary, lines ending in '\n', starting with an empty line.
  virtual std::string text() const = 0;
  // Its part of the HTML report (a <section>), "" for none.
  virtual std::string html() const { return {}; }
};

// One lifecycle for a module's analyzer: stream data, gap and connection end (TcpStreamSink, fed
// by the TCP reassembly: wants / on_data / on_gap / on_close / keeps), packets (on_packet, when
// `packets()`), and finish() once after every core analyzer finished (the TCP analyzer has then
// closed every connection). The defaults take nothing.
class ModuleAnalyzer : public TcpStreamSink {
 public:
  bool wants(const TcpConnection&) override { return false; }
  void on_data(const TcpConnection&, Side, std::uint64_t, Bytes, std::int64_t) override {}
  void on_gap(const TcpConnection&, Side, std::uint64_t, std::uint64_t, std::int64_t) override {}
  void on_close(const TcpConnection&) override {}
  // Whether it wants every decoded packet (on the analysis thread, after the TCP analyzer).
  virtual bool packets() const { return false; }
  virtual void on_packet(const Packet&) {}
  virtual void finish() {}
};

// What a module's analyzer is given.
struct ModuleContext {
  std::vector<std::uint16_t> tcp_ports, udp_ports;  // its default ports plus every --app NAME=PORT of its name
  std::int64_t rt_threshold_ns = 1'000'000'000;      // --rt-threshold: a slower response is a finding
  bool show_secrets = false;                        // --show-secrets: credentials unmasked
  FindingSink findings;                             // stamps the module's name
};

// A diff metric of a module (docs/ci.md "Metrics"): a number at a JSON path of the summary.
struct ModuleMetric {
  std::string_view name;                     // "http.requests"
  std::vector<std::string_view> path;        // keys from the document's top: {"http", "requests"}
  Unit unit;
  Better better;                             // which direction is a regression
  std::string_view meaning;
};

struct ModuleParts {
  std::shared_ptr<ModuleSection> section;    // goes into SummaryReport::modules
  std::unique_ptr<ModuleAnalyzer> analyzer;
};

struct ProtocolModule {
  std::string_view name;                     // JSON key, finding module, --app NAME
  std::string_view title;                    // "HTTP/1.x"
  std::vector<std::uint16_t> tcp_ports, udp_ports;  // default server ports
  // The first bytes `from` sent on a TCP connection (all of them so far): is this the protocol?
  // Connections on its ports skip the probe. nullptr: by port only.
  ProbeResult (*probe)(Side from, Bytes first) = nullptr;
  std::size_t probe_bytes = 0;               // need_more beyond this many bytes counts as no
  ModuleParts (*make)(const ModuleContext&) = nullptr;
  std::vector<ModuleMetric> metrics;
  std::vector<FindingKindInfo> finding_kinds;
};

// Every registered module, in registry order (the order of their sections in every output).
std::span<const ProtocolModule* const> protocol_modules();
const ProtocolModule* find_module(std::string_view name);

// The TcpStreamSink the TCP analyzer is given for a module with a probe: it holds the first bytes
// of each connection not on the module's ports until the probe decides, then hands the connection
// to the module's analyzer (replaying what it held) or lets it go. Connections on the module's
// ports go to the analyzer at once.
std::unique_ptr<TcpStreamSink> probing_sink(const ProtocolModule& m, const std::vector<std::uint16_t>& ports,
                                            ModuleAnalyzer& analyzer);

}  // namespace ctana
