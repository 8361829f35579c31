// Small helpers shared by the connection tables of the analyzers (internal to ctana_core).
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <tuple>
#include <vector>

#include "ctana/packet.hpp"

namespace ctana::detail {

// Two endpoints in one order (the lower address and port first), so that both directions of a
// connection find the same entry. K has members a, b (IpAddr) and pa, pb (ports).
template <class K>
K endpoint_key(const IpAddr& x, std::uint16_t px, const IpAddr& y, std::uint16_t py) {
  K k;
  const bool low = std::tie(x, px) <= std::tie(y, py);
  k.a = low ? x : y;
  k.b = low ? y : x;
  k.pa = low ? px : py;
  k.pb = low ? py : px;
  return k;
}

// Table entries, allocated 256 at a time. Growing never moves an entry: a vector would move
// every one of them each time it doubles, and fault in twice the memory.
template <class T>
class Slots {
 public:
  T& operator[](std::uint32_t i) { return chunks_[i >> kShift][i & kMask]; }
  const T& operator[](std::uint32_t i) const { return chunks_[i >> kShift][i & kMask]; }
  std::uint32_t size() const { return n_; }
  // A slot for a new entry: a freed one (made anew in place: assigning T{} would build a
  // temporary and copy it over, three passes over an entry of a kilobyte) or a new one at the end.
  std::uint32_t take(std::vector<std::uint32_t>& free_slots) {
    if (!free_slots.empty()) {
      const std::uint32_t i = free_slots.back();
      free_slots.pop_back();
      T* e = &(*this)[i];
      std::destroy_at(e);
      ::new (static_cast<void*>(e)) T();
      return i;
    }
    if ((n_ >> kShift) == chunks_.size()) chunks_.push_back(std::make_unique<T[]>(kMask + 1));
    return n_++;
  }

 private:
  static constexpr unsigned kShift = 8;
  static constexpr std::uint32_t kMask = (1u << kShift) - 1;
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::uint32_t n_ = 0;
};

}  // namespace ctana::detail
