// Fd: the owner of one file descriptor. Move-only; closes on destruction.
//
// Every descriptor berth opens is O_CLOEXEC (shared/STYLE.md section 3), so a container's
// command never inherits the store's lock or a layer file by accident.
#pragma once

#include <unistd.h>

#include <string>
#include <utility>

#include "base/result.h"

namespace berth {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership: the caller now closes it (or hands it to execve on purpose).
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added; the error names the path.
Result<Fd> open_fd(const std::string& path, int flags, mode_t mode = 0);
// openat(2) relative to a directory fd, O_CLOEXEC added.
Result<Fd> open_at(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// A pipe whose both ends are O_CLOEXEC.
struct Pipe {
  Fd read;
  Fd write;
};
Result<Pipe> make_pipe();

// Writes all of buf, retrying on EINTR and short writes.
Result<> write_all(int fd, const void* buf, size_t len);
// Reads until EOF (or max bytes).
Result<std::string> read_all(int fd, size_t max = SIZE_MAX);

}  // namespace berth
