#include "runtime/container.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/trace.h"
#include "runtime/cgroup.h"
#include "runtime/context.h"
#include "runtime/idmapped_rootfs.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/steps.h"
#include "runtime/supervise.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "runtime/uid_map.h"

namespace berth::runtime {

namespace {

Result<ContainerContext> prepare_context(const RunRequest& req) {
  ContainerContext ctx;
  ctx.id = req.id;
  ctx.bundle = req.bundle;
  ASSIGN_OR_RETURN(ctx.spec, load_spec(req.bundle));
  ctx.rootfs = ctx.spec.root_path[0] == '/' ? ctx.spec.root_path
                                           : path_join(req.bundle, ctx.spec.root_path);
  const Namespace* user = ctx.spec.find_namespace("user");
  ctx.in_user_namespace = user && user->path.empty();
  auto init = ctx.spec.annotations.find(kAnnotationInit);
  ctx.run_init = init != ctx.spec.annotations.end() && init->second == "1";
  return ctx;
}

int exit_code_of(int status, int* signal) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  *signal = WTERMSIG(status);
  return 128 + *signal;
}

}  // namespace

namespace {

// A container whose command is running: what launch() hands to run_container (which
// supervises it) or to start_container (which lets it go).
struct Launched {
  pid_t pid = -1;
  Fd pidfd;
  Fd console;
  std::optional<Cgroup> cgroup;
};

// Everything from reading the bundle to the container's execve. The child starts its
// command with `original`, the signal mask berth had before blocking.
Result<Launched> launch(const RunRequest& req, const sigset_t& original) {
  ASSIGN_OR_RETURN(ContainerContext ctx, prepare_context(req));
  ctx.die_with_parent = !req.detach;
  ctx.stdio = req.stdio;
  // A new network namespace is made now, beside what follows (namespaces.h). Not for a
  // user namespace: it must own its network namespace, so the child makes that one.
  std::optional<Meanwhile<Fd>> netns;
  Namespace* net = nullptr;
  for (auto& ns : ctx.spec.namespaces)
    if (ns.type == "network" && ns.path.empty()) net = &ns;
  if (net && !ctx.in_user_namespace) netns.emplace(make_netns_with_loopback, "netns");
  // Compiled here, loaded in the child: a bad profile is reported before anything exists.
  ASSIGN_OR_RETURN(std::optional<SeccompFilter> filter, SeccompFilter::for_spec(ctx.spec.seccomp, req.seccomp_cache));
  if (filter) ctx.seccomp = &*filter;
  ASSIGN_OR_RETURN_CTX(Resources res, resources_from_json(ctx.spec.resources), "resources");
  CgroupLayout layout = detect_cgroup_layout();
  trace_note("cgroups: " + describe(layout));
  Launched out;
  ASSIGN_OR_RETURN_CTX(out.cgroup, Cgroup::create(layout, req.id, res), "creating cgroup");
  ASSIGN_OR_RETURN(SyncPair sync, make_sync_pair());
  Fd netns_fd;  // open until the child has joined it
  if (netns) {
    ASSIGN_OR_RETURN_CTX(netns_fd, netns->wait(), "network namespace");
    net->path = "/proc/self/fd/" + std::to_string(netns_fd.get());  // the child joins it there
  }
  // The caller's own work done meanwhile (the engine wires the network namespace the
  // spec names): finished before the child can look for it, and before the clone, which
  // must find this process single-threaded.
  if (req.before_clone) TRY(req.before_clone());

  std::optional<int> into = ctx.in_user_namespace ? std::nullopt : out.cgroup->v2_dir_fd();
  // Outside a user namespace the child can write the (root-owned) v1 tasks files itself.
  bool self_join = !ctx.in_user_namespace && !into;
  if (self_join) ctx.cgroup_task_files = out.cgroup->v1_task_files();
  ctx.joins_cgroup_late = !into && (!self_join || out.cgroup->has_v2());
  std::optional<Fd> home;
  if (ctx.in_user_namespace) {
    ASSIGN_OR_RETURN(home, enter_network_namespace(ctx.spec));
  }
  auto cloned = clone_container(clone_flags_for(ctx.spec), into, out.pidfd);
  if (home && (!cloned || *cloned != 0)) {
    if (auto back = return_to_network_namespace(*home); !back) {
      if (cloned) ::kill(*cloned, SIGKILL);
      return std::unexpected(back.error());
    }
  }
  ASSIGN_OR_RETURN(out.pid, std::move(cloned));
  if (out.pid == 0) {
    sync.parent.reset();
    ctx.sync_fd = sync.child.get();
    child_main(container_steps(), ctx, original);
  }
  sync.child.reset();
  auto console = hand_over_child(ctx, out.pid, ctx.joins_cgroup_late ? &*out.cgroup : nullptr, self_join,
                                 sync.parent.get());
  if (!console) {
    ::kill(out.pid, SIGKILL);
    int status;
    ::waitpid(out.pid, &status, 0);
    return std::unexpected(console.error());
  }
  out.console = std::move(*console);
  return out;
}

}  // namespace

