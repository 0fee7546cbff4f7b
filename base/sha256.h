// SHA-256, streaming: blobs and layers are hashed while they are read, never twice.
// (OCI image spec, descriptor.md "Digests": sha256 is the algorithm every registry uses.)
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hex of the digest. The object is finished afterwards.
  std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
Result<std::string> sha256_file_hex(const std::string& path);

}  // namespace berth
