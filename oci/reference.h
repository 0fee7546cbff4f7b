// Image references: "busybox", "localhost:5000/a/b:t", "x@sha256:<64hex>".
//
// Read: the grammar in github.com/distribution/reference (reference.go, normalize.go), which
// docker, podman and containerd all follow. After this file you know how a short name becomes
// a fully qualified one: the first component is a registry only when it looks like a host
// (has a "." or ":", or is "localhost"); otherwise the registry is docker.io, and a single
// component name lives under "library/". The tag defaults to "latest" unless a digest is given.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::oci {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
  std::string domain, path, tag, digest;  // path like "library/busybox"
  std::string str() const;                  // "docker.io/library/busybox:latest"
  std::string repository() const;           // "docker.io/library/busybox"
  std::string familiar_repository() const;  // "busybox"
  std::string familiar() const;             // "busybox:latest" (docker's short display form)
  bool operator==(const Reference&) const = default;
};

Result<Reference> parse_reference(std::string_view s);

}  // namespace berth::oci
