// Seccomp: the default profile's contents for a given set of capabilities, Docker-format
// profiles turned into OCI linux.seccomp, compiling a filter, and (in a forked child) what
// the loaded filter lets through.
//
// Read: seccomp(2), seccomp_rule_add(3), OCI runtime-spec config-linux.md "Seccomp".
// The forked tests set no_new_privs and load the filter in a child, so the test process
// stays unfiltered; the child reports through its exit code.
#include <grp.h>
#include "runtime_test_util.h"
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <set>

#include "runtime/capabilities.h"
#include "runtime/seccomp.h"

namespace berth::runtime {
namespace {

// Names that a profile allows unconditionally (action ALLOW, no argument filter).
std::set<std::string> allowed_outright(const Json& oci) {
  std::set<std::string> out;
  for (const auto& rule : oci["syscalls"])
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args"))
      for (const auto& n : rule["names"]) out.insert(n.get<std::string>());
  return out;
}

// Names mentioned by any rule at all.
std::set<std::string> mentioned(const Json& oci) {
  std::set<std::string> out;
  for (const auto& rule : oci["syscalls"])
    for (const auto& n : rule["names"]) out.insert(n.get<std::string>());
  return out;
}

std::vector<std::string> with(std::vector<std::string> caps, const std::string& extra) {
  caps.push_back(extra);
  return caps;
}

// ---- the default profile -------------------------------------------------------------------

TEST(DefaultSeccompProfile, IsAnAllowlistThatFailsWithEperm) {
  Json p = default_seccomp_profile(default_capabilities());
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], EPERM);
  if (SeccompHost::current().arch == "amd64") {
    EXPECT_EQ(p["architectures"], (Json{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  }
}

TEST(DefaultSeccompProfile, AllowsWhatProgramsAndTheLoaderNeed) {
  auto allowed = allowed_outright(default_seccomp_profile(default_capabilities()));
  for (const char* name : {"read",
                           "write",
                           "openat",
                           "close",
                           "execve",
                           "exit_group",
                           "mmap",
                           "mprotect",
                           "brk",
                           "futex",
                           "rt_sigaction",
                           "set_tid_address",
                           "set_robust_list",
                           "rseq",
                           "prlimit64",
                           "getrandom",
                           "newfstatat",
                           "setresuid",
                           "setgroups",
                           "capset",
                           "prctl",
                           "chroot",
                           "wait4"})
    EXPECT_TRUE(allowed.count(name)) << name;
  if (SeccompHost::current().arch == "amd64") {
    EXPECT_TRUE(allowed.count("arch_prctl"));
  }
}

TEST(DefaultSeccompProfile, RefusesDangerousCallsWithTheDefaultCaps) {
  Json p = default_seccomp_profile(default_capabilities());
  auto allowed = allowed_outright(p);
  auto any = mentioned(p);
  for (const char* name : {"mount",
                           "umount2",
                           "unshare",
                           "setns",
                           "pivot_root",
                           "keyctl",
                           "add_key",
                           "request_key",
                           "kexec_load",
                           "kexec_file_load",
                           "init_module",
                           "finit_module",
                           "bpf",
                           "perf_event_open",
                           "ptrace",
                           "userfaultfd",
                           "open_by_handle_at",
                           "swapon",
                           "swapoff",
                           "reboot",
                           "syslog",
                           "acct",
                           "settimeofday",
                           "clock_settime",
                           "iopl",
                           "ioperm",
                           "vhangup",
                           "process_vm_readv",
                           "io_uring_setup",
                           "quotactl"})
    EXPECT_FALSE(any.count(name)) << name;
  // clone only with an argument filter, clone3 answered with ENOSYS.
  EXPECT_FALSE(allowed.count("clone"));
  EXPECT_TRUE(any.count("clone"));
  bool clone3_enosys = false;
  for (const auto& rule : p["syscalls"])
    if (rule["names"] == Json{"clone3"})
      clone3_enosys = rule["action"] == "SCMP_ACT_ERRNO" && rule["errnoRet"] == ENOSYS;
  EXPECT_TRUE(clone3_enosys);
}

TEST(DefaultSeccompProfile, PersonalityOnlyWithSafeValues) {
  Json p = default_seccomp_profile(default_capabilities());
  std::set<uint64_t> values;
  for (const auto& rule : p["syscalls"])
    if (rule["names"] == Json{"personality"}) {
      ASSERT_EQ(rule["args"].size(), 1u);
      EXPECT_EQ(rule["args"][0]["op"], "SCMP_CMP_EQ");
      values.insert(rule["args"][0]["value"].get<uint64_t>());
    }
  EXPECT_EQ(values, (std::set<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(DefaultSeccompProfile, CapabilitiesUnlockTheirCalls) {
  auto admin = allowed_outright(default_seccomp_profile(with(default_capabilities(), "SYS_ADMIN")));
  for (const char* name :
       {"mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname"})
    EXPECT_TRUE(admin.count(name)) << name;
  EXPECT_FALSE(admin.count("keyctl"));
  EXPECT_FALSE(admin.count("ptrace"));

  auto ptrace =
      allowed_outright(default_seccomp_profile(with(default_capabilities(), "cap_sys_ptrace")));
  EXPECT_TRUE(ptrace.count("ptrace"));
  EXPECT_TRUE(ptrace.count("process_vm_readv"));
  EXPECT_FALSE(ptrace.count("mount"));

  auto boot =
      allowed_outright(default_seccomp_profile(with(default_capabilities(), "CAP_SYS_BOOT")));
  EXPECT_TRUE(boot.count("reboot"));
  auto time = allowed_outright(default_seccomp_profile(with(default_capabilities(), "SYS_TIME")));
  EXPECT_TRUE(time.count("settimeofday"));
  EXPECT_TRUE(time.count("clock_settime"));

  // Without CAP_SYS_CHROOT, chroot goes too.
  auto no_chroot = compute_capabilities({}, {"SYS_CHROOT"}, false);
  ASSERT_TRUE(no_chroot);
  EXPECT_FALSE(allowed_outright(default_seccomp_profile(*no_chroot)).count("chroot"));
}

TEST(DefaultSeccompProfile, CompilesForDefaultAndPrivilegedCaps) {
  auto filter = SeccompFilter::compile(default_seccomp_profile(default_capabilities()));
  ASSERT_TRUE(filter) << filter.error().message();
  // ~370 names, a fifth of them unknown on any one architecture.
  EXPECT_GT(filter->rule_count(), 250);
  EXPECT_LT(filter->rule_count(), 800);

  auto all = compute_capabilities({}, {}, true);
  ASSERT_TRUE(all);
  auto privileged = SeccompFilter::compile(default_seccomp_profile(*all));
  ASSERT_TRUE(privileged) << privileged.error().message();
  EXPECT_GT(privileged->rule_count(), filter->rule_count());
}

// ---- Docker's format -------------------------------------------------------------------------

constexpr const char* kDockerProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "always"},
    {"name": "getpid", "action": "SCMP_ACT_ALLOW"},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
    {"names": ["cacheflush"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["kcmp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
     "includes": {"caps": ["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"]}}
  ]
})";

SeccompHost host(const char* arch, const char* kernel) {
  SeccompHost h;
  h.arch = arch;
  h.kernel_release = kernel;
  return h;
}

TEST(DockerSeccompProfile, EvaluatesIncludesAndExcludes) {
  auto p = seccomp_from_docker_profile(kDockerProfile, {"CAP_CHOWN"}, "test.json",
                                       host("amd64", "5.10.0-28-amd64"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ((*p)["architectures"], (Json{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ((*p)["defaultErrnoRet"], 1);
  auto allowed = allowed_outright(*p);
  auto any = mentioned(*p);
  EXPECT_EQ(allowed, (std::set<std::string>{"read", "write", "getpid", "arch_prctl", "ptrace"}));
  EXPECT_TRUE(any.count("clone"));
  EXPECT_FALSE(any.count("mount"));
  EXPECT_FALSE(any.count("kcmp"));  // needs both caps

  auto admin = seccomp_from_docker_profile(kDockerProfile, {"sys_admin", "SYS_PTRACE"}, "test.json",
                                           host("amd64", "4.4.0"));
  ASSERT_TRUE(admin) << admin.error().message();
  auto admin_any = mentioned(*admin);
  EXPECT_TRUE(allowed_outright(*admin).count("mount"));
  EXPECT_FALSE(admin_any.count("clone"));   // excluded by CAP_SYS_ADMIN
  EXPECT_FALSE(admin_any.count("ptrace"));  // kernel 4.4 < minKernel 4.8
  EXPECT_TRUE(admin_any.count("kcmp"));
  for (const auto& rule : (*admin)["syscalls"])
    if (rule["names"] == Json{"kcmp"}) {
      EXPECT_EQ(rule["errnoRet"], 38);
    }
}

TEST(DockerSeccompProfile, ArchMapAndArchesFollowTheHost) {
  auto arm = seccomp_from_docker_profile(kDockerProfile, {}, "test.json", host("arm64", "6.1"));
  ASSERT_TRUE(arm) << arm.error().message();
  EXPECT_EQ((*arm)["architectures"], (Json{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  auto allowed = allowed_outright(*arm);
  EXPECT_FALSE(allowed.count("arch_prctl"));
  EXPECT_TRUE(allowed.count("cacheflush"));
}

TEST(DockerSeccompProfile, ConvertedProfileCompiles) {
  auto p = seccomp_from_docker_profile(kDockerProfile, default_capabilities(), "test.json");
  ASSERT_TRUE(p) << p.error().message();
  auto filter = SeccompFilter::compile(*p);
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_GE(filter->rule_count(), 4);
}

// The error must name the file and the entry, so a user can find the typo.
void expect_error(const std::string& text, const std::vector<std::string>& needles) {
  auto p = seccomp_from_docker_profile(text, {}, "/etc/berth/profile.json", host("amd64", "6.1"));
  ASSERT_FALSE(p) << text;
  std::string msg = p.error().message();
  EXPECT_NE(msg.find("/etc/berth/profile.json"), std::string::npos) << msg;
  for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg << " lacks " << n;
}

TEST(DockerSeccompProfile, ErrorsNameTheSourceAndTheEntry) {
  expect_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["write"], "action": "SCMP_ACT_ALOW"}]})",
               {"syscalls[1].action", "SCMP_ACT_ALOW"});
  expect_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "name": "read", "action": "SCMP_ACT_ALLOW"}]})",
               {"syscalls[0]", "name"});
  expect_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"cap": ["CAP_SYS_ADMIN"]}}]})",
               {"syscalls[0].includes", "cap"});
  expect_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SIMILAR"}]}]})",
               {"syscalls[0].args[0].op", "SCMP_CMP_SIMILAR"});
  expect_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "op": "SCMP_CMP_EQ"}]}]})",
               {"syscalls[0].args[0].index"});
  expect_error(
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]})",
      {"syscalls[0].names"});
  expect_error(R"({"syscalls": []})", {"defaultAction"});
  expect_error(R"({"defaultAction": "SCMP_ACT_ERRNO",)", {});
}

