#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.h"
#include "base/strings.h"

namespace berth {

Fd open_pidfd(pid_t pid) { return Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

bool pidfd_signal(int pidfd, int sig) {
  return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count fields
  // after its last ')'. starttime is field 22, the 20th after the parenthesis.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  auto fields = split(trim(stat->substr(close + 1)), ' ');
  if (fields.size() < 20) return std::nullopt;
  // A zombie has exited; only its exit status waits for its parent to collect it.
  if (fields[0] == "Z" || fields[0] == "X") return std::nullopt;
  auto v = parse_int(fields[19]);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

std::string boot_id() {
  auto id = read_file("/proc/sys/kernel/random/boot_id");
  return id ? trim(*id) : std::string();
}

bool ProcessIdentity::alive() const {
  if (pid <= 0) return false;
  if (boot_id != berth::boot_id()) return false;
  auto start = process_start_time(pid);
  return start && *start == start_time;
}

std::optional<ProcessIdentity> ProcessIdentity::of(pid_t pid) {
  auto start = process_start_time(pid);
  if (!start) return std::nullopt;
  return ProcessIdentity{pid, *start, berth::boot_id()};
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "berth";
}

std::vector<Result<>> run_forked(size_t n, size_t jobs, const std::function<Result<>(size_t)>& job) {
  // Each worker writes its answer into its pipe, then exits. The parent waits for the
  // worker's exit (a pidfd), not for end-of-file on the pipe: a process the job started
  // (a container, a shim) may inherit the pipe's write end and hold it open for its
  // whole life. The answer is small, so it sits in the pipe's buffer until read.
  std::vector<Result<>> results(n);
  struct Child {
    size_t index;
    pid_t pid;
    Fd pidfd, out;
  };
  std::vector<Child> running;
  size_t next = 0;
  if (jobs == 0) jobs = 1;
  std::fflush(nullptr);  // or each child would print our buffered output again
  while (next < n || !running.empty()) {
    while (next < n && running.size() < jobs) {
      int pipefd[2];
      if (::pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
        results[next++] = sys_error("pipe");
        continue;
      }
      Fd r(pipefd[0]), w(pipefd[1]);
      pid_t pid = ::fork();
      if (pid < 0) {
        results[next++] = sys_error("fork");
        continue;
      }
      if (pid == 0) {
        r.reset();
        Result<> res = job(next);
        std::string msg = res ? std::string("ok") : "error" + res.error().serialize();
        (void)write_all(w.get(), msg.data(), msg.size());
        std::fflush(nullptr);
        ::_exit(0);
      }
      Fd pidfd = open_pidfd(pid);  // the child cannot have been reaped yet: it is ours
      running.push_back(Child{next++, pid, std::move(pidfd), std::move(r)});
    }
    std::vector<struct pollfd> fds;
    for (auto& c : running) fds.push_back({c.pidfd.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      for (auto& c : running) results[c.index] = sys_error("poll");
      break;
    }
    for (size_t i = fds.size(); i-- > 0;) {
      if (!fds[i].revents) continue;
      Child& c = running[i];
      int status = 0;
      while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
      }
      std::string answer;
      char buf[4096];
      ssize_t got;
      while ((got = ::read(c.out.get(), buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(got));
      if (answer == "ok")
        results[c.index] = {};
      else if (answer.rfind("error", 0) == 0)
        results[c.index] = std::unexpected(Error::deserialize(answer.substr(5)));
      else
        results[c.index] = fail("a worker process died (status " + std::to_string(status) + ")");
      running.erase(running.begin() + static_cast<long>(i));
    }
  }
  return results;
}

}  // namespace berth
