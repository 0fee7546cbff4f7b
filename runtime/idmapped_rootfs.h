// The rootfs of a container in a new user namespace: overlayfs over *idmapped* layers.
//
// The problem: image layers are extracted once, owned by host root, and shared by every
// container. Inside a user namespace that maps container uid 0 to host uid 100000, files
// owned by host uid 0 are unmapped and show as 65534 ("nobody"): /etc/passwd would not
// belong to the container's root. Copying and chowning each layer per container would be
// slow and waste disk.
//
// The fix (Linux 5.19+): an idmapped mount (mount_setattr(2), MOUNT_ATTR_IDMAP) shows a
// layer through the container's id mapping, so host uid 0 appears as host uid 100000,
// which is uid 0 inside. Only the parent, as real root, may create idmapped mounts, so:
//   1. the parent clones each layer directory as a detached mount (open_tree(2),
//      OPEN_TREE_CLONE) and idmaps it with the child's user namespace;
//   2. it builds the overlay from them with the new mount API (fsopen/fsconfig/fsmount),
//      giving a detached overlay mount as an fd;
//   3. it passes that fd to the child with "go" (runtime/sync.h), and the child attaches
//      it at the rootfs path in its own mount namespace (move_mount(2), step mount_rootfs).
// The host never sees the overlay mounted anywhere, and if the child dies first the fd's
// close drops it: nothing can leak. The upper directory is not idmapped: the engine chowns
// it to the mapped root, so what the container writes lands owned by host uid 100000.
#pragma once

#include <sys/types.h>

#include "base/fd.h"
#include "base/result.h"
#include "runtime/context.h"

namespace berth::runtime {

// Steps 1 and 2 above, for the child `pid` whose uid/gid maps are already written.
Result<Fd> make_idmapped_rootfs(const ContainerContext& ctx, pid_t pid);

// Step 3, in the child: attach the detached mount at ctx.rootfs.
Result<> attach_rootfs(const ContainerContext& ctx, int mount_fd);

}  // namespace berth::runtime
