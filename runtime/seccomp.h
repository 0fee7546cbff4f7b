// Seccomp: a filter the kernel runs on every system call the container makes, here an
// allowlist: the ~350 calls ordinary programs need, and EPERM for the rest.
//
// Read: seccomp(2) (SECCOMP_SET_MODE_FILTER, the no_new_privs-or-CAP_SYS_ADMIN rule),
// seccomp_init(3), seccomp_rule_add(3) (actions, argument comparisons), seccomp_load(3),
// seccomp_attr_set(3), and the OCI runtime-spec config-linux.md "Seccomp" (linux.seccomp).
//
// After this file you should know:
//  - the two profile formats: Docker's (with includes/excludes: "allow mount only if the
//    container has CAP_SYS_ADMIN") and the OCI spec's, which is Docker's already evaluated
//    for one container; berth turns the first into the second before it writes config.json;
//  - why the default profile is tied to the capabilities: with CAP_SYS_ADMIN, mount() is
//    allowed by the filter and by the kernel; without it, the filter refuses it before the
//    kernel's own (much larger) mount code is reached at all;
//  - when the filter may be loaded (SeccompFilter::load below).
#pragma once

#include <seccomp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::runtime {

// ---- Docker's profile format, as data -------------------------------------------------
// The default profile (seccomp_default.cpp) and a user's --security-opt seccomp=file.json
// are both held in this form and evaluated by the same code.

// One argument comparison: syscall argument `index` (0..5) compared with `op`
// ("SCMP_CMP_EQ", ...). For SCMP_CMP_MASKED_EQ, `value` is the mask and `value_two` the
// expected result of (arg & mask).
struct SeccompArg {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;
};

// includes: the rule applies only if the container has all `caps`, the host arch is one
// of `arches` and the kernel is at least `min_kernel` ("4.8"); empty fields don't restrict.
// excludes: the rule is dropped if the container has any of `caps` or the host arch is one
// of `arches`. Arch names are Go's ("amd64", "arm64", "386", "s390x").
struct SeccompCondition {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::string min_kernel;
};

struct SeccompRuleGroup {
  std::vector<std::string> names;
  std::string action;  // "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ...
  std::optional<unsigned> errno_ret;
  std::vector<SeccompArg> args;
  SeccompCondition includes;
  SeccompCondition excludes;
};

// archMap: on a host whose native arch is `architecture`, also filter `sub_architectures`
// (an x86_64 kernel runs i386 and x32 binaries too, and each has its own syscall numbers).
struct SeccompArchMap {
  std::string architecture;  // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_architectures;
};

struct DockerSeccompProfile {
  std::string default_action;
  std::optional<unsigned> default_errno_ret;
  std::vector<std::string> architectures;  // either this ...
  std::vector<SeccompArchMap> arch_map;    // ... or this
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SeccompRuleGroup> syscalls;
};

// What includes/excludes are evaluated against, besides the capabilities.
struct SeccompHost {
  std::string arch;            // Go arch name of this build: "amd64"
  std::string kernel_release;  // uname -r: "6.1.0-18-amd64"
  static SeccompHost current();
};

// Docker's default profile, written as berth's data (seccomp_default.cpp).
const DockerSeccompProfile& docker_default_profile();

// Parses Docker's JSON format; errors name `source` and the bad entry or key.
Result<DockerSeccompProfile> parse_docker_profile(const std::string& json_text,
                                                  const std::string& source);

// Evaluates includes/excludes/archMap for one container and returns OCI linux.seccomp.
// Capability names may be given with or without "CAP_", in any case.
Json docker_profile_to_oci(const DockerSeccompProfile& profile,
                           const std::vector<std::string>& capabilities, const SeccompHost& host);

// The default profile for a container with these capabilities (defaultAction
// SCMP_ACT_ERRNO with EPERM, this host's architectures), as OCI linux.seccomp.
Json default_seccomp_profile(const std::vector<std::string>& capabilities);

