// Linux namespaces: which ones a container gets, and how it enters existing ones.
//
// A namespace wraps one global resource so that the processes inside see their own copy:
// pid (process ids; the command is PID 1), mount (the filesystem tree), uts (hostname),
// ipc (SysV IPC, POSIX queues), network (interfaces, routes, ports), user (uids and
// capabilities), cgroup (the view of /proc/self/cgroup).
// Read: namespaces(7), clone(2) / clone3, setns(2), unshare(2).
#pragma once

#include <sys/types.h>

#include <optional>

#include "base/fd.h"
#include "base/result.h"
#include "runtime/context.h"

namespace berth::runtime {

// CLONE_NEW* flags for the namespaces the spec asks to create (those without a path).
// The cgroup namespace is left out on purpose: see enter_cgroup_namespace.
unsigned long clone_flags_for(const Spec& spec);

// clone3(2) behaving like fork(2): returns 0 in the child. With cgroup_fd, the child starts
// directly in that cgroup (CLONE_INTO_CGROUP, cgroup v2 only). pidfd receives a pidfd.
Result<pid_t> clone_container(unsigned long flags, std::optional<int> cgroup_fd, Fd& pidfd);

// Step: setns(2) into each namespace of the spec that has a path (skipping one the process
// is in already: see enter_network_namespace).
Result<> join_namespaces(ContainerContext& ctx);

// A child that creates a user namespace cannot join a network namespace that the host's
// user namespace owns (setns(2) wants CAP_SYS_ADMIN over the namespace's owner, and the
// child's capabilities now count only inside its own). So the parent's thread enters it
// before clone, the child is born in it, and the parent goes back: the result is the
// namespace to return to (none when the spec joins no network namespace by path).
Result<std::optional<Fd>> enter_network_namespace(const Spec& spec);
Result<> return_to_network_namespace(const Fd& original);

// A new, empty network namespace with lo up, as an fd (a reference that keeps it alive),
// which the child then joins. The kernel needs some 0.7 ms for it (the namespace, then lo's
// addresses and routes); made in the child after clone, that time adds to every start.
// launch() runs this on a helper thread (base/meanwhile.h), beside the cgroup's and the
// seccomp filter's preparation. It moves the calling thread into the namespace for good:
// call it on a thread that ends afterwards.
Result<Fd> make_netns_with_loopback();

}  // namespace berth::runtime
