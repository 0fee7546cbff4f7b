// Manifests as a registry serves them: an image manifest (config + layers) or an index of
// manifests, one per platform, in OCI's or Docker's media types.
//
// Read: OCI image spec, manifest.md, image-index.md, descriptor.md ("urls") and layer.md
// ("Non-distributable layers"); Docker's image manifest v2 schema 2 (the same structure
// under application/vnd.docker.* media types). Schema 1 (a signed JSON with the config
// folded into "history") is 2017's format, long deprecated: recognised only to refuse it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/platform.h"

namespace berth::oci {

inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerSchema1Type =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1SignedType =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// The Accept header of a manifest request: every format we read, indexes first.
std::string manifest_accept_header();

struct Descriptor {
  std::string media_type, digest;
  int64_t size = -1;  // -1: not given
  std::vector<std::string> urls;
  std::optional<Platform> platform;  // index entries
};

struct Manifest {
  enum class Kind { kIndex, kImage };
  Kind kind = Kind::kImage;
  std::string media_type;
  std::vector<Descriptor> manifests;  // kIndex
  Descriptor config;                  // kImage
  std::vector<Descriptor> layers;     // kImage, lowest first
};

// Parses a manifest body. `content_type` is the response's Content-Type (used when the
// body names no mediaType); `name` is the image for errors. Schema 1 is an error:
// "manifest schema 1 is not supported: NAME ...".
Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type,
                                const std::string& name);

// The index entry to pull for `want` (platform.h's matching); an error as docker words it:
// "no matching manifest for linux/arm64/v8 in the manifest list entries".
Result<Descriptor> select_manifest(const Manifest& index, const Platform& want);

// Non-distributable ("foreign") layers: content that must not be pushed to registries
// (Windows base layers); the OCI types are deprecated, Docker's foreign one is not.
bool is_non_distributable(std::string_view media_type);

}  // namespace berth::oci
