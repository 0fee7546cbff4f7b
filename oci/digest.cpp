// Content digests (OCI image spec, descriptor.md "Digests").
#include "oci/digest.h"

#include "base/sha256.h"

namespace berth::oci {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_sha256_digest(std::string_view digest) {
  if (!digest.starts_with(kSha256Prefix)) return false;
  std::string_view hex = digest.substr(kSha256Prefix.size());
  return hex.size() == 64 && is_lower_hex(hex);
}

Result<std::string> digest_hex(std::string_view digest) {
  if (!is_sha256_digest(digest)) return fail("invalid sha256 digest", std::string(digest));
  return std::string(digest.substr(kSha256Prefix.size()));
}

std::string sha256_digest_of(std::string_view data) {
  return std::string(kSha256Prefix) + sha256_hex(data);
}

}  // namespace berth::oci
