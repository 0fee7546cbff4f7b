#include "runtime/supervise.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <optional>

#include "runtime/sync.h"
#include "runtime/terminal.h"

namespace berth::runtime {

namespace {

// Signals berth passes on to the container (docker's --sig-proxy), plus the two it uses
// itself: SIGCHLD is not needed (the pidfd says when the child ends) and SIGWINCH resizes.
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// Copies everything readable from `from` to `to`; false on EOF/EIO (the pty closed).
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  return static_cast<bool>(write_all(to, buf, static_cast<size_t>(n)));
}

}  // namespace

BlockForwarded::BlockForwarded() {
  sigset_t forwarded = forwarded_signals();
  ::sigprocmask(SIG_BLOCK, &forwarded, &original);
}

BlockForwarded::~BlockForwarded() { ::sigprocmask(SIG_SETMASK, &original, nullptr); }

[[noreturn]] void child_main(std::span<const Step> steps, ContainerContext& ctx, const sigset_t& original_mask) {
  // The parent blocked the forwarded signals before clone (so none is lost between clone
  // and supervision); the container's command must start with the mask berth had.
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  for (int i = 0; i < 3; i++) {
    if (ctx.stdio[i] >= 0) ::dup2(ctx.stdio[i], i);
  }
  // The container's umask is runc's default, not whatever the caller of berth had.
  ::umask(022);
  auto r = run_steps(steps, process_steps(), ctx);
  // Only reached on failure: execve does not return on success.
  send_error(ctx.sync_fd, r.error());
  ::_exit(125);
}

// The forwarded signals are already blocked (BlockForwarded), so they queue until read here.
sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  return set;
}

Result<int> supervise(Supervision& s) {
  sigset_t set = forwarded_signals();
  Fd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  std::optional<RawTerminal> raw;
  bool stdin_open = s.console.valid();
  if (s.console) {
    raw.emplace(STDIN_FILENO);
    copy_window_size(STDIN_FILENO, s.console.get());
  }
  struct timespec start;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  auto elapsed_ms = [&start] {
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
  };
  for (;;) {
    int wait_ms = -1;
    if (s.timeout_ms >= 0 && !s.timed_out) {
      long left = s.timeout_ms - elapsed_ms();
      if (left <= 0) {
        ::kill(s.pid, SIGKILL);
        s.timed_out = true;
      } else {
        wait_ms = static_cast<int>(left);
      }
    }
    struct pollfd fds[4] = {{s.pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0},
                            {s.console.get(), POLLIN, 0},
                            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 4, wait_ms) < 0 && errno != EINTR) return sys_error("poll");
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH && s.console)
          copy_window_size(STDIN_FILENO, s.console.get());
        else
          ::kill(s.pid, static_cast<int>(si.ssi_signo));
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!pump(s.console.get(), STDOUT_FILENO)) s.console.reset();
    }
    if (fds[3].revents & (POLLIN | POLLHUP)) {
      if (!pump(STDIN_FILENO, s.console.get())) stdin_open = false;
    }
    if (fds[0].revents & POLLIN) break;
  }
  // Drain what the command wrote just before it exited.
  while (s.console && pump(s.console.get(), STDOUT_FILENO)) {
    struct pollfd p = {s.console.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
  }
  int status = 0;
  while (::waitpid(s.pid, &status, 0) < 0)
    if (errno != EINTR) return sys_error("waitpid");
  return status;
}

}  // namespace berth::runtime
