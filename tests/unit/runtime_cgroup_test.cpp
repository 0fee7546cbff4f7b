// runtime/cgroup* on the real kernel of this machine (root only; skipped otherwise): limits
// read back from /sys/fs/cgroup, a forked process moved in and killed by destroy(), refused
// limits named in the error, the v2 device filter enforced by the kernel, stale cleanup.
// Every test uses unique names and a guard that removes its cgroups even when it fails.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/cgroup.h"

namespace berth::runtime {
namespace {

namespace cd = cgroup_detail;

std::string unique_name() { return "berth-test-" + random_hex(4); }

std::string read(const std::string& path) {
  auto r = read_file(path);
  if (!r) return "<missing " + path + ">";
  return trim(*r);
}

// Removes the named cgroups whatever happens to the test.
struct Guard {
  const CgroupLayout& layout;
  std::vector<std::string> names;
  ~Guard() {
    for (const auto& n : names)
      if (auto cg = Cgroup::open(layout, n)) (void)cg->destroy();
  }
};

// A child that sleeps until killed, touching `touch_bytes` of memory first (after reading a
// byte from wait_fd, when given: memory is charged to the cgroup the page is touched in).
pid_t fork_sleeper(size_t touch_bytes = 0, int wait_fd = -1) {
  pid_t pid = ::fork();
  if (pid == 0) {
    char go;
    if (wait_fd >= 0 && ::read(wait_fd, &go, 1) != 1) ::_exit(10);
    if (touch_bytes) {
      void* p = ::mmap(nullptr, touch_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
      if (p != MAP_FAILED) std::memset(p, 1, touch_bytes);
    }
    for (;;) ::pause();
  }
  return pid;
}

class CgroupReal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    layout_ = detect_cgroup_layout();
    if (layout_.version_of("memory") == CgroupVersion::kNone ||
        layout_.version_of("pids") == CgroupVersion::kNone)
      GTEST_SKIP() << "no memory or pids controller here: " << describe(layout_);
  }
  std::string file(std::string_view controller, const std::string& name, const char* v1,
                   const char* v2) const {
    bool is_v1 = layout_.version_of(controller) == CgroupVersion::kV1;
    return layout_.root_of(controller) + "/" + layout_.parent + "/" + name + "/" + (is_v1 ? v1 : v2);
  }
  CgroupLayout layout_;
};

TEST_F(CgroupReal, LimitsProcessesAndDestroy) {
  std::string name = unique_name();
  Guard guard{layout_, {name}};
  Resources res;
  res.memory_limit = 32 << 20;
  res.pids_limit = 32;
  res.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}};
  auto cg = Cgroup::create(layout_, name, res);
  ASSERT_TRUE(cg) << cg.error().message() << " on " << describe(layout_);
  EXPECT_EQ(read(file("memory", name, "memory.limit_in_bytes", "memory.max")), "33554432");
  EXPECT_EQ(read(file("pids", name, "pids.max", "pids.max")), "32");
  if (layout_.version_of("devices") == CgroupVersion::kV1) {
    EXPECT_EQ(read(file("devices", name, "devices.list", "")), "c 1:3 rwm");
  }
  std::vector<std::string> paths = cg->paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(cg->v2_dir_fd().has_value(), layout_.pure_v2());

  pid_t pid = fork_sleeper();
  ASSERT_GT(pid, 0);
  auto added = cg->add_process(pid);
  if (!added) ::kill(pid, SIGKILL);
  ASSERT_TRUE(added) << added.error().message();
  // The kernel's view: every hierarchy line of /proc/PID/cgroup names berth/<name>.
  std::string self = read("/proc/" + std::to_string(pid) + "/cgroup");
  for (const auto& line : split(self, '\n')) {
    bool ours = line.find(":memory:") != std::string::npos ||
                line.find(":pids:") != std::string::npos || layout_.pure_v2();
    if (ours) {
      EXPECT_NE(line.find("/berth/" + name), std::string::npos) << line;
    }
  }
  auto stats = cg->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->pids, 1u);
  EXPECT_EQ(stats->memory_limit, 32u << 20);
  EXPECT_FALSE(cg->oom_killed());

  auto destroyed = cg->destroy();
  EXPECT_TRUE(destroyed) << destroyed.error().message();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (const auto& p : paths) EXPECT_FALSE(path_exists(p)) << p;
}

