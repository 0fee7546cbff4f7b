// ContainerContext: what the setup steps of one container share.
//
// The parent fills it before clone(); the child inherits a copy of the memory and works on
// that copy. Nothing in here is shared back: the child reports to the parent only through
// the sync socket (runtime/sync.h).
#pragma once

#include <sys/types.h>

#include <array>
#include <string>

#include "base/fd.h"
#include "runtime/spec.h"

namespace berth::runtime {

class SeccompFilter;

struct ContainerContext {
  std::string id;
  std::string bundle;       // absolute bundle directory
  std::string rootfs;       // absolute path of root.path
  Spec spec;
  bool in_user_namespace = false;  // a new user namespace: no mknod, devices are bind-mounted
  bool run_init = false;           // --init: our own tiny PID 1 supervises the command
  bool die_with_parent = true;     // foreground: PR_SET_PDEATHSIG, berth's death kills us
  bool joins_cgroup_late = false;  // the parent moves us into (part of) our cgroup after "go"
  // v1 `tasks` files we write "0" into to move ourselves (Cgroup::v1_task_files), before
  // anything else; the parent then attaches us to the v2 part only, if there is one.
  std::vector<std::string> cgroup_task_files;
  bool exec = false;               // `exec` into a running container (runtime/exec.h)
  int join_pidfd = -1;             // exec: the container's PID 1, whose namespaces we join
  unsigned long join_flags = 0;    // exec: which of them (CLONE_NEW* flags)
  int sync_fd = -1;                // child's end of the parent<->child socket
  Fd rootfs_mount;                 // user namespace: the overlay the parent built, detached
  Fd root_fd;                      // O_PATH fd of the rootfs, opened after it is mounted
  SeccompFilter* seccomp = nullptr;  // compiled in the parent, loaded last in the child
  std::string exec_path;           // args[0] resolved through PATH inside the container
  std::array<int, 3> stdio = {-1, -1, -1};  // dup2'd onto 0, 1, 2 first thing (RunRequest::stdio)
};

}  // namespace berth::runtime
