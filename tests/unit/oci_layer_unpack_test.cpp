// Layer extraction: file types, metadata, whiteouts, and untrusted tars that try to escape.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/sha256.h"
#include "oci/layer_unpack.h"
#include "oci/safe_path.h"
#include "oci_test_util.h"

namespace berth::oci {
namespace {

using testing::Filter;
using testing::TarMember;
using testing::TempRoot;

Result<LayerDigests> unpack(const TempRoot& t, const std::vector<TarMember>& members,
                            Filter f = Filter::kNone) {
  std::string tar = testing::write_tar(t / "layer.tar", members, f);
  (void)make_dirs(t / "out");
  return unpack_layer(tar, t / "out", UnpackOptions{::geteuid() == 0});
}

TEST(CleanMemberPath, Lexical) {
  EXPECT_EQ(*clean_member_path("./usr//bin/../lib/"), (std::vector<std::string>{"usr", "lib"}));
  EXPECT_EQ(*clean_member_path("/abs/x"), (std::vector<std::string>{"abs", "x"}));
  EXPECT_TRUE(clean_member_path("/")->empty());
  EXPECT_FALSE(clean_member_path("../x"));
  EXPECT_FALSE(clean_member_path("a/../../x"));
  EXPECT_FALSE(clean_member_path("/.."));
}

TEST(LayerUnpack, FileTypesAndMetadataAndDigests) {
  TempRoot t;
  std::vector<TarMember> m = {
      {"./", 'd', "", 0755},
      {"bin", 'd', "", 0755},
      {"bin/tool", 'f', "#!/bin/sh\n", 04755, 0, 0},
      {"bin/hard", 'h', "bin/tool"},
      {"bin/sh", 'l', "/bin/busybox"},
      {"etc/deep/file", 'f', "x", 0600, 1000, 1001},  // parents created implicitly
      {"etc/xattr", 'f', "y", 0644, 0, 0, {{"user.berth", "v"}}},
      {"dir", 'd', "", 0700},
      {"dir", 'd', "", 0751},       // a directory again: updates the mode
      {"over", 'f', "old"},
      {"over", 'f', "new"},        // a later member wins
      {"tree", 'd'}, {"tree/inside", 'f', "gone"},
      {"tree", 'f', "now a file"},  // a file replaces a directory
  };
  for (auto f : {Filter::kNone, Filter::kGzip, Filter::kZstd}) {
    TempRoot t2;
    auto d = unpack(t2, m, f);
    ASSERT_TRUE(d) << d.error().message();
    std::string tar_bytes = testing::slurp(t2 / "layer.tar");
    EXPECT_EQ(d->blob_digest, "sha256:" + sha256_hex(tar_bytes));
    if (f == Filter::kNone) EXPECT_EQ(d->diff_id, d->blob_digest);
    else EXPECT_NE(d->diff_id, d->blob_digest);
    std::string out = t2 / "out";
    struct stat st;
    ASSERT_EQ(::stat((out + "/bin/tool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_mtime, 1700000000);
    EXPECT_EQ(st.st_nlink, 2u);
    EXPECT_EQ(testing::slurp(out + "/bin/hard"), "#!/bin/sh\n");
    char target[64] = {};
    ASSERT_GT(::readlink((out + "/bin/sh").c_str(), target, sizeof target), 0);
    EXPECT_STREQ(target, "/bin/busybox");
    ASSERT_EQ(::stat((out + "/etc/deep/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    if (testing::is_root()) {
      EXPECT_EQ(st.st_uid, 1000u);
      EXPECT_EQ(st.st_gid, 1001u);
    }
    char v[8] = {};
    EXPECT_EQ(::getxattr((out + "/etc/xattr").c_str(), "user.berth", v, sizeof v), 1);
    ASSERT_EQ(::stat((out + "/dir").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0751u);
    EXPECT_EQ(st.st_mtime, 1700000000);  // directory times restored after its children
    EXPECT_EQ(testing::slurp(out + "/over"), "new");
    EXPECT_EQ(testing::slurp(out + "/tree"), "now a file");
    EXPECT_EQ(d->size, 10 + 1 + 1 + 3 + 3 + 4 + 10);
  }
}

TEST(LayerUnpack, DigestOnly) {
  TempRoot t;
  std::string tar = testing::write_tar(t / "l.tar.gz", {{"a", 'f', "b"}}, Filter::kGzip);
  auto d = digest_layer(tar);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->blob_digest, "sha256:" + sha256_hex(testing::slurp(tar)));
}

TEST(LayerUnpack, WhiteoutsBecomeOverlayWhiteouts) {
  SKIP_UNLESS_ROOT();
  TempRoot t;
  auto d = unpack(t, {{"etc", 'd'},
                      {"etc/.wh.passwd", 'f'},
                      {"var/lib/.wh..wh..opq", 'f'},
                      {".wh..wh.plnk", 'd'},
                      {"dev/null", 'c', "", 0666},
                      {"fifo", 'p', "", 0600}});
  ASSERT_TRUE(d) << d.error().message();
  std::string out = t / "out";
  struct stat st;
  ASSERT_EQ(::lstat((out + "/etc/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(path_exists(out + "/etc/.wh.passwd"));
  char v[4] = {};
  EXPECT_EQ(::getxattr((out + "/var/lib").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(path_exists(out + "/var/lib/.wh..wh..opq"));
  EXPECT_FALSE(path_exists(out + "/.wh..wh.plnk"));
  ASSERT_EQ(::lstat((out + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  ASSERT_EQ(::lstat((out + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

struct Evil {
  const char* what;
  std::vector<TarMember> members;
  const char* member;  // the member the error must name
};

// Each tar tries to write /tmp/<victim>/pwned (or read outside) and must be refused.
TEST(LayerUnpack, RefusesEscapes) {
  TempRoot victim;
  std::string v = victim.path;  // an absolute directory outside the layer
  std::vector<Evil> cases = {
      {"dotdot", {{"../escape", 'f', "x"}}, "../escape"},
      {"inner dotdot", {{"a/../../x", 'f', "x"}}, "a/../../x"},
      {"deep dotdot", {{"a/b/../../../../../../" + v.substr(1) + "/pwned", 'f', "x"}}, nullptr},
      {"write through absolute symlink", {{"l", 'l', v}, {"l/pwned", 'f', "x"}}, "l/pwned"},
      {"write through relative symlink chain",
       {{"a", 'd'}, {"a/up", 'l', "../../../../../../../.."}, {"a/up" + v + "/pwned", 'f', "x"}},
       nullptr},
      {"symlink to dotdot then dir", {{"up", 'l', ".."}, {"up/pwned", 'd'}}, "up/pwned/"},
      {"hardlink outside", {{"h", 'h', "../../etc/passwd"}}, "h"},
      {"hardlink absolute outside", {{"h", 'h', "/etc/passwd"}}, "h"},
      {"hardlink through symlink", {{"l", 'l', "/etc"}, {"h", 'h', "l/passwd"}}, "h"},
      {"hardlink to missing", {{"h", 'h', "nothing"}}, "h"},
      {"file under a file", {{"f", 'f', "x"}, {"f/x", 'f', "y"}}, "f/x"},
  };
  for (auto& c : cases) {
    TempRoot t;
    auto d = unpack(t, c.members);
    ASSERT_FALSE(d) << c.what << ": was accepted";
    std::string msg = d.error().message();
    EXPECT_NE(msg.find("member \""), std::string::npos) << c.what << ": " << msg;
    if (c.member) {
      EXPECT_NE(msg.find(std::string("member \"") + c.member + "\""), std::string::npos)
          << c.what << ": " << msg;
    }
    if (std::string(c.what).find("symlink") != std::string::npos) {
      EXPECT_NE(msg.find("symbolic link"), std::string::npos) << c.what << ": " << msg;
    }
    EXPECT_FALSE(path_exists(v + "/pwned")) << c.what;
    EXPECT_FALSE(path_exists("/etc/x")) << c.what;
  }
  EXPECT_EQ(list_dir(v)->size(), 0u);
}

TEST(LayerUnpack, AbsoluteNamesStayInside) {
  TempRoot t;
  auto d = unpack(t, {{"/abs/file", 'f', "in"}});
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(testing::slurp(t / "out/abs/file"), "in");
}

TEST(LayerUnpack, SymlinkOverwrittenThenWrittenThroughIsRefused) {
  // A directory cached by the walker is replaced by a symlink: the next member must not
  // follow it through the stale cache nor the new link.
  TempRoot victim;
  TempRoot t;
  auto d = unpack(t, {{"d", 'd'}, {"d/a", 'f', "1"}, {"d", 'l', victim.path}, {"d/b", 'f', "2"}});
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("member \"d/b\""), std::string::npos) << d.error().message();
  EXPECT_FALSE(path_exists(victim / "b"));
}

TEST(LayerUnpack, CorruptStreamIsAnError) {
  TempRoot t;
  std::string tar = testing::write_tar(t / "l.tar.gz", {{"a", 'f', std::string(100000, 'z')}},
                                       Filter::kGzip);
  std::string bytes = testing::slurp(tar);
  bytes.resize(bytes.size() / 2);
  ASSERT_TRUE(write_file_atomic(tar, bytes));
  (void)make_dirs(t / "out");
  EXPECT_FALSE(unpack_layer(tar, t / "out", UnpackOptions{}));
}

}  // namespace
}  // namespace berth::oci
