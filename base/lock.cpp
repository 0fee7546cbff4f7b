#include "base/lock.h"

#include <fcntl.h>
#include <sys/file.h>

namespace berth {

Result<FileLock> FileLock::lock(const std::string& path, Mode mode, bool wait) {
  // A directory can be locked too (flock works on any open file): one inode less to create.
  auto opened = open_fd(path, O_RDWR | O_CREAT, 0600);
  if (!opened && opened.error().errno_value() == EISDIR) opened = open_fd(path, O_RDONLY | O_DIRECTORY);
  ASSIGN_OR_RETURN(Fd fd, std::move(opened));
  int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) < 0) {
    if (errno != EINTR) return sys_error("flock", path);
  }
  return FileLock(std::move(fd));
}

Result<FileLock> FileLock::acquire(const std::string& path, Mode mode) {
  return lock(path, mode, true);
}

Result<FileLock> FileLock::try_acquire(const std::string& path, Mode mode) {
  return lock(path, mode, false);
}

}  // namespace berth
