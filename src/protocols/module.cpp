// The framework side of protocol modules (include/ctana/module.hpp): lookup, and the probing
// sink that finds a module's connections by content.
#include "ctana/module.hpp"
#include "ctana/bytes.hpp"

#include <algorithm>
#include <unordered_map>

namespace ctana {

const ProtocolModule* find_module(std::string_view name) {
  for (const ProtocolModule* m : protocol_modules())
    if (m->name == name) return m;
  return nullptr;
}

namespace {

constexpr std::size_t kMaxUndecided = 100'000;  // connections held for a probe at once

// The probe runs on a connection's first bytes as they arrive, without a copy; only when it needs
// more than the first delivery are the bytes kept (per side, at most probe_bytes) until it decides.
// The first side to be decided decides the connection. A connection not of the module costs no
// table entry: its verdict is kept until the keeps() that follows the on_data.
class ProbingSink final : public TcpStreamSink {
 public:
  ProbingSink(const ProtocolModule& m, std::vector<std::uint16_t> ports, ModuleAnalyzer& a)
      : m_(m), ports_(std::move(ports)), a_(a) {}

  bool wants(const TcpConnection& c) override {
    if (std::find(ports_.begin(), ports_.end(), c.server_port) != ports_.end()) {
      if (conns_.size() >= kMaxUndecided || !a_.wants(c)) return false;
      conns_[c.id].state = State::handed;
      return true;
    }
    return m_.probe != nullptr;  // probed on its first bytes
  }

  void on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) {  // the connection's first bytes
      ProbeResult v = m_.probe(from, data);
      if (v == ProbeResult::need_more && (data.size() >= m_.probe_bytes || conns_.size() >= kMaxUndecided))
        v = ProbeResult::no;
      if (v == ProbeResult::no) {
        rejected_ = c.id;
        return;
      }
      Conn& k = conns_[c.id];
      if (v == ProbeResult::yes) {
        hand_over(c, k);
        if (k.state == State::handed) a_.on_data(c, from, offset, data, ts);
      } else {
        hold(k, from, offset, data, ts);
      }
      return;
    }
    Conn& k = it->second;
    if (k.state == State::handed) {
      a_.on_data(c, from, offset, data, ts);
      return;
    }
    if (k.state != State::undecided) return;
    Dir& d = hold(k, from, offset, data, ts);
    const ProbeResult v = m_.probe(from, Bytes(d.bytes));
    if (v == ProbeResult::yes) hand_over(c, k);
    else if (v == ProbeResult::no || d.bytes.size() >= m_.probe_bytes) reject(k);
  }

  void on_gap(const TcpConnection& c, Side from, std::uint64_t offset, std::uint64_t length, std::int64_t ts) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) {  // bytes lost before the first ones came: nothing to probe
      if (conns_.size() < kMaxUndecided) reject(conns_[c.id]);
      return;
    }
    Conn& k = it->second;
    if (k.state == State::handed) a_.on_gap(c, from, offset, length, ts);
    else if (k.state == State::undecided) reject(k);  // bytes lost before the probe decided
  }

  void on_close(const TcpConnection& c) override {
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return;
    if (it->second.state == State::handed) a_.on_close(c);
    conns_.erase(it);
  }

  bool keeps(const TcpConnection& c) override {
    if (rejected_ == c.id && rejected_) {
      rejected_ = 0;
      return false;
    }
    const auto it = conns_.find(c.id);
    if (it == conns_.end()) return false;
    if (it->second.state == State::rejected || (it->second.state == State::handed && !a_.keeps(c))) {
      conns_.erase(it);
      return false;
    }
    return true;
  }

 private:
  enum class State : std::uint8_t { undecided, handed, rejected };
  struct Dir {
    std::vector<std::uint8_t> bytes;  // what it sent so far, while undecided
  };
  struct Held {  // one delivery while undecided, to replay in order
    Side from;
    std::uint64_t offset;
    std::size_t at, size;  // in Dir::bytes
    std::int64_t ts;
  };
  struct Conn {
    State state = State::undecided;
    Dir dir[2];
    std::vector<Held> held;
  };

  static Dir& hold(Conn& k, Side from, std::uint64_t offset, Bytes data, std::int64_t ts) {
    Dir& d = k.dir[index(from)];
    d.bytes.insert(d.bytes.end(), data.begin(), data.end());
    k.held.push_back({from, offset, d.bytes.size() - data.size(), data.size(), ts});
    return d;
  }
  static void reject(Conn& k) {
    k.state = State::rejected;
    k.held = {};
    k.dir[0].bytes = {};
    k.dir[1].bytes = {};
  }
  void hand_over(const TcpConnection& c, Conn& k) {
    if (!a_.wants(c)) {
      reject(k);
      return;
    }
    k.state = State::handed;
    for (const Held& h : k.held) {
      const Bytes b(k.dir[index(h.from)].bytes);
      if (const auto part = slice(b, h.at, h.size)) a_.on_data(c, h.from, h.offset, *part, h.ts);
    }
    k.held = {};
    k.dir[0].bytes = {};
    k.dir[1].bytes = {};
  }

  const ProtocolModule& m_;
  std::vector<std::uint16_t> ports_;
  ModuleAnalyzer& a_;
  std::unordered_map<std::uint64_t, Conn> conns_;  // connections handed over, held for the probe, or let go
  std::uint64_t rejected_ = 0;  // the connection whose first bytes the probe just refused
};

}  // namespace

std::unique_ptr<TcpStreamSink> probing_sink(const ProtocolModule& m, const std::vector<std::uint16_t>& ports,
                                            ModuleAnalyzer& analyzer) {
  return std::make_unique<ProbingSink>(m, ports, analyzer);
}

}  // namespace ctana
