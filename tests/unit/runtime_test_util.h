// Helpers shared by the runtime unit tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace berth::runtime::testing {

// Runs fn in a forked child (so capabilities dropped or filters loaded there do not touch
// the test process); returns its exit status, 1000 + signal if one killed it, -1 on error.
inline int run_in_child(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace berth::runtime::testing
