// Shared by the netns unit tests that need real network namespaces (as root).
#pragma once

#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/result.h"
#include "netns/netns.h"

// A Result that must hold a value; the failure names the expression and the error.
#define ASSERT_OK(expr)                                       \
  do {                                                        \
    auto ok_ = (expr);                                        \
    ASSERT_TRUE(ok_) << #expr ": " << ok_.error().message();  \
  } while (0)

namespace berth::netns {

// A directory of namespace files under /tmp. Its destructor removes every namespace made
// through it, then the bind mount create_netns put on the directory, then the directory.
class NetnsDir {
 public:
  NetnsDir() {
    char tmpl[] = "/tmp/berth-netns-test-XXXXXX";
    if (::mkdtemp(tmpl)) path_ = tmpl;
  }
  ~NetnsDir() {
    if (path_.empty()) return;
    for (const auto& ns : made_) (void)remove_netns(ns);
    ::umount2(path_.c_str(), MNT_DETACH);
    ::rmdir(path_.c_str());
  }
  NetnsDir(const NetnsDir&) = delete;
  NetnsDir& operator=(const NetnsDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  Result<std::string> make(const std::string& name) {
    std::string ns = path_ + "/" + name;
    made_.push_back(ns);
    TRY(create_netns(ns));
    return ns;
  }

 private:
  std::string path_;
  std::vector<std::string> made_;
};

}  // namespace berth::netns
