// Data trace records for CTRACE fixtures (datatrace_writer.hpp). Each direction of a TCP
// connection is reassembled with the TCP analyzer's reassembler, so the socket data comes out
// once and in order, as an application reads and writes it: retransmitted bytes are not
// repeated, out-of-order segments wait for the hole before them, and bytes never captured are
// left out (counted in gap_bytes()).
#include "io/datatrace_writer.hpp"

#include <map>
#include <tuple>

#include "analyze/tcp_reassembly.hpp"

namespace ctana {

namespace {

using Key = std::tuple<IpAddr, std::uint16_t, IpAddr, std::uint16_t>;

struct Conn {
  std::uint32_t cid = 0;
  IpAddr addr[2];                   // [0] the first sender seen, [1] its peer
  std::uint16_t port[2] = {0, 0};
  int zos = -1;                     // the side that is the z/OS host (the job's side); -1 unknown
  detail::StreamReassembler dir[2];
  bool started = false, fin[2] = {false, false};
  std::int64_t last_ns = 0;
};

Bytes addr_bytes(const IpAddr& a) { return Bytes(a.b.data(), a.version == 6 ? 16 : a.version == 4 ? 4 : 0); }

}  // namespace

struct DataTraceWriter::Impl {
  ctrace::Writer& w;
  std::string job;
  std::map<Key, Conn> conns;        // open connections
  ReassemblyStats rstats;
  std::uint32_t next_cid = 1;
  std::uint64_t records = 0, connections = 0;

  Impl(ctrace::Writer& wr, std::string j) : w(wr), job(std::move(j)) {}

  detail::ReassemblyBudget budget() { return {1u << 20, 64u << 20, rstats}; }

  void record(const Conn& c, int side, Bytes data, std::int64_t ts, std::uint8_t state) {
    ctrace::WritePacket x;
    x.format_id = ctrace::kFmtData;
    x.data = data;
    x.ts_ns = ts;
    x.dir = c.zos < 0 ? Direction::unknown : side == c.zos ? Direction::out : Direction::in;
    x.name = job;
    x.device_type = 0;
    x.cid = c.cid;
    x.dt_src = addr_bytes(c.addr[side]);
    x.dt_dst = addr_bytes(c.addr[1 - side]);
    x.dt_sport = c.port[side];
    x.dt_dport = c.port[1 - side];
    x.dt_domain = c.addr[side].version == 6 ? ctrace::kDtAfInet6 : ctrace::kDtAfInet;
    x.dt_type = ctrace::kDtStream;
    x.dt_proto = 6;
    x.dt_state = state;
    w.write(x);
    ++records;
  }

  detail::StreamReassembler::DataFn data_fn(Conn& c, int side) {
    return [this, &c, side](std::uint64_t, Bytes b, std::int64_t ts) {
      if (!c.started) {  // "API Data Flow Starts": the first data the application reads or writes
        record(c, side, Bytes(), ts, ctrace::kDtStart);
        c.started = true;
        ++connections;
      }
      record(c, side, b, ts, ctrace::kDtData);
    };
  }
  static detail::StreamReassembler::GapFn gap_fn() {
    return [](std::uint64_t, std::uint64_t, std::int64_t) {};  // counted in rstats.bytes_gap
  }
  void flush(Conn& c, std::int64_t ts) {
    detail::ReassemblyBudget b = budget();
    for (int d = 0; d < 2; ++d) c.dir[d].flush(ts, b, data_fn(c, d), gap_fn());
  }
};

DataTraceWriter::DataTraceWriter(ctrace::Writer& w, std::string job) : impl_(std::make_unique<Impl>(w, std::move(job))) {}
DataTraceWriter::~DataTraceWriter() = default;

void DataTraceWriter::packet(const Packet& p, const ctrace::WritePacket& pkt, bool with_packet) {
  auto& im = *impl_;
  const bool out = pkt.dir == Direction::out;
  if (with_packet && !out) im.w.write(pkt);
  const std::uint8_t fl = p.tcp.flags;
  const bool syn = fl & tcpflag::syn, ackf = fl & tcpflag::ack, fin = fl & tcpflag::fin, rst = fl & tcpflag::rst;
  const std::uint32_t seglen = p.malformed() ? 0 : p.payload_len;
  const bool low = std::tie(p.src, p.tcp.sport) <= std::tie(p.dst, p.tcp.dport);
  const Key k = low ? Key{p.src, p.tcp.sport, p.dst, p.tcp.dport} : Key{p.dst, p.tcp.dport, p.src, p.tcp.sport};
  auto it = im.conns.find(k);
  if (it == im.conns.end() || (syn && !ackf && it->second.started)) {
    // A new connection starts with a SYN or with data; a lone ACK, FIN or RST of a connection
    // already over (or never seen) makes none.
    if (!syn && seglen == 0) {
      if (with_packet && out) im.w.write(pkt);
      return;
    }
    if (it != im.conns.end()) {  // the ports were reused without a close
      im.flush(it->second, it->second.last_ns);
      im.conns.erase(it);
    }
    Conn c;
    c.cid = im.next_cid++;
    c.addr[0] = p.src, c.addr[1] = p.dst;
    c.port[0] = p.tcp.sport, c.port[1] = p.tcp.dport;
    it = im.conns.emplace(k, std::move(c)).first;
  }
  Conn& c = it->second;
  const int d = (p.src == c.addr[0] && p.tcp.sport == c.port[0]) ? 0 : 1;
  if (pkt.dir != Direction::unknown) c.zos = out ? d : 1 - d;
  const std::int64_t ts = p.rec->ts_ns;
  c.last_ns = ts;
  if (!p.malformed() && !p.fragment) {
    detail::ReassemblyBudget b = im.budget();
    if (syn) c.dir[d].syn(p.tcp.seq);
    if (seglen) {
      const Bytes cap = p.payload.subspan(0, std::min<std::size_t>(p.payload.size(), seglen));
      c.dir[d].segment(p.tcp.seq, seglen, cap, ts, b, im.data_fn(c, d), Impl::gap_fn());
    }
    if (fin) {
      c.dir[d].fin(p.tcp.seq + seglen);
      c.fin[d] = true;
    }
    if (ackf) c.dir[1 - d].acked(p.tcp.ack, ts, b, im.data_fn(c, 1 - d), Impl::gap_fn());
  }
  // "API Data Flow Ends" when the connection is over: a reset, or FINs both ways. The record
  // names the side whose packet ended it.
  const bool over = rst || (c.fin[0] && c.fin[1]);
  if (over) {
    im.flush(c, ts);
    if (c.started) im.record(c, d, Bytes(), ts, ctrace::kDtEnd);
    im.conns.erase(it);
  }
  if (with_packet && out) im.w.write(pkt);
}

void DataTraceWriter::finish() {
  for (auto& [k, c] : impl_->conns) impl_->flush(c, c.last_ns);
}

std::uint64_t DataTraceWriter::records() const { return impl_->records; }
std::uint64_t DataTraceWriter::connections() const { return impl_->connections; }
std::uint64_t DataTraceWriter::gap_bytes() const { return impl_->rstats.bytes_gap; }

}  // namespace ctana