TEST_F(CgroupReal, DestructorKillsAndRemoves) {
  std::string name = unique_name();
  Guard guard{layout_, {name}};
  pid_t pid = fork_sleeper();
  ASSERT_GT(pid, 0);
  std::vector<std::string> paths;
  {
    auto cg = Cgroup::create(layout_, name, {});
    ASSERT_TRUE(cg) << cg.error().message();
    paths = cg->paths();
    ASSERT_TRUE(cg->add_process(pid));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  for (const auto& p : paths) EXPECT_FALSE(path_exists(p)) << p;
}

TEST_F(CgroupReal, RefusedLimitIsNamed) {
  // A CFS quota under 1ms is invalid on v1 and v2 alike.
  std::string name = unique_name();
  Guard guard{layout_, {name}};
  Resources res;
  res.cpu_quota = 500;
  res.cpu_period = 100000;
  if (layout_.version_of("cpu") == CgroupVersion::kNone) GTEST_SKIP() << "no cpu controller";
  auto cg = Cgroup::create(layout_, name, res);
  ASSERT_FALSE(cg);
  bool v1 = layout_.version_of("cpu") == CgroupVersion::kV1;
  EXPECT_EQ(cg.error().message(),
            "creating cgroup \"" + name + "\": setting cpu quota: write \"" +
                file("cpu", name, "cpu.cfs_quota_us", "cpu.max") + "\" = \"" +
                (v1 ? "500" : "500 100000") + "\": Invalid argument");
  EXPECT_FALSE(path_exists(layout_.root_of("cpu") + "/berth/" + name));
}

TEST_F(CgroupReal, MemoryLimitBelowUsageIsRefused) {
  // What `berth update --memory` would hit: the kernel cannot reclaim anonymous memory
  // without swap, so it refuses the new limit (EBUSY). With swap it would succeed.
  if (read("/proc/swaps").find('\n') != std::string::npos) GTEST_SKIP() << "swap is on";
  std::string name = unique_name();
  Guard guard{layout_, {name}};
  auto cg = Cgroup::create(layout_, name, {});
  ASSERT_TRUE(cg) << cg.error().message();
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  pid_t pid = fork_sleeper(8 << 20, pipe->read.get());
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(cg->add_process(pid));
  ASSERT_TRUE(write_all(pipe->write.get(), "g", 1));
  // Wait until the child's pages are charged here.
  for (int i = 0; i < 200 && cg->stats().value_or(Cgroup::Stats{}).memory_usage < (4u << 20); i++)
    ::usleep(10000);
  Resources lower;
  lower.memory_limit = 4096;
  std::string dir = layout_.root_of("memory") + "/berth/" + name;
  std::vector<std::string> warnings;
  auto r = layout_.version_of("memory") == CgroupVersion::kV1
               ? cd::apply_v1_memory(dir, lower, warnings)
               : cd::apply_v2_memory(dir, lower, warnings);
  if (layout_.version_of("memory") == CgroupVersion::kV1) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "setting memory limit: write \"" + dir +
                                       "/memory.limit_in_bytes\" = \"4096\": Device or resource busy");
  } else {
    // v2 accepts memory.max below usage and OOM-kills instead.
    EXPECT_TRUE(r);
  }
  EXPECT_TRUE(cg->destroy());
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST_F(CgroupReal, V2DeviceFilterIsEnforced) {
  // The unified hierarchy (pure v2, or /sys/fs/cgroup/unified on a hybrid host) accepts a
  // BPF device program even with no controllers enabled.
  if (layout_.unified_mount.empty()) GTEST_SKIP() << "no cgroup2 mount";
  std::string dir = layout_.unified_mount + "/" + unique_name();
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << std::strerror(errno);
  struct RmDir {
    std::string d;
    ~RmDir() { ::rmdir(d.c_str()); }
  } rm{dir};
  auto fd = open_fd(dir, O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd);
  auto attached = cd::attach_v2_device_filter(
      fd->get(), dir, {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}});
  ASSERT_TRUE(attached) << attached.error().message();
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  pid_t pid = ::fork();
  if (pid == 0) {
    char go;
    if (::read(pipe->read.get(), &go, 1) != 1) ::_exit(10);
    int null_fd = ::open("/dev/null", O_RDWR);   // c 1:3, allowed
    int zero_fd = ::open("/dev/zero", O_RDONLY);  // c 1:5, denied
    ::_exit((null_fd >= 0 ? 0 : 1) | (zero_fd < 0 && errno == EPERM ? 0 : 2));
  }
  ASSERT_GT(pid, 0);
  auto moved = cd::write_value(dir, "cgroup.procs", std::to_string(pid));
  ASSERT_TRUE(write_all(pipe->write.get(), "g", 1));
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(moved) << moved.error().message();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: /dev/null refused, 2: /dev/zero allowed";
}


}  // namespace
}  // namespace berth::runtime
