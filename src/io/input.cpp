#include "io/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/terse.hpp"

namespace ctana {

std::unique_ptr<Input> Input::open(const std::string& path, std::string& error) {
  int fd = 0;
  std::uint64_t size = 0;
  if (path == "-") {
    fd = STDIN_FILENO;
  } else {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = std::strerror(errno);
      return nullptr;
    }
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error = "is a directory";
      if (fd != STDIN_FILENO) ::close(fd);
      return nullptr;
    }
    if (S_ISREG(st.st_mode)) size = static_cast<std::uint64_t>(st.st_size);
  }
#ifdef POSIX_FADV_SEQUENTIAL
  if (size) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::unique_ptr<Input>(new Input(fd, path == "-" ? "<stdin>" : path, size));
}

std::unique_ptr<Input> Input::unpacking(std::unique_ptr<terse::Decoder> dec) {
  auto in = std::unique_ptr<Input>(new Input(-1, dec->path(), 0));
  in->dec_ = std::move(dec);
  return in;
}

Input::Input(int fd, std::string path, std::uint64_t size)
    : fd_(fd), path_(std::move(path)), size_(size), buf_(kChunk) {}

Input::~Input() {
  if (fd_ >= 0 && fd_ != STDIN_FILENO) ::close(fd_);
}

std::size_t Input::fill(std::size_t n) {
  if (n > kMaxWindow) n = kMaxWindow;
  // A regular file holds no more than its size: asking for more (a resynchronising reader's
  // window, a record length claiming gigabytes) must not allocate for it.
  if (size_ && n > size_ - std::min(size_, offset_)) n = static_cast<std::size_t>(size_ - std::min(size_, offset_));
  if (end_ - pos_ >= n || eof_) return end_ - pos_;
  // Move what is left to the front, grow if one record needs more than the buffer holds.
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (n + kChunk / 2 > buf_.size()) buf_.resize(std::max(n + kChunk / 2, buf_.size()));
  while (end_ < n && !eof_) {
    // At most a chunk per read, even into a buffer grown for one large record: the bytes are
    // parsed soon after, while they are still in the cache.
    const std::size_t want = std::min(buf_.size() - end_, std::max(n - end_, kChunk));
    if (dec_) {
      const std::size_t got = dec_->read(buf_.data() + end_, want);
      end_ += got;
      if (got < want) {
        eof_ = true;
        using S = terse::Decoder::Status;
        const S st = dec_->status();
        if (st == S::cut || st == S::damaged || st == S::io_error) {
          error_ = dec_->message();
          problem_ = st == S::cut ? Problem::cut : st == S::damaged ? Problem::damaged : Problem::io;
          problem_offset_ = dec_->problem_offset();
        }
      }
      continue;
    }
    const ssize_t got = ::read(fd_, buf_.data() + end_, want);
    if (got > 0) {
      end_ += static_cast<std::size_t>(got);
    } else if (got == 0) {
      eof_ = true;
    } else if (errno != EINTR) {
      error_ = std::strerror(errno);
      problem_ = Problem::io;
      problem_offset_ = offset_ + (end_ - pos_);
      eof_ = true;
    }
  }
  return end_ - pos_;
}

}  // namespace ctana
