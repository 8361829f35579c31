// FTP PASS / ACCT arguments masked in packet data for the listings and conversions that show or
// copy packet bytes (docs/security.md). A line is followed across the segments of a control
// connection; the sequence numbers of every secret byte are remembered, so that a
// retransmission of any part of it is masked too. In a CTRACE data trace the line is followed
// across the records of a socket's data.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "ctana/ctrace.hpp"
#include "ctana/decode.hpp"
#include "ctana/ftp.hpp"

namespace ctana::ftp {

namespace {

struct Key {
  IpAddr src, dst;
  std::uint16_t sport = 0, dport = 0;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept { return hash_endpoints(k.src, k.dst, k.sport, k.dport); }
};

// Where a command line stands: its first bytes (upper case) until the verb is known, then
// whether the rest of the line is a secret.
struct Line {
  std::array<char, 5> verb{};
  std::uint8_t len = 0;
  bool secret = false;
  std::uint32_t from = 0;  // sequence number of the secret's first byte
};

struct Flow {
  bool have_next = false;
  std::uint32_t next = 0;  // sequence number after the last in-order byte
  Line line;
  std::array<std::pair<std::uint32_t, std::uint32_t>, 8> ranges{};  // secrets seen: [first, end)
  std::size_t nranges = 0, oldest = 0;
  void add_range(std::uint32_t a, std::uint32_t b) {
    if (a == b) return;
    if (nranges < ranges.size()) {
      ranges[nranges++] = {a, b};
    } else {
      ranges[oldest] = {a, b};
      oldest = (oldest + 1) % ranges.size();
    }
  }
  bool in_secret(std::uint32_t s) const {
    auto inside = [s](std::uint32_t a, std::uint32_t b) {
      return static_cast<std::int32_t>(s - a) >= 0 && static_cast<std::int32_t>(s - b) < 0;
    };
    for (std::size_t i = 0; i < nranges; ++i)
      if (inside(ranges[i].first, ranges[i].second)) return true;
    return have_next && line.secret && inside(line.from, next);
  }
};

constexpr std::size_t kMaxFlows = 4096;

// One byte `c` at sequence number `s` of a command stream; true if it belongs to a secret.
bool step(Line& l, char c, std::uint32_t s, Flow* f) {
  if (l.secret) {
    if (c != '\r' && c != '\n') return true;
    if (f) f->add_range(l.from, s);
    l.secret = false;
    l.len = static_cast<std::uint8_t>(l.verb.size());  // nothing more to find on this line
  }
  if (c == '\n') {
    l.len = 0;
    return false;
  }
  if (l.len < l.verb.size()) {
    l.verb[l.len++] = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (l.len == l.verb.size()) {
      const std::string_view v(l.verb.data(), l.verb.size());
      if (v == "PASS " || v == "ACCT ") {
        l.secret = true;
        l.from = s + 1;
      }
    }
  }
  return false;
}

}  // namespace

struct SecretMasker::Impl {
  std::vector<std::uint16_t> ports;
  absl::flat_hash_map<Key, Flow, KeyHash> flows;
  // CTRACE data trace: the command line in progress per socket and direction, so that a PASS
  // split across two records is masked in the second too.
  absl::flat_hash_map<Key, Line, KeyHash> dt_lines;
  std::vector<std::uint8_t> buf;
};

SecretMasker::SecretMasker(std::vector<std::uint16_t> control_ports) : impl_(std::make_unique<Impl>()) {
  impl_->ports = std::move(control_ports);
}
SecretMasker::~SecretMasker() = default;

Bytes SecretMasker::mask(const Packet& p) {
  const Record& r = *p.rec;
  auto& im = *impl_;
  Bytes data = p.payload;
  Flow* flow = nullptr;
  Line* dt_line = nullptr;
  if (p.l4 == L4::tcp && !p.malformed()) {
    if (std::find(im.ports.begin(), im.ports.end(), p.tcp.dport) == im.ports.end()) return r.data;
    const Key k{p.src, p.dst, p.tcp.sport, p.tcp.dport};
    if (p.tcp.flags & (tcpflag::syn | tcpflag::rst | tcpflag::fin)) {
      if (p.tcp.flags & (tcpflag::syn | tcpflag::rst)) im.flows.erase(k);
      if (data.empty()) return r.data;
    }
    if (data.empty()) return r.data;
    if (im.flows.size() >= kMaxFlows && !im.flows.contains(k)) im.flows.clear();
    flow = &im.flows[k];
  } else if (r.link != linktype::ctrace_data) {
    return r.data;
  } else {
    data = r.data;  // CTRACE data trace: socket data, one piece of a stream
    const auto& dt = r.meta.dt;
    Key k{dt.src, dt.dst, dt.sport, dt.dport};
    if (!dt.src.version && !dt.dst.version) {  // no addresses: the job's connection id and direction
      k.sport = static_cast<std::uint16_t>(r.meta.cid >> 16);
      k.dport = static_cast<std::uint16_t>(r.meta.cid);
      k.src.b[0] = static_cast<std::uint8_t>(r.dir);
      k.src.b[1] = 1;
    }
    if (r.meta.dt.state != ctrace::kDtData) {  // start or end of the socket's data
      im.dt_lines.erase(k);
      return r.data;
    }
    if (im.dt_lines.size() >= kMaxFlows && !im.dt_lines.contains(k)) im.dt_lines.clear();
    dt_line = &im.dt_lines[k];
  }
  // Bytes from `first_new` on continue the connection's command stream; those before it were seen
  // already (a retransmission: only the remembered secrets are masked there). After a hole in
  // the capture the segment starts a line. Without a connection (data trace) the data does.
  const std::uint32_t seq = flow ? p.tcp.seq : 0;
  std::size_t first_new = 0;
  Line fresh;
  Line* line = dt_line ? dt_line : &fresh;
  if (flow) {
    line = &flow->line;
    const auto behind = static_cast<std::int32_t>(flow->next - seq);
    if (!flow->have_next || behind < 0) {
      if (flow->have_next) flow->line = Line{};  // a hole before this segment
    } else if (static_cast<std::size_t>(behind) < data.size()) {
      first_new = static_cast<std::size_t>(behind);
    } else {
      first_new = data.size();  // all seen before
    }
  }
  // Where the payload starts in the record (a distance, not a read): the copy is masked there.
  const auto at = static_cast<std::size_t>(data.data() - r.data.data());  // checked-reads: allow offset only
  bool copied = false;
  std::size_t next_i = 0;
  for (const std::uint8_t c : data) {
    const std::size_t i = next_i++;
    const auto s = static_cast<std::uint32_t>(seq + i);
    bool secret = flow && i < first_new && flow->in_secret(s);
    if (i >= first_new) secret = step(*line, static_cast<char>(c), s, flow);
    if (!secret) continue;
    if (!copied) {
      im.buf.assign(r.data.begin(), r.data.end());
      copied = true;
    }
    im.buf[at + i] = '*';
  }
  if (flow && first_new < data.size()) {
    flow->have_next = true;
    flow->next = static_cast<std::uint32_t>(seq + data.size());
  }
  if (!copied) return r.data;
  ++masked_;
  return Bytes(im.buf);
}

void SecretMasker::hide(Record& r, Packet& p) {
  const Bytes b = mask(p);
  if (b.data() == r.data.data()) return;
  r.data = b;
  decode(r, p);
}

}  // namespace ctana::ftp
