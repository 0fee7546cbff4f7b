// Extracting a layer tar member by member with *at() syscalls (see layer_unpack.h).
#include "oci/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <vector>

#include "base/fd.h"
#include "oci/layer_stream.h"
#include "oci/safe_path.h"
#include "oci/whiteout.h"

namespace berth::oci {

namespace {

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

bool is_ignorable_xattr_error(int err, const char* name) {
  if (err == ENOTSUP) return true;
  return err == EPERM && (std::strncmp(name, "trusted.", 8) == 0 ||
                          std::strncmp(name, "security.", 9) == 0);
}

// One member at a time; `comps` is the cleaned path, `shown` the same joined for errors.
class Extractor {
 public:
  Extractor(int root_fd, LayerStream& stream, const UnpackOptions& options)
      : root_fd_(root_fd), walker_(root_fd), stream_(stream), options_(options) {}

  Result<> run();
  int64_t size() const { return size_; }

 private:
  struct Member {
    struct archive_entry* entry;
    std::vector<std::string> comps;
    std::string base, shown;
  };

  static la_ssize_t read_cb(struct archive*, void* self_ptr, const void** out);
  std::unexpected<Error> tar_failure(const char* what);
  Result<> extract(Member& m);
  Result<> extract_whiteout(Member& m, WhiteoutKind kind);
  Result<> write_file(Member& m, int dirfd);
  Result<> make_dir(Member& m, int dirfd);
  Result<> make_symlink(Member& m, int dirfd);
  Result<> make_node(Member& m, int dirfd);
  Result<> make_hardlink(Member& m, const char* target);
  Result<> remove_existing(int dirfd, const Member& m, const std::string& name);
  Result<> set_fd_metadata(int fd, const Member& m);
  Result<> set_xattrs(int fd, const Member& m);
  Result<> set_link_metadata(int dirfd, const Member& m, const std::string& name);
  void entry_times(const Member& m, struct timespec ts[2]) const;
  void restore_dir_times();

