// Work done on a helper thread while the caller goes on with something else.
//
// Starting a container is a chain of kernel calls, and a few links of it do not depend on
// each other: the network namespace and its veth pairs (netlink) need nothing from the
// cgroup or the seccomp filter, and the bridge's records need nothing from the container's
// directories. On two CPUs, running them side by side hides the shorter one.
//
//   Meanwhile<Fd> made([] { return make_something(); }, "something");
//   ... other work ...
//   ASSIGN_OR_RETURN(Fd fd, made.wait());
//
// The helper blocks every signal, as the main thread's signal handling expects (the kernel
// gives a signal sent to the process to any thread that does not block it). If no thread
// can be started, wait() returns that error and the work is not done.
//
// The thread is always joined: by wait(), or by the destructor (an early return on the
// caller's side still waits for the work, so nothing it touches is freed under it). A
// process that clones or forks must have called wait() first: the child gets only the
// calling thread, and a lock the helper held at that moment (malloc's, stdio's) would stay
// locked in the child for good.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <functional>
#include <system_error>
#include <thread>
#include <utility>

#include "base/result.h"
#include "base/trace.h"

namespace berth {

template <typename T = void>
class Meanwhile {
 public:
  // `label` marks the helper's --trace lines ("[label] ...": base/trace.h).
  explicit Meanwhile(std::function<Result<T>()> work, const char* label = "meanwhile") {
    try {
      thread_ = std::thread([this, work = std::move(work), label] {
        // Signals sent to berth (Ctrl-C, kill) are the main thread's to handle or to pass
        // on to the container: a thread that does not block one may be the one that gets
        // it, and its default action ends the whole process.
        sigset_t all;
        ::sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
        set_trace_thread_label(label);
        result_ = work();
      });
    } catch (const std::system_error& e) {  // no thread to be had (EAGAIN: a pids limit)
      result_ = std::unexpected(Error(e.code().value(), "starting a helper thread", label));
    }
  }
  ~Meanwhile() {
    if (thread_.joinable()) thread_.join();
  }
  Meanwhile(const Meanwhile&) = delete;
  Meanwhile& operator=(const Meanwhile&) = delete;

  // Waits for the work and hands over its result (once).
  Result<T> wait() {
    if (thread_.joinable()) thread_.join();
    Result<T> out = std::move(result_);
    result_ = taken();
    return out;
  }

 private:
  static Result<T> taken() { return std::unexpected(Error(0, "the helper thread's result was taken already")); }
  // Before thread_: constructed before the thread may write it.
  Result<T> result_ = taken();
  std::thread thread_;
};

}  // namespace berth