// After clone: the things only the parent can do, then "go", then wait for exec (EOF).
Result<Fd> hand_over_child(ContainerContext& ctx, pid_t pid, Cgroup* attach, bool v2_only, int sync) {
  Fd rootfs;
  if (ctx.in_user_namespace) {
    TRY(write_id_maps(pid, ctx.spec.uid_mappings, ctx.spec.gid_mappings));
    ASSIGN_OR_RETURN_CTX(rootfs, make_idmapped_rootfs(ctx, pid), "idmapped rootfs");
  }
  TRY(send_go(sync, rootfs.get()));
  rootfs.reset();
  if (attach) {
    TRY_CTX(attach->add_process(pid, v2_only), "joining cgroup");
    TRY(send_joined(sync));
  }
  Fd console;
  for (;;) {
    ASSIGN_OR_RETURN(SyncMessage msg, receive_message(sync));
    if (msg.kind == SyncMessage::kEof) return console;
    if (msg.kind == SyncMessage::kConsole) console = std::move(msg.console);
    if (msg.kind == SyncMessage::kError) return std::unexpected(msg.error);
  }
}

Result<ExitStatus> run_container(const RunRequest& req) {
  BlockForwarded blocked;
  ASSIGN_OR_RETURN(Launched c, launch(req, blocked.original));
  if (req.on_started) req.on_started(c.pid);
  Supervision s{c.pid, c.pidfd.get(), std::move(c.console)};
  ASSIGN_OR_RETURN(int status, supervise(s));
  ExitStatus out;
  out.code = exit_code_of(status, &out.signal);
  out.oom_killed = c.cgroup->oom_killed();
  TRY_CTX(c.cgroup->destroy(), "removing cgroup");
  return out;
}

Result<Started> start_container(const RunRequest& req) {
  BlockForwarded blocked;
  ASSIGN_OR_RETURN(Launched c, launch(req, blocked.original));
  // From here the cgroup outlives us: whoever reaps the container removes it
  // (remove_container_cgroup).
  c.cgroup->release();
  return Started{c.pid, std::move(c.console)};
}

ExitStatus exit_status_of(int wait_status) {
  ExitStatus out;
  out.code = exit_code_of(wait_status, &out.signal);
  return out;
}

Result<> remove_container_cgroup(const std::string& id) {
  auto cg = Cgroup::open(detect_cgroup_layout(), id);
  if (!cg) return cg.error().errno_value() == ENOENT ? Result<>{} : std::unexpected(cg.error());
  return cg->destroy();
}

Result<ContainerUsage> container_usage(const std::string& id) {
  ASSIGN_OR_RETURN(Cgroup cg, Cgroup::open(detect_cgroup_layout(), id));
  ASSIGN_OR_RETURN(Cgroup::Stats s, cg.stats());
  return ContainerUsage{s.memory_usage, s.memory_limit, s.pids, s.cpu_usage_ns, cg.pids_inside()};
}

Result<> freeze_container(const std::string& id, bool frozen) {
  ASSIGN_OR_RETURN(Cgroup cg, Cgroup::open(detect_cgroup_layout(), id));
  return cg.set_frozen(frozen);
}

Result<bool> reap_container_cgroup(const std::string& id) {
  auto cg = Cgroup::open(detect_cgroup_layout(), id);
  if (!cg) return cg.error().errno_value() == ENOENT ? Result<bool>(false) : std::unexpected(cg.error());
  bool oom = cg->oom_killed();
  TRY(cg->destroy());
  return oom;
}


}  // namespace berth::runtime
