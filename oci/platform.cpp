// Host platform names (OCI image-index.md "platform") and RFC 3339 timestamps.
#include "oci/platform.h"

#include <sys/utsname.h>

#include <cstdio>
#include <ctime>
#include <string_view>

namespace berth::oci {

std::string host_architecture() {
  struct utsname u;
  if (::uname(&u) < 0) return "amd64";
  std::string_view m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m.starts_with("armv")) return "arm";
  if (m == "i386" || m == "i686") return "386";
  if (m == "ppc64le") return "ppc64le";
  if (m == "s390x") return "s390x";
  if (m == "riscv64") return "riscv64";
  return std::string(m);
}


}  // namespace berth::oci
