// A layer blob read once: file bytes -> sha256 (the blob digest, as in the manifest) ->
// decompression (gzip, zstd, none: libarchive's filters, chosen by magic bytes) ->
// sha256 (the diff id, as in the config's rootfs.diff_ids) -> the tar parser.
//
// Read: OCI image spec, config.md "Layer DiffID" and manifest.md "layers"; libarchive's
// archive_read_open(3) (custom read callbacks) and archive_read_support_format_raw(3).
// Both digests come out of the same single pass that feeds the extractor, so a 200 MB layer
// is read from disk and decompressed exactly once. Decompression and hashing run on a
// producer thread while the caller parses the tar and writes files: on a 2-core machine
// that is what `tar -xzf` gets from its separate gzip process.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::oci {

class LayerStream {
 public:
  // Starts reading `path`. The stream owns a producer thread until finish() or destruction.
  static Result<std::unique_ptr<LayerStream>> open(const std::string& path);
  virtual ~LayerStream() = default;

  // The next block of decompressed tar bytes; empty at the end. Valid until the next call.
  virtual Result<std::string_view> next() = 0;
  // Reads whatever the consumer left (tar padding, trailing bytes) so both digests cover the
  // whole blob, and stops the producer. Returns the first error the producer met.
  virtual Result<> finish() = 0;
  // "sha256:..." of the file as stored and of the decompressed stream. After finish().
  virtual std::string blob_digest() const = 0;
  virtual std::string diff_id() const = 0;
  virtual int64_t blob_size() const = 0;
};

}  // namespace berth::oci
