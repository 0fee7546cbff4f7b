// The platform an image is for, in the words of the OCI image spec (image-index.md
// "platform": GOARCH/GOOS names such as "amd64", "arm64", "linux"), and spec timestamps.
#pragma once

#include <string>

namespace berth::oci {

// uname(2)'s machine translated to Go's GOARCH names ("x86_64" -> "amd64").
std::string host_architecture();
// The current time as RFC 3339 with nanoseconds, UTC ("2024-05-01T12:00:00.123456789Z").

}  // namespace berth::oci
