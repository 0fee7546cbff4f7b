// Resolving paths inside a container's root filesystem without escaping it.
//
// The rootfs is built from untrusted image content: /etc could be a symlink to /host/etc,
// a mount destination like /data could be "../../../root". Joining strings and calling
// mount(2) would follow such links on the *host* (CVE-2021-30465 in runc was a race of this
// kind). Instead every path is opened with openat2(2) and RESOLVE_IN_ROOT, which makes the
// kernel treat the rootfs fd as "/" for absolute symlinks and "..", and the mount is made
// on /proc/self/fd/N: the already-resolved object, not a path that can change under us.
//
// Read: openat2(2), path_resolution(7), proc(5) /proc/pid/fd.
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth::runtime {

// Opens path (relative to, and confined in, root_fd) as O_PATH; `flags` adds O_DIRECTORY etc.
Result<Fd> open_in_root(int root_fd, const std::string& path, int flags = 0);
// mkdir -p inside the root; returns an O_PATH fd of the final directory.
Result<Fd> make_dirs_in_root(int root_fd, const std::string& path, mode_t mode = 0755);
// Makes sure a mount target exists inside root: a directory, or an empty file when the
// mount source is a file (bind-mounting /etc/hosts needs a file to mount over).
Result<Fd> make_mount_target(int root_fd, const std::string& path, bool directory);
// "/proc/self/fd/N": the path that names exactly this open object.
std::string fd_path(int fd);

}  // namespace berth::runtime
