// Telling whether a pid recorded earlier still names the same process.
//
// A pid alone is not an identity: after a process exits, the kernel hands its number to a
// new one sooner or later, and after a reboot every number starts over. berth records, with
// each container's pid, the process's start time (field 22 of /proc/PID/stat, in clock
// ticks since boot) and the boot id (/proc/sys/kernel/random/boot_id). All three matching
// means it is the same process. Read: proc(5) "/proc/pid/stat".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth {

// A pidfd (pidfd_open(2)): a handle on one process that a reused pid cannot redirect.
// Invalid when the process does not exist. (Called through syscall(2): glibc 2.36's
// <sys/pidfd.h> lacks extern "C".)
Fd open_pidfd(pid_t pid);
// pidfd_send_signal(2); false with errno set on failure.
bool pidfd_signal(int pidfd, int sig);

// The running program's path (/proc/self/exe); berth finds its helper programs
// (berth-shim, berth-dns) next to it.
std::string self_exe();

// Start time of `pid` in clock ticks after boot; nullopt when no such process exists (or
// it is a zombie: exited, not yet reaped).
std::optional<uint64_t> process_start_time(pid_t pid);
// This boot's random id ("" when unreadable).
std::string boot_id();

struct ProcessIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;
  std::string boot_id;
  // The current process with this pid (if any) is the one recorded.
  bool alive() const;
  static std::optional<ProcessIdentity> of(pid_t pid);
};

// Runs job(0) .. job(n-1), each in a forked child of this process, at most `jobs` at a
// time, and returns their results in order (an Error travels back through a pipe,
// Error::serialize). For parallel work that forks, takes file locks or changes the
// process's state itself, where threads would not be safe: each child starts as a copy of
// this single-threaded process and ends with _exit. Output the job prints is the child's.
std::vector<Result<>> run_forked(size_t n, size_t jobs, const std::function<Result<>(size_t)>& job);

}  // namespace berth
