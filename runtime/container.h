// Running one container from an OCI bundle, in the foreground: the runtime's entry point.
//
// The parent's half of the story (the child's half is runtime/container_steps.cpp):
//   compile the seccomp filter -> create the cgroup -> clone3 into new namespaces ->
//   write the uid map / move the child into its cgroup -> say "go" -> wait for exec ->
//   forward signals (and relay the terminal) until the command exits -> remove the cgroup.
// Errors before exec come back as Error (the failing step named); after exec, the
// command's own exit status is the result.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::runtime {

struct RunRequest {
  std::string id;      // names the cgroup: <hierarchy>/berth/<id>
  std::string bundle;  // directory holding config.json
  std::string seccomp_cache;  // where compiled seccomp programs are kept ("" = no cache)
  // Called in the parent just before the clone: waits for what the caller started on a
  // helper thread beside the runtime's own preparation (the network namespace the spec
  // names, wired by the engine), and must leave the process with that one thread. An
  // error stops the start before the container exists.
  std::function<Result<>()> before_clone;
  // Called once the command is running (after execve), with its host pid.
  std::function<void(pid_t)> on_started;
  // start_container: the container must outlive this process (its shim reaps it), so it
  // is not tied to us with PR_SET_PDEATHSIG.
  bool detach = false;
  // The command's stdin, stdout and stderr; -1 keeps berth's own (a builder's RUN step
  // hands pipes here, to prefix and collect what the command prints).
  std::array<int, 3> stdio = {-1, -1, -1};
};

struct ExitStatus {
  int code = 0;             // exit code, or 128+signal as a shell reports it
  int signal = 0;           // the signal that ended it, 0 if it exited
  bool oom_killed = false;  // the kernel's OOM killer ended a process of this container
  bool timed_out = false;   // exec with a timeout: killed when it ran out
};

Result<ExitStatus> run_container(const RunRequest& request);

// Detached: starts the command and returns once it has exec'd, leaving it running (and its
// cgroup in place). The caller's parent, a subreaper (the shim), inherits it when the
// caller exits. `console` is the pty master when the spec asks for a terminal.
struct Started {
  pid_t pid = -1;
  Fd console;
};
Result<Started> start_container(const RunRequest& request);

// A waitpid(2) status as an ExitStatus (oom_killed left false).
ExitStatus exit_status_of(int wait_status);

// For `ps`/cleanup: remove the cgroup of a container that is not running any more.
Result<> remove_container_cgroup(const std::string& id);
// After a detached container exited: whether the OOM killer struck, then the cgroup is
// removed (anything left inside is killed first).
Result<bool> reap_container_cgroup(const std::string& id);
// `stats` and `top`: a container's cgroup counters and the host pids inside it.
struct ContainerUsage {
  uint64_t memory_usage = 0, memory_limit = 0 /* 0 = none */, pids = 0, cpu_usage_ns = 0;
  std::vector<pid_t> processes;
};
Result<ContainerUsage> container_usage(const std::string& id);
// docker pause / unpause: freeze or thaw everything in the container's cgroup.
Result<> freeze_container(const std::string& id, bool frozen);



}  // namespace berth::runtime
