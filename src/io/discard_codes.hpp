#pragma once
// The discard reason code table, compiled in from data/discard-codes.tsv at build time
// (cmake/discard_codes.cmake writes build/generated/discard_codes.cpp). ctrace::discard_info
// reads it; docs/ctrace.md says where each row comes from and how to add one.
#include <cstdint>
#include <span>
#include <string_view>

namespace ctana::ctrace {

struct DiscardRow {
  std::uint16_t code;
  std::string_view name;     // IBM's name: "IP_BAD_CKSUM"
  std::string_view meaning;  // in our words
  std::string_view source;   // source ids, docs/ctrace.md: "S11", "S16,S17"
};

// Every row of the data file, in ascending code order (the build rejects duplicates and disorder).
std::span<const DiscardRow> discard_rows();

}  // namespace ctana::ctrace
