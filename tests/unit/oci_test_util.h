// Helpers for the oci unit tests: temporary roots and tar archives written with libarchive.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/fs.h"

namespace berth::oci::testing {

// A directory under /tmp, removed with everything in it when the test ends.
struct TempRoot {
  std::string path;
  TempRoot() {
    char tmpl[] = "/tmp/berth-oci-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempRoot() { (void)remove_tree(path); }
  std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

struct TarMember {
  using Xattrs = std::vector<std::pair<std::string, std::string>>;
  TarMember(std::string n, char t = 'f', std::string c = {}, int m = -1, uid_t u = 0, gid_t g = 0,
            Xattrs x = {})
      : name(std::move(n)), type(t), content(std::move(c)),
        mode(m >= 0 ? static_cast<mode_t>(m) : (t == 'd' ? 0755 : 0644)), uid(u), gid(g),
        xattrs(std::move(x)) {}
  std::string name;
  char type;            // f file, d dir, l symlink, h hardlink, c chardev, p fifo
  std::string content;  // file data, or link target
  mode_t mode;
  uid_t uid;
  gid_t gid;
  Xattrs xattrs;
};

enum class Filter { kNone, kGzip, kZstd };

inline std::string write_tar(const std::string& path, const std::vector<TarMember>& members,
                             Filter filter = Filter::kNone) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (filter == Filter::kGzip) archive_write_add_filter_gzip(a);
  if (filter == Filter::kZstd) archive_write_add_filter_zstd(a);
  EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_perm(e, m.mode);
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    for (const auto& [k, v] : m.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    switch (m.type) {
      case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
      case 'l': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_symlink(e, m.content.c_str()); break;
      case 'h': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_hardlink(e, m.content.c_str()); break;
      case 'c': archive_entry_set_filetype(e, AE_IFCHR); archive_entry_set_rdev(e, makedev(1, 3)); break;
      case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
      default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
    }
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << m.name;
    if (m.type == 'f' && !m.content.empty()) archive_write_data(a, m.content.data(), m.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

inline std::string slurp(const std::string& path) {
  auto r = read_file(path);
  return r ? *r : std::string("<missing>");
}

inline bool is_root() { return ::geteuid() == 0; }

#define SKIP_UNLESS_ROOT() \
  if (!::berth::oci::testing::is_root()) GTEST_SKIP() << "needs root (mknod, chown, trusted.* xattrs)"

}  // namespace berth::oci::testing
