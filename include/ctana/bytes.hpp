// Bounds-checked big-endian byte access. Every protocol decoder reads through this: a read past
// the end never touches memory, it returns false / an empty span and the caller records why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ctana {

using Bytes = std::span<const std::uint8_t>;

// Unchecked loads for code that has already checked the length.
inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// A cursor over a byte span. All reads are checked; a failed read leaves the cursor where it was.
class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr explicit ByteReader(Bytes b) : data_(b) {}

  std::size_t pos() const { return pos_; }
  std::size_t size() const { return data_.size(); }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool has(std::size_t n) const { return remaining() >= n; }
  Bytes rest() const { return data_.subspan(pos_); }

  bool skip(std::size_t n) {
    if (!has(n)) return false;
    pos_ += n;
    return true;
  }
  bool u8(std::uint8_t& v) {
    if (!has(1)) return false;
    v = data_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (!has(2)) return false;
    v = load_be16(data_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (!has(4)) return false;
    v = load_be32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool bytes(std::size_t n, Bytes& out) {
    if (!has(n)) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  Bytes data_{};
  std::size_t pos_ = 0;
};

// Internet checksum (RFC 1071) partial sum over a byte span; fold with checksum_fold.
std::uint32_t checksum_add(std::uint32_t sum, Bytes b);
inline std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace ctana
