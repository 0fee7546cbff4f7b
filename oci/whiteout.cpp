// Converting OCI whiteouts to overlayfs whiteouts (see whiteout.h; overlayfs.rst).
#include "oci/whiteout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

namespace berth::oci {

WhiteoutKind classify_whiteout(std::string_view base_name) {
  if (base_name == kOpaqueMarker) return WhiteoutKind::kOpaque;
  if (base_name.starts_with(kWhiteoutMetaPrefix)) return WhiteoutKind::kMeta;
  if (base_name.starts_with(kWhiteoutPrefix) && base_name.size() > kWhiteoutPrefix.size()) {
    return WhiteoutKind::kWhiteout;
  }
  return WhiteoutKind::kNone;
}

Result<> create_whiteout(int dirfd, const std::string& name, const std::string& shown) {
  if (::mknodat(dirfd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) {
    if (errno == EPERM) {
      return sys_error("creating whiteout (a 0:0 device node, needs CAP_MKNOD)", shown);
    }
    return sys_error("mknod", shown);
  }
  return {};
}

Result<> mark_opaque(int dirfd, const std::string& shown) {
  if (::fsetxattr(dirfd, kOverlayOpaqueXattr, "y", 1, 0) < 0) {
    return sys_error("setxattr trusted.overlay.opaque", shown);
  }
  return {};
}

}  // namespace berth::oci
