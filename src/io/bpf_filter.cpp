#include <fmt/format.h>
#include <pcap/pcap.h>

#include <unordered_map>

#include "ctana/filter.hpp"

namespace ctana {

namespace {
// libpcap's pcap_open_dead takes a DLT_ value; for our link types it equals the LINKTYPE_
// number except for raw IP.
int dlt_of(std::uint16_t linktype) { return linktype == linktype::raw ? DLT_RAW : linktype; }

struct Program {
  bool ok = false;
  bpf_program prog{};
};

bool compile(const std::string& expr, std::uint16_t link, Program& out, std::string& error) {
  pcap_t* dead = pcap_open_dead(dlt_of(link), 262144);
  if (!dead) {
    error = "libpcap could not open a dead handle";
    return false;
  }
  const int rc = pcap_compile(dead, &out.prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN);
  if (rc != 0) error = pcap_geterr(dead);
  pcap_close(dead);
  out.ok = rc == 0;
  return out.ok;
}
}  // namespace

struct BpfFilter::Impl {
  std::unordered_map<std::uint16_t, Program> programs;
  ~Impl() {
    for (auto& [lt, p] : programs)
      if (p.ok) pcap_freecode(&p.prog);
  }
};

BpfFilter::BpfFilter(std::string expr) : expr_(std::move(expr)), impl_(std::make_unique<Impl>()) {}
BpfFilter::~BpfFilter() = default;

std::unique_ptr<BpfFilter> BpfFilter::create(const std::string& expr, std::string& error) {
  std::unique_ptr<BpfFilter> f(new BpfFilter(expr));
  Program p;
  if (!compile(expr, linktype::ethernet, p, error)) return nullptr;
  f->impl_->programs.emplace(linktype::ethernet, p);
  return f;
}

bool BpfFilter::matches(const Record& r) {
  auto it = impl_->programs.find(r.link);
  if (it == impl_->programs.end()) {
    Program p;
    std::string err;
    if (!compile(expr_, r.link, p, err) && link_error_.empty())
      link_error_ = fmt::format("filter '{}' cannot be applied to link type {}: {}", expr_, r.link, err);
    it = impl_->programs.emplace(r.link, p).first;
  }
  if (!it->second.ok) return false;
  pcap_pkthdr h{};
  h.caplen = static_cast<bpf_u_int32>(r.data.size());
  h.len = r.orig_len;
  return pcap_offline_filter(&it->second.prog, &h, r.data.data()) != 0;
}

}  // namespace ctana
