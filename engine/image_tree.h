// Copying a directory of an image out of its extracted layers: docker's volume "copy-up".
//
// When a new, empty volume is mounted over a directory the image has content in (a
// database image's /var/lib/postgresql/data, say), docker first copies that content into
// the volume, so that the container finds what its image put there; `nocopy` opts out.
// The copy is made before the container exists, so there is no overlay mount to read
// from: berth merges the layers itself, as overlayfs would show them
// (Documentation/filesystems/overlayfs.rst):
//   - a name is taken from the topmost layer that has it;
//   - a whiteout there (a 0:0 character device, oci/whiteout.h) means it is deleted;
//   - a directory merges with the same directory of the layers below it, down to the
//     first layer where the name is not a directory, or to the first opaque one
//     (trusted.overlay.opaque="y": "hide everything below me").
// The path is resolved through the merged view like the runtime resolves a mount
// destination (openat2 RESOLVE_IN_ROOT): symlinks are followed, but never out of the
// image's root. Layer content is untrusted, so every name is opened with O_NOFOLLOW below
// a directory fd; nothing of the host is ever followed into.
//
// The copy keeps owners, modes, times, symlinks, hard links, fifos, device nodes and
// extended attributes (not overlayfs' own trusted.overlay.*), and shifts owners into a
// user namespace's host ids when the container has one.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace berth::engine {

// Container ids -> host ids for the copied files (a user-namespaced container's users must
// own them); no mappings: the same numbers. Ids outside the mappings become the overflow
// id 65534, as the kernel shows them.
struct IdShift {
  std::vector<runtime::IdMapping> uids, gids;
  uid_t uid(uid_t id) const;
  gid_t gid(gid_t id) const;
};

// Copies the content of the image directory `path` (layer_dirs lowest first) into
// `dest_dir`, an existing directory, and gives dest_dir that directory's owner and mode.
// Returns false, copying nothing, when the image has no directory at `path`.
Result<bool> copy_image_dir(const std::vector<std::string>& layer_dirs, const std::string& path,
                            const std::string& dest_dir, const IdShift& shift);

}  // namespace berth::engine