// ---- compiling OCI linux.seccomp -------------------------------------------------------------

Json oci_with_rule(Json rule) {
  return Json{{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", Json::array({std::move(rule)})}};
}

TEST(SeccompFilter, UnknownActionIsAnError) {
  auto f =
      SeccompFilter::compile(oci_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_BOGUS"}}));
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("SCMP_ACT_BOGUS"), std::string::npos) << f.error().message();
  EXPECT_NE(f.error().message().find("syscalls[0]"), std::string::npos) << f.error().message();

  auto d = SeccompFilter::compile(Json{{"defaultAction", "SCMP_ACT_NOPE"}});
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("SCMP_ACT_NOPE"), std::string::npos);
}

TEST(SeccompFilter, UnknownOpArchOrFlagIsAnError) {
  EXPECT_FALSE(SeccompFilter::compile(
      oci_with_rule({{"names", {"read"}},
                     {"action", "SCMP_ACT_ALLOW"},
                     {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ROUGHLY"}}}}})));
  EXPECT_FALSE(SeccompFilter::compile(
      Json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}}));
  EXPECT_FALSE(SeccompFilter::compile(
      Json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_MAGIC"}}}));
  EXPECT_FALSE(SeccompFilter::compile(
      oci_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"errnoRet", 5}})));
  EXPECT_FALSE(
      SeccompFilter::compile(oci_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_NOTIFY"}})));
}

TEST(SeccompFilter, UnknownSyscallNamesAreSkipped) {
  auto f = SeccompFilter::compile(
      oci_with_rule({{"names", {"read", "no_such_syscall_xyz"}}, {"action", "SCMP_ACT_ALLOW"}}));
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->rule_count(), 1);
  EXPECT_EQ(f->skipped_syscalls(), std::vector<std::string>{"no_such_syscall_xyz"});
}

TEST(SeccompFilter, ArgsOnOneIndexAreOredAsSeparateRules) {
  auto f = SeccompFilter::compile(
      oci_with_rule({{"names", {"personality"}},
                     {"action", "SCMP_ACT_ALLOW"},
                     {"args",
                      {{{"index", 0}, {"value", 0}, {"op", "SCMP_CMP_EQ"}},
                       {{"index", 0}, {"value", 8}, {"op", "SCMP_CMP_EQ"}}}}}));
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->rule_count(), 2);
}

TEST(SeccompFilter, RulesEqualToTheDefaultActionAreSkipped) {
  auto f =
      SeccompFilter::compile(oci_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_ERRNO"}}));
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->rule_count(), 0);
}

TEST(SeccompFilter, IsMovable) {
  auto f =
      SeccompFilter::compile(oci_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}}));
  ASSERT_TRUE(f);
  SeccompFilter moved = std::move(*f);
  EXPECT_EQ(moved.rule_count(), 1);
  EXPECT_FALSE(f->load());  // moved-from: an error, not a crash
}

