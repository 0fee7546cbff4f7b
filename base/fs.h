// Small filesystem helpers with Result errors that name the path.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace berth {

Result<std::string> read_file(const std::string& path);
// Writes the whole file: a temporary in the same directory, then rename(2), so a reader
// sees the old content or the new, never half (state files, image indexes). kDurable adds
// an fsync before the rename, so the new content also survives a power cut: for the image
// index, not for a container's state, which is rewritten at every start (fsync costs
// milliseconds per file, and `run` writes several).
enum class Sync { kDurable, kNoSync };
Result<> write_file_atomic(const std::string& path, const std::string& content,
                           mode_t mode = 0644, Sync sync = Sync::kDurable);
// Writes into an existing file without truncating first (cgroup and /proc files want this).
Result<> write_file(const std::string& path, const std::string& content);
// Replaces an existing file's content in the same inode (write, then truncate to it): for
// a file that is bind-mounted somewhere, where a rename would not be seen.
Result<> rewrite_in_place(const std::string& path, const std::string& content);
// mkdir -p.
Result<> make_dirs(const std::string& path, mode_t mode = 0755);
// rm -rf that does not follow symlinks and does not cross into other mounts.
Result<> remove_tree(const std::string& path);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
// Names in a directory, without "." and "..". Missing directory: empty list.
Result<std::vector<std::string>> list_dir(const std::string& path);
// The same for a directory open as `dirfd` (any fd of it, O_PATH too; its own offset is
// left alone), sorted; `shown` names it in errors.
Result<std::vector<std::string>> list_dir_at(int dirfd, const std::string& shown);
// "a/b" + "c" -> "a/b/c" (no normalisation; for trusted paths only: image content is resolved
// with openat2(RESOLVE_IN_ROOT) instead, see oci/ and runtime/).
std::string path_join(const std::string& a, const std::string& b);
std::string dir_name(const std::string& path);
std::string base_name(const std::string& path);
// A path component made of the given bytes, safe to use as a temp-file suffix.
std::string random_hex(size_t bytes);

}  // namespace berth
