// FileLock: an flock(2) on a lock file, released when the owner goes out of scope or the
// process dies (the kernel drops flocks on close), so a berth killed half-way never leaves
// the store locked.
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };
  // Blocks until the lock is held. Creates the lock file if needed; `path` may also be an
  // existing directory, which is then the lock.
  static Result<FileLock> acquire(const std::string& path, Mode mode = Mode::kExclusive);
  // Returns EWOULDBLOCK as an error instead of waiting.
  static Result<FileLock> try_acquire(const std::string& path, Mode mode = Mode::kExclusive);

 private:
  explicit FileLock(Fd fd) : fd_(std::move(fd)) {}
  static Result<FileLock> lock(const std::string& path, Mode mode, bool wait);
  Fd fd_;
};

}  // namespace berth
