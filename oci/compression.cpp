// Recognising layer compression by magic bytes (RFC 1952, RFC 8878, bzip2/xz for kOther).
#include "oci/compression.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/fd.h"

namespace berth::oci {

Compression detect_compression(std::string_view head) {
  if (head.starts_with("\x1f\x8b")) return Compression::kGzip;
  if (head.starts_with("\x28\xb5\x2f\xfd")) return Compression::kZstd;
  if (head.starts_with("BZh") || head.starts_with("\xfd" "7zXZ")) return Compression::kOther;
  return Compression::kNone;
}

Result<Compression> detect_file_compression(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY));
  char buf[8];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0) return sys_error("read", path);
  return detect_compression(std::string_view(buf, static_cast<size_t>(n)));
}

std::string layer_media_type(Compression c) {
  switch (c) {
    case Compression::kGzip: return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd: return "application/vnd.oci.image.layer.v1.tar+zstd";
    default: return "application/vnd.oci.image.layer.v1.tar";
  }
}

}  // namespace berth::oci
