#include "runtime/namespaces.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
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

Result<> join_namespaces(ContainerContext& ctx) {
  for (const auto& ns : ctx.spec.namespaces) {
    if (ns.path.empty()) continue;
    trace_syscall("setns(open(" + quote(ns.path) + "), 0)");
    ASSIGN_OR_RETURN(Fd fd, open_fd(ns.path, O_RDONLY));
    if (::setns(fd.get(), 0) < 0) return sys_error("setns " + ns.type, ns.path);
  }
  return {};
}

}  // namespace berth::runtime
