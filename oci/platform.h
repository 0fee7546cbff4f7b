// The platform an image is for, in the words of the OCI image spec (image-index.md
// "platform": GOOS/GOARCH names such as "linux", "amd64", "arm64", and a CPU "variant"
// such as "v7" for 32-bit ARM), and how a multi-platform index is matched against the host.
//
// Read: OCI image spec, image-index.md ("platform" and its "variant" table); containerd's
// platforms package (the normalisation and compatibility rules docker and podman share).
// After this file you know why "linux/arm64" and "linux/arm64/v8" are the same platform,
// and why an ARMv7 host can run an ARMv6 image but not the other way round.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::oci {

// uname(2)'s machine translated to Go's GOARCH names ("x86_64" -> "amd64").
std::string host_architecture();

struct Platform {
  std::string os, architecture, variant;
  // "linux/arm64/v8", or "linux/amd64" without a variant.
  std::string str() const;
  bool operator==(const Platform&) const = default;
};

// The host: linux, its GOARCH and, on ARM, the variant uname(2) tells ("armv6l" -> "v6").
Platform host_platform();
// docker's --platform: "os/arch[/variant]" ("linux/arm64", "linux/arm/v7"); the names are
// normalised ("x86_64" -> "amd64", "aarch64" -> "arm64").
Result<Platform> parse_platform(std::string_view text);
// The canonical form used for comparing: lower case, GOARCH names, and the default
// variant made explicit (arm64 -> v8, arm -> v7, amd64 -> v1).
Platform normalize_platform(Platform p);

// Among `candidates` (the platforms of an index's entries, in order), the index of the best
// match for `want`: the same os and architecture, and the same variant or the closest older
// one the CPU also runs (ARMv7 runs v6 and v5, amd64 v3 runs v2 and v1). -1 when none does.
int best_platform_match(const std::vector<Platform>& candidates, const Platform& want);

}  // namespace berth::oci
