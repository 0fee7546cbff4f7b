// Packing a directory into a layer tar: the reverse of layer_unpack.h, for images berth
// makes itself (`berth build`).
//
// Read: OCI image spec, layer.md ("Creating", "Whiteouts"); the kernel's
// Documentation/filesystems/overlayfs.rst ("whiteouts and opaque directories", "Non-
// directories": the trusted.overlay.origin/impure xattrs overlayfs leaves in an upper dir).
// The directory is in overlayfs' format, the one an overlay's upper directory has after a
// container ran (the builder's RUN step) and the one extracted layers have in the store:
//   a character device 0:0 NAME            -> a member ".wh.NAME" (NAME is deleted)
//   trusted.overlay.opaque="y" on dir D    -> a member "D/.wh..wh..opq" (D hides what is below)
// Overlayfs' own bookkeeping xattrs (trusted.overlay.* but opaque) describe the container's
// mount, not the content: they are left out of the tar and removed from the directory, so
// that the directory can itself become the extracted layer (an overlay lowerdir) without a
// second extraction. Members are written in sorted order, hard links as tar hard links.
#pragma once

#include <set>
#include <string>

#include "base/result.h"
#include "oci/layer_unpack.h"

namespace berth::oci {

// Writes the uncompressed tar of `dir` to `tar_path` (created). `skip`: paths relative to
// dir ("etc/hosts") left out of the tar and removed from dir. Returns the digests: the blob
// digest is the diff id (no compression).
Result<LayerDigests> pack_layer_dir(const std::string& dir, const std::string& tar_path,
                                    const std::set<std::string>& skip = {});

}  // namespace berth::oci
