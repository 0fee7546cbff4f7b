// Steps that shape the container's process itself: who it is, where it starts, its limits.
//
// Read: user_namespaces(7), setresuid(2), setgroups(2), setrlimit(2), sethostname(2),
// cgroup_namespaces(7), execve(2).
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"
#include "runtime/capabilities.h"
#include "runtime/step_functions.h"
#include "runtime/sync.h"

namespace berth::runtime {

Result<> wait_for_parent(ContainerContext& ctx) {
  // If berth dies, the container dies with it: a foreground container has no other owner.
  if (ctx.die_with_parent) {
    trace_syscall("prctl(PR_SET_PDEATHSIG, SIGKILL)");
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return sys_error("prctl PR_SET_PDEATHSIG");
  }
  // Detached, the parent exits after our execve; if it dies before, recv() sees EOF.
  trace_syscall("recv(sync) until the parent says go");
  ASSIGN_OR_RETURN(ctx.rootfs_mount, wait_go(ctx.sync_fd));
  return {};
}

Result<> join_cgroup(ContainerContext& ctx) {
  // A thread moving itself through a v1 `tasks` file skips the global lock that makes a
  // cgroup.procs write wait for an RCU grace period (runtime/cgroup.h).
  for (const auto& f : ctx.cgroup_task_files) {
    trace_syscall("write(" + quote(f) + ", \"0\")");
    TRY_CTX(write_file(f, "0"), "joining cgroup");
  }
  return {};
}

Result<> wait_for_cgroup(ContainerContext& ctx) {
  trace_syscall("recv(sync) until the parent has written our pid into cgroup.procs");
  return wait_joined(ctx.sync_fd);
}

Result<> enter_cgroup_namespace(ContainerContext&) {
  // Only now, after the parent moved us into our cgroup: a cgroup namespace takes the
  // cgroup we are in at unshare() time as its root, so doing it at clone() time would make
  // berth's own cgroup the container's "/".
  trace_syscall("unshare(CLONE_NEWCGROUP)");
  if (::unshare(CLONE_NEWCGROUP) < 0) return sys_error("unshare", "CLONE_NEWCGROUP");
  return {};
}

Result<> become_root_in_user_namespace(ContainerContext&) {
  trace_syscall("setresgid(0, 0, 0)  setresuid(0, 0, 0)");
  if (::setresgid(0, 0, 0) < 0) return sys_error("setresgid", "0");
  if (::setresuid(0, 0, 0) < 0) return sys_error("setresuid", "0");
  return {};
}

Result<> set_hostname(ContainerContext& ctx) {
  const std::string& h = ctx.spec.hostname;
  trace_syscall("sethostname(" + quote(h) + ")");
  if (::sethostname(h.c_str(), h.size()) < 0) return sys_error("sethostname", h);
  const std::string& d = ctx.spec.domainname;
  if (!d.empty()) {
    trace_syscall("setdomainname(" + quote(d) + ")");
    if (::setdomainname(d.c_str(), d.size()) < 0) return sys_error("setdomainname", d);
  }
  return {};
}

Result<> write_sysctls(ContainerContext& ctx) {
  for (const auto& [key, value] : ctx.spec.sysctl) {
    // net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward (sysctl(8)'s naming)
    std::string rel = key;
    for (char& c : rel) c = c == '.' ? '/' : c;
    std::string path = "/proc/sys/" + rel;
    trace_syscall("write(" + quote(path) + ", " + quote(value) + ")");
    TRY_CTX(write_file(path, value), "sysctl " + key);
  }
  return {};
}

namespace {
int rlimit_resource(const std::string& name) {
  static const std::pair<const char*, int> names[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
  };
  for (const auto& [n, r] : names)
    if (name == n) return r;
  return -1;
}
}  // namespace

Result<> set_rlimits(ContainerContext& ctx) {
  for (const auto& l : ctx.spec.process.rlimits) {
    int res = rlimit_resource(l.type);
    if (res < 0) return fail("unknown rlimit", l.type);
    struct rlimit rl = {l.soft, l.hard};
    trace_syscall("setrlimit(" + l.type + ", {" + std::to_string(l.soft) + ", " +
                  std::to_string(l.hard) + "})");
    // Raising a hard limit needs CAP_SYS_RESOURCE, which some hosts (and every rootless
    // user) do not have: say which limit and what the current ceiling is.
    if (::setrlimit(res, &rl) < 0) {
      int err = errno;
      struct rlimit cur = {};
      ::getrlimit(res, &cur);
      return fail_errno(err, "setrlimit " + l.type + " (hard limit here is " +
                                 std::to_string(cur.rlim_max) + ")",
                        std::to_string(l.soft) + ":" + std::to_string(l.hard));
    }
  }
  return {};
}

Result<> change_directory(ContainerContext& ctx) {
  const std::string& cwd = ctx.spec.process.cwd;
  trace_syscall("chdir(" + quote(cwd) + ")");
  if (::chdir(cwd.c_str()) == 0) return {};
  // Docker creates a missing WORKDIR rather than failing.
  if (errno == ENOENT) {
    TRY(make_dirs(cwd));
    if (::chdir(cwd.c_str()) == 0) return {};
  }
  return sys_error("chdir", cwd);
}

namespace {
std::string env_path(const std::vector<std::string>& env) {
  for (const auto& e : env)
    if (starts_with(e, "PATH=")) return e.substr(5);
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}
}  // namespace

Result<> find_executable(ContainerContext& ctx) {
  // execvp(3)'s search, done by hand against the *container's* PATH (the parent's
  // environment has nothing to do with it), so that "not found" (127) and "not
  // executable" (126) can be told apart before execve.
  const std::string& cmd = ctx.spec.process.args[0];
  if (cmd.find('/') != std::string::npos) {
    ctx.exec_path = cmd;
    if (::access(cmd.c_str(), F_OK) < 0) return sys_error("exec", cmd);
    return {};
  }
  for (const auto& dir : split(env_path(ctx.spec.process.env), ':')) {
    std::string candidate = path_join(dir.empty() ? "." : dir, cmd);
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      ctx.exec_path = candidate;
      trace_syscall("found " + quote(cmd) + " at " + quote(candidate) + " in $PATH");
      return {};
    }
  }
  return fail_errno(ENOENT, "exec: executable file not found in $PATH", cmd);
}

Result<> switch_user(ContainerContext& ctx) {
  const Process& p = ctx.spec.process;
  std::string groups;
  for (auto g : p.additional_gids) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  trace_syscall("setgroups([" + groups + "])  setresgid(" +
                std::to_string(p.gid) + ")  setresuid(" + std::to_string(p.uid) + ")");
  // Keep capabilities across the uid change; drop_capabilities sets the final sets next.
  TRY(keep_capabilities_across_setuid());
  std::vector<gid_t> gids(p.additional_gids.begin(), p.additional_gids.end());
  // setgroups is refused in a user namespace whose gid_map was written with "deny".
  if (::setgroups(gids.size(), gids.data()) < 0 && !(ctx.in_user_namespace && errno == EPERM))
    return sys_error("setgroups", groups);
  if (::setresgid(p.gid, p.gid, p.gid) < 0) return sys_error("setresgid", std::to_string(p.gid));
  if (::setresuid(p.uid, p.uid, p.uid) < 0) return sys_error("setresuid", std::to_string(p.uid));
  return {};
}

}  // namespace berth::runtime
