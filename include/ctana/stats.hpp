// Bounded samples for percentiles: every value is kept up to a cap, then a uniform reservoir
// (Vitter's algorithm R, fixed seed so results are reproducible) stands for all of them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ctana {

class Samples {
 public:
  explicit Samples(std::size_t cap = 200'000) : cap_(cap) {}

  void add(std::int64_t v) {
    ++seen_;
    max_ = seen_ == 1 ? v : std::max(max_, v);
    if (kept_.size() < cap_) {
      kept_.push_back(v);
      return;
    }
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const std::uint64_t j = state_ % seen_;
    if (j < cap_) kept_[static_cast<std::size_t>(j)] = v;
  }

  std::uint64_t count() const { return seen_; }
  std::int64_t max() const { return seen_ ? max_ : -1; }
  // The value at rank round(q * (n - 1)) of the sorted samples (q in [0, 1]); -1 when empty.
  // Exact while fewer than the cap were added; the same rule as the DNS latency figures.
  std::int64_t quantile(double q) const {
    if (kept_.empty()) return -1;
    auto v = kept_;
    const auto i = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
  }

 private:
  std::size_t cap_;
  std::vector<std::int64_t> kept_;
  std::uint64_t seen_ = 0;
  std::int64_t max_ = 0;
  std::uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace ctana
