// Making a layer without a container: COPY, ADD and WORKDIR change the stage's filesystem
// from berth itself, in a forked child that has a mount namespace of its own.
//
// Read: mount_namespaces(7), overlayfs.rst ("Upper and Lower", "Multiple lower layers").
// The child mounts the stage's filesystem as the RUN step's container would see it: its
// layers as overlay lowerdirs, and a new, empty directory as the upperdir. Whatever the
// job writes lands in that upper directory, in overlay's format (copied-up parents keep
// their owners and modes, deletions become whiteouts): the new layer, ready for
// Store::add_layer_dir. A symlink in the image resolves inside the image's root, never on
// the host, because every path is opened with RESOLVE_IN_ROOT against the mount. The
// mounts live in the child's namespace only: when it exits, for any reason, they are gone;
// nothing is ever mounted in berth's own namespace.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::builder {

struct LayerJob {
  std::vector<std::string> lower_dirs;     // the stage's layers, lowest first (none: scratch)
  std::string scratch_dir;                 // an empty directory on the store's filesystem, for
                                           // upper/, work/ and the mount points
  std::vector<std::string> source_layers;  // COPY --from: that image's layers, lowest first
};

// Runs fn(root_fd, source_fd) in the child: root_fd is the stage's filesystem (O_PATH,
// writable), source_fd the --from image's (read-only), or -1. Returns the upper directory
// (under scratch_dir) holding the changes.
Result<std::string> run_layer_job(const LayerJob& job, const std::function<Result<>(int root, int source)>& fn);

}  // namespace berth::builder
