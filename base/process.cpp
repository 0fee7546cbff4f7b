#include "base/process.h"

#include <sys/syscall.h>
#include <unistd.h>

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

}  // namespace berth
