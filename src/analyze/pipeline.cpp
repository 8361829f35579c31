#include "analyze/pipeline.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

#include "ctana/decode.hpp"

namespace ctana {

// Records copied for the analysis thread: their bytes (and the reader's short-lived strings) live
// in the arena, whose size does not change while records point into it.
struct Pipeline::Batch {
  static constexpr std::size_t kRecords = 512;
  std::vector<std::uint8_t> arena = std::vector<std::uint8_t>(1u << 20);
  std::size_t used = 0, n = 0;
  std::vector<Record> recs = std::vector<Record>(kRecords);
  std::vector<Packet> pkts = std::vector<Packet>(kRecords);

  static std::size_t bytes_of(const Record& r) {
    return r.data.size() + r.meta.job_name.size() + r.meta.ids_policy.size() + r.meta.ids_module.size();
  }
  // Copies into the arena (the pipeline's own buffer, sized by bytes_of); no packet field is read.
  const std::uint8_t* copy(const std::uint8_t* p, std::size_t k) {  // checked-reads: allow arena copy
    std::uint8_t* d = arena.data() + used;                          // checked-reads: allow arena copy
    if (k) std::memcpy(d, p, k);
    used += k;
    return d;
  }
  std::string_view copy(std::string_view s) {
    const Bytes b = as_bytes(s);
    return {reinterpret_cast<const char*>(copy(b.data(), b.size())), s.size()};
  }
  Record& add(const Record& r) {
    Record& d = recs[n++];
    d = r;
    d.data = Bytes(copy(r.data.data(), r.data.size()), r.data.size());
    d.meta.job_name = copy(r.meta.job_name);
    d.meta.ids_policy = copy(r.meta.ids_policy);
    d.meta.ids_module = copy(r.meta.ids_module);
    return d;
  }
};

namespace {
// The record of a reassembled datagram: the last fragment's, with the datagram's bytes.
Record datagram_record(const Record& last, const Packet& p, Bytes dgram) {
  Record d = last;
  d.data = dgram;
  d.orig_len = static_cast<std::uint32_t>(dgram.size());
  d.link = p.l3 == L3::ipv6 ? linktype::ipv6 : linktype::ipv4;
  return d;
}
void mark(Packet& p, const IpReassembler& reasm) {
  p.reassembled = true;
  p.reassembled_from = static_cast<std::uint16_t>(std::min<std::uint32_t>(reasm.last_fragments(), 0xffff));
}
}  // namespace

Pipeline::Pipeline(std::vector<Analyzer*> near, std::vector<Analyzer*> far, bool threaded, IpReassembler* reasm,
                   DecodeOptions decode)
    : near_(std::move(near)), far_(std::move(far)), reasm_(reasm), dopt_(decode) {
  for (Analyzer* a : near_)
    if (a->takes_datagrams()) near_dg_.push_back(a);
  for (Analyzer* a : far_)
    if (a->takes_datagrams()) far_dg_.push_back(a);
  if (!threaded || far_.empty()) return;
  for (int i = 0; i < 4; ++i) {
    batches_.push_back(std::make_unique<Batch>());
    free_.push_back(batches_.back().get());
  }
  try {
    worker_ = std::thread([this] { work(); });
  } catch (const std::system_error&) {  // no thread to be had (limits): one thread it is
    batches_.clear();
    free_.clear();
  }
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::push(const Record& r) {
  if (!worker_.joinable()) {
    decode(r, pkt_, dopt_);
    const Bytes dgram = pkt_.fragment && reasm_ ? reasm_->add(pkt_) : Bytes{};
    for (Analyzer* a : near_) a->on_packet(pkt_);
    for (Analyzer* a : far_) a->on_packet(pkt_);
    if (dgram.empty()) return;
    dg_rec_ = datagram_record(r, pkt_, dgram);
    decode(dg_rec_, dg_pkt_, dopt_);
    mark(dg_pkt_, *reasm_);
    for (Analyzer* a : near_dg_) a->on_packet(dg_pkt_);
    for (Analyzer* a : far_dg_) a->on_packet(dg_pkt_);
    return;
  }
  cur_ = room(Batch::bytes_of(r));
  const Record& d = cur_->add(r);
  Packet& p = cur_->pkts[cur_->n - 1];
  decode(d, p, dopt_);
  const Bytes dgram = p.fragment && reasm_ ? reasm_->add(p) : Bytes{};
  for (Analyzer* a : near_) a->on_packet(p);
  if (dgram.empty()) return;
  const Record dr = datagram_record(r, p, dgram);  // r: its views stay put while batches turn over
  cur_ = room(Batch::bytes_of(dr));
  const Record& dd = cur_->add(dr);
  Packet& q = cur_->pkts[cur_->n - 1];
  decode(dd, q, dopt_);
  mark(q, *reasm_);
  for (Analyzer* a : near_dg_) a->on_packet(q);
}

// The batch being filled, with room for one more record of `need` bytes.
Pipeline::Batch* Pipeline::room(std::size_t need) {
  if (cur_ && (cur_->n == Batch::kRecords || cur_->used + need > cur_->arena.size())) publish();
  if (!cur_) cur_ = acquire();
  if (need > cur_->arena.size()) cur_->arena.resize(need);  // an empty batch: nothing points into it yet
  return cur_;
}

Pipeline::Batch* Pipeline::acquire() {
  std::unique_lock lk(m_);
  cv_.wait(lk, [this] { return !free_.empty(); });
  Batch* b = free_.back();
  free_.pop_back();
  return b;
}

void Pipeline::publish() {
  {
    std::lock_guard lk(m_);
    full_.push_back(cur_);
  }
  cur_ = nullptr;
  cv_.notify_all();
}

// The analysis thread. After an analyzer threw, batches are still taken (and dropped) so that the
// reading thread never waits for good; drain() throws the exception again.
void Pipeline::work() {
  for (;;) {
    Batch* b = nullptr;
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [this] { return !full_.empty() || done_; });
      if (full_.empty()) return;
      b = full_.front();
      full_.pop_front();
    }
    if (!error_) {
      try {
        for (std::size_t i = 0; i < b->n; ++i)
          for (Analyzer* a : b->pkts[i].reassembled ? far_dg_ : far_) a->on_packet(b->pkts[i]);
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    b->n = b->used = 0;
    {
      std::lock_guard lk(m_);
      free_.push_back(b);
    }
    cv_.notify_all();
  }
}

void Pipeline::stop() {
  if (!worker_.joinable()) return;
  if (cur_ && cur_->n) publish();
  {
    std::lock_guard lk(m_);
    done_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Pipeline::drain() {
  stop();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace ctana
