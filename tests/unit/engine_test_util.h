// Helpers shared by the engine unit tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "base/fs.h"

namespace berth::engine::testing {

// A directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-engine-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_tree(path_); }
  const std::string& path() const { return path_; }
  // Writes <dir>/<name> and returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    std::string p = path_join(path_, name);
    EXPECT_TRUE(write_file_atomic(p, content, 0644, Sync::kNoSync));
    return p;
  }

 private:
  std::string path_;
};

}  // namespace berth::engine::testing
