// Unprivileged tests of runtime/cgroup*: layout detection from sample /proc texts, the OCI
// JSON, the device filter program (run by a tiny eBPF interpreter below), and the files
// Cgroup::create writes, in a temporary directory standing in for /sys/fs/cgroup. The test
// plays the kernel's part through CgroupLayout::on_mkdir/on_rmdir: a new cgroup directory
// gets empty interface files, and rmdir may remove a directory that still holds them.
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fd.h"
#include "base/fs.h"
#include "runtime/cgroup.h"

namespace berth::runtime {
namespace {

namespace cd = cgroup_detail;

std::string read(const std::string& path) {
  auto r = read_file(path);
  return r ? *r : "<missing " + path + ">";
}

// Creates or replaces a stand-in kernel file (no fsync: these are throwaway).
void touch(const std::string& path, const std::string& content = "") {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd) << path;
  ASSERT_TRUE(write_all(fd.get(), content.data(), content.size())) << path;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-cgroup-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_tree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The interface files a kernel would create in a new cgroup directory.
constexpr const char* kV2Files[] = {
    "cgroup.controllers", "cgroup.subtree_control", "cgroup.procs", "cgroup.kill",
    "cgroup.freeze",      "memory.max",             "memory.swap.max", "memory.low",
    "memory.current",     "memory.events",          "pids.max",        "pids.current",
    "cpu.max",            "cpu.weight",             "cpu.stat",        "cpuset.cpus",
    "cpuset.mems"};
constexpr const char* kV1Files[] = {
    "cgroup.procs",     "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
    "memory.soft_limit_in_bytes", "cpu.shares",  "cpu.cfs_quota_us", "cpu.cfs_period_us",
    "cpuacct.usage",    "cpuset.cpus",           "cpuset.mems",  "pids.max", "freezer.state"};

void fill(const std::string& dir, const std::vector<std::string>& skip, bool v2) {
  auto add = [&](const char* f) {
    if (std::find(skip.begin(), skip.end(), f) == skip.end()) touch(dir + "/" + f);
  };
  if (v2) {
    for (const char* f : kV2Files) add(f);
  } else {
    for (const char* f : kV1Files) add(f);
  }
}

// rmdir on cgroupfs succeeds with the interface files present; here they must go first, but
// only from a leaf (a parent with container directories keeps its files, as in the kernel).
void unfill(const std::string& dir) {
  auto entries = list_dir(dir);
  if (!entries) return;
  for (const auto& e : *entries)
    if (is_directory(dir + "/" + e)) return;
  for (const auto& e : *entries) ::unlink((dir + "/" + e).c_str());
}

// A pure cgroup v2 host rooted at a temporary directory.
struct FakeV2 {
  TempDir tmp;
  CgroupLayout layout;
  std::vector<std::string> skip;  // files the "kernel" leaves out of new directories

