// Safe resolution of tar member names inside a layer directory (see safe_path.h for why).
#include "oci/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

namespace berth::oci {

Result<std::vector<std::string>> clean_member_path(std::string_view name) {
  std::vector<std::string> comps;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view comp = name.substr(start, slash - start);
    start = slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (comps.empty()) return fail("path escapes the layer directory");
      comps.pop_back();
      continue;
    }
    comps.emplace_back(comp);
  }
  return comps;
}

std::string join_components(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < comps.size(); i++) {
    if (i) out += '/';
    out += comps[i];
  }
  return out;
}

namespace {

// One step of the walk: opens (or creates) `name` below `dirfd` as a directory, refusing
// symlinks. O_NOFOLLOW makes open fail with ELOOP on a symlink instead of following it.
Result<Fd> open_child_dir(int dirfd, const std::string& name, bool create,
                          const std::string& shown) {
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) return Fd(fd);
    int err = errno;
    if (err == ELOOP || err == ENOTDIR) {  // O_DIRECTORY may win over O_NOFOLLOW: look
      struct stat st;
      if (err == ELOOP || (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISLNK(st.st_mode))) {
        return fail("path goes through the symbolic link \"" + shown + "\"");
      }
      return fail("\"" + shown + "\" is not a directory");
    }
    if (err != ENOENT || !create) return fail_errno(err, "open", shown);
    if (::mkdirat(dirfd, name.c_str(), 0755) < 0 && errno != EEXIST) {
      return sys_error("mkdir", shown);
    }
  }
  return fail_errno(ENOENT, "open", shown);
}

}  // namespace

Result<int> DirWalker::open_dir(const std::vector<std::string>& comps, size_t n, bool create) {
  size_t common = 0;
  while (common < n && common < names_.size() && names_[common] == comps[common]) common++;
  names_.resize(common);
  fds_.resize(common);
  for (size_t i = common; i < n; i++) {
    int parent = i == 0 ? root_fd_ : fds_[i - 1].get();
    ASSIGN_OR_RETURN(Fd fd, open_child_dir(parent, comps[i], create, join_components(comps, i + 1)));
    names_.push_back(comps[i]);
    fds_.push_back(std::move(fd));
  }
  return n == 0 ? root_fd_ : fds_[n - 1].get();
}

void DirWalker::invalidate(const std::vector<std::string>& comps) {
  if (comps.empty() || comps.size() > names_.size()) {
    if (comps.empty()) {
      names_.clear();
      fds_.clear();
    }
    return;
  }
  for (size_t i = 0; i < comps.size(); i++) {
    if (names_[i] != comps[i]) return;
  }
  names_.resize(comps.size() - 1);
  fds_.resize(comps.size() - 1);
}

namespace {

Result<> remove_children_at(int dirfd) {
  Fd dup(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!dup) return sys_error("dup");
  DIR* dir = ::fdopendir(dup.release());
  if (!dir) return sys_error("opendir");
  Result<> result;
  while (struct dirent* e = ::readdir(dir)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    result = remove_at(dirfd, e->d_name);
    if (!result) break;
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Result<> remove_at(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return {};
    return sys_error("stat", name);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) return sys_error("unlink", name);
    return {};
  }
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_error("open", name);
  Fd sub(fd);
  TRY(remove_children_at(sub.get()));
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0) return sys_error("rmdir", name);
  return {};
}

}  // namespace berth::oci
