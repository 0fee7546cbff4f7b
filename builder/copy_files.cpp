// COPY and ADD inside a layer job (see copy_files.h).
#include "builder/copy_files.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "base/fd.h"
#include "base/file_copy.h"
#include "base/fs.h"
#include "oci/layer_unpack.h"
#include "runtime/safe_path.h"

namespace berth::builder {

namespace {


class Copier {
 public:
  explicit Copier(const CopyRequest& r) : r_(r) {}

  // Copies the entry `name` of src_dir (a real directory fd) as `dest_name` in dest_dir.
  Result<> copy(int src_dir, const std::string& name, const std::string& rel, int dest_dir,
                const std::string& dest_name) {
    struct stat st;
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return sys_error("stat", rel);
    if (S_ISREG(st.st_mode)) {
      ASSIGN_OR_RETURN(Fd in, open_at(src_dir, name, O_RDONLY | O_NOFOLLOW));
      return copy_regular(in.get(), st, rel, dest_dir, dest_name);
    }
    TRY(clear_way(dest_dir, dest_name, st, rel));
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dest_dir, dest_name.c_str(), 0700) < 0 && errno != EEXIST) return sys_error("mkdir", rel);
      ASSIGN_OR_RETURN(Fd in, open_at(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      ASSIGN_OR_RETURN(Fd out, open_at(dest_dir, dest_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      TRY(copy_contents(in.get(), rel, out.get()));
      return set_metadata(out.get(), st, rel);
    }
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(src_dir, name.c_str(), target, sizeof target - 1);
      if (n < 0) return sys_error("readlink", rel);
      target[n] = '\0';
      if (::symlinkat(target, dest_dir, dest_name.c_str()) < 0) return sys_error("symlink", rel);
      if (::fchownat(dest_dir, dest_name.c_str(), uid_of(st), gid_of(st), AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("chown", rel);
      struct timespec times[2] = {st.st_mtim, st.st_mtim};
      if (::utimensat(dest_dir, dest_name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) return sys_error("utimens", rel);
      return {};
    }
    if (S_ISFIFO(st.st_mode) || ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && r_.keep_owners)) {
      if (::mknodat(dest_dir, dest_name.c_str(), (st.st_mode & S_IFMT) | (st.st_mode & 0777), st.st_rdev) < 0)
        return sys_error("mknod", rel);
      if (::fchownat(dest_dir, dest_name.c_str(), uid_of(st), gid_of(st), AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("chown", rel);
    }
    return {};  // sockets (and device nodes in a build context) are skipped, as docker does
  }

  // A regular file open as `in` (stat st), as dest_name in dest_dir.
  Result<> copy_regular(int in, const struct stat& st, const std::string& rel, int dest_dir,
                        const std::string& dest_name) {
    TRY(clear_way(dest_dir, dest_name, st, rel));
    ASSIGN_OR_RETURN(Fd out, open_at(dest_dir, dest_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
    TRY(copy_file_data(in, out.get(), st.st_size, rel));
    TRY(set_metadata(out.get(), st, rel));
    // After chown: the kernel drops security.capability (file capabilities) on chown.
    return copy_xattrs(in, out.get(), rel);
  }

  // Every entry of src (a directory fd) into dest; rel names src in errors and for
  // .dockerignore ("" for the context's root).
  Result<> copy_contents(int src, const std::string& rel, int dest) {
    ASSIGN_OR_RETURN(auto names, list_dir_at(src, rel));
    for (const auto& n : names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      if (r_.ignore && r_.ignore->excluded(child)) {
        struct stat st;
        bool dir = ::fstatat(src, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        if (!dir || !r_.ignore->may_include_below(child)) continue;
      }
      TRY(copy(src, n, child, dest, n));
    }
    return {};
  }

  Result<> set_metadata(int fd, const struct stat& st, const std::string& rel) {
    // chown first: it clears set-id bits, which the chmod after it sets again.
    if (::fchown(fd, uid_of(st), gid_of(st)) < 0) return sys_error("chown", rel);
    if (::fchmod(fd, r_.mode ? *r_.mode : st.st_mode & 07777) < 0) return sys_error("chmod", rel);
    struct timespec times[2] = {st.st_mtim, st.st_mtim};
    if (::futimens(fd, times) < 0) return sys_error("utimens", rel);
    return {};
  }

 private:
  uid_t uid_of(const struct stat& st) const { return r_.uid ? *r_.uid : r_.keep_owners ? st.st_uid : 0; }
  gid_t gid_of(const struct stat& st) const { return r_.gid ? *r_.gid : r_.keep_owners ? st.st_gid : 0; }

  // A directory merges with a directory already there; anything else replaces what is there.
  Result<> clear_way(int dest_dir, const std::string& name, const struct stat& src, const std::string& rel) {
    struct stat st;
    if (::fstatat(dest_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return {};
    if (S_ISDIR(st.st_mode) && S_ISDIR(src.st_mode)) return {};
    if (S_ISDIR(st.st_mode)) return fail("cannot replace the directory with a non-directory", rel);
    // An image's /bin -> usr/bin must not become a directory holding only what we copy
    // (the image would lose /bin/sh): refused, as BuildKit refuses it.
    if (S_ISLNK(st.st_mode) && S_ISDIR(src.st_mode)) return fail("cannot copy to non-directory", rel);
    if (::unlinkat(dest_dir, name.c_str(), 0) < 0) return sys_error("unlink", rel);
    return {};
  }

  const CopyRequest& r_;
};

// The destination directory inside the stage's root, made if missing (owned by --chown's
// user when it is given, as BuildKit does). Returns a real (not O_PATH) directory fd.
Result<Fd> open_dest_dir(int root, const std::string& path, const CopyRequest& r) {
  bool existed = runtime::open_in_root(root, path, O_DIRECTORY).has_value();
  ASSIGN_OR_RETURN(Fd dir, runtime::make_dirs_in_root(root, path, 0755));
  ASSIGN_OR_RETURN(Fd real, open_fd(runtime::fd_path(dir.get()), O_RDONLY | O_DIRECTORY));
  if (!existed && (r.uid || r.gid) && ::fchown(real.get(), r.uid.value_or(0), r.gid.value_or(0)) < 0)
    return sys_error("chown", path);
  return real;
}

bool is_directory_in_root(int root, const std::string& path) {
  return runtime::open_in_root(root, path, O_DIRECTORY).has_value();
}

// ADD's archive rule: a local file that is a tar (plain, or gzip/bzip2/xz/zstd
// compressed) is extracted; anything else, a .json.gz too, is copied as it is. libarchive
// with the tar format only decides: the first header must read.
bool is_archive(int fd) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  bool tar = false;
  if (archive_read_open_filename(a, runtime::fd_path(fd).c_str(), 65536) == ARCHIVE_OK) {
    struct archive_entry* e;
    tar = archive_read_next_header(a, &e) == ARCHIVE_OK;
  }
  archive_read_free(a);
  return tar;
}

}  // namespace

Result<> copy_sources(int source_root, int dest_root, const CopyRequest& r) {
  bool dir_dest = r.dest.ends_with("/") || is_directory_in_root(dest_root, r.dest);
  if (r.sources.size() > 1 && !dir_dest)
    return fail("when using COPY with more than one source file, the destination must be a directory and end with a /");
  Copier copier(r);
  for (const auto& src : r.sources) {
    ASSIGN_OR_RETURN(Fd path_fd, runtime::open_in_root(source_root, src.empty() ? "." : src));
    struct stat st;
    if (::fstat(path_fd.get(), &st) < 0) return sys_error("stat", src);
    if (S_ISDIR(st.st_mode)) {
      ASSIGN_OR_RETURN(Fd in, open_fd(runtime::fd_path(path_fd.get()), O_RDONLY | O_DIRECTORY));
      ASSIGN_OR_RETURN(Fd out, open_dest_dir(dest_root, r.dest, r));
      TRY(copier.copy_contents(in.get(), src, out.get()));
      continue;
    }
    if (r.extract_archives && S_ISREG(st.st_mode) && is_archive(path_fd.get())) {
      ASSIGN_OR_RETURN(Fd out, open_dest_dir(dest_root, r.dest, r));
      // The extractor opens its destination by path, without following links: the
      // directory's real path in this mount namespace, not the /proc/self/fd link.
      char dest[PATH_MAX];
      ssize_t n = ::readlink(runtime::fd_path(out.get()).c_str(), dest, sizeof dest - 1);
      if (n < 0) return sys_error("readlink", r.dest);
      dest[n] = '\0';
      TRY_CTX(oci::unpack_layer(runtime::fd_path(path_fd.get()), dest, oci::UnpackOptions{}), "extracting " + src);
      continue;
    }
    // A file (or a symlink the top-level path named, followed): by its name into a
    // directory destination, else as the destination itself.
    std::string parent = dir_dest ? r.dest : dir_name(r.dest);
    std::string name = dir_dest ? base_name(src.empty() ? "." : src) : base_name(r.dest);
    ASSIGN_OR_RETURN(Fd out, open_dest_dir(dest_root, parent.empty() ? "/" : parent, r));
    if (!S_ISREG(st.st_mode)) continue;  // a fifo or socket named at the top: nothing to copy
    ASSIGN_OR_RETURN(Fd in, open_fd(runtime::fd_path(path_fd.get()), O_RDONLY));
    TRY(copier.copy_regular(in.get(), st, src, out.get(), name));
  }
  return {};
}

std::optional<std::string> read_image_file(int root, const std::string& path) {
  auto fd = runtime::open_in_root(root, path);
  struct stat st;
  if (!fd || ::fstat(fd->get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) return std::nullopt;
  auto text = read_file(runtime::fd_path(fd->get()));
  if (!text) return std::nullopt;
  return *text;
}

Result<> write_heredoc_file(int dest_root, const std::string& dest, const std::string& content,
                            const CopyRequest& r) {
  ASSIGN_OR_RETURN(Fd dir, open_dest_dir(dest_root, dir_name(dest).empty() ? "/" : dir_name(dest), r));
  std::string name = base_name(dest);
  ASSIGN_OR_RETURN(Fd out, open_at(dir.get(), name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644));
  TRY(write_all(out.get(), content.data(), content.size()));
  if (::fchown(out.get(), r.uid.value_or(0), r.gid.value_or(0)) < 0) return sys_error("chown", dest);
  if (::fchmod(out.get(), r.mode.value_or(0644)) < 0) return sys_error("chmod", dest);
  return {};
}

}  // namespace berth::builder
