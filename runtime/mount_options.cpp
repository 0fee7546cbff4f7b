#include "runtime/mount_options.h"

#include <sys/mount.h>

#include <cstring>

namespace berth::runtime {

namespace {
struct FlagName {
  const char* name;
  bool clear;  // "rw" clears MS_RDONLY, "suid" clears MS_NOSUID
  unsigned long flag;
};
constexpr FlagName kFlags[] = {
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},     {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},       {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},     {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},  {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},   {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},      {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME}, {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},         {"rbind", false, MS_BIND | MS_REC},
};
constexpr FlagName kPropagation[] = {
    {"private", false, MS_PRIVATE}, {"rprivate", false, MS_PRIVATE | MS_REC},
    {"slave", false, MS_SLAVE},     {"rslave", false, MS_SLAVE | MS_REC},
    {"shared", false, MS_SHARED},   {"rshared", false, MS_SHARED | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};
}  // namespace

bool MountOptions::bind() const { return flags & MS_BIND; }
bool MountOptions::recursive() const { return flags & MS_REC; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& opt : options) {
    bool known = false;
    for (const auto& f : kFlags) {
      if (opt == f.name) {
        out.flags = f.clear ? (out.flags & ~f.flag) : (out.flags | f.flag);
        known = true;
        break;
      }
    }
    for (const auto& p : kPropagation) {
      if (!known && opt == p.name) {
        out.propagation = p.flag;
        known = true;
      }
    }
    // SELinux relabel hints (":z", ":Z") mean nothing without SELinux; drop them.
    if (!known && opt != "z" && opt != "Z") {
      if (!out.data.empty()) out.data += ",";
      out.data += opt;
    }
  }
  return out;
}

}  // namespace berth::runtime