  int root_fd_;
  DirWalker walker_;
  LayerStream& stream_;
  const UnpackOptions& options_;
  struct archive* a_ = nullptr;
  std::optional<Error> stream_error_;
  int64_t size_ = 0;
  struct DirTime {
    std::vector<std::string> comps;
    struct timespec ts[2];
  };
  std::vector<DirTime> dir_times_;
};

la_ssize_t Extractor::read_cb(struct archive*, void* self_ptr, const void** out) {
  auto* self = static_cast<Extractor*>(self_ptr);
  auto block = self->stream_.next();
  if (!block) {
    self->stream_error_ = block.error();
    return -1;
  }
  *out = block->data();
  return static_cast<la_ssize_t>(block->size());
}

std::unexpected<Error> Extractor::tar_failure(const char* what) {
  if (stream_error_) return std::unexpected(*stream_error_);
  const char* msg = archive_error_string(a_);
  return fail(std::string(what) + ": " + (msg ? msg : "unknown libarchive error"));
}

Result<> Extractor::run() {
  ArchiveReader reader;
  a_ = reader.a;
  archive_read_support_format_tar(a_);    // ustar, pax (SCHILY.xattr) and GNU tar
  archive_read_support_format_empty(a_);  // a layer may be an empty file
  if (archive_read_open(a_, this, nullptr, &Extractor::read_cb, nullptr) != ARCHIVE_OK) {
    return tar_failure("reading layer tar");
  }
  while (true) {
    Member m;
    int r = archive_read_next_header(a_, &m.entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return tar_failure("reading layer tar");
    const char* name = archive_entry_pathname(m.entry);
    if (!name) name = archive_entry_pathname_utf8(m.entry);
    if (!name) return fail("reading layer tar: member without a name");
    auto done = extract(m);
    if (!done) return std::unexpected(wrap(done.error(), "member \"" + std::string(name) + "\""));
  }
  restore_dir_times();
  return {};
}

Result<> Extractor::extract(Member& m) {
  ASSIGN_OR_RETURN(m.comps, clean_member_path(archive_entry_pathname(m.entry)));
  auto type = archive_entry_filetype(m.entry);
  const char* hardlink = archive_entry_hardlink(m.entry);
  if (m.comps.empty()) {  // "./" or "/": the layer root itself
    if (type != AE_IFDIR || hardlink) return fail("empty member name");
    TRY(set_fd_metadata(root_fd_, m));
    dir_times_.push_back({{}, {}});
    entry_times(m, dir_times_.back().ts);
    return {};
  }
  m.base = m.comps.back();
  m.shown = join_components(m.comps, m.comps.size());
  if (auto kind = classify_whiteout(m.base); kind != WhiteoutKind::kNone) {
    return extract_whiteout(m, kind);
  }
  if (hardlink) return make_hardlink(m, hardlink);
  ASSIGN_OR_RETURN(int dirfd, walker_.open_dir(m.comps, m.comps.size() - 1, true));
  switch (type) {
    case AE_IFREG: return write_file(m, dirfd);
    case AE_IFDIR: return make_dir(m, dirfd);
    case AE_IFLNK: return make_symlink(m, dirfd);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: return make_node(m, dirfd);
    default: return fail("unsupported member type");
  }
}

// OCI whiteouts become overlayfs whiteouts (whiteout.h).
Result<> Extractor::extract_whiteout(Member& m, WhiteoutKind kind) {
  if (kind == WhiteoutKind::kMeta) return {};
  ASSIGN_OR_RETURN(int dirfd, walker_.open_dir(m.comps, m.comps.size() - 1, true));
  if (kind == WhiteoutKind::kOpaque) {
    return mark_opaque(dirfd, join_components(m.comps, m.comps.size() - 1));
  }
  std::string target = m.base.substr(kWhiteoutPrefix.size());
  Member hidden = m;
  hidden.comps.back() = target;
  hidden.shown = join_components(hidden.comps, hidden.comps.size());
  TRY(remove_existing(dirfd, hidden, target));
  TRY(create_whiteout(dirfd, target, hidden.shown));
  return set_link_metadata(dirfd, hidden, target);
}

// Something already has this name in the layer: later members win (docker's behaviour).
Result<> Extractor::remove_existing(int dirfd, const Member& m, const std::string& name) {
  walker_.invalidate(m.comps);
  return remove_at(dirfd, name);
}

Result<> Extractor::write_file(Member& m, int dirfd) {
  int fd = ::openat(dirfd, m.base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0600);
  if (fd < 0 && errno == EEXIST) {
    TRY(remove_existing(dirfd, m, m.base));
    fd = ::openat(dirfd, m.base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
  }
  if (fd < 0) return sys_error("create", m.shown);
  Fd file(fd);
  la_int64_t pos = 0;
  while (true) {
    const void* data;
    size_t len;
    la_int64_t offset;
    int r = archive_read_data_block(a_, &data, &len, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return tar_failure("reading content");
    if (offset != pos && ::lseek(fd, offset, SEEK_SET) < 0) return sys_error("seek", m.shown);
    TRY_CTX(write_all(fd, data, len), "writing \"" + m.shown + "\"");
    pos = offset + static_cast<la_int64_t>(len);
  }
  la_int64_t size = archive_entry_size(m.entry);
  if (size > pos && ::ftruncate(fd, size) < 0) return sys_error("truncate", m.shown);
  size_ += size;
  return set_fd_metadata(fd, m);
}

Result<> Extractor::make_dir(Member& m, int dirfd) {
  if (::mkdirat(dirfd, m.base.c_str(), 0700) < 0) {
    if (errno != EEXIST) return sys_error("mkdir", m.shown);
    struct stat st;
    if (::fstatat(dirfd, m.base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      return sys_error("stat", m.shown);
    }
    if (!S_ISDIR(st.st_mode)) {  // a file or symlink of that name: replaced by the directory
      TRY(remove_existing(dirfd, m, m.base));
      if (::mkdirat(dirfd, m.base.c_str(), 0700) < 0) return sys_error("mkdir", m.shown);
    }
  }
  // Opening it through the walker also caches it for the members inside, which follow.
  ASSIGN_OR_RETURN(int fd, walker_.open_dir(m.comps, m.comps.size(), false));
  TRY(set_fd_metadata(fd, m));
  dir_times_.push_back({m.comps, {}});
  entry_times(m, dir_times_.back().ts);
  return {};
}

Result<> Extractor::make_symlink(Member& m, int dirfd) {
  const char* target = archive_entry_symlink(m.entry);
  if (!target) return fail("symbolic link without a target");
  // The target is kept as is, whatever it says: it is only ever resolved inside the
  // container's root (by the kernel after pivot_root), never by us while extracting.
  if (::symlinkat(target, dirfd, m.base.c_str()) < 0) {
    if (errno != EEXIST) return sys_error("symlink", m.shown);
    TRY(remove_existing(dirfd, m, m.base));
    if (::symlinkat(target, dirfd, m.base.c_str()) < 0) return sys_error("symlink", m.shown);
  }
  return set_link_metadata(dirfd, m, m.base);
}

Result<> Extractor::make_node(Member& m, int dirfd) {
  mode_t mode = archive_entry_filetype(m.entry) | (archive_entry_perm(m.entry) & 07777);
  dev_t dev = archive_entry_rdev(m.entry);
  if (::mknodat(dirfd, m.base.c_str(), mode, dev) < 0) {
    if (errno == EEXIST) {
      TRY(remove_existing(dirfd, m, m.base));
      if (::mknodat(dirfd, m.base.c_str(), mode, dev) < 0) return sys_error("mknod", m.shown);
    } else if (errno == EPERM) {
      return sys_error("creating device node (needs CAP_MKNOD)", m.shown);
    } else {
      return sys_error("mknod", m.shown);
    }
  }
  TRY(set_link_metadata(dirfd, m, m.base));
  // mknod applied the umask; a fresh node of ours is no symlink, so fchmodat may follow.
  if (::fchmodat(dirfd, m.base.c_str(), archive_entry_perm(m.entry) & 07777, 0) < 0) {
    return sys_error("chmod", m.shown);
  }
  return {};
}

// A hard link's target must already exist in this layer, reached without symlinks: the
// same walk as for new members, so "../../etc/passwd" or "symlink/x" are refused.
Result<> Extractor::make_hardlink(Member& m, const char* target) {
  auto tcomps = clean_member_path(target);
  if (!tcomps) return fail("hard link target \"" + std::string(target) + "\" escapes the layer");
  if (tcomps->empty()) return fail("hard link to the layer root");
  std::string tshown = join_components(*tcomps, tcomps->size());
  ASSIGN_OR_RETURN_CTX(int tdir, walker_.open_dir(*tcomps, tcomps->size() - 1, false),
                       "hard link target \"" + tshown + "\"");
  Fd target_dir(::fcntl(tdir, F_DUPFD_CLOEXEC, 0));
  if (!target_dir) return sys_error("dup", tshown);
  struct stat st;
  if (::fstatat(target_dir.get(), tcomps->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return fail("hard link target \"" + tshown + "\" does not exist in the layer");
  }
  ASSIGN_OR_RETURN(int dirfd, walker_.open_dir(m.comps, m.comps.size() - 1, true));
  // linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to.
  if (::linkat(target_dir.get(), tcomps->back().c_str(), dirfd, m.base.c_str(), 0) < 0) {
    if (errno != EEXIST) return sys_error("link", m.shown);
    if (tcomps == m.comps) return {};
    TRY(remove_existing(dirfd, m, m.base));
    if (::linkat(target_dir.get(), tcomps->back().c_str(), dirfd, m.base.c_str(), 0) < 0) {
      return sys_error("link", m.shown);
    }
  }
  return {};
}

void Extractor::entry_times(const Member& m, struct timespec ts[2]) const {
  ts[1] = archive_entry_mtime_is_set(m.entry)
              ? timespec{archive_entry_mtime(m.entry), archive_entry_mtime_nsec(m.entry)}
              : timespec{0, UTIME_OMIT};
  ts[0] = archive_entry_atime_is_set(m.entry)
              ? timespec{archive_entry_atime(m.entry), archive_entry_atime_nsec(m.entry)}
              : ts[1];
}

// Owner first, then mode: chown(2) clears the setuid/setgid bits, chmod puts them back.
Result<> Extractor::set_fd_metadata(int fd, const Member& m) {
  if (options_.chown &&
      ::fchown(fd, archive_entry_uid(m.entry), archive_entry_gid(m.entry)) < 0) {
    return sys_error("chown", m.shown);
  }
  if (::fchmod(fd, archive_entry_perm(m.entry) & 07777) < 0) return sys_error("chmod", m.shown);
  TRY(set_xattrs(fd, m));
  if (archive_entry_filetype(m.entry) != AE_IFDIR) {
    struct timespec ts[2];
    entry_times(m, ts);
    if (::futimens(fd, ts) < 0) return sys_error("utimens", m.shown);
  }
  return {};
}

Result<> Extractor::set_xattrs(int fd, const Member& m) {
  if (archive_entry_xattr_reset(m.entry) == 0) return {};
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(m.entry, &name, &value, &size) == ARCHIVE_OK) {
    if (::fsetxattr(fd, name, value, size, 0) < 0 && !is_ignorable_xattr_error(errno, name)) {
      return sys_error(std::string("setxattr ") + name, m.shown);
    }
  }
  return {};
}

// Symlinks, device nodes and whiteouts: metadata set by name, never following the link.
Result<> Extractor::set_link_metadata(int dirfd, const Member& m, const std::string& name) {
  if (options_.chown && ::fchownat(dirfd, name.c_str(), archive_entry_uid(m.entry),
                                   archive_entry_gid(m.entry), AT_SYMLINK_NOFOLLOW) < 0) {
    return sys_error("chown", m.shown);
  }
  struct timespec ts[2];
  entry_times(m, ts);
  if (::utimensat(dirfd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) {
    return sys_error("utimens", m.shown);
  }
  return {};
}

// Directory mtimes last: creating the entries inside a directory changed its mtime.
void Extractor::restore_dir_times() {
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    auto fd = walker_.open_dir(it->comps, it->comps.size(), false);
    if (fd) ::futimens(*fd, it->ts);  // best effort: the directory may have been replaced
  }
}

}  // namespace

Result<LayerDigests> unpack_layer(const std::string& blob_path, const std::string& dest_dir,
                                  const UnpackOptions& options) {
  ASSIGN_OR_RETURN(Fd root, open_fd(dest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  ASSIGN_OR_RETURN(auto stream, LayerStream::open(blob_path));
  Extractor extractor(root.get(), *stream, options);
  TRY(extractor.run());
  TRY(stream->finish());
  return LayerDigests{stream->blob_digest(), stream->diff_id(), stream->blob_size(),
                      extractor.size()};
}

Result<LayerDigests> digest_layer(const std::string& blob_path) {
  ASSIGN_OR_RETURN(auto stream, LayerStream::open(blob_path));
  TRY(stream->finish());
  return LayerDigests{stream->blob_digest(), stream->diff_id(), stream->blob_size(), 0};
}

}  // namespace berth::oci