// ---- loading it, in a forked child --------------------------------------------------------------

using berth::runtime::testing::run_in_child;

// 0 if the call failed with `want`.
bool fails_with(long rc, int want) { return rc == -1 && errno == want; }

TEST(SeccompLoad, DefaultProfileBlocksWhatItShould) {
  auto filter = SeccompFilter::compile(default_seccomp_profile(default_capabilities()));
  ASSERT_TRUE(filter) << filter.error().message();
  int rc = run_in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 2;
    if (!filter->load()) return 3;
    if (getpid() <= 0) return 4;
    if (!fails_with(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM))
      return 5;
    // A target that does not exist: should the filter let mount() through, the kernel
    // answers ENOENT (or EPERM when not root) and nothing is mounted on the host.
    if (!fails_with(mount("none", "/nonexistent-berth-test", "tmpfs", 0, nullptr), EPERM)) return 6;
    if (unshare(CLONE_NEWNS) == 0) return 7;
    if (!fails_with(unshare(CLONE_NEWUSER), EPERM)) return 8;
    if (!fails_with(syscall(SYS_clone3, nullptr, 0), ENOSYS)) return 9;
    if (personality(0xffffffff) == -1) return 10;
    if (!fails_with(personality(ADDR_NO_RANDOMIZE), EPERM)) return 11;
    if (!fails_with(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM)) return 12;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 13;
    close(fd);
    if (!fails_with(syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0), EPERM)) return 14;
    // fork() is clone() without namespace flags: allowed.
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || status != 0) return 15;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "see the numbered checks in the child";
}

