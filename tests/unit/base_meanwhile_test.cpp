// base/meanwhile.h: work on a helper thread, its result handed over by wait(), the thread
// always joined, its --trace lines labelled.
#include "base/meanwhile.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

#include "base/fd.h"
#include "base/trace.h"

namespace berth {
namespace {

TEST(MeanwhileTest, TheWorkRunsBesideTheCallerAndHandsOverItsResult) {
  std::atomic<bool> go = false;
  // The helper waits for the caller: done on the calling thread, this would never end.
  Meanwhile<int> answer([&]() -> Result<int> {
    while (!go) std::this_thread::yield();
    return 42;
  });
  go = true;
  auto got = answer.wait();
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, 42);
  EXPECT_FALSE(answer.wait());  // handed over once
}

TEST(MeanwhileTest, AnErrorComesBackAsTheResult) {
  Meanwhile<> failed([]() -> Result<> { return fail("no bridge", "br-x"); });
  auto got = failed.wait();
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("no bridge"), std::string::npos) << got.error().message();
}

TEST(MeanwhileTest, TheDestructorWaitsForTheWork) {
  std::atomic<bool> finished = false;
  {
    Meanwhile<> slow([&]() -> Result<> {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
      return {};
    });
  }  // an early return on the caller's side, without wait()
  EXPECT_TRUE(finished);
}

// A signal sent to the process must reach the main thread (or wait for it), never end the
// process through a helper that happened to get it.
TEST(MeanwhileTest, TheHelperBlocksEverySignal) {
  Meanwhile<sigset_t> mask([]() -> Result<sigset_t> {
    sigset_t now;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &now);
    return now;
  });
  auto got = mask.wait();
  ASSERT_TRUE(got) << got.error().message();
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGCHLD})
    EXPECT_EQ(::sigismember(&*got, sig), 1) << "signal " << sig;
}

TEST(MeanwhileTest, TheHelpersTraceLinesCarryItsLabelAndTheCallersDoNot) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  Fd r(fds[0]), w(fds[1]);
  set_trace(true);
  set_trace_fd(w.get());
  {
    Meanwhile<> helper([]() -> Result<> {
      trace_note("from the helper");
      return {};
    }, "network");
    ASSERT_TRUE(helper.wait());
  }
  trace_note("from the caller");
  set_trace(false);
  set_trace_fd(STDERR_FILENO);
  w.reset();
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(r.get(), buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  EXPECT_NE(out.find("ms [network] from the helper\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ms from the caller\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth
