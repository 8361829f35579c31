// Bounds-checked byte access. Every protocol decoder reads through this: a read past the end
// never touches memory, it fails visibly (false, an empty Fixed, std::nullopt) and the caller
// records why. docs/decoding.md, "Reading bytes", has the rule and the accessors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace ctana {

using Bytes = std::span<const std::uint8_t>;

// Unchecked loads. Only for the file readers (src/io) and for the checked accessors below;
// protocol decoding (src/decode, src/analyze, src/protocols) must not call them
// (tests/lint/checked_reads.py).
inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
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

// Fixed<N>: N bytes that a checked call has found present (a header, a fixed record part).
// It is made only by fixed<N>(bytes, offset) or ByteReader::fixed<N>(), which test the length
// once; its reads take the offset as a template argument, and a read past N does not compile
// (static_assert). A failed fixed<N>() gives an empty view: it tests false, and its reads give
// zeros from a static buffer, never memory around the data. So the only length check is the
// one that made the view, and no read can skip it:
//   const auto h = fixed<20>(b);
//   if (!h) return short_read(...);
//   t.window = h.be16<14>();      // h.be16<19>() would not compile
template <std::size_t N>
class Fixed;
template <std::size_t N>
Fixed<N> fixed(Bytes b, std::size_t off = 0);

template <std::size_t N>
class Fixed {
  static_assert(N > 0, "a Fixed view holds at least one byte");

 public:
  constexpr Fixed() = default;
  explicit operator bool() const { return p_ != kZeros.data(); }

  template <std::size_t Off>
  std::uint8_t u8() const {
    static_assert(Off + 1 <= N, "read past the checked length");
    return p_[Off];
  }
  template <std::size_t Off>
  std::uint16_t be16() const {
    static_assert(Off + 2 <= N, "read past the checked length");
    return load_be16(p_ + Off);
  }
  template <std::size_t Off>
  std::uint32_t be24() const {
    static_assert(Off + 3 <= N, "read past the checked length");
    return load_be24(p_ + Off);
  }
  template <std::size_t Off>
  std::uint32_t be32() const {
    static_assert(Off + 4 <= N, "read past the checked length");
    return load_be32(p_ + Off);
  }
  template <std::size_t Off>
  std::uint16_t le16() const {
    static_assert(Off + 2 <= N, "read past the checked length");
    return load_le16(p_ + Off);
  }
  template <std::size_t Off>
  std::uint32_t le32() const {
    static_assert(Off + 4 <= N, "read past the checked length");
    return load_le32(p_ + Off);
  }
  // Len bytes at Off, as a fixed-extent span (e.g. an address for IpAddr::v4).
  template <std::size_t Off, std::size_t Len>
  std::span<const std::uint8_t, Len> bytes() const {
    static_assert(Off + Len <= N, "read past the checked length");
    return std::span<const std::uint8_t, Len>(p_ + Off, Len);
  }
  std::span<const std::uint8_t, N> all() const { return std::span<const std::uint8_t, N>(p_, N); }

 private:
  static constexpr std::array<std::uint8_t, N> kZeros{};
  explicit Fixed(const std::uint8_t* p) : p_(p) {}
  template <std::size_t M>
  friend Fixed<M> fixed(Bytes b, std::size_t off);

  const std::uint8_t* p_ = kZeros.data();
};

// The N bytes of `b` at `off`, or an empty (false) view if they are not all there.
template <std::size_t N>
inline Fixed<N> fixed(Bytes b, std::size_t off) {
  if (off > b.size() || b.size() - off < N) return {};
  return Fixed<N>(b.data() + off);
}

// Reads at a run-time offset: std::nullopt when the bytes are not all there.
inline std::optional<std::uint8_t> u8_at(Bytes b, std::size_t off) {
  if (off >= b.size()) return std::nullopt;
  return b[off];
}
inline std::optional<std::uint16_t> be16_at(Bytes b, std::size_t off) {
  if (const auto f = fixed<2>(b, off)) return f.template be16<0>();
  return std::nullopt;
}
inline std::optional<std::uint32_t> be24_at(Bytes b, std::size_t off) {
  if (const auto f = fixed<3>(b, off)) return f.template be24<0>();
  return std::nullopt;
}
inline std::optional<std::uint32_t> be32_at(Bytes b, std::size_t off) {
  if (const auto f = fixed<4>(b, off)) return f.template be32<0>();
  return std::nullopt;
}

// Sub-ranges. slice: the `len` bytes at `off`, or std::nullopt if they are not all there.
// tail: the bytes from `off` on, empty (at the end of `b`) if `off` is past the end, where
// std::span::subspan would be undefined. head: at most the first `len` bytes.
inline std::optional<Bytes> slice(Bytes b, std::size_t off, std::size_t len) {
  if (off > b.size() || b.size() - off < len) return std::nullopt;
  return b.subspan(off, len);
}
inline Bytes tail(Bytes b, std::size_t off) { return b.subspan(off < b.size() ? off : b.size()); }
inline Bytes head(Bytes b, std::size_t len) { return b.first(len < b.size() ? len : b.size()); }

// The bytes of a string (a reassembly buffer, say), to read them with the accessors above.
inline Bytes as_bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
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
  bool u24(std::uint32_t& v) {
    if (!has(3)) return false;
    v = load_be24(data_.data() + pos_);
    pos_ += 3;
    return true;
  }
  bool bytes(std::size_t n, Bytes& out) {
    if (!has(n)) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // The next N bytes as a Fixed view (empty, cursor unchanged, if they are not all there).
  template <std::size_t N>
  Fixed<N> fixed() {
    const Fixed<N> f = ctana::fixed<N>(data_, pos_);
    if (f) pos_ += N;
    return f;
  }
  // Like fixed<N>() without moving the cursor.
  template <std::size_t N>
  Fixed<N> peek() const {
    return ctana::fixed<N>(data_, pos_);
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
