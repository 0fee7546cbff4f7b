#include "engine/image_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/fd.h"
#include "base/fs.h"
#include "runtime/safe_path.h"

namespace berth::engine {

std::optional<std::string> read_image_file(const std::vector<std::string>& layer_dirs,
                                           const std::string& path) {
  for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
    auto root = open_fd(*it, O_PATH | O_DIRECTORY);
    if (!root) continue;
    auto file = runtime::open_in_root(root->get(), path);
    if (!file) continue;
    struct stat st;
    if (::fstat(file->get(), &st) < 0) continue;
    // An overlay whiteout (a 0:0 character device) means "deleted in this layer".
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return std::nullopt;
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    auto content = read_file(runtime::fd_path(file->get()));
    if (content) return *content;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace berth::engine
