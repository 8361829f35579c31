// Small helpers shared by the connection tables of the analyzers (internal to ctana_core).
#pragma once

#include <cstdint>
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

// A slot of `v` for a new entry: a freed one (reset to T{}) or a new one at the end.
template <class T>
std::uint32_t take_slot(std::vector<T>& v, std::vector<std::uint32_t>& free_slots) {
  if (!free_slots.empty()) {
    const std::uint32_t i = free_slots.back();
    free_slots.pop_back();
    v[i] = T{};
    return i;
  }
  v.emplace_back();
  return static_cast<std::uint32_t>(v.size() - 1);
}

}  // namespace ctana::detail
