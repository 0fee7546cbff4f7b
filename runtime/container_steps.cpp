// The ordered list of what happens between clone(2) and execve(2) inside a new container.
// Each line: the step's name, why it exists, the function, and when it is enabled.
// `berth --trace run ...` prints this list as it runs; reading it top to bottom is reading
// how a container is made.
#include <unistd.h>

#include "base/trace.h"
#include "runtime/namespaces.h"
#include "runtime/step_conditions.h"
#include "runtime/step_functions.h"
#include "runtime/steps.h"

namespace berth::runtime {

namespace {

bool joins_namespaces(const ContainerContext& c) {
  for (const auto& ns : c.spec.namespaces)
    if (!ns.path.empty()) return true;
  return false;
}
bool new_cgroup_namespace(const ContainerContext& c) {
  const Namespace* ns = c.spec.find_namespace("cgroup");
  return ns && ns->path.empty();
}
bool new_network_namespace(const ContainerContext& c) {
  const Namespace* ns = c.spec.find_namespace("network");
  return ns && ns->path.empty();
}
bool user_namespace(const ContainerContext& c) { return c.in_user_namespace; }

bool cgroup2_mount(const ContainerContext& c) {
  for (const auto& m : c.spec.mounts)
    if (m.type == "cgroup2") return true;
  return false;
}
bool has_hostname(const ContainerContext& c) {
  return !c.spec.hostname.empty() && c.spec.has_namespace("uts");
}
bool has_sysctls(const ContainerContext& c) { return !c.spec.sysctl.empty(); }
bool readonly_root(const ContainerContext& c) { return c.spec.root_readonly; }
bool init(const ContainerContext& c) { return c.run_init; }


constexpr Step kSteps[] = {
    {"wait_for_parent", "berth writes our uid map (and builds our idmapped rootfs) from outside; wait for it",
     wait_for_parent},
    {"join_cgroup", "move ourselves into our v1 cgroups: a thread may, without the global lock",
     join_cgroup, joins_cgroup_itself},
    {"join_namespaces", "setns(2) into namespaces that already exist (a network made beforehand)",
     join_namespaces, joins_namespaces},
    {"become_root", "take uid 0 of the new user namespace, which maps to the host's range",
     become_root_in_user_namespace, user_namespace},
    {"bring_up_loopback", "a new network namespace has only lo, and it starts down",
     bring_up_loopback, new_network_namespace},
    {"make_mounts_private", "stop mounts made from here on from propagating to the host",
     make_mounts_private},
    {"mount_rootfs", "the image layers under a writable overlay become the future /",
     mount_rootfs},
    {"mount_filesystems", "/proc, /dev, /dev/pts, /dev/shm, /sys and volumes, inside the rootfs",
     mount_filesystems},
    {"wait_for_cgroup", "berth moved us into our cgroup while we mounted; wait until it is done",
     wait_for_cgroup, joins_cgroup_late},
    {"enter_cgroup_namespace", "make our own cgroup the root of what /proc/self/cgroup shows",
     enter_cgroup_namespace, new_cgroup_namespace},
    {"mount_cgroup_filesystem", "show the container its own cgroup at /sys/fs/cgroup",
     mount_cgroup_filesystem, cgroup2_mount},
    {"create_device_nodes", "a private /dev with only null, zero, full, random, urandom, tty",
     create_device_nodes},
    {"pivot_root", "make the image the new /, then detach the old root", pivot_to_rootfs},
    {"open_console", "a pty from the container's devpts as its stdin/stdout/stderr",
     open_console, terminal},
    {"set_hostname", "the uts namespace gets the container's own host (and domain) name", set_hostname,
     has_hostname},
    {"write_sysctls", "namespaced kernel settings (net.*, ipc, ...) for this container only",
     write_sysctls, has_sysctls},
    {"mask_paths", "hide /proc files that leak host information (kcore, keys, timer_list...)",
     mask_paths},
    {"make_paths_readonly", "/proc/sys, /proc/sysrq-trigger...: readable, never writable",
     make_paths_readonly},
    {"make_root_readonly", "--read-only: the rootfs itself cannot be written", make_root_readonly,
     readonly_root},
};

// From here on the same for a container's first process and for `exec` (runtime/exec.cpp).
constexpr Step kProcessSteps[] = {
    {"set_rlimits", "resource limits (open files, processes) the command starts with",
     set_rlimits, has_rlimits},
    {"change_directory", "start in the working directory", change_directory},
    {"find_executable", "look the command up in the container's $PATH", find_executable},
    {"load_seccomp_early", "installing a filter needs CAP_SYS_ADMIN, which we are about to drop",
     load_seccomp_filter, seccomp_before_user_switch},
    {"switch_user", "become the image's (or -u) user and groups", switch_user},
    {"drop_capabilities", "keep only the capabilities the container is granted",
     drop_capabilities},
    {"set_no_new_privileges", "setuid binaries can no longer gain privileges",
     set_no_new_privileges, no_new_privs},
    {"load_seccomp", "from here on, syscalls outside the allowlist fail with EPERM",
     load_seccomp_filter, seccomp_last},
    {"close_inherited_fds", "nothing berth's caller had open leaks into the container",
     close_inherited_fds},
    {"start_init", "--init: stay as PID 1 to reap zombies and forward signals", start_init, init},
    {"execve", "replace this process with the command", exec_command},
};

}  // namespace

Result<> exec_command(ContainerContext& ctx) {
  std::vector<char*> argv, envp;
  for (auto& a : ctx.spec.process.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : ctx.spec.process.env) envp.push_back(e.data());
  envp.push_back(nullptr);
  trace_syscall("execve(" + quote(ctx.exec_path) + ", [" + ctx.spec.process.args[0] + " ...])");
  ::execve(ctx.exec_path.c_str(), argv.data(), envp.data());
  return sys_error("exec", ctx.spec.process.args[0]);
}

std::span<const Step> container_steps() { return kSteps; }
std::span<const Step> process_steps() { return kProcessSteps; }

}  // namespace berth::runtime
