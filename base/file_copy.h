// Copying a file's bytes and extended attributes from one open file to another: shared by
// the volume copy-up (engine/image_tree.cpp) and the builder's COPY (builder/copy_files.cpp).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"

namespace berth {

// `size` bytes from `in` to `out` (both at offset 0), by copy_file_range(2) where the
// kernel can, else read/write. `shown` names the file in errors.
Result<> copy_file_data(int in, int out, off_t size, const std::string& shown);

// Every extended attribute of src_fd onto dest_fd, but overlayfs' own (trusted.overlay.*,
// bookkeeping of a mount, not content). Filesystems without xattrs are not an error.
Result<> copy_xattrs(int src_fd, int dest_fd, const std::string& shown);

}  // namespace berth
