// From the OCI spec's mount "options" strings to mount(2)'s flags and data string.
//
// Read: mount(2), mount(8) "FILESYSTEM-INDEPENDENT MOUNT OPTIONS", runtime-spec config.md
// "Mounts". Flags the kernel understands go into mountflags; anything else ("mode=755",
// "size=65536k", "newinstance") is passed on to the filesystem as the data string.
#pragma once

#include <string>
#include <vector>

namespace berth::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_NOSUID, MS_RDONLY, MS_BIND, ...
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SLAVE/MS_SHARED (+MS_REC): a separate call
  std::string data;               // "mode=755,size=65536k"
  bool bind() const;
  bool recursive() const;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

}  // namespace berth::runtime
