// pack_layer_dir: an overlay-format directory back into an OCI layer tar. Round trips
// through unpack_layer, so the whiteout and opaque spellings are checked both ways.
#include "oci/layer_pack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <set>

#include "oci/layer_unpack.h"
#include "oci_test_util.h"

namespace berth::oci {
namespace {

using testing::TarMember;
using testing::TempRoot;

// Member names and their types ('f', 'd', 'l', 'h') of a tar.
std::map<std::string, char> members_of(const std::string& tar) {
  std::map<std::string, char> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, tar.c_str(), 65536) == ARCHIVE_OK) {
    struct archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      char type = archive_entry_hardlink(e) ? 'h'
                  : archive_entry_filetype(e) == AE_IFDIR ? 'd'
                  : archive_entry_filetype(e) == AE_IFLNK ? 'l'
                                                          : 'f';
      std::string name = archive_entry_pathname(e);
      if (name.ends_with("/")) name.pop_back();
      out[name] = type;
    }
  }
  archive_read_free(a);
  return out;
}

TEST(LayerPack, RoundTripsWhiteoutsOpaqueDirsLinksAndSkips) {
  SKIP_UNLESS_ROOT();  // whiteouts are 0:0 devices, opaque dirs trusted.* xattrs
  TempRoot t;
  std::string tar = testing::write_tar(t / "in.tar", {{"etc", 'd'},
                                                      {"etc/.wh.passwd", 'f'},
                                                      {"etc/hosts", 'f', ""},
                                                      {"var", 'd'},
                                                      {"var/lib", 'd'},
                                                      {"var/lib/.wh..wh..opq", 'f'},
                                                      {"var/lib/data", 'f', "payload"},
                                                      {"var/lib/again", 'h', "var/lib/data"},
                                                      {"link", 'l', "var/lib/data"}});
  ASSERT_TRUE(make_dirs(t / "dir"));
  ASSERT_TRUE(unpack_layer(tar, t / "dir", UnpackOptions{true}));
  // What an overlay leaves on a copied-up file: bookkeeping, not content.
  ASSERT_EQ(::setxattr((t / "dir/var/lib/data").c_str(), "trusted.overlay.origin", "x", 1, 0), 0);

  auto d = pack_layer_dir(t / "dir", t / "out.tar", {"etc/hosts"});
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->blob_digest, d->diff_id);  // uncompressed
  EXPECT_EQ(members_of(t / "out.tar"),
            (std::map<std::string, char>{{"etc", 'd'},
                                         {"etc/.wh.passwd", 'f'},
                                         {"link", 'l'},
                                         {"var", 'd'},
                                         {"var/lib", 'd'},
                                         {"var/lib/.wh..wh..opq", 'f'},
                                         {"var/lib/again", 'f'},
                                         {"var/lib/data", 'h'}}));
  // The skipped stub is gone from the directory too; the overlay xattr was removed there.
  EXPECT_FALSE(path_exists(t / "dir/etc/hosts"));
  char v[4];
  EXPECT_LT(::getxattr((t / "dir/var/lib/data").c_str(), "trusted.overlay.origin", v, sizeof v), 0);

  // Extracted again, it is the same overlay-format tree.
  ASSERT_TRUE(make_dirs(t / "back"));
  auto again = unpack_layer(t / "out.tar", t / "back", UnpackOptions{true});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->diff_id, d->diff_id);
  struct stat st;
  ASSERT_EQ(::lstat((t / "back/etc/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  EXPECT_EQ(::getxattr((t / "back/var/lib").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(testing::slurp(t / "back/var/lib/again"), "payload");
  struct stat a, b;
  ASSERT_EQ(::stat((t / "back/var/lib/again").c_str(), &a), 0);
  ASSERT_EQ(::stat((t / "back/var/lib/data").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // still one file

  // The same tree packs to the same bytes.
  auto twice = pack_layer_dir(t / "back", t / "again.tar");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->diff_id, d->diff_id);
}

}  // namespace
}  // namespace berth::oci
