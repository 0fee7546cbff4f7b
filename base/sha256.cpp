#include "base/sha256.h"

#include <fcntl.h>
#include <nettle/sha2.h>
#include <unistd.h>

#include "base/fd.h"

namespace berth {

// Nettle, linked statically: its sha256 is plain code with the CPU's SHA extensions picked at
// run time, where OpenSSL 3's EVP interface first starts its provider machinery and reads
// openssl.cnf, about 2 ms of every berth command (and `berth run` hashes its seccomp profile).
struct Sha256::Impl {
  struct sha256_ctx ctx;
  Impl() { sha256_init(&ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t len) {
  sha256_update(&impl_->ctx, len, static_cast<const uint8_t*>(data));
}

std::string Sha256::hex_digest() {
  uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(&impl_->ctx, sizeof md, md);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof md);
  for (size_t i = 0; i < sizeof md; i++) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

Result<std::string> sha256_file_hex(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY));
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", path);
    }
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  return h.hex_digest();
}

}  // namespace berth
