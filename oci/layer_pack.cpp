// Packing an overlay-format directory into a layer tar (see layer_pack.h).
#include "oci/layer_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "base/fd.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "oci/whiteout.h"

namespace berth::oci {

namespace {

constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

// libarchive writes through these callbacks: the bytes go to the file and through the
// hash in one pass.
struct Sink {
  int fd = -1;
  Sha256 hash;
  int64_t written = 0;
  std::string path;
  int error = 0;
};

la_ssize_t write_to_sink(struct archive*, void* data, const void* buf, size_t len) {
  auto* sink = static_cast<Sink*>(data);
  const char* p = static_cast<const char*>(buf);
  size_t left = len;
  while (left > 0) {
    ssize_t n = ::write(sink->fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      sink->error = errno;
      return -1;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  sink->hash.update(buf, len);
  sink->written += static_cast<int64_t>(len);
  return static_cast<la_ssize_t>(len);
}

// The names of a file's xattrs (l* calls: a symlink's own, never its target's).
std::vector<std::string> list_xattrs(const std::string& path) {
  std::vector<std::string> names;
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size <= 0) return names;
  std::string buf(static_cast<size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), buf.data(), buf.size());
  if (size <= 0) return names;
  for (size_t i = 0; i < static_cast<size_t>(size);) {
    std::string name(buf.c_str() + i);
    i += name.size() + 1;
    if (!name.empty()) names.push_back(std::move(name));
  }
  return names;
}

std::optional<std::string> get_xattr(const std::string& path, const std::string& name) {
  ssize_t size = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
  if (size < 0) return std::nullopt;
  std::string value(static_cast<size_t>(size), '\0');
  size = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
  if (size < 0) return std::nullopt;
  value.resize(static_cast<size_t>(size));
  return value;
}

class Packer {
 public:
  Packer(std::string root, const std::set<std::string>& skip) : root_(std::move(root)), skip_(skip) {}
  ~Packer() {
    if (a_) archive_write_free(a_);
  }
  Result<LayerDigests> pack(const std::string& tar_path);

 private:
  Result<> walk(const std::string& rel);
  Result<> add(const std::string& rel, const struct stat& st, bool* opaque);
  Result<> add_whiteout(const std::string& rel_dir, const std::string& name);
  Result<> write_header(struct archive_entry* e, const std::string& rel);
  Result<> write_content(const std::string& path, const std::string& rel);
  std::string full(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }
  std::unexpected<Error> failure(const std::string& what, const std::string& rel) {
    const char* msg = archive_error_string(a_);
    return fail(what + (msg ? std::string(": ") + msg : ""), rel);
  }

  std::string root_;
  const std::set<std::string>& skip_;
  struct archive* a_ = nullptr;
  Sink sink_;
  int64_t content_size_ = 0;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path of each inode
};

Result<LayerDigests> Packer::pack(const std::string& tar_path) {
  ASSIGN_OR_RETURN(Fd out, open_fd(tar_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  sink_.fd = out.get();
  sink_.path = tar_path;
  a_ = archive_write_new();
  archive_write_set_format_pax_restricted(a_);
  archive_write_set_bytes_in_last_block(a_, 1);  // no padding past the tar's end blocks
  if (archive_write_open2(a_, &sink_, nullptr, write_to_sink, nullptr, nullptr) != ARCHIVE_OK)
    return failure("opening tar", tar_path);
  TRY(walk(""));
  if (archive_write_close(a_) != ARCHIVE_OK) {
    if (sink_.error) return fail_errno(sink_.error, "write", tar_path);
    return failure("closing tar", tar_path);
  }
  std::string digest = "sha256:" + sink_.hash.hex_digest();
  return LayerDigests{digest, digest, sink_.written, content_size_};
}

// One directory's entries, sorted (the same tree always gives the same tar).
Result<> Packer::walk(const std::string& rel) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(full(rel)));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    std::string path = full(child);
    if (skip_.contains(child)) {
      TRY(remove_tree(path));
      continue;
    }
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) return sys_error("lstat", path);
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      TRY(add_whiteout(rel, name));
      continue;
    }
    bool opaque = false;
    TRY(add(child, st, &opaque));
    if (S_ISDIR(st.st_mode)) {
      if (opaque) TRY(add_whiteout(child, std::string(kOpaqueMarker.substr(kWhiteoutPrefix.size()))));
      TRY(walk(child));
    }
  }
  return {};
}

// ".wh.NAME" in rel_dir: an empty regular file, as docker writes it.
Result<> Packer::add_whiteout(const std::string& rel_dir, const std::string& name) {
  std::string rel = (rel_dir.empty() ? "" : rel_dir + "/") + std::string(kWhiteoutPrefix) + name;
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 0);
  return write_header(e, rel);
}

Result<> Packer::add(const std::string& rel, const struct stat& st, bool* opaque) {
  std::string path = full(rel);
  struct archive_entry* e = archive_entry_new();
  archive_entry_copy_stat(e, &st);
  archive_entry_set_uname(e, "");
  archive_entry_set_gname(e, "");
  for (const auto& name : list_xattrs(path)) {
    if (name.starts_with(kOverlayXattrPrefix)) {
      if (name == kOverlayOpaqueXattr) *opaque = get_xattr(path, name) == std::optional<std::string>("y");
      else ::lremovexattr(path.c_str(), name.c_str());  // the mount's bookkeeping, not content
      continue;
    }
    if (auto value = get_xattr(path, name)) archive_entry_xattr_add_entry(e, name.c_str(), value->data(), value->size());
  }
  bool content = false;
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) {
      archive_entry_free(e);
      return sys_error("readlink", path);
    }
    target.resize(static_cast<size_t>(n));
    archive_entry_set_symlink(e, target.c_str());
  } else if (S_ISREG(st.st_mode)) {
    auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
    if (st.st_nlink > 1 && !first) {
      archive_entry_set_hardlink(e, it->second.c_str());
      archive_entry_set_size(e, 0);
    } else {
      content = st.st_size > 0;
      content_size_ += st.st_size;
    }
  }
  TRY(write_header(e, rel));
  if (content) TRY(write_content(path, rel));
  return {};
}

// Takes ownership of e.
Result<> Packer::write_header(struct archive_entry* e, const std::string& rel) {
  archive_entry_set_pathname(e, rel.c_str());
  int rc = archive_write_header(a_, e);
  archive_entry_free(e);
  if (rc != ARCHIVE_OK) return failure("writing tar header", rel);
  return {};
}

Result<> Packer::write_content(const std::string& path, const std::string& rel) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", path);
    }
    if (n == 0) return {};
    if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0) {
      if (sink_.error) return fail_errno(sink_.error, "write", sink_.path);
      return failure("writing tar data", rel);
    }
  }
}

}  // namespace

Result<LayerDigests> pack_layer_dir(const std::string& dir, const std::string& tar_path,
                                    const std::set<std::string>& skip) {
  Packer packer(dir, skip);
  return packer.pack(tar_path);
}

}  // namespace berth::oci
