#include "base/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace berth {
namespace {

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-fs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(remove_tree(dir_)); }
  std::string dir_;
};

mode_t mode_of(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

TEST_F(FsTest, MakeDirsCreatesEveryMissingLevelWithTheMode) {
  ::umask(022);
  std::string deep = dir_ + "/a/b/c";
  ASSERT_TRUE(make_dirs(deep, 0711));
  EXPECT_TRUE(is_directory(deep));
  EXPECT_EQ(mode_of(dir_ + "/a"), 0711u);
  EXPECT_EQ(mode_of(deep), 0711u);
  EXPECT_TRUE(make_dirs(deep, 0700)) << "an existing directory is fine";
  EXPECT_EQ(mode_of(deep), 0711u) << "and keeps its mode";
  EXPECT_TRUE(make_dirs(dir_ + "/a/b/c/", 0755)) << "a trailing slash too";
}

TEST_F(FsTest, RewriteInPlaceKeepsTheInodeAndDropsTheOldTail) {
  std::string p = dir_ + "/resolv.conf";
  ASSERT_TRUE(write_file_atomic(p, "nameserver 10.100.200.1\nsearch long.example\n"));
  struct stat before, after;
  ASSERT_EQ(::stat(p.c_str(), &before), 0);
  ASSERT_TRUE(rewrite_in_place(p, "nameserver 10.2.0.1\n"));
  ASSERT_EQ(::stat(p.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "a bind mount of the file would not see a new inode";
  EXPECT_EQ(read_file(p).value_or(""), "nameserver 10.2.0.1\n");
  EXPECT_FALSE(rewrite_in_place(dir_ + "/missing", "x")) << "it never creates the file";
}

TEST_F(FsTest, MakeDirsRefusesAFileInTheWay) {
  ASSERT_TRUE(write_file_atomic(dir_ + "/f", "x"));
  auto r = make_dirs(dir_ + "/f", 0755);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value(), ENOTDIR);
  auto below = make_dirs(dir_ + "/f/g/h", 0755);
  ASSERT_FALSE(below);
  EXPECT_EQ(below.error().errno_value(), ENOTDIR);
}

}  // namespace
}  // namespace berth
