#include "base/result.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace berth {
namespace {

Result<int> fails_with_eperm() {
  errno = EPERM;
  return sys_error("mount", "/proc");
}

Result<int> wraps() {
  TRY_CTX(fails_with_eperm(), "preparing rootfs");
  return 1;
}

TEST(Error, MessageHasOutermostContextFirst) {
  auto r = wraps();
  ASSERT_FALSE(r);
  Error e = r.error();
  e.context("starting web");
  EXPECT_EQ(e.message(), "starting web: preparing rootfs: mount \"/proc\": Operation not permitted");
  EXPECT_EQ(e.errno_value(), EPERM);
}

TEST(Strings, ParseBytesAcceptsDockerUnits) {
  EXPECT_EQ(parse_bytes("32m"), 32 * 1024 * 1024);
  EXPECT_EQ(parse_bytes("1g"), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_bytes("512k"), 512 * 1024);
  EXPECT_EQ(parse_bytes("100"), 100);
  EXPECT_EQ(parse_bytes("64MB"), 64 * 1024 * 1024);
  EXPECT_EQ(parse_bytes("1.5g"), static_cast<int64_t>(1.5 * 1024 * 1024 * 1024));
  EXPECT_FALSE(parse_bytes("lots"));
  EXPECT_FALSE(parse_bytes(""));
  EXPECT_FALSE(parse_bytes("-1m"));
  EXPECT_FALSE(parse_bytes("12x"));
}

TEST(Strings, HumanSizeLikeDocker) {
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(4'260'000), "4.26MB");
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Fs, AtomicWriteAndRemoveTree) {
  std::string dir = "/tmp/berth-unit-" + random_hex(4);
  ASSERT_TRUE(make_dirs(dir + "/a/b"));
  ASSERT_TRUE(write_file_atomic(dir + "/a/b/f", "hello"));
  EXPECT_EQ(*read_file(dir + "/a/b/f"), "hello");
  ASSERT_TRUE(remove_tree(dir));
  EXPECT_FALSE(path_exists(dir));
}

}  // namespace
}  // namespace berth
