// Capabilities: names, Docker's default set, --cap-add/--cap-drop/--privileged, the OCI
// spec's five sets, and (as root, in a forked child) applying them for real.
//
// Read: capabilities(7), prctl(2), OCI runtime-spec config.md "process.capabilities".
// The forked tests read /proc/self/status (CapEff, CapBnd, ...) as the kernel's own witness
// and report through the exit code, so the test process itself keeps its capabilities.
#include "runtime_test_util.h"
#include <gtest/gtest.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "base/fs.h"
#include "runtime/capabilities.h"

namespace berth::runtime {
namespace {

constexpr uint64_t kDockerDefaultMask = 0xa80425fb;

std::vector<int> values_of(const std::vector<std::string>& names) {
  std::vector<int> out;
  for (const auto& n : names) {
    auto v = capability_from_name(n);
    EXPECT_TRUE(v) << n;
    if (v) out.push_back(*v);
  }
  return out;
}

TEST(CapabilityNames, AcceptsAllSpellings) {
  EXPECT_EQ(capability_from_name("CAP_NET_ADMIN"), 12);
  EXPECT_EQ(capability_from_name("NET_ADMIN"), 12);
  EXPECT_EQ(capability_from_name("net_admin"), 12);
  EXPECT_EQ(capability_from_name("cap_sys_admin"), CAP_SYS_ADMIN);
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
  EXPECT_FALSE(capability_from_name("CAP_BOGUS"));
  EXPECT_FALSE(capability_from_name(""));
  EXPECT_FALSE(capability_from_name("CAP_"));
  EXPECT_FALSE(capability_from_name("ALL"));
}

TEST(CapabilityNames, KnowsEveryCapUpToCheckpointRestoreIfTheKernelDoes) {
  int supported = static_cast<int>(cap_max_bits());
  for (int c = 0; c <= kLastKnownCapability; ++c) {
    std::string name = capability_name(c);
    EXPECT_TRUE(name.starts_with("CAP_")) << c;
    if (c < supported) {
      EXPECT_EQ(capability_from_name(name), c) << name;
    } else {
      EXPECT_FALSE(capability_from_name(name)) << name << " unsupported by this kernel";
    }
  }
  EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_name(40), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(capability_name(63), "CAP_63");
  EXPECT_EQ(all_capabilities().size(), static_cast<size_t>(std::min(supported, 41)));
}

TEST(DefaultCapabilities, AreDockersFourteen) {
  auto caps = default_capabilities();
  EXPECT_EQ(caps.size(), 14u);
  EXPECT_EQ(capability_mask(values_of(caps)), kDockerDefaultMask);
  auto sets = default_capability_sets();
  EXPECT_EQ(capability_mask(sets.bounding), kDockerDefaultMask);
  EXPECT_EQ(capability_mask(sets.effective), kDockerDefaultMask);
  EXPECT_EQ(capability_mask(sets.permitted), kDockerDefaultMask);
  EXPECT_TRUE(sets.inheritable.empty());
  EXPECT_TRUE(sets.ambient.empty());
}

TEST(ComputeCapabilities, NoFlagsGiveTheDefault) {
  auto caps = compute_capabilities({}, {}, false);
  ASSERT_TRUE(caps) << caps.error().message();
  EXPECT_EQ(*caps, default_capabilities());
}

TEST(ComputeCapabilities, AddAndDropAnySpelling) {
  auto caps = compute_capabilities({"net_admin", "CAP_SYS_PTRACE"}, {"CHOWN", "cap_mknod"}, false);
  ASSERT_TRUE(caps) << caps.error().message();
  uint64_t want = kDockerDefaultMask;
  want |= uint64_t{1} << CAP_NET_ADMIN | uint64_t{1} << CAP_SYS_PTRACE;
  want &= ~(uint64_t{1} << CAP_CHOWN | uint64_t{1} << CAP_MKNOD);
  EXPECT_EQ(capability_mask(values_of(*caps)), want);
  EXPECT_EQ(caps->size(), 14u);
}

TEST(ComputeCapabilities, AddingADefaultCapTwiceKeepsOneCopy) {
  auto caps = compute_capabilities({"CHOWN", "chown"}, {}, false);
  ASSERT_TRUE(caps);
  EXPECT_EQ(*caps, default_capabilities());
}

TEST(ComputeCapabilities, DropAllThenAddGivesOnlyTheAdded) {
  auto caps = compute_capabilities({"NET_BIND_SERVICE"}, {"ALL"}, false);
  ASSERT_TRUE(caps) << caps.error().message();
  EXPECT_EQ(*caps, std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  auto none = compute_capabilities({}, {"all"}, false);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(ComputeCapabilities, AddAllMinusDropped) {
  auto caps = compute_capabilities({"ALL"}, {"SYS_ADMIN"}, false);
  ASSERT_TRUE(caps) << caps.error().message();
  EXPECT_EQ(caps->size(), all_capabilities().size() - 1);
  for (const auto& c : *caps) EXPECT_NE(c, "CAP_SYS_ADMIN");
}

TEST(ComputeCapabilities, PrivilegedGetsEverythingInOurBoundingSet) {
  // Not every capability the kernel knows: one missing from our own bounding set (this
  // host lacks CAP_SYS_RESOURCE) could never be granted and would fail capset(2).
  auto caps = compute_capabilities({}, {"CHOWN"}, true);
  ASSERT_TRUE(caps);
  std::vector<std::string> held;
  for (const auto& name : all_capabilities())
    if (::prctl(PR_CAPBSET_READ, *capability_from_name(name), 0, 0, 0) == 1) held.push_back(name);
  EXPECT_EQ(*caps, held);
}

TEST(ComputeCapabilities, UnknownNameIsAnErrorNamingIt) {
  auto caps = compute_capabilities({"NET_ADMIN", "CAP_WIZARDRY"}, {}, false);
  ASSERT_FALSE(caps);
  EXPECT_NE(caps.error().message().find("CAP_WIZARDRY"), std::string::npos)
      << caps.error().message();
  auto drop = compute_capabilities({}, {"frobnicate"}, true);
  ASSERT_FALSE(drop);
  EXPECT_NE(drop.error().message().find("frobnicate"), std::string::npos);
}

TEST(ParseCapabilities, ReadsTheFiveSets) {
  Json j = {{"bounding", {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}},
            {"effective", {"CAP_CHOWN"}},
            {"permitted", {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}},
            {"inheritable", {"CAP_NET_BIND_SERVICE"}},
            {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  auto sets = parse_capabilities(j);
  ASSERT_TRUE(sets) << sets.error().message();
  EXPECT_EQ(sets->bounding, (std::vector<int>{CAP_CHOWN, CAP_NET_BIND_SERVICE}));
  EXPECT_EQ(sets->effective, std::vector<int>{CAP_CHOWN});
  EXPECT_EQ(sets->permitted.size(), 2u);
  EXPECT_EQ(sets->inheritable, std::vector<int>{CAP_NET_BIND_SERVICE});
  EXPECT_EQ(sets->ambient, std::vector<int>{CAP_NET_BIND_SERVICE});
}

TEST(ParseCapabilities, AbsentSetsAreEmpty) {
  auto sets = parse_capabilities(Json{{"bounding", {"CAP_KILL"}}});
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->bounding, std::vector<int>{CAP_KILL});
  EXPECT_TRUE(sets->effective.empty());
  auto none = parse_capabilities(Json());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->bounding.empty());
}

TEST(ParseCapabilities, ErrorsNameTheBadCap) {
  auto bad = parse_capabilities(Json{{"effective", {"CAP_CHOWN", "CAP_TELEPORT"}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("CAP_TELEPORT"), std::string::npos);
  EXPECT_NE(bad.error().message().find("effective"), std::string::npos);
  EXPECT_FALSE(parse_capabilities(Json{{"effective", "CAP_CHOWN"}}));
  EXPECT_FALSE(parse_capabilities(Json{{"effective", {1}}}));
  EXPECT_FALSE(parse_capabilities(Json{{"efective", {"CAP_CHOWN"}}}));
}

// ---- as root, in a forked child -----------------------------------------------------------

using berth::runtime::testing::run_in_child;

// "CapEff:\t00000000a80425fb" -> 0xa80425fb.
uint64_t status_mask(const std::string& status, const std::string& key) {
  auto at = status.find(key + ":\t");
  if (at == std::string::npos) return ~uint64_t{0};
  return std::stoull(status.substr(at + key.size() + 2, 16), nullptr, 16);
}

// 0 when the process's five sets are as expected, else the number of the first mismatch.
int check_status(uint64_t eff, uint64_t prm, uint64_t bnd, uint64_t inh, uint64_t amb) {
  auto status = read_file("/proc/self/status");
  if (!status) return 10;
  if (status_mask(*status, "CapEff") != eff) return 11;
  if (status_mask(*status, "CapPrm") != prm) return 12;
  if (status_mask(*status, "CapBnd") != bnd) return 13;
  if (status_mask(*status, "CapInh") != inh) return 14;
  if (status_mask(*status, "CapAmb") != amb) return 15;
  return 0;
}

class ApplyCapabilities : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "applying capabilities needs root";
    auto status = read_file("/proc/self/status");
    ASSERT_TRUE(status);
    uint64_t need = capability_mask({CAP_SETPCAP, CAP_SETUID, CAP_SETGID}) | kDockerDefaultMask;
    if ((status_mask(*status, "CapEff") & need) != need)
      GTEST_SKIP() << "the test process lacks the capabilities to drop from";
  }
};

TEST_F(ApplyCapabilities, DefaultSetsAsRoot) {
  int rc = run_in_child([] {
    if (!apply_capabilities(default_capability_sets())) return 2;
    return check_status(kDockerDefaultMask, kDockerDefaultMask, kDockerDefaultMask, 0, 0);
  });
  EXPECT_EQ(rc, 0);
}

// The order the runtime uses: keepcaps, setresuid to a non-root user, then caps.
TEST_F(ApplyCapabilities, DefaultSetsAfterSwitchingToAnotherUser) {
  int rc = run_in_child([] {
    if (!keep_capabilities_across_setuid()) return 2;
    if (setresgid(1000, 1000, 1000) != 0 || setresuid(1000, 1000, 1000) != 0) return 3;
    if (!apply_capabilities(default_capability_sets())) return 4;
    if (getuid() != 1000) return 5;
    return check_status(kDockerDefaultMask, kDockerDefaultMask, kDockerDefaultMask, 0, 0);
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(ApplyCapabilities, AmbientNeedsPermittedAndInheritable) {
  int rc = run_in_child([] {
    CapabilitySets sets = default_capability_sets();
    sets.inheritable = {CAP_NET_BIND_SERVICE};
    sets.ambient = {CAP_NET_BIND_SERVICE};
    if (auto r = apply_capabilities(sets); !r) return 2;
    uint64_t bind = uint64_t{1} << CAP_NET_BIND_SERVICE;
    return check_status(kDockerDefaultMask, kDockerDefaultMask, kDockerDefaultMask, bind, bind);
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(ApplyCapabilities, EffectiveOutsidePermittedIsAnError) {
  int rc = run_in_child([] {
    CapabilitySets sets = default_capability_sets();
    sets.effective.push_back(CAP_SYS_ADMIN);  // not permitted, not bounding
    auto r = apply_capabilities(sets);
    if (r) return 2;
    return r.error().message().find("cap_set_proc") == std::string::npos ? 3 : 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace berth::runtime
