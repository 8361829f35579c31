// Buffered, streaming input from a file or standard input with absolute offsets, so readers can
// work on contiguous byte spans (zero copy) and name the offset of any problem.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ctana {

class Input {
 public:
  static std::unique_ptr<Input> open(const std::string& path, std::string& error);
  ~Input();
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // Make at least n bytes available at the cursor (n <= kMaxWindow). Returns how many are
  // available, which is less than n only at the end of the input or on a read error.
  std::size_t fill(std::size_t n);
  const std::uint8_t* data() const { return buf_.data() + pos_; }
  std::size_t available() const { return end_ - pos_; }
  void consume(std::size_t n) { pos_ += n; offset_ += n; }
  std::uint64_t offset() const { return offset_; }  // file offset of the cursor
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }      // 0 when unknown
  bool error() const { return !error_.empty(); }
  const std::string& error_message() const { return error_; }

  static constexpr std::size_t kChunk = 1u << 20;
  static constexpr std::size_t kMaxWindow = 32u << 20;

 private:
  Input(int fd, std::string path, std::uint64_t size);
  int fd_;
  std::string path_;
  std::uint64_t size_;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
  std::string error_;
};

}  // namespace ctana
