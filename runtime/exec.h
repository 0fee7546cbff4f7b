// `berth exec`: a new process inside a running container.
//
// Nothing is created: the process joins what the container already has. Its namespaces,
// through a pidfd of the container's PID 1 (setns(2) with a pidfd joins several at once,
// Linux 5.8+); its cgroup; and the same identity limits as the container: capabilities,
// seccomp filter, no_new_privs, rlimits, from the container's own config.json. A pid
// namespace only applies to children, so berth itself enters it (setns CLONE_NEWPID) and
// the process it clones is born inside.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "runtime/container.h"
#include "runtime/spec.h"

namespace berth::runtime {

struct ExecRequest {
  std::string id;        // the container: names its cgroup
  pid_t init_pid = -1;   // its PID 1 on the host, whose namespaces are joined
  Spec spec;             // the container's spec, with `process` set for the new command
  std::string seccomp_cache;
  int timeout_ms = -1;  // SIGKILL the command after this long (healthchecks)
};

// Runs the command in the foreground (signals forwarded, -t terminal relayed); its exit
// status as run_container's.
Result<ExitStatus> exec_in_container(const ExecRequest& request);

}  // namespace berth::runtime
