// berth's tiny init (docker run --init): PID 1 that reaps zombies and forwards signals.
//
// PID 1 of a pid namespace is special (pid_namespaces(7)): the kernel sends it only the
// signals it has a handler for, and orphaned processes are re-parented to it, so it must
// wait() for them or they stay zombies forever. Most programs are not written to be PID 1.
// With --init, the process that did the setup stays behind as PID 1 (it is already in the
// container, so no init binary has to be copied into the image): it forks, the child
// becomes the command, and PID 1 loops: every signal it receives goes to the command,
// every child that dies is reaped, and when the command exits PID 1 exits with its status.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "base/trace.h"
#include "runtime/step_functions.h"

namespace berth::runtime {

namespace {
[[noreturn]] void supervise(pid_t command) {
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(command, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != command) continue;
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      ::_exit(128 + WTERMSIG(status));
    }
  }
}
}  // namespace

Result<> start_init(ContainerContext& ctx) {
  trace_syscall("sigprocmask(SIG_BLOCK, all)  fork()  PID 1 loops in sigwaitinfo: forward, reap");
  sigset_t all, old;
  sigfillset(&all);
  if (::sigprocmask(SIG_BLOCK, &all, &old) < 0) return sys_error("sigprocmask");
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", "init");
  if (pid > 0) {
    // PID 1 never execs, so close-on-exec never closes anything for it: it keeps nothing
    // at all (the handshake, whose end-of-file the parent waits for when the command
    // execs, and whatever berth or the shim held: pipes, locks). Read: close_range(2).
    (void)ctx;
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    supervise(pid);
  }
  if (::sigprocmask(SIG_SETMASK, &old, nullptr) < 0) return sys_error("sigprocmask");
  return {};
}

Result<> close_inherited_fds(ContainerContext&) {
  // Whatever berth's caller left open (a test harness, a shell's fd 5) must not reach the
  // container. CLOSE_RANGE_CLOEXEC marks them close-on-exec instead of closing now, so the
  // sync socket still works until the execve that closes it. Read: close_range(2).
  trace_syscall("close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) return sys_error("close_range");
  return {};
}

}  // namespace berth::runtime
