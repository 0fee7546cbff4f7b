// The parent's side of a foreground process in a container (`run` and `exec`): keeping
// signals from being lost, relaying them and the terminal, and collecting the exit status.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <span>

#include "base/fd.h"
#include "base/result.h"
#include "runtime/context.h"
#include "runtime/steps.h"

namespace berth::runtime {

class Cgroup;

// Signals berth passes on to the container (docker's --sig-proxy), plus SIGWINCH, which
// resizes its terminal. SIGCHLD is not needed: the pidfd says when the child ends.
sigset_t forwarded_signals();

// Blocks the forwarded signals for its lifetime: they queue (for supervise) instead of
// killing berth, from before clone until the command has ended.
struct BlockForwarded {
  sigset_t original;
  BlockForwarded();
  ~BlockForwarded();
  BlockForwarded(const BlockForwarded&) = delete;
  BlockForwarded& operator=(const BlockForwarded&) = delete;
};

// The child after clone: restores berth's original signal mask (the command must start
// with it), runs `steps` then process_steps(); never returns: it execs, or reports the
// failed step and exits 125.
[[noreturn]] void child_main(std::span<const Step> steps, ContainerContext& ctx,
                             const sigset_t& original_mask);

// After clone, the parent's part before the child may exec: write its id maps and build
// its idmapped rootfs (new user namespace), say "go", move it into `attach` (if not null;
// only the v2 part with `v2_only`), and wait until it has exec'd (end-of-file on the sync
// socket). Returns the pty master it sent for a terminal, or the failed step's error.
Result<Fd> hand_over_child(ContainerContext& ctx, pid_t pid, Cgroup* attach, bool v2_only, int sync);

struct Supervision {
  pid_t pid;
  int pidfd;
  Fd console;            // pty master when the process has a terminal
  int timeout_ms = -1;   // SIGKILL it after this long (-1: never)
  bool timed_out = false;
};

// Waits for the process to end, forwarding signals and relaying the terminal meanwhile;
// returns its wait status.
Result<int> supervise(Supervision& s);

}  // namespace berth::runtime
