// /dev inside the container: a fresh tmpfs with only the standard nodes.
//
// Why not the host's /dev: it would hand the container every disk and terminal of the
// host. The runtime spec (config-linux.md "Default Devices") lists what every container
// gets: null, zero, full, random, urandom, tty, and /dev/ptmx pointing into its own devpts.
// In a new user namespace mknod(2) is refused (device nodes could bypass the host's
// permissions), so there the host's nodes are bind-mounted instead, as rootless podman does.
//
// The device cgroup (runtime/cgroup_devices.cpp) is the second lock: even with CAP_MKNOD
// a container can create a node for /dev/sda, but cannot open it.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/trace.h"
#include "runtime/safe_path.h"
#include "runtime/step_functions.h"

namespace berth::runtime {

namespace {

struct DeviceNode {
  const char* path;
  unsigned major, minor;
};
constexpr DeviceNode kDefaultDevices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

struct DevLink {
  const char* target;
  const char* path;
};
constexpr DevLink kDevLinks[] = {
    {"/proc/self/fd", "/dev/fd"},      {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},         {"/proc/kcore", "/dev/core"},
};

Result<> make_node(ContainerContext& ctx, const DeviceNode& d) {
  ASSIGN_OR_RETURN(Fd dev, open_in_root(ctx.root_fd.get(), "/dev", O_DIRECTORY));
  ASSIGN_OR_RETURN(Fd dir, open_fd(fd_path(dev.get()), O_RDONLY | O_DIRECTORY));
  const char* name = d.path + 5;  // after "/dev/"
  if (ctx.in_user_namespace) {
    ASSIGN_OR_RETURN(Fd target, make_mount_target(ctx.root_fd.get(), d.path, false));
    if (::mount(d.path, fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      return sys_error("bind device", d.path);
    return {};
  }
  if (::mknodat(dir.get(), name, S_IFCHR | 0666, makedev(d.major, d.minor)) < 0 && errno != EEXIST)
    return sys_error("mknod", d.path);
  // mknod applies the umask; devices must be 0666 whatever it was.
  if (::fchmodat(dir.get(), name, 0666, 0) < 0) return sys_error("chmod", d.path);
  return {};
}

}  // namespace

Result<> create_device_nodes(ContainerContext& ctx) {
  std::string names;
  for (const auto& d : kDefaultDevices) names += std::string(d.path + 5) + " ";
  trace_syscall(std::string(ctx.in_user_namespace ? "mount(MS_BIND) host nodes: " : "mknod(S_IFCHR, 0666): ") + names);
  for (const auto& d : kDefaultDevices) TRY(make_node(ctx, d));
  ASSIGN_OR_RETURN(Fd dev, open_in_root(ctx.root_fd.get(), "/dev", O_DIRECTORY));
  ASSIGN_OR_RETURN(Fd dir, open_fd(fd_path(dev.get()), O_RDONLY | O_DIRECTORY));
  trace_syscall("symlink: fd stdin stdout stderr ptmx core");
  for (const auto& l : kDevLinks) {
    if (::symlinkat(l.target, dir.get(), l.path + 5) < 0 && errno != EEXIST)
      return sys_error("symlink", l.path);
  }
  return {};
}

}  // namespace berth::runtime
