// Content digests: "sha256:<64 lower-case hex>", the names of everything in the store.
//
// Read: OCI image spec, descriptor.md "Digests" (algorithm ":" encoded; sha256 is the one
// every registry and `docker save` use). After this file you know why a digest is both a
// name and a checksum: whoever hands us bytes under a digest must hand us exactly those bytes.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::oci {

inline constexpr std::string_view kSha256Prefix = "sha256:";

bool is_lower_hex(std::string_view s);
// "sha256:" followed by exactly 64 lower-case hex digits.
bool is_sha256_digest(std::string_view digest);
// The hex part of a valid sha256 digest; an error naming the digest otherwise.
Result<std::string> digest_hex(std::string_view digest);
// "sha256:" + sha256 of the bytes.
std::string sha256_digest_of(std::string_view data);

}  // namespace berth::oci
