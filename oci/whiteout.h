// Whiteouts: how a layer deletes files of the layers below it.
//
// Read: OCI image spec, layer.md "Whiteouts"; the kernel's
// Documentation/filesystems/overlayfs.rst "whiteouts and opaque directories".
// In a layer tar, ".wh.NAME" means "NAME from lower layers is deleted" and the entry
// ".wh..wh..opq" in directory D means "D hides everything below it in lower layers".
// overlayfs spells the same two ideas differently, so we convert while extracting:
//   ".wh.NAME"      -> a character device NAME with device number 0:0
//   ".wh..wh..opq"  -> the xattr trusted.overlay.opaque="y" on the directory
// After that the extracted layer directories can be stacked as overlay lowerdirs as is.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::oci {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
inline constexpr const char* kOverlayOpaqueXattr = "trusted.overlay.opaque";

enum class WhiteoutKind {
  kNone,      // an ordinary name
  kWhiteout,  // ".wh.NAME": delete NAME
  kOpaque,    // ".wh..wh..opq": the directory is opaque
  kMeta,      // other ".wh..wh.*" (aufs bookkeeping such as .wh..wh.plnk): ignored
};

WhiteoutKind classify_whiteout(std::string_view base_name);

// Creates the overlayfs whiteout for `name` (a 0:0 char device) in dirfd. Needs CAP_MKNOD.
Result<> create_whiteout(int dirfd, const std::string& name, const std::string& shown);
// Marks the directory open as dirfd opaque for overlayfs. Needs CAP_SYS_ADMIN (trusted.*).
Result<> mark_opaque(int dirfd, const std::string& shown);

}  // namespace berth::oci
