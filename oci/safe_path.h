// Resolving tar member names inside a layer directory without ever leaving it.
//
// Layer tars are untrusted input. A member named "../../etc/cron.d/x", or a symlink
// "l -> /etc" followed by a member "l/passwd", must never write outside the layer
// (CVE-2018-15664-style escapes, CVE-2019-14271, "tar slip"). Two rules make that hold:
//   1. names are cleaned lexically first: a leading "/" is dropped (as tar and docker do),
//      "." and empty components vanish, and a ".." that would climb above the root is refused;
//   2. directories are then opened one component at a time with openat(O_NOFOLLOW |
//      O_DIRECTORY), so a symlink (or anything else that is not a directory) anywhere on the
//      way is refused instead of followed. This is what openat2(RESOLVE_BENEATH |
//      RESOLVE_NO_SYMLINKS) does in one call; a walk lets us create missing parents and
//      cache the directory chain, which most consecutive tar members share.
// Read: openat(2) O_NOFOLLOW, openat2(2) RESOLVE_BENEATH/RESOLVE_NO_SYMLINKS.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::oci {

// "./usr//bin/../lib/" -> {"usr", "lib"}; "/" -> {}; "a/../../x" -> error.
Result<std::vector<std::string>> clean_member_path(std::string_view name);
std::string join_components(const std::vector<std::string>& comps, size_t n);

// Opens directories below a root fd, component by component, never following symlinks.
class DirWalker {
 public:
  explicit DirWalker(int root_fd) : root_fd_(root_fd) {}

  // The directory made of the first n components (n == 0: the root). Missing directories are
  // created (0755, like docker) when `create`. The fd is borrowed: valid until the next call.
  Result<int> open_dir(const std::vector<std::string>& comps, size_t n, bool create);
  // The path `comps` is about to be replaced or removed: forget cached fds at or below it.
  void invalidate(const std::vector<std::string>& comps);

 private:
  int root_fd_;
  std::vector<std::string> names_;  // the cached chain: names_[i] is opened as fds_[i]
  std::vector<Fd> fds_;
};

// rm -rf of `name` inside dirfd, by fd: never follows a symlink.
Result<> remove_at(int dirfd, const std::string& name);

}  // namespace berth::oci