  explicit FakeV2(const std::string& controllers = "cpuset cpu io memory pids") {
    touch(tmp.path() + "/cgroup.controllers", controllers + "\n");
    touch(tmp.path() + "/cgroup.subtree_control");
    touch(tmp.path() + "/cgroup.procs");
    layout = detect_cgroup_layout(
        "30 23 0:26 / " + tmp.path() +
            " rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
        "0::/init.scope\n");
    layout.on_mkdir = [this](const std::string& dir) { fill(dir, skip, true); };
    layout.on_rmdir = [](const std::string& dir) { unfill(dir); };
  }
  std::string dir(const std::string& name) const { return tmp.path() + "/berth/" + name; }
};

Resources sample_resources() {
  Resources r;
  r.memory_limit = 32 << 20;   // --memory 32m
  r.memory_swap = 64 << 20;    // --memory-swap 64m
  r.cpu_quota = 150000;        // --cpus 1.5
  r.cpu_period = 100000;
  r.cpu_shares = 512;
  r.pids_limit = 32;
  return r;
}

// ---- layout detection ----

const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n";
const char* kHybridSelfCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/x\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(CgroupLayout, PureV2) {
  FakeV2 fake;
  const auto& l = fake.layout;
  EXPECT_TRUE(l.pure_v2());
  EXPECT_EQ(l.unified_mount, fake.tmp.path());
  EXPECT_EQ(l.version_of("memory"), CgroupVersion::kV2);
  EXPECT_EQ(l.version_of("devices"), CgroupVersion::kV2);
  EXPECT_EQ(l.version_of("cpuacct"), CgroupVersion::kNone);
  EXPECT_EQ(l.version_of("hugetlb"), CgroupVersion::kNone);
  EXPECT_EQ(describe(l), "cgroup v2 (memory pids cpu cpuset)");
}

TEST(CgroupLayout, HybridHostLikeThisOne) {
  TempDir unified;
  touch(unified.path() + "/cgroup.controllers", "hugetlb\n");
  std::string mountinfo = std::string(kHybridMountinfo) + "41 31 0:38 / " + unified.path() +
                          " rw,relatime - cgroup2 cgroup2 rw\n";
  auto l = detect_cgroup_layout(mountinfo, kHybridSelfCgroup);
  EXPECT_FALSE(l.pure_v2());
  EXPECT_EQ(l.unified_mount, unified.path());
  EXPECT_EQ(l.root_of("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(l.root_of("cpu"), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(l.root_of("cpuacct"), "/sys/fs/cgroup/cpuacct");  // not co-mounted here
  EXPECT_EQ(l.version_of("devices"), CgroupVersion::kV1);
  EXPECT_EQ(l.version_of("hugetlb"), CgroupVersion::kV2);
  EXPECT_EQ(l.v1_mounts.count("systemd"), 0u);  // name=systemd is no controller
  EXPECT_TRUE(l.unmounted.empty());
  EXPECT_EQ(describe(l), "hybrid: v1 memory pids cpu cpuset devices; v2 none");
}

TEST(CgroupLayout, V1WithCpuAndCpuacctCoMounted) {
  auto l = detect_cgroup_layout(
      "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
      "26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
      "27 24 0:24 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n"
      "28 24 0:25 / /sys/fs/cgroup/cpuset rw,nosuid - cgroup cgroup rw,cpuset,clone_children\n"
      "29 24 0:26 / /sys/fs/cgroup/devices rw,nosuid - cgroup cgroup rw,devices\n",
      "5:devices:/\n4:cpuset:/\n3:pids:/\n2:memory:/\n1:cpu,cpuacct:/\n");
  EXPECT_EQ(l.root_of("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l.root_of("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l.version_of("freezer"), CgroupVersion::kNone);
  EXPECT_EQ(describe(l), "cgroup v1 (memory pids cpu cpuset devices)");
}

TEST(CgroupLayout, ControllerListedButNotMountedIsSkipped) {
  auto l = detect_cgroup_layout(
      "26 24 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "27 24 0:24 / /sys/fs/cgroup/with\\040space rw - cgroup cgroup rw,pids\n",
      "4:hugetlb:/\n3:net_cls,net_prio:/\n2:memory:/\n1:pids:/\n");
  EXPECT_EQ(l.root_of("pids"), "/sys/fs/cgroup/with space");
  EXPECT_EQ(l.version_of("hugetlb"), CgroupVersion::kNone);
  EXPECT_EQ(l.unmounted, (std::vector<std::string>{"hugetlb", "net_cls", "net_prio"}));
  EXPECT_EQ(describe(l), "cgroup v1 (memory pids) (not mounted: hugetlb net_cls net_prio)");
}

TEST(CgroupLayout, UnifiedMountThatVanishedOffersNothing) {
  auto l = detect_cgroup_layout(
      "30 23 0:26 / /nonexistent/berth-cgroup2 rw - cgroup2 cgroup2 rw\n", "0::/\n");
  EXPECT_TRUE(l.pure_v2());
  EXPECT_TRUE(l.unified_controllers.empty());
  EXPECT_EQ(describe(l), "cgroup v2 (no controllers)");
}

// ---- OCI JSON ----

TEST(CgroupResources, JsonRoundTrip) {
  auto j = Json::parse(R"({
    "memory": {"limit": 33554432, "swap": 67108864, "reservation": 1048576},
    "cpu": {"shares": 512, "quota": 150000, "period": 100000, "cpus": "0-1", "mems": "0"},
    "pids": {"limit": 32},
    "devices": [{"allow": false, "access": "rwm"},
                {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})");
  auto r = resources_from_json(j);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory_limit, 33554432);
  EXPECT_EQ(r->memory_swap, 67108864);
  EXPECT_EQ(r->cpu_shares, 512u);
  EXPECT_EQ(r->cpuset_cpus, "0-1");
  EXPECT_EQ(r->pids_limit, 32);
  ASSERT_EQ(r->devices.size(), 2u);
  EXPECT_EQ(r->devices[0], (Resources::DeviceRule{false, 'a', -1, -1, "rwm"}));
  EXPECT_EQ(r->devices[1], (Resources::DeviceRule{true, 'c', 1, 3, "rwm"}));
  auto again = resources_from_json(resources_to_json(*r));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(resources_to_json(Resources{}), Json::object());
}

TEST(CgroupResources, JsonErrorsNameTheKey) {
  auto bad = [](const char* text) {
    auto r = resources_from_json(Json::parse(text));
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(bad(R"({"memory": {"limit": "32m"}})"),
            "linux.resources.memory.limit: expected an integer");
  EXPECT_EQ(bad(R"({"cpu": {"shares": -1}})"),
            "linux.resources.cpu.shares: expected a non-negative integer");
  EXPECT_EQ(bad(R"({"pids": 3})"), "linux.resources.pids: expected an object");
  EXPECT_EQ(bad(R"({"devices": [{"allow": true, "type": "x"}]})"),
            "linux.resources.devices[0].type: expected \"a\", \"b\" or \"c\"");
  EXPECT_EQ(bad(R"({"devices": [{"type": "c"}]})"),
            "linux.resources.devices[0].allow: expected true or false");
}

TEST(CgroupResources, CpuWeightFromShares) {
  EXPECT_EQ(cpu_weight_from_shares(2), 1u);
  EXPECT_EQ(cpu_weight_from_shares(512), 20u);
  EXPECT_EQ(cpu_weight_from_shares(1024), 39u);
  EXPECT_EQ(cpu_weight_from_shares(262144), 10000u);
  EXPECT_EQ(cpu_weight_from_shares(1 << 30), 10000u);  // clamped like the kernel's shares
}

// ---- the v2 device filter, run by a minimal interpreter of the opcodes it uses ----

int run_filter(const std::vector<cd::BpfInsn>& prog, char type, const std::string& access,
               uint32_t major, uint32_t minor) {
  uint32_t acc = 0;
  for (char c : access)
    acc |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  uint32_t ctx[3] = {(acc << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                     major, minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < prog.size(); pc++) {
    const auto& i = prog[pc];
    int dst = i.dst_src & 0xf, src = i.dst_src >> 4;
    switch (i.code) {
      case BPF_LDX | BPF_W | BPF_MEM:
        EXPECT_EQ(src, 1);
        reg[dst] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_MOV | BPF_X: reg[dst] = static_cast<uint32_t>(reg[src]); break;
      case BPF_ALU | BPF_AND | BPF_K: reg[dst] = static_cast<uint32_t>(reg[dst] & i.imm); break;
      case BPF_ALU | BPF_RSH | BPF_K: reg[dst] = static_cast<uint32_t>(reg[dst]) >> i.imm; break;
      case BPF_ALU64 | BPF_MOV | BPF_K: reg[dst] = static_cast<uint64_t>(int64_t{i.imm}); break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (reg[dst] != static_cast<uint64_t>(int64_t{i.imm})) pc += i.off;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (reg[dst] == static_cast<uint64_t>(int64_t{i.imm})) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(reg[0]);
      default: ADD_FAILURE() << "unexpected opcode " << int(i.code); return -1;
    }
  }
  ADD_FAILURE() << "fell off the end of the program";
  return -1;
}

TEST(CgroupDevices, DockerStyleAllowlist) {
  std::vector<Resources::DeviceRule> rules = {
      {false, 'a', -1, -1, "rwm"},  {true, 'c', 1, 3, "rwm"},   // /dev/null
      {true, 'c', -1, -1, "m"},     {true, 'c', 136, -1, "rwm"},  // mknod any char; pts
      {true, 'c', 1, 9, "r"}};                                    // /dev/urandom read-only
  auto prog = cd::compile_device_filter(rules);
  EXPECT_EQ(run_filter(prog, 'c', "rw", 1, 3), 1);
  EXPECT_EQ(run_filter(prog, 'c', "r", 1, 5), 0);
  EXPECT_EQ(run_filter(prog, 'c', "m", 8, 0), 1);
  EXPECT_EQ(run_filter(prog, 'b', "m", 8, 0), 0);
  EXPECT_EQ(run_filter(prog, 'b', "r", 8, 0), 0);
  EXPECT_EQ(run_filter(prog, 'c', "rw", 136, 4), 1);
  EXPECT_EQ(run_filter(prog, 'c', "r", 1, 9), 1);
  EXPECT_EQ(run_filter(prog, 'c', "rw", 1, 9), 0);  // an allow must cover every bit asked
}

TEST(CgroupDevices, LaterRuleWins) {
  std::vector<Resources::DeviceRule> rules = {{true, 'a', -1, -1, "rwm"},
                                              {false, 'c', 1, 3, "w"}};
  auto prog = cd::compile_device_filter(rules);
  EXPECT_EQ(run_filter(prog, 'c', "r", 1, 3), 1);
  EXPECT_EQ(run_filter(prog, 'c', "rw", 1, 3), 0);  // a deny hits any bit it names
  EXPECT_EQ(run_filter(prog, 'b', "rwm", 8, 0), 1);
  EXPECT_EQ(run_filter(cd::compile_device_filter({}), 'c', "r", 1, 3), 0);
}

// ---- Cgroup on a fake v2 tree ----

TEST(CgroupV2, CreateWritesLimitsAndEnablesControllers) {
  FakeV2 fake;
  auto cg = Cgroup::create(fake.layout, "web", sample_resources());
  ASSERT_TRUE(cg) << cg.error().message();
  std::string dir = fake.dir("web");
  EXPECT_EQ(read(fake.tmp.path() + "/cgroup.subtree_control"), "+memory +pids +cpu");
  EXPECT_EQ(read(fake.tmp.path() + "/berth/cgroup.subtree_control"), "+memory +pids +cpu");
  EXPECT_EQ(read(dir + "/memory.max"), "33554432");
  EXPECT_EQ(read(dir + "/memory.swap.max"), "33554432");  // swap alone: 64m - 32m
  EXPECT_EQ(read(dir + "/cpu.max"), "150000 100000");
  EXPECT_EQ(read(dir + "/cpu.weight"), "20");
  EXPECT_EQ(read(dir + "/pids.max"), "32");
  EXPECT_EQ(read(dir + "/memory.low"), "");
  EXPECT_EQ(cg->paths(), std::vector<std::string>{dir});
  EXPECT_TRUE(cg->v2_dir_fd().has_value());
  EXPECT_TRUE(cg->warnings().empty());

  ASSERT_TRUE(cg->add_process(4242));
  EXPECT_EQ(read(dir + "/cgroup.procs"), "4242");
  touch(dir + "/cgroup.procs");  // the fake process "exits" (never kill a real pid 4242)

  ASSERT_TRUE(cg->destroy());
  EXPECT_FALSE(path_exists(dir));
  EXPECT_FALSE(path_exists(fake.tmp.path() + "/berth"));
}

TEST(CgroupV2, EnablesOnlyWhatIsNeededAndOnlyOnce) {
  FakeV2 fake;
  touch(fake.tmp.path() + "/cgroup.subtree_control", "memory pids\n");  // systemd did it
  Resources r;
  r.cpuset_cpus = "0";
  r.pids_limit = 0;
  r.cpu_period = 50000;
  r.memory_reservation = 1 << 20;
  auto cg = Cgroup::create(fake.layout, "db", r);
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_EQ(read(fake.tmp.path() + "/cgroup.subtree_control"), "+cpu +cpuset");
  EXPECT_EQ(read(fake.tmp.path() + "/berth/cgroup.subtree_control"), "+memory +pids +cpu +cpuset");
  EXPECT_EQ(read(fake.dir("db") + "/pids.max"), "max");
  EXPECT_EQ(read(fake.dir("db") + "/cpu.max"), "max 50000");
  EXPECT_EQ(read(fake.dir("db") + "/cpuset.cpus"), "0");
  EXPECT_EQ(read(fake.dir("db") + "/memory.low"), "1048576");
}

TEST(CgroupV2, MissingControllerIsNamed) {
  FakeV2 fake("memory pids");
  Resources r;
  r.cpuset_cpus = "0-1";
  auto cg = Cgroup::create(fake.layout, "web", r);
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().message(), "cgroup controller \"cpuset\" is not available on this host");
  EXPECT_FALSE(path_exists(fake.tmp.path() + "/berth"));
}

TEST(CgroupV2, RefusedWriteNamesFileAndValueAndUndoes) {
  FakeV2 fake;
  fake.skip = {"pids.max"};  // e.g. a kernel without the pids controller in this subtree
  auto cg = Cgroup::create(fake.layout, "web", sample_resources());
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().message(), "creating cgroup \"web\": setting pids limit: write \"" +
                                      fake.dir("web") +
                                      "/pids.max\" = \"32\": No such file or directory");
  EXPECT_FALSE(path_exists(fake.dir("web")));
}

TEST(CgroupV2, SwapWithoutSwapAccountingIsAWarning) {
  FakeV2 fake;
  fake.skip = {"memory.swap.max"};
  auto cg = Cgroup::create(fake.layout, "web", sample_resources());
  ASSERT_TRUE(cg) << cg.error().message();
  ASSERT_EQ(cg->warnings().size(), 1u);
  EXPECT_NE(cg->warnings()[0].find("memory.swap.max"), std::string::npos);
}

TEST(CgroupV2, SwapRules) {
  FakeV2 fake;
  Resources r;
  r.memory_swap = 64 << 20;
  EXPECT_FALSE(Cgroup::create(fake.layout, "a", r));  // swap without a memory limit
  r.memory_limit = 128 << 20;
  EXPECT_FALSE(Cgroup::create(fake.layout, "a", r));  // swap below the limit
  r.memory_swap = -1;
  auto cg = Cgroup::create(fake.layout, "a", r);
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_EQ(read(fake.dir("a") + "/memory.swap.max"), "max");
}

TEST(CgroupV2, ExistingCgroupAndBadNamesAreRefused) {
  FakeV2 fake;
  auto first = Cgroup::create(fake.layout, "web", {});
  ASSERT_TRUE(first);
  auto second = Cgroup::create(fake.layout, "web", {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().errno_value(), EEXIST);
  EXPECT_TRUE(path_exists(fake.dir("web")));  // the failed create left the first one alone
  EXPECT_FALSE(Cgroup::create(fake.layout, "../etc", {}));
  EXPECT_FALSE(Cgroup::create(fake.layout, "..", {}));
}

TEST(CgroupV2, DestructorRemovesUnlessReleased) {
  FakeV2 fake;
  {
    auto cg = Cgroup::create(fake.layout, "gone", {});
    ASSERT_TRUE(cg);
  }
  EXPECT_FALSE(path_exists(fake.dir("gone")));
  {
    auto cg = Cgroup::create(fake.layout, "kept", {});
    ASSERT_TRUE(cg);
    cg->release();
  }
  EXPECT_TRUE(path_exists(fake.dir("kept")));
  {
    auto reopened = Cgroup::open(fake.layout, "kept");
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->paths(), std::vector<std::string>{fake.dir("kept")});
  }
  EXPECT_TRUE(path_exists(fake.dir("kept")));  // open() does not own
  auto missing = Cgroup::open(fake.layout, "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST(CgroupV2, StatsAndOomFromKernelFiles) {
  FakeV2 fake;
  auto cg = Cgroup::create(fake.layout, "web", {});
  ASSERT_TRUE(cg);
  std::string dir = fake.dir("web");
  touch(dir + "/memory.current", "1000\n");
  touch(dir + "/memory.max", "max\n");
  touch(dir + "/pids.current", "3\n");
  touch(dir + "/cpu.stat", "usage_usec 5\nuser_usec 4\nsystem_usec 1\n");
  touch(dir + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n");
  auto s = cg->stats();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory_usage, 1000u);
  EXPECT_EQ(s->memory_limit, 0u);
  EXPECT_EQ(s->pids, 3u);
  EXPECT_EQ(s->cpu_usage_ns, 5000u);
  EXPECT_FALSE(cg->oom_killed());
  touch(dir + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  EXPECT_TRUE(cg->oom_killed());
}

TEST(CgroupV2, PauseWritesCgroupFreezeAndWaitsForTheKernel) {
  FakeV2 fake;
  auto cg = Cgroup::create(fake.layout, "web", {});
  ASSERT_TRUE(cg) << cg.error().message();
  std::string dir = fake.dir("web");
  touch(dir + "/cgroup.events", "populated 1\nfrozen 1\n");  // the kernel: all stopped
  ASSERT_TRUE(cg->set_frozen(true));
  EXPECT_EQ(read(dir + "/cgroup.freeze"), "1");
  ASSERT_TRUE(cg->set_frozen(false));
  EXPECT_EQ(read(dir + "/cgroup.freeze"), "0");
  touch(dir + "/cgroup.events", "populated 1\nfrozen 0\n");  // a task that never stops
  auto stuck = cg->set_frozen(true);
  ASSERT_FALSE(stuck);
  EXPECT_NE(stuck.error().message().find("did not freeze"), std::string::npos) << stuck.error().message();
  ::unlink((dir + "/cgroup.events").c_str());
  ASSERT_TRUE(cg->destroy());
}

// ---- a fake v1 tree: one hierarchy per controller, cpu and cpuacct co-mounted ----

TEST(CgroupV1, FakeTreeWritesEachHierarchyAndCopiesCpuset) {
  TempDir tmp;
  std::string mountinfo;
  int id = 30;
  for (const char* h : {"cpu,cpuacct", "memory", "pids", "cpuset", "freezer"}) {
    std::string mp = tmp.path() + "/" + h;
    ASSERT_TRUE(make_dirs(mp));
    fill(mp, {}, false);
    mountinfo += std::to_string(id++) + " 24 0:1 / " + mp + " rw - cgroup cgroup rw," + h + "\n";
  }
  touch(tmp.path() + "/cpuset/cpuset.cpus", "0-3\n");
  touch(tmp.path() + "/cpuset/cpuset.mems", "0\n");
  auto layout = detect_cgroup_layout(mountinfo, "");
  layout.on_mkdir = [](const std::string& dir) { fill(dir, {}, false); };
  layout.on_rmdir = [](const std::string& dir) { unfill(dir); };
  EXPECT_EQ(describe(layout), "cgroup v1 (memory pids cpu cpuset)");

  Resources r = sample_resources();
  r.cpuset_cpus = "1";
  r.memory_reservation = 16 << 20;
  auto cg = Cgroup::create(layout, "web", r);
  ASSERT_TRUE(cg) << cg.error().message();
  std::string t = tmp.path();
  EXPECT_EQ(cg->paths(), (std::vector<std::string>{t + "/memory/berth/web", t + "/pids/berth/web",
                                                   t + "/cpu,cpuacct/berth/web",
                                                   t + "/cpuset/berth/web",
                                                   t + "/freezer/berth/web"}));
  EXPECT_FALSE(cg->v2_dir_fd().has_value());
  EXPECT_EQ(read(t + "/memory/berth/web/memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(read(t + "/memory/berth/web/memory.memsw.limit_in_bytes"), "67108864");
  EXPECT_EQ(read(t + "/memory/berth/web/memory.soft_limit_in_bytes"), "16777216");
  EXPECT_EQ(read(t + "/cpu,cpuacct/berth/web/cpu.shares"), "512");
  EXPECT_EQ(read(t + "/cpu,cpuacct/berth/web/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(read(t + "/cpu,cpuacct/berth/web/cpu.cfs_quota_us"), "150000");
  EXPECT_EQ(read(t + "/pids/berth/web/pids.max"), "32");
  // The v1 cpuset quirk: berth/ and berth/web got the parent's cpus and mems copied in.
  EXPECT_EQ(read(t + "/cpuset/berth/cpuset.cpus"), "0-3");
  EXPECT_EQ(read(t + "/cpuset/berth/cpuset.mems"), "0");
  EXPECT_EQ(read(t + "/cpuset/berth/web/cpuset.mems"), "0");
  EXPECT_EQ(read(t + "/cpuset/berth/web/cpuset.cpus"), "1");

  ASSERT_TRUE(cg->set_frozen(true));  // pause: the fake file reads back what was written
  EXPECT_EQ(read(t + "/freezer/berth/web/freezer.state"), "FROZEN");
  ASSERT_TRUE(cg->set_frozen(false));
  EXPECT_EQ(read(t + "/freezer/berth/web/freezer.state"), "THAWED");

  ASSERT_TRUE(cg->add_process(4242));
  EXPECT_EQ(read(t + "/freezer/berth/web/cgroup.procs"), "4242");
  for (const auto& p : cg->paths()) touch(p + "/cgroup.procs");
  ASSERT_TRUE(cg->destroy());
  for (const char* h : {"cpu,cpuacct", "memory", "pids", "cpuset", "freezer"})
    EXPECT_FALSE(path_exists(t + "/" + h + "/berth")) << h;
}

}  // namespace
}  // namespace berth::runtime
