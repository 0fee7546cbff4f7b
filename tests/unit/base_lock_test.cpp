// base/lock.h: an flock on a lock file or on a directory, exclusive until released.
#include "base/lock.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace berth {
namespace {

class LockTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-lock-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(LockTest, AFileLockIsCreatedAndExclusiveUntilReleased) {
  std::string path = dir_ + "/lock";
  {
    auto held = FileLock::acquire(path);
    ASSERT_TRUE(held) << held.error().message();
    EXPECT_TRUE(std::filesystem::is_regular_file(path));
    auto second = FileLock::try_acquire(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().errno_value(), EWOULDBLOCK);
  }
  EXPECT_TRUE(FileLock::try_acquire(path));
}

TEST_F(LockTest, ADirectoryIsItsOwnLockAndNothingIsCreatedInIt) {
  {
    auto held = FileLock::acquire(dir_);
    ASSERT_TRUE(held) << held.error().message();
    auto second = FileLock::try_acquire(dir_, FileLock::Mode::kShared);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().errno_value(), EWOULDBLOCK);
  }
  EXPECT_TRUE(FileLock::try_acquire(dir_));
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

}  // namespace
}  // namespace berth
