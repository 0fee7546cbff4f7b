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
// The thread is always joined: by wait(), or by the destructor (an early return on the
// caller's side still waits for the work, so nothing it touches is freed under it). A
// process that clones or forks must have called wait() first: the child gets only the
// calling thread, and a lock the helper held at that moment (malloc's, stdio's) would stay
// locked in the child for good.
#pragma once

#include <functional>
#include <thread>
#include <utility>

#include "base/result.h"
#include "base/trace.h"

namespace berth {

template <typename T = void>
class Meanwhile {
 public:
  // `label` marks the helper's --trace lines ("[label] ...": base/trace.h).
  explicit Meanwhile(std::function<Result<T>()> work, const char* label = "meanwhile")
      : thread_([this, work = std::move(work), label] {
          set_trace_thread_label(label);
          result_ = work();
        }) {}
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
