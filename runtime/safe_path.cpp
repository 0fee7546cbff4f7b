#include "runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::runtime {

namespace {
int openat2_in_root(int root_fd, const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  return static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
}
}  // namespace

Result<Fd> open_in_root(int root_fd, const std::string& path, int flags) {
  int fd = openat2_in_root(root_fd, path, O_PATH | flags);
  if (fd < 0) return sys_error("openat2", path);
  return Fd(fd);
}

Result<Fd> make_dirs_in_root(int root_fd, const std::string& path, mode_t mode) {
  // Walk one component at a time: each mkdirat happens in a directory we already resolved
  // inside the root, so a symlink planted in the image can only redirect us within it.
  std::string so_far;
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    std::string next = so_far + "/" + part;
    int fd = openat2_in_root(root_fd, next, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      ASSIGN_OR_RETURN(Fd parent, open_in_root(root_fd, so_far.empty() ? "/" : so_far, O_DIRECTORY));
      // mkdirat wants a real (non-O_PATH) dirfd on old kernels; O_PATH works since 5.x.
      if (::mkdirat(parent.get(), part.c_str(), mode) < 0 && errno != EEXIST)
        return sys_error("mkdir", next);
      fd = openat2_in_root(root_fd, next, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) return sys_error("openat2", next);
    ::close(fd);
    so_far = next;
  }
  return open_in_root(root_fd, so_far.empty() ? "/" : so_far, O_DIRECTORY);
}

Result<Fd> make_mount_target(int root_fd, const std::string& path, bool directory) {
  if (directory) return make_dirs_in_root(root_fd, path);
  auto existing = open_in_root(root_fd, path);
  if (existing) return existing;
  ASSIGN_OR_RETURN(Fd parent, make_dirs_in_root(root_fd, dir_name(path)));
  std::string name = base_name(path);
  // openat with O_CREAT needs a real directory fd, not O_PATH: reopen through /proc.
  ASSIGN_OR_RETURN(Fd dir, open_fd(fd_path(parent.get()), O_RDONLY | O_DIRECTORY));
  int fd = ::openat(dir.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("create mount target", path);
  ::close(fd);
  return open_in_root(root_fd, path);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace berth::runtime
