// tcpdump-style capture filters (BPF, compiled by libpcap) applied to records of any link type.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ctana/packet.hpp"

namespace ctana {

class BpfFilter {
 public:
  // Compiles `expr` for Ethernet to check its syntax; returns nullptr and sets `error` if bad.
  static std::unique_ptr<BpfFilter> create(const std::string& expr, std::string& error);
  ~BpfFilter();
  // True if the record matches. Records of a link type the expression cannot be compiled for
  // do not match; `link_error()` then names the first such link type.
  bool matches(const Record& r);
  const std::string& link_error() const { return link_error_; }
  const std::string& expression() const { return expr_; }

 private:
  struct Impl;
  explicit BpfFilter(std::string expr);
  std::string expr_;
  std::string link_error_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
