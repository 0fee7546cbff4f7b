// Network namespaces that outlive their processes, kept as files (what `ip netns add` does).
//
// A network namespace is a whole network stack of its own: links, addresses, routes,
// firewall rules, sockets. The kernel frees it when nothing refers to it any more, and a
// reference can be a process inside it, an open /proc/PID/ns/net descriptor, or a bind
// mount of that file. berth binds each container's namespace onto a file under a directory
// of its own choosing, so that the namespace exists before the container's process (the
// runtime joins it by path) and after it (restart, `berth network disconnect`).
//
// Read: network_namespaces(7), setns(2), unshare(2), mount_namespaces(7) "Shared subtrees",
// and iproute2's ip/ipnetns.c. Afterwards the reader should know why a namespace file is a
// mount and not a plain file, and why the directory holding them is a mount point of its own.
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace berth::netns {

// Makes an empty file at `path` (its directory is created if missing) and bind-mounts a
// new, empty network namespace on it. The caller's own namespace does not change. Fails
// with EEXIST when the file exists. `shared_dir`: first make the directory a shared mount
// of its own, as iproute2 does for /run/netns (see make_netns_dir_mount). berth passes
// false: its containers detach every host mount when they pivot_root, so no copy of the
// bind mount outlives a container's setup, and the directory stays an ordinary one (a
// self-bind mount would outlive the last namespace in it).
Result<> create_netns(const std::string& path, bool shared_dir = true);
// The same for a namespace that exists already, as the fd `netns` (one made beforehand on
// a helper thread): bind-mounted on a new empty file at `path`.
Result<> bind_netns(const std::string& path, int netns, bool shared_dir = true);

// umount2(MNT_DETACH), then unlink. A missing or unmounted file is success, so cleanup can
// run twice. The namespace itself goes when its last user (a process, a socket) goes.
Result<> remove_netns(const std::string& path);

// While alive, the calling thread is in the network namespace at `path`; the destructor
// (or leave()) returns it to the one it was in. New sockets, including a Netlink opened in
// between, belong to that namespace for their whole life.
//
// setns(2) moves only the calling thread, and everything else the process does meanwhile
// (another thread opening a socket, a library's helper thread) stays where it was. Use it
// from a single-threaded section or from a thread dedicated to the job, and do not hand
// the object to another thread: it must be left from the thread that entered.
class InNetns {
 public:
  static Result<InNetns> enter(const std::string& path);

  InNetns(InNetns&& other) noexcept = default;
  InNetns& operator=(InNetns&&) = delete;
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;
  // Returns to the original namespace; aborts if the kernel refuses (see netns.cpp).
  ~InNetns();

  // Returns to the original namespace now; the destructor then does nothing.
  Result<> leave();

 private:
  explicit InNetns(Fd original) : original_(std::move(original)) {}
  Fd original_;  // /proc/thread-self/ns/net as it was before enter()
};

// ip link set lo up, in the calling thread's current namespace: a new namespace's loopback
// starts down, so even 127.0.0.1 is unreachable until this runs.
Result<> bring_up_loopback();

}  // namespace berth::netns
