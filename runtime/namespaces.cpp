#include "runtime/namespaces.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/trace.h"

namespace berth::runtime {

namespace {
struct NamespaceFlag {
  const char* type;
  unsigned long flag;
};
constexpr NamespaceFlag kNamespaces[] = {
    {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP},
};
}  // namespace

unsigned long clone_flags_for(const Spec& spec) {
  unsigned long flags = 0;
  for (const auto& ns : spec.namespaces) {
    if (!ns.path.empty() || ns.type == "cgroup") continue;
    for (const auto& n : kNamespaces)
      if (ns.type == n.type) flags |= n.flag;
  }
  return flags;
}

Result<pid_t> clone_container(unsigned long flags, std::optional<int> cgroup_fd, Fd& pidfd) {
  struct clone_args args;
  std::memset(&args, 0, sizeof args);
  int pidfd_raw = -1;
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd_raw);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(*cgroup_fd);
  }
  trace_syscall("clone3(" + clone_flags_str(flags) + (cgroup_fd ? "|CLONE_INTO_CGROUP" : "") + ")");
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return sys_error("clone3", clone_flags_str(flags));
  if (pid > 0) pidfd.reset(pidfd_raw);
  return static_cast<pid_t>(pid);
}

namespace {
// The same namespace: the same inode on the nsfs device.
bool same_namespace(int fd, const char* own) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && ::stat(own, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
}  // namespace

Result<> join_namespaces(ContainerContext& ctx) {
  for (const auto& ns : ctx.spec.namespaces) {
    if (ns.path.empty()) continue;
    ASSIGN_OR_RETURN(Fd fd, open_fd(ns.path, O_RDONLY));
    if (ns.type == "network" && same_namespace(fd.get(), "/proc/thread-self/ns/net")) continue;  // born in it
    trace_syscall("setns(open(" + quote(ns.path) + "), 0)");
    if (::setns(fd.get(), 0) < 0) return sys_error("setns " + ns.type, ns.path);
  }
  return {};
}

Result<std::optional<Fd>> enter_network_namespace(const Spec& spec) {
  for (const auto& ns : spec.namespaces) {
    if (ns.type != "network" || ns.path.empty()) continue;
    ASSIGN_OR_RETURN(Fd original, open_fd("/proc/thread-self/ns/net", O_RDONLY));
    ASSIGN_OR_RETURN(Fd target, open_fd(ns.path, O_RDONLY));
    trace_syscall("setns(open(" + quote(ns.path) + "), CLONE_NEWNET) in the parent, so the child is born in it");
    if (::setns(target.get(), CLONE_NEWNET) < 0) return sys_error("setns network", ns.path);
    return std::optional<Fd>(std::move(original));
  }
  return std::optional<Fd>();
}

Result<> return_to_network_namespace(const Fd& original) {
  trace_syscall("setns(\"/proc/thread-self/ns/net\" as before, CLONE_NEWNET)");
  if (::setns(original.get(), CLONE_NEWNET) < 0) return sys_error("setns network", "back to the original");
  return {};
}

}  // namespace berth::runtime
