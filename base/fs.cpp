#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/fd.h"

namespace berth {

Result<std::string> read_file(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY));
  auto content = read_all(fd.get());
  if (!content) return std::unexpected(Error(content.error().errno_value(), "read", path));
  return content;
}

Result<> write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                           Sync sync) {
  std::string tmp = path + ".tmp-" + random_hex(6);
  {
    ASSIGN_OR_RETURN(Fd fd, open_fd(tmp, O_WRONLY | O_CREAT | O_EXCL, mode));
    auto w = write_all(fd.get(), content.data(), content.size());
    if (!w || (sync == Sync::kDurable && ::fsync(fd.get()) < 0)) {
      int err = w ? errno : w.error().errno_value();
      ::unlink(tmp.c_str());
      return fail_errno(err, "write", tmp);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail_errno(err, "rename", path);
  }
  return {};
}

Result<> write_file(const std::string& path, const std::string& content) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_WRONLY));
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  if (n < 0) return sys_error("write", path);
  if (static_cast<size_t>(n) != content.size()) return fail("short write", path);
  return {};
}

Result<> rewrite_in_place(const std::string& path, const std::string& content) {
  TRY(write_file(path, content));
  if (::truncate(path.c_str(), static_cast<off_t>(content.size())) < 0) return sys_error("truncate", path);
  return {};
}

Result<> make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  // Usually only the last component is missing: try it first, and climb only on ENOENT.
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == ENOENT) {
    std::string parent = dir_name(path);
    if (parent != path) TRY(make_dirs(parent, mode));
    if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
    return sys_error("mkdir", path);
  }
  if (errno != EEXIST) return sys_error("mkdir", path);
  if (!is_directory(path)) return fail_errno(ENOTDIR, "mkdir", path);
  return {};
}

namespace {

// Removes everything below dirfd; st_dev keeps us on one filesystem (a leftover bind mount
// under a container directory must never lead us into the host's files).
Result<> remove_children(int dirfd, dev_t dev, const std::string& where) {
  Fd dup(::dup(dirfd));
  if (!dup) return sys_error("dup", where);
  DIR* dir = ::fdopendir(dup.release());
  if (!dir) return sys_error("opendir", where);
  Result<> result;
  while (struct dirent* e = ::readdir(dir)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    std::string child = where + "/" + e->d_name;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        result = fail_errno(EBUSY, "remove (a mount is still present)", child);
        break;
      }
      int sub = ::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        result = sys_error("open", child);
        break;
      }
      Fd subfd(sub);
      result = remove_children(subfd.get(), dev, child);
      if (!result) break;
      if (::unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0) {
        result = sys_error("rmdir", child);
        break;
      }
    } else if (::unlinkat(dirfd, e->d_name, 0) < 0) {
      result = sys_error("unlink", child);
      break;
    }
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Result<> remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return {};
    return sys_error("stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) return sys_error("unlink", path);
    return {};
  }
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  TRY(remove_children(fd.get(), st.st_dev, path));
  if (::rmdir(path.c_str()) < 0 && errno != ENOENT) return sys_error("rmdir", path);
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) {
    if (errno == ENOENT) return out;
    return sys_error("opendir", path);
  }
  while (struct dirent* e = ::readdir(dir)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(dir);
  return out;
}

std::string path_join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return b.front() == '/' ? a + b.substr(1) : a + b;
  return b.front() == '/' ? a + b : a + "/" + b;
}

std::string dir_name(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string base_name(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (::getrandom(raw.data(), bytes, 0) != static_cast<ssize_t>(bytes)) {
    // getrandom only fails before the entropy pool is ready; fall back to pid+time bits.
    for (size_t i = 0; i < bytes; i++) raw[i] = static_cast<char>((::getpid() >> (i % 4)) ^ i);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

Result<std::vector<std::string>> list_dir_at(int dirfd, const std::string& shown) {
  // A new open description of the directory: reading it moves no offset the caller shares.
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", shown);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return sys_error("opendir", shown);
  }
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(dir))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) out.emplace_back(e->d_name);
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth
