// berth-shim: the supervisor of one detached container. No daemon: one small process per
// container, living exactly as long as the container is wanted.
//
// Started by `berth start` / `berth run -d` with:   berth-shim CONFIG_FILE READY_FD
// It then:
//   1. detaches from berth's session (setsid) and becomes a subreaper (prctl
//      PR_SET_CHILD_SUBREAPER), so the container, started by a short-lived berth "starter"
//      child, is re-parented to the shim when the starter exits: the shim reaps it and
//      learns its exit status;
//   2. takes the container's run lock (flock) for its whole life: that lock is how every
//      berth command knows the container has a living supervisor;
//   3. holds the read ends of the container's stdout/stderr (or its pty) and writes what
//      comes out as json-file log lines (runtime/log_writer.h); a container writing faster
//      than the shim reads simply blocks on a full pipe, so nothing is lost;
//   4. when the container exits, calls `berth internal exited ...`, which records the exit
//      and decides on the restart policy; on kExitRestart the shim starts it again after a
//      backoff (100 ms, doubling to 1 min, reset after 10 s of running), else it exits;
//   5. when the config lists published ports ("proxy=" lines), serves them itself with the
//      userland proxy (runtime/port_proxy.h), one more fd in the same poll loop: bound
//      before the container starts, kept through restarts (the container's address stays
//      the same), closed when the shim exits. While the shim waits for a starter or for
//      `berth internal exited` it serves nothing; clients wait in the listen backlog.
// It is a separate, statically linked program (not the berth binary re-executed) so that
// it stays tiny: it maps no libarchive, OpenSSL or libstdc++.so, and its pages are shared
// between all shims (bench/shim-memory).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "base/fd.h"
#include "runtime/log_writer.h"
#include "runtime/port_proxy.h"
#include "runtime/shim_config.h"

namespace berth::runtime {
namespace {

Fd g_diag;  // <run_dir>/shim.log: the shim's own complaints (it has no terminal)

void diag(const std::string& text) {
  if (!g_diag) return;
  std::string line = "berth-shim: " + text + "\n";
  (void)!::write(g_diag.get(), line.data(), line.size());
}

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// In a forked child: becomes `berth ... extra` with the given stdio and fd 3 (-1: /dev/null,
// or shim.log for output).
[[noreturn]] void exec_berth(const ShimConfig& cfg, const std::vector<std::string>& extra,
                             int report_fd, int in, int out, int err) {
  std::vector<std::string> args = cfg.berth;
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int null = ::open("/dev/null", O_RDWR);
  int diag_fd = g_diag ? g_diag.get() : null;
  // Everything goes through high numbers first, so no dup2 clobbers another source.
  int want[4] = {in >= 0 ? in : null, out >= 0 ? out : diag_fd, err >= 0 ? err : diag_fd, report_fd};
  int tmp[4];
  for (int i = 0; i < 4; i++) tmp[i] = want[i] >= 0 ? ::fcntl(want[i], F_DUPFD, 10) : -1;
  for (int i = 0; i < 4; i++)
    if (tmp[i] >= 0) ::dup2(tmp[i], i);
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// Runs berth with extra arguments and waits for it; its output goes to shim.log.
int run_berth(const ShimConfig& cfg, const std::vector<std::string>& extra) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) exec_berth(cfg, extra, -1, -1, -1, -1);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Running {
  pid_t pid = -1;
  Fd out, err, console, in;
  std::string error;  // the starter's message when it failed
};

// Reads the starter's report: "ok PID" (with the console fd attached for -t) or "error ...".
void read_report(int sock, Running& r) {
  char buf[4096];
  struct iovec iov = {buf, sizeof buf - 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    r.error = "the starter exited without a report";
    return;
  }
  buf[n] = '\0';
  if (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c && c->cmsg_type == SCM_RIGHTS) {
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    r.console = Fd(fd);
  }
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.rfind("ok ", 0) == 0)
    r.pid = static_cast<pid_t>(std::atoi(text.c_str() + 3));
  else
    r.error = text.rfind("error ", 0) == 0 ? text.substr(6) : text;
}

// One start: the starter runs with our pipes as the container's stdio.
Running start_once(const ShimConfig& cfg) {
  Running r;
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1}, sock[2];
  if (!cfg.tty && (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0)) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  if (cfg.interactive && !cfg.tty && ::pipe2(in, O_CLOEXEC) < 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
    r.error = std::string("socketpair: ") + std::strerror(errno);
    return r;
  }
  Fd parent_sock(sock[0]), child_sock(sock[1]);
  r.out = Fd(out[0]);
  r.err = Fd(err[0]);
  r.in = Fd(in[1]);
  Fd out_w(out[1]), err_w(err[1]), in_r(in[0]);
  // The starter runs in the background while we read its report: it exits right after.
  pid_t starter = ::fork();
  if (starter == 0) exec_berth(cfg, {"internal", "start", cfg.id}, child_sock.get(), in_r.get(), out_w.get(), err_w.get());
  child_sock.reset();
  out_w.reset();
  err_w.reset();
  in_r.reset();
  if (starter < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  read_report(parent_sock.get(), r);
  while (::waitpid(starter, nullptr, 0) < 0 && errno == EINTR) {
  }
  return r;
}

bool pump(int fd, LogWriter& log, LogStream stream) {
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;  // EOF, or EIO from a pty whose other side closed
  if (auto w = log.write(stream, std::string_view(buf, static_cast<size_t>(n))); !w)
    diag("log: " + w.error().message());
  return true;
}

// Starts `berth internal health ID` without waiting (reaped with the other children).
pid_t start_health_check(const ShimConfig& cfg) {
  pid_t pid = ::fork();
  if (pid == 0) exec_berth(cfg, {"internal", "health", cfg.id}, -1, -1, -1, -1);
  return pid;
}

// Waits in poll(2) on fds (the last one the proxy's, -1 without one) at most wait_ms (-1:
// no limit), less when the proxy has timed work, then lets the proxy handle whatever is
// ready. Returns what poll returned, with its errno.
int wait_and_serve(struct pollfd* fds, int count, int wait_ms, PortProxy& proxy) {
  int proxy_ms = proxy.next_timeout_ms();
  if (proxy_ms >= 0 && (wait_ms < 0 || proxy_ms < wait_ms)) wait_ms = proxy_ms;
  int n = ::poll(fds, static_cast<nfds_t>(count), wait_ms);
  int err = errno;
  proxy.on_ready();
  errno = err;
  return n;
}

// After the container's exit, its output is drained until it has been quiet this long.
constexpr int kDrainMs = 200;

// Logs the container's output until it has exited and its output is drained, running its
// healthcheck every health_interval_ms meanwhile (never two at once), and serving the
// published ports throughout; returns its wait status.
int supervise(const ShimConfig& cfg, Running& r, LogWriter& log, int sigfd, PortProxy& proxy) {
  bool exited = false;
  int status = 0;
  pid_t health = -1;
  int64_t next_health = cfg.health_interval_ms > 0 ? now_ms() + cfg.health_interval_ms : -1;
  int64_t quiet_until = 0;  // after the exit: when the output has been quiet long enough
  // An adopted container may have ended before our signalfd existed (its SIGCHLD lost).
  if (int st; ::waitpid(r.pid, &st, WNOHANG) == r.pid)
    exited = true, status = st, quiet_until = now_ms() + kDrainMs;
  struct Output {
    Fd* fd;
    LogStream stream;
  } outputs[3] = {{&r.out, LogStream::kStdout}, {&r.err, LogStream::kStderr},
                  {&r.console, LogStream::kStdout}};
  for (;;) {
    if (!exited && next_health >= 0 && now_ms() >= next_health) {
      if (health < 0) health = start_health_check(cfg);
      next_health = now_ms() + cfg.health_interval_ms;
    }
    struct pollfd fds[5] = {{sigfd, POLLIN, 0}, {r.out.get(), POLLIN, 0}, {r.err.get(), POLLIN, 0},
                            {r.console.get(), POLLIN, 0}, {proxy.fd(), POLLIN, 0}};
    bool open = r.out || r.err || r.console;
    // After the exit, what is still buffered comes out at once; a descendant that kept a
    // pipe open (it lives outside the container's pid namespace) does not hold us up.
    if (exited && (!open || now_ms() >= quiet_until)) break;
    int64_t until = exited ? quiet_until : next_health;
    int wait_ms = until < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, until - now_ms()));
    int n = wait_and_serve(fds, 5, wait_ms, proxy);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;  // time for a healthcheck, or the proxy's timer
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sigfd, &si, sizeof si) == sizeof si) {
      }
      int st;
      pid_t p;
      while ((p = ::waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == r.pid) exited = true, status = st, quiet_until = now_ms() + kDrainMs;
        if (p == health) health = -1;
      }
    }
    for (int i = 0; i < 3; i++) {
      if (!(fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (!pump(outputs[i].fd->get(), log, outputs[i].stream)) outputs[i].fd->reset();
      if (exited) quiet_until = now_ms() + kDrainMs;
    }
  }
  (void)log.flush();
  r.out.reset();
  r.err.reset();
  r.console.reset();
  r.in.reset();
  return status;
}

// Sleeps for a restart backoff, still serving the published ports; false when a SIGTERM
// (`berth stop`) cancelled it.
bool backoff(int sigfd, int ms, PortProxy& proxy) {
  int64_t until = now_ms() + ms;
  for (;;) {
    int64_t left = until - now_ms();
    if (left <= 0) return true;
    struct pollfd p[2] = {{sigfd, POLLIN, 0}, {proxy.fd(), POLLIN, 0}};
    if (wait_and_serve(p, 2, static_cast<int>(left), proxy) > 0 && (p[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (::read(sigfd, &si, sizeof si) == sizeof si)
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) return false;
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    }
  }
}

// The userland proxy for the config's published ports (none: an empty one), open before
// the container starts so that a port someone else holds fails the start. An adopted
// container is already running: on failure it is killed and its exit recorded, so that it
// does not stay up unsupervised and unreachable.
Result<PortProxy> open_proxy(const ShimConfig& cfg, pid_t adopted) {
  if (cfg.proxy.empty()) return PortProxy();
  auto proxy = PortProxy::open(cfg.proxy);
  if (!proxy && adopted > 0) {
    ::kill(adopted, SIGKILL);
    while (::waitpid(adopted, nullptr, 0) < 0 && errno == EINTR) {
    }
    run_berth(cfg, {"internal", "exited", cfg.id, "137", "9", "final"});
  }
  return proxy;
}

void tell(int ready_fd, const std::string& text) {
  if (ready_fd < 0) return;
  std::string line = text + "\n";
  (void)!::write(ready_fd, line.data(), line.size());
  ::close(ready_fd);
}

int shim_main(int argc, char** argv) {
  // berth-shim CONFIG READY_FD [adopt PID OUT ERR CONSOLE IN LOCK]: with "adopt", berth
  // has already started the container as this process's child (and holds the lock on
  // LOCK), passing the other ends of its stdio; -1 for what it lacks.
  bool adopt = argc == 10 && std::string(argv[3]) == "adopt";
  if (argc != 3 && !adopt) {
    std::fprintf(stderr, "usage: berth-shim CONFIG_FILE READY_FD [adopt ...] (started by berth)\n");
    return 2;
  }
  int ready = std::atoi(argv[2]);
  Running adopted;
  Fd held_lock;
  if (adopt) {
    adopted.pid = static_cast<pid_t>(std::atoi(argv[4]));
    adopted.out = Fd(std::atoi(argv[5]));
    adopted.err = Fd(std::atoi(argv[6]));
    adopted.console = Fd(std::atoi(argv[7]));
    adopted.in = Fd(std::atoi(argv[8]));
    held_lock = Fd(std::atoi(argv[9]));
    for (int fd : {adopted.out.get(), adopted.err.get(), adopted.console.get(), adopted.in.get(),
                   held_lock.get(), ready})
      if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  std::string text;
  {
    Fd f(::open(argv[1], O_RDONLY | O_CLOEXEC));
    char buf[8192];
    ssize_t n;
    while (f && (n = ::read(f.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  }
  auto cfg = ShimConfig::parse(text);
  if (!cfg) {
    tell(ready, "error " + cfg.error().message());
    return 1;
  }
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::prctl(PR_SET_NAME, "berth-shim");
  if (::chdir("/") < 0) return 1;
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; fd++) ::dup2(null, fd);
  if (null > 2) ::close(null);
  g_diag = Fd(::open((cfg->run_dir + "/shim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));

  Fd lock = std::move(held_lock);
  if (!lock) lock = Fd(::open((cfg->run_dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock || (!adopt && ::flock(lock.get(), LOCK_EX | LOCK_NB) < 0)) {
    tell(ready, "error container " + cfg->id.substr(0, 12) + " is already running");
    return 1;
  }
  auto log = LogWriter::open(cfg->log_path, LogOptions{cfg->log_max_size, cfg->log_max_files});
  if (!log) {
    tell(ready, "error " + log.error().message());
    return 1;
  }
  auto proxy = open_proxy(*cfg, adopt ? adopted.pid : -1);
  if (!proxy) {
    tell(ready, "error " + proxy.error().serialize());
    return 1;
  }
  // The ports nftables serves, held for the shim's life, across the container's restarts.
  // One taken meanwhile (between berth's check at the start and now) loses only the guard:
  // the rules divert its traffic to the container all the same.
  std::vector<Fd> held_ports;
  for (const auto& rule : cfg->hold) {
    auto held = hold_port(rule);
    if (held)
      held_ports.push_back(std::move(*held));
    else
      diag("not holding a published port: " + held.error().message());
  }
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  Fd sigfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));

  int delay_ms = 100;
  for (bool first = true;; first = false) {
    Running r = first && adopt ? std::move(adopted) : start_once(*cfg);
    if (first) {
      tell(ready, r.pid > 0 ? "ok " + std::to_string(r.pid) : "error " + r.error);
      ready = -1;
      if (r.pid <= 0) return 1;
    }
    int status = 0;
    int64_t started = now_ms();
    if (r.pid > 0) {
      status = supervise(*cfg, r, *log, sigfd.get(), *proxy);
    } else {
      diag("start failed: " + r.error);
      status = 125 << 8;  // as if it exited 125, berth's own failure
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int rc = run_berth(*cfg, {"internal", "exited", cfg->id, std::to_string(code), std::to_string(sig)});
    if (rc != kExitRestart) return rc == 0 ? 0 : 1;
    if (now_ms() - started >= 10000) delay_ms = 100;
    if (!backoff(sigfd.get(), delay_ms, *proxy)) {
      run_berth(*cfg, {"internal", "exited", cfg->id, std::to_string(code), std::to_string(sig), "final"});
      return 0;
    }
    delay_ms = delay_ms >= 30000 ? 60000 : delay_ms * 2;
  }
}

}  // namespace
}  // namespace berth::runtime

int main(int argc, char** argv) { return berth::runtime::shim_main(argc, argv); }
