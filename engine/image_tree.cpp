// Copying a directory of an image out of its layers: see image_tree.h for the merge rules.
#include "engine/image_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "base/fd.h"
#include "base/file_copy.h"
#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"

namespace berth::engine {

namespace {

// The maximum of symlinks followed in one path, as the kernel's (path_resolution(7)).
constexpr int kMaxSymlinks = 40;
constexpr uint32_t kOverflowId = 65534;

// One directory of the merged image: that directory in each layer contributing to it,
// topmost first, each open O_RDONLY | O_DIRECTORY.
using MergedDir = std::vector<Fd>;

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(int dirfd) {
  char value[2];
  ssize_t n = ::fgetxattr(dirfd, "trusted.overlay.opaque", value, sizeof value);
  return n == 1 && value[0] == 'y';
}

// The name in the merged directory: the topmost layer's entry (its index in `dir`), or
// nothing when no layer has it or the topmost one whites it out.
struct Found {
  size_t layer;
  struct stat st;
};
std::optional<Found> look_up(const MergedDir& dir, const std::string& name) {
  for (size_t i = 0; i < dir.size(); i++) {
    struct stat st;
    if (::fstatat(dir[i].get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (is_whiteout(st)) return std::nullopt;
    return Found{i, st};
  }
  return std::nullopt;
}

// The merged subdirectory `name`, a directory in layer `from` (its topmost): that layer's
// copy and those below, down to a layer where the name is something else, or to an opaque one.
Result<MergedDir> open_child(const MergedDir& dir, size_t from, const std::string& name) {
  MergedDir out;
  for (size_t i = from; i < dir.size(); i++) {
    struct stat st;
    if (::fstatat(dir[i].get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      return sys_error("stat", name);
    }
    if (!S_ISDIR(st.st_mode)) break;  // a file or a whiteout hides the directories below
    ASSIGN_OR_RETURN(Fd fd, open_at(dir[i].get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    bool opaque = is_opaque(fd.get());
    out.push_back(std::move(fd));
    if (opaque) break;
  }
  return out;
}

Result<std::string> read_link_at(int dirfd, const std::string& name) {
  char buf[4096];
  ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
  if (n < 0) return sys_error("readlink", name);
  if (static_cast<size_t>(n) == sizeof buf) return fail_errno(ENAMETOOLONG, "readlink", name);
  return std::string(buf, static_cast<size_t>(n));
}

// `path` in the merged image, symlinks followed inside it; nothing when it is not a
// directory there.
Result<std::optional<MergedDir>> open_merged_dir(const std::vector<std::string>& layer_dirs, const std::string& path) {
  MergedDir root;
  for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
    ASSIGN_OR_RETURN(Fd fd, open_fd(*it, O_RDONLY | O_DIRECTORY));
    root.push_back(std::move(fd));
  }
  std::vector<MergedDir> walked;  // the directories from the root to where we are
  walked.push_back(std::move(root));
  std::deque<std::string> todo;
  for (auto& c : split(path, '/')) todo.push_back(std::move(c));
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name.empty() || name == ".") continue;
    if (name == "..") {  // never above the image's root
      if (walked.size() > 1) walked.pop_back();
      continue;
    }
    auto found = look_up(walked.back(), name);
    if (!found) return std::nullopt;
    if (S_ISLNK(found->st.st_mode)) {
      if (++links > kMaxSymlinks) return fail_errno(ELOOP, "resolving in the image", path);
      ASSIGN_OR_RETURN(std::string target, read_link_at(walked.back()[found->layer].get(), name));
      if (!target.empty() && target[0] == '/') walked.resize(1);
      auto parts = split(target, '/');
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!S_ISDIR(found->st.st_mode)) return std::nullopt;
    ASSIGN_OR_RETURN(MergedDir child, open_child(walked.back(), found->layer, name));
    walked.push_back(std::move(child));
  }
  return std::move(walked.back());
}

// Copies a merged directory's entries into a new directory, recursively.
class Copier {
 public:
  Copier(int dest_root, const IdShift& shift) : dest_root_(dest_root), shift_(shift) {}

  Result<> copy_dir(const MergedDir& src, int dest, const std::string& rel) {
    std::set<std::string> seen;
    for (size_t i = 0; i < src.size(); i++) {
      ASSIGN_OR_RETURN(auto names, list_dir_at(src[i].get(), rel));
      for (const auto& name : names) {
        if (!seen.insert(name).second) continue;  // a higher layer's entry decided it
        struct stat st;
        if (::fstatat(src[i].get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
          return sys_error("stat", rel + "/" + name);
        if (is_whiteout(st)) continue;
        TRY(copy_entry(src, i, name, st, dest, rel + "/" + name));
      }
    }
    return {};
  }

  // Owner, mode, extended attributes and times of `src_fd` onto `dest_fd` (both open).
  Result<> copy_metadata(int src_fd, int dest_fd, const struct stat& st, const std::string& rel) {
    // chown first: it clears set-id bits and file capabilities, which come after.
    if (::fchown(dest_fd, shift_.uid(st.st_uid), shift_.gid(st.st_gid)) < 0) return sys_error("chown", rel);
    if (::fchmod(dest_fd, st.st_mode & 07777) < 0) return sys_error("chmod", rel);
    TRY(copy_xattrs(src_fd, dest_fd, rel));
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(dest_fd, times) < 0) return sys_error("utimens", rel);
    return {};
  }

 private:
  Result<> copy_entry(const MergedDir& src, size_t layer, const std::string& name, const struct stat& st, int dest,
                      const std::string& rel) {
    int from = src[layer].get();
    if (S_ISDIR(st.st_mode)) {
      // 0700 until its content is in: a read-only directory of the image must not stop us.
      if (::mkdirat(dest, name.c_str(), 0700) < 0) return sys_error("mkdir", rel);
      ASSIGN_OR_RETURN(Fd out, open_at(dest, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      ASSIGN_OR_RETURN(MergedDir child, open_child(src, layer, name));
      TRY(copy_dir(child, out.get(), rel));
      return copy_metadata(child[0].get(), out.get(), st, rel);
    }
    if (S_ISREG(st.st_mode)) return copy_file(from, name, st, dest, rel);
    if (S_ISLNK(st.st_mode)) {
      ASSIGN_OR_RETURN(std::string target, read_link_at(from, name));
      if (::symlinkat(target.c_str(), dest, name.c_str()) < 0) return sys_error("symlink", rel);
      if (::fchownat(dest, name.c_str(), shift_.uid(st.st_uid), shift_.gid(st.st_gid), AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("chown", rel);
      struct timespec times[2] = {st.st_atim, st.st_mtim};
      if (::utimensat(dest, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) return sys_error("utimens", rel);
      return {};
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (::mknodat(dest, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0) return sys_error("mknod", rel);
      // A node is opened O_PATH: opening a fifo or a device for reading could block or act.
      ASSIGN_OR_RETURN(Fd node, open_at(dest, name, O_PATH | O_NOFOLLOW));
      std::string node_path = "/proc/self/fd/" + std::to_string(node.get());
      if (::fchownat(node.get(), "", shift_.uid(st.st_uid), shift_.gid(st.st_gid), AT_EMPTY_PATH) < 0)
        return sys_error("chown", rel);
      if (::chmod(node_path.c_str(), st.st_mode & 07777) < 0) return sys_error("chmod", rel);
      struct timespec times[2] = {st.st_atim, st.st_mtim};
      if (::utimensat(AT_FDCWD, node_path.c_str(), times, 0) < 0) return sys_error("utimens", rel);
      return {};
    }
    return {};  // sockets belong to a process that is not there: docker skips them too
  }

  Result<> copy_file(int from, const std::string& name, const struct stat& st, int dest, const std::string& rel) {
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1) {  // a hard link to a file copied already: link to its copy
      if (auto first = links_.find(key); first != links_.end()) {
        if (::linkat(dest_root_, first->second.c_str(), dest, name.c_str(), 0) < 0) return sys_error("link", rel);
        return {};
      }
    }
    ASSIGN_OR_RETURN(Fd in, open_at(from, name, O_RDONLY | O_NOFOLLOW));
    ASSIGN_OR_RETURN(Fd out, open_at(dest, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    TRY(copy_file_data(in.get(), out.get(), st.st_size, rel));
    TRY(copy_metadata(in.get(), out.get(), st, rel));
    if (st.st_nlink > 1) links_[key] = rel.substr(1);  // relative to dest_root_
    return {};
  }

  int dest_root_;
  const IdShift& shift_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // (dev, inode) -> its first copy
};

uint32_t shift_id(const std::vector<runtime::IdMapping>& maps, uint32_t id) {
  if (maps.empty()) return id;
  for (const auto& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size) return m.host_id + (id - m.container_id);
  return kOverflowId;
}

}  // namespace

uid_t IdShift::uid(uid_t id) const { return shift_id(uids, id); }
gid_t IdShift::gid(gid_t id) const { return shift_id(gids, id); }

Result<bool> copy_image_dir(const std::vector<std::string>& layer_dirs, const std::string& path,
                            const std::string& dest_dir, const IdShift& shift) {
  ASSIGN_OR_RETURN(auto src, open_merged_dir(layer_dirs, path));
  if (!src || src->empty()) return false;
  ASSIGN_OR_RETURN(Fd dest, open_fd(dest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  trace_note("copying the image's " + path + " into " + dest_dir);
  Copier copier(dest.get(), shift);
  TRY(copier.copy_dir(*src, dest.get(), ""));
  struct stat st;
  if (::fstat((*src)[0].get(), &st) < 0) return sys_error("stat", path);
  TRY(copier.copy_metadata((*src)[0].get(), dest.get(), st, path));
  return true;
}

}  // namespace berth::engine