TEST(SeccompLoad, AProgramStillRunsUnderTheDefaultProfile) {
  if (access("/bin/true", X_OK) != 0) GTEST_SKIP() << "no /bin/true";
  auto filter = SeccompFilter::compile(default_seccomp_profile(default_capabilities()));
  ASSERT_TRUE(filter) << filter.error().message();
  int rc = run_in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 2;
    if (!filter->load()) return 3;
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    execv("/bin/true", argv);
    return 4;
  });
  EXPECT_EQ(rc, 0);
}

// The two orders seccomp.h documents, end to end as root: the filter must let the runtime's
// own last steps (uid change, capabilities, execve) through.
class RuntimeOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "switching users and capabilities needs root";
    if (access("/bin/true", X_OK) != 0) GTEST_SKIP() << "no /bin/true";
    auto f = SeccompFilter::compile(default_seccomp_profile(default_capabilities()));
    ASSERT_TRUE(f) << f.error().message();
    filter_.emplace(std::move(*f));
  }
  static int switch_user_and_drop_caps() {
    if (!keep_capabilities_across_setuid()) return 20;
    if (setgroups(0, nullptr) != 0) return 21;
    if (setresgid(1000, 1000, 1000) != 0 || setresuid(1000, 1000, 1000) != 0) return 22;
    if (auto r = apply_capabilities(default_capability_sets()); !r) return 23;
    return 0;
  }
  static int exec_true() {
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    execv("/bin/true", argv);
    return 30 + (errno == EPERM);
  }
  std::optional<SeccompFilter> filter_;
};

TEST_F(RuntimeOrder, NoNewPrivsThenSeccompLast) {
  int rc = run_in_child([&] {
    if (int r = switch_user_and_drop_caps(); r != 0) return r;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 2;
    if (!filter_->load()) return 3;
    return exec_true();
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(RuntimeOrder, WithoutNoNewPrivsSeccompFirstWhileStillPrivileged) {
  int rc = run_in_child([&] {
    if (!filter_->load()) return 3;  // CAP_SYS_ADMIN is still effective
    if (int r = switch_user_and_drop_caps(); r != 0) return r;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) return 4;
    return exec_true();
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace berth::runtime
