// Extracting one layer tar into a directory, safely, in a single pass that also computes
// the layer's blob digest and diff id.
//
// Read: OCI image spec, layer.md ("Changesets", "Whiteouts"); tar(5) (ustar and pax
// headers, SCHILY.xattr); libarchive's archive_read_data_block(3) and archive_entry(3).
// Every member is created by us with *at() syscalls relative to a directory opened by
// DirWalker (safe_path.h), never with archive_write_disk: the layer is untrusted, and an
// explicit create step per file type keeps each security decision visible here.
// Docker's semantics are kept: later members overwrite earlier ones, a directory member on
// an existing directory only updates its metadata, modes (setuid too), numeric owners,
// mtimes and xattrs are preserved, whiteouts become overlayfs whiteouts (whiteout.h).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace berth::oci {

struct LayerDigests {
  std::string blob_digest;  // sha256 of the file as stored (compressed or not)
  std::string diff_id;      // sha256 of the uncompressed tar
  int64_t blob_size = 0;
  int64_t size = 0;         // bytes of regular file content (for `images`)
};

struct UnpackOptions {
  // Set the numeric owners from the tar. Off when not root (an unprivileged caller cannot).
  bool chown = true;
};

// Extracts the layer at blob_path into dest_dir (an existing, empty directory we own).
// On error the caller removes dest_dir; the error names the member: `member "x": reason`.
Result<LayerDigests> unpack_layer(const std::string& blob_path, const std::string& dest_dir,
                                  const UnpackOptions& options);
// Only computes the digests (the layer is already extracted under its diff id).
Result<LayerDigests> digest_layer(const std::string& blob_path);

}  // namespace berth::oci
