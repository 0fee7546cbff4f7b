// base/process.h run_forked: jobs in forked workers, results in order, errors carried
// back, and no wait on a pipe that a process the job left behind still holds.
#include "base/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

namespace berth {
namespace {

TEST(RunForked, ResultsComeBackInOrderWithTheirErrors) {
  auto results = run_forked(7, 3, [](size_t i) -> Result<> {
    if (i % 3 == 1) return fail("job " + std::to_string(i) + " failed");
    return {};
  });
  ASSERT_EQ(results.size(), 7u);
  for (size_t i = 0; i < results.size(); i++) {
    if (i % 3 == 1) {
      ASSERT_FALSE(results[i]) << i;
      EXPECT_EQ(results[i].error().message(), "job " + std::to_string(i) + " failed");
    } else {
      EXPECT_TRUE(results[i]) << i;
    }
  }
}

TEST(RunForked, JobsRunInOtherProcesses) {
  pid_t self = ::getpid();
  auto results = run_forked(2, 2, [self](size_t) -> Result<> {
    if (::getpid() == self) return fail("ran in the caller");
    return {};
  });
  for (const auto& r : results) EXPECT_TRUE(r) << r.error().message();
}

TEST(RunForked, AWorkerThatDiesIsAnError) {
  auto results = run_forked(1, 1, [](size_t) -> Result<> { ::_exit(3); });
  ASSERT_FALSE(results[0]);
  EXPECT_NE(results[0].error().message().find("died"), std::string::npos) << results[0].error().message();
}

TEST(RunForked, DoesNotWaitForADescendantHoldingThePipe) {
  // The job starts a process that inherits everything (as a container or a shim would)
  // and outlives the job by far; run_forked must return when the job's worker exits.
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  auto start = std::chrono::steady_clock::now();
  auto results = run_forked(1, 1, [&](size_t) -> Result<> {
    pid_t lingering = ::fork();
    if (lingering == 0) {
      ::close(report[0]);
      ::sleep(30);
      ::_exit(0);
    }
    (void)!::write(report[1], &lingering, sizeof lingering);
    return {};
  });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  pid_t lingering = 0;
  ASSERT_EQ(::read(report[0], &lingering, sizeof lingering), static_cast<ssize_t>(sizeof lingering));
  ::close(report[0]);
  ::close(report[1]);
  ::kill(lingering, SIGKILL);
  EXPECT_TRUE(results[0]);
  EXPECT_LT(seconds, 20.0) << "run_forked waited for the lingering process";
}

}  // namespace
}  // namespace berth
