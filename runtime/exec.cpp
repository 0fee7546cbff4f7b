#include "runtime/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>

#include <optional>

#include "base/process.h"
#include "base/trace.h"
#include "runtime/cgroup.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/step_conditions.h"
#include "runtime/step_functions.h"
#include "runtime/supervise.h"
#include "runtime/sync.h"

namespace berth::runtime {

namespace {

// The namespaces to join with the container's PID 1, as setns(2) flags. Its user
// namespace only when it has one of its own (joining the one we are in is EINVAL); its
// pid namespace is not here: berth entered it before clone.
unsigned long join_flags(const Spec& spec) {
  unsigned long flags = 0;
  for (const auto& ns : spec.namespaces) {
    if (ns.type == "user") flags |= CLONE_NEWUSER;
    if (ns.type == "mount") flags |= CLONE_NEWNS;
    if (ns.type == "uts") flags |= CLONE_NEWUTS;
    if (ns.type == "ipc") flags |= CLONE_NEWIPC;
    if (ns.type == "network") flags |= CLONE_NEWNET;
    if (ns.type == "cgroup") flags |= CLONE_NEWCGROUP;
  }
  return flags;
}

Result<> enter_container_namespaces(ContainerContext& ctx) {
  trace_syscall("setns(pidfd of the container's PID 1, " + clone_flags_str(ctx.join_flags) + ")");
  if (::setns(ctx.join_pidfd, static_cast<int>(ctx.join_flags)) < 0)
    return sys_error("setns", clone_flags_str(ctx.join_flags));
  return {};
}

constexpr Step kExecSteps[] = {
    {"wait_for_parent", "berth has put us in the container's pid namespace; wait for go",
     wait_for_parent},
    {"join_cgroup", "move ourselves into the container's v1 cgroups (no global lock for one thread)",
     join_cgroup, joins_cgroup_itself},
    {"enter_container_namespaces", "join the container's mount, uts, ipc, network, cgroup (and user) namespaces",
     enter_container_namespaces},
    {"wait_for_cgroup", "berth moves us into the container's cgroup; wait until it is done",
     wait_for_cgroup, joins_cgroup_late},
    {"open_console", "-t: a pty from the container's devpts as our stdin/stdout/stderr",
     open_console, terminal},
};

}  // namespace

Result<ExitStatus> exec_in_container(const ExecRequest& req) {
  BlockForwarded blocked;
  ContainerContext ctx;
  ctx.id = req.id;
  ctx.spec = req.spec;
  ctx.exec = true;
  ASSIGN_OR_RETURN(std::optional<SeccompFilter> filter, SeccompFilter::for_spec(ctx.spec.seccomp, req.seccomp_cache));
  if (filter) ctx.seccomp = &*filter;
  Fd target = open_pidfd(req.init_pid);
  if (!target) return sys_error("pidfd_open", "container PID 1 (" + std::to_string(req.init_pid) + ")");
  ctx.join_pidfd = target.get();
  ctx.join_flags = join_flags(ctx.spec);
  if (ctx.spec.has_namespace("pid")) {
    trace_syscall("setns(pidfd, CLONE_NEWPID): our next child is born in the container's pid namespace");
    if (::setns(target.get(), CLONE_NEWPID) < 0) return sys_error("setns", "CLONE_NEWPID");
  }
  auto cgroup = Cgroup::open(detect_cgroup_layout(), req.id);
  std::optional<int> into = cgroup ? cgroup->v2_dir_fd() : std::nullopt;
  bool self_join = cgroup && !into;
  if (self_join) ctx.cgroup_task_files = cgroup->v1_task_files();
  ctx.joins_cgroup_late = self_join && cgroup->has_v2();
  ASSIGN_OR_RETURN(SyncPair sync, make_sync_pair());
  Fd pidfd;
  ASSIGN_OR_RETURN(pid_t pid, clone_container(0, into, pidfd));
  if (pid == 0) {
    sync.parent.reset();
    ctx.sync_fd = sync.child.get();
    child_main(kExecSteps, ctx, blocked.original);
  }
  sync.child.reset();
  auto console = hand_over_child(ctx, pid, ctx.joins_cgroup_late ? &*cgroup : nullptr, true, sync.parent.get());
  if (!console) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return std::unexpected(console.error());
  }
  Supervision s{pid, pidfd.get(), std::move(*console)};
  s.timeout_ms = req.timeout_ms;
  ASSIGN_OR_RETURN(int status, supervise(s));
  ExitStatus out = exit_status_of(status);
  out.timed_out = s.timed_out;
  return out;
}

}  // namespace berth::runtime
