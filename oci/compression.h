// Layer compression, recognised by magic bytes rather than trusted from a media type.
//
// Read: OCI image spec, layer.md and media-types.md (tar, tar+gzip, tar+zstd); RFC 1952
// (gzip magic 1f 8b), RFC 8878 (zstd frame magic 28 b5 2f fd). Archives in the wild label
// layers loosely (docker-archive layers have no media type at all), so the bytes decide.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::oci {

enum class Compression { kNone, kGzip, kZstd, kOther };

Compression detect_compression(std::string_view head);
Result<Compression> detect_file_compression(const std::string& path);
// The OCI layer media type for a compression ("application/vnd.oci.image.layer.v1.tar+gzip").
std::string layer_media_type(Compression c);

}  // namespace berth::oci
