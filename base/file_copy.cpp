// Copying file data and extended attributes (see file_copy.h).
#include "base/file_copy.h"

#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>

#include "base/fd.h"

namespace berth {

Result<> copy_file_data(int in, int out, off_t size, const std::string& shown) {
  // copy_file_range(2) lets the kernel copy (or share extents, on btrfs/xfs reflink)
  // without bringing the bytes up to us; across filesystems it may refuse (EXDEV on
  // older kernels), and then read/write does it.
  off_t left = size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) break;
    if (n < 0) return sys_error("copy_file_range", shown);
    if (n == 0) return {};  // the file shrank meanwhile
    left -= n;
  }
  char buf[65536];
  while (left > 0) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", shown);
    if (n == 0) break;
    TRY(write_all(out, buf, static_cast<size_t>(n)));
    left -= n;
  }
  return {};
}

Result<> copy_xattrs(int src_fd, int dest_fd, const std::string& shown) {
  char names[65536];
  ssize_t len = ::flistxattr(src_fd, names, sizeof names);
  if (len < 0) {
    if (errno == ENOTSUP || errno == EOPNOTSUPP) return {};
    return sys_error("listxattr", shown);
  }
  for (ssize_t i = 0; i < len; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
    std::string name = names + i;
    if (name.starts_with("trusted.overlay.")) continue;  // overlayfs' bookkeeping, not content
    char value[65536];
    ssize_t n = ::fgetxattr(src_fd, name.c_str(), value, sizeof value);
    if (n < 0) return sys_error("getxattr " + name, shown);
    if (::fsetxattr(dest_fd, name.c_str(), value, static_cast<size_t>(n), 0) < 0 && errno != ENOTSUP &&
        errno != EOPNOTSUPP)
      return sys_error("setxattr " + name, shown);
  }
  return {};
}

}  // namespace berth