// A Docker-format profile file's text -> OCI linux.seccomp, for this host.
Result<Json> seccomp_from_docker_profile(const std::string& json_text,
                                         const std::vector<std::string>& capabilities,
                                         const std::string& source);
// Same, for a given host (tests).
Result<Json> seccomp_from_docker_profile(const std::string& json_text,
                                         const std::vector<std::string>& capabilities,
                                         const std::string& source, const SeccompHost& host);

// ---- The filter -------------------------------------------------------------------------

// A libseccomp filter built from OCI linux.seccomp, in two steps so that every mistake in
// the profile is reported by compile(), in the parent, before the container's point of no
// return; load() then only hands the filter to the kernel.
//
// Semantics follow runc and crun:
//  - a syscall name libseccomp cannot resolve is skipped (the profile may name calls newer
//    than this libseccomp or than the kernel): see skipped_syscalls();
//  - an unknown action, op, arch or flag, an arg index above 5, errnoRet with an action
//    other than ERRNO/TRACE, are errors naming the entry (linux.seccomp.syscalls[3]);
//  - SCMP_ACT_ERRNO without errnoRet returns EPERM, defaultErrnoRet likewise;
//  - a rule whose action equals the default action is skipped (libseccomp refuses it);
//  - several args on different indexes are ANDed in one rule; several args all on the same
//    index are ORed (one rule each), since one rule cannot test one argument twice;
//  - SCMP_ACT_NOTIFY (a user-space supervisor) is not supported.
// The filter never sets no_new_privs itself (SCMP_FLTATR_CTL_NNP = 0): the spec's
// process.noNewPrivileges decides that.
class SeccompFilter {
 public:
  static Result<SeccompFilter> compile(const Json& oci_seccomp);
  // Same result, but libseccomp's BPF generation (tens of milliseconds for Docker's
  // profile) happens once per distinct profile: the program is kept in cache_dir, keyed by
  // the profile, the libseccomp version and the kernel release. Then load() hands the
  // kernel the ready program. Profiles with "flags" are always compiled.
  static Result<SeccompFilter> compile_cached(const Json& oci_seccomp, const std::string& cache_dir);
  // What a runtime needs: nothing for a null linux.seccomp, else compile_cached (compile
  // when cache_dir is ""). Errors say "seccomp profile: ...".
  static Result<std::optional<SeccompFilter>> for_spec(const Json& oci_seccomp, const std::string& cache_dir);

  // seccomp_load(3). The kernel accepts a filter only from a process that has set
  // no_new_privs or has CAP_SYS_ADMIN in its effective set (seccomp(2)). So:
  //  - noNewPrivileges true: prctl(PR_SET_NO_NEW_PRIVS, 1), then load() as the very last
  //    step before execve(), after the uid change and apply_capabilities(); the filter then
  //    has to allow only execve() and what follows;
  //  - noNewPrivileges false: load() BEFORE keep_capabilities_across_setuid(), setresuid()
  //    and apply_capabilities(), while still root (as runc does); the filter must then also
  //    allow prctl, capset, setgroups, setresgid, setresuid (the default profile does).
  // Allocates (libseccomp generates the BPF program here); no exceptions.
  Result<> load();

  int rule_count() const { return rule_count_; }
  const std::vector<std::string>& skipped_syscalls() const { return skipped_; }

  SeccompFilter(SeccompFilter&& other) noexcept;
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();

 private:
  explicit SeccompFilter(scmp_filter_ctx ctx) : ctx_(ctx) {}

  Result<std::string> export_bpf() const;

  scmp_filter_ctx ctx_ = nullptr;
  std::string bpf_;  // a ready BPF program (struct sock_filter[]), when loaded from cache
  int rule_count_ = 0;
  std::string default_action_;  // for the trace line
  std::vector<std::string> skipped_;
};

}  // namespace berth::runtime
