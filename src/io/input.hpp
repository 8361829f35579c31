// Buffered, streaming input from a file or standard input with absolute offsets, so readers can
// work on contiguous byte spans (zero copy) and name the offset of any problem.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ctana {

namespace terse {
class Decoder;
}

class Input {
 public:
  static std::unique_ptr<Input> open(const std::string& path, std::string& error);
  // The unpacked bytes of a TERSE data set (offsets are then offsets in the unpacked data).
  static std::unique_ptr<Input> unpacking(std::unique_ptr<terse::Decoder> dec);
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
  // What ended the input early: a read error, or TERSE data cut short or damaged (at
  // problem_offset(), an offset in the packed file).
  enum class Problem { none, io, cut, damaged };
  Problem problem() const { return problem_; }
  std::uint64_t problem_offset() const { return problem_offset_; }
  bool take_problem_report() { return !std::exchange(problem_reported_, true); }
  const terse::Decoder* terse() const { return dec_.get(); }

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
  Problem problem_ = Problem::none;
  std::uint64_t problem_offset_ = 0;
  bool problem_reported_ = false;
  std::unique_ptr<terse::Decoder> dec_;
};

}  // namespace ctana
