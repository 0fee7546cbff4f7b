// Capabilities: root's power, split into ~40 named privileges, and how a container keeps
// only a few of them.
//
// Read: capabilities(7) (the five sets and the execve transformation rules), prctl(2)
// (PR_CAPBSET_DROP, PR_SET_KEEPCAPS, PR_CAP_AMBIENT), cap_set_proc(3), and the OCI
// runtime-spec config.md "process.capabilities" (the same five sets, by name).
//
// After this file you should know:
//  - why a container started by root is still not all-powerful: its bounding set lacks
//    CAP_SYS_ADMIN, CAP_NET_ADMIN, ..., and nothing it executes can ever get them back;
//  - Docker's default set of 14 and what --cap-add/--cap-drop/--privileged do to it;
//  - the order in which the container's init must change uid and capabilities (below).
//
// The order, in the container's init process between clone() and execve():
//   1. keep_capabilities_across_setuid()  prctl(PR_SET_KEEPCAPS, 1): without it, leaving
//      uid 0 empties the permitted set, and step 3 would have nothing left to choose from.
//   2. setgroups / setresgid / setresuid to the container's user.
//   3. apply_capabilities(sets)           bounding, then effective/permitted/inheritable,
//      then ambient. It first raises effective to the whole permitted set, because the
//      uid change in step 2 cleared the effective set and dropping from the bounding set
//      needs CAP_SETPCAP to be effective.
//   4. prctl(PR_SET_NO_NEW_PRIVS, 1) when the spec asks for it, then SeccompFilter::load()
//      (runtime/seccomp.h says when the filter must be loaded earlier instead), then execve.
// PR_SET_KEEPCAPS need not be cleared: execve(2) resets it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::runtime {

// The highest capability berth knows by name (CAP_CHECKPOINT_RESTORE, Linux 5.9).
inline constexpr int kLastKnownCapability = 40;

// "CAP_NET_ADMIN", "NET_ADMIN" or "net_admin" -> 12. Unknown names, and caps the running
// kernel does not have (value >= cap_max_bits()), give nullopt.
std::optional<int> capability_from_name(std::string_view name);
// 12 -> "CAP_NET_ADMIN"; a value berth has no name for -> "CAP_42".
std::string capability_name(int cap);
// Every capability the running kernel supports, as "CAP_..." names, in value order.
std::vector<std::string> all_capabilities();

// Docker's default set of 14 (CapEff 00000000a80425fb for a root process):
// CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP
// NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE.
std::vector<std::string> default_capabilities();

// docker run's --cap-add / --cap-drop / --privileged applied to the default set. Names are
// case-insensitive, with or without "CAP_"; "ALL" is accepted in both lists:
//   --cap-add ALL [--cap-drop X]  every supported cap except X
//   --cap-drop ALL --cap-add X    only X
//   otherwise                     (default - drop) + add
// privileged gives every cap the kernel supports. An unknown name is an error naming it.
// The result is "CAP_..." names in value order, without duplicates.
Result<std::vector<std::string>> compute_capabilities(const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop,
                                                      bool privileged);

// The five sets of the OCI spec's process.capabilities, as capability values.
struct CapabilitySets {
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

// Parses process.capabilities ({"bounding": ["CAP_..."], ...}; every key optional, an
// absent set is empty). A name berth does not know is an error naming it; a known cap the
// running kernel lacks is skipped, as runc and crun do (the spec may come from a newer host).
Result<CapabilitySets> parse_capabilities(const Json& process_capabilities);

// The capabilities of a root process with Docker's defaults: the 14 in bounding,
// effective, permitted and inheritable, none ambient. (Docker leaves inheritable empty
// since 20.10; the OCI default config of runc fills it. berth follows Docker: empty.)
CapabilitySets default_capability_sets();

// Bitmask of a set (bit n = capability n), as /proc/<pid>/status prints it.
uint64_t capability_mask(const std::vector<int>& caps);

// prctl(PR_SET_KEEPCAPS, 1): call before setresuid() away from uid 0 (step 1 above).
Result<> keep_capabilities_across_setuid();

// Steps 3a-3c above. Runs in the child between clone() and execve(): no exceptions,
// allocation only (single-threaded), every syscall narrated with trace_syscall().
Result<> apply_capabilities(const CapabilitySets& caps);

}  // namespace berth::runtime
