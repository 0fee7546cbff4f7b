// Creating, entering and removing persistent network namespaces. See netns.h.
#include "netns/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/trace.h"
#include "netns/netlink.h"

namespace berth::netns {

namespace {

// The thread's own namespace file. /proc/self/ns/net is the main thread's, which differs
// from the caller's whenever the caller is another thread that has entered a namespace.
constexpr const char* kThreadNetns = "/proc/thread-self/ns/net";

Result<> mount_traced(const std::string& source, const std::string& target,
                      unsigned long flags) {
  trace_syscall("mount(" + quote(source) + ", " + quote(target) + ", " +
                mount_flags_str(flags) + ")");
  if (::mount(source.c_str(), target.c_str(), nullptr, flags, nullptr) != 0)
    return sys_error("mount " + mount_flags_str(flags), target);
  return {};
}

// Makes `dir` a mount point of its own, in a peer group of its own, as iproute2 does for
// /run/netns:
//
// - Its own mount point: a bind mount of a namespace file is a mount like any other and
//   propagates to wherever the mount it sits in propagates. Left inside, say, / or /run,
//   which systemd makes shared, every namespace file would also appear in every mount
//   namespace that is a peer or slave of / (other containers, services with PrivateTmp)
//   and keep the network namespace alive from there, with its veth and its addresses,
//   long after `remove_netns`. So the directory is bound onto itself (MS_BIND|MS_REC).
// - Private first: a new bind mount joins the peer group of the mount it was made from,
//   so it would still share with / or /run. MS_PRIVATE takes it out of that group...
// - ...then shared again, now a group of one (MS_SHARED|MS_REC): mount namespaces copied
//   from ours later (a container's before it pivots, `unshare -m`) hold copies of the
//   namespace files, and since those copies are peers (or slaves) of ours, our umount in
//   remove_netns propagates to them and the namespace can be freed instead of pinned.
//
// mount(MS_SHARED) on a directory that is not a mount point fails with EINVAL: that is
// how the first call notices there is work to do. The steps run under flock(2) on the
// directory because two berth processes doing them at once can each see EINVAL and stack
// recursive bind mounts on each other (https://bugs.debian.org/949235).
Result<> make_netns_dir_mount(const std::string& dir) {
  ASSIGN_OR_RETURN(Fd lock, open_fd(dir, O_RDONLY | O_DIRECTORY));
  if (::flock(lock.get(), LOCK_EX) != 0) return sys_error("flock", dir);
  auto shared = mount_traced("", dir, MS_SHARED | MS_REC);
  if (shared || shared.error().errno_value() != EINVAL) return shared;
  TRY(mount_traced(dir, dir, MS_BIND | MS_REC));
  TRY(mount_traced("", dir, MS_PRIVATE | MS_REC));
  return mount_traced("", dir, MS_SHARED | MS_REC);
}

// unshare(2) moves only the calling thread into the new namespace, so a short-lived
// thread makes it and binds it to `path`, and no other thread of ours ever leaves its
// own. When the thread exits, the bind mount is the namespace's only reference.
Result<> bind_new_netns(const std::string& path) {
  Meanwhile<> worker(
      [&]() -> Result<> {
        trace_syscall("unshare(CLONE_NEWNET)");
        if (::unshare(CLONE_NEWNET) != 0) return sys_error("unshare", "CLONE_NEWNET");
        return mount_traced(kThreadNetns, path, MS_BIND);
      },
      "netns");
  return worker.wait();
}

// The mount point for a namespace: an empty file with no permissions, which only ever
// serves to be mounted on (mode 0, like iproute2's). `bind` mounts the namespace on it; if
// that fails, the file goes again.
template <typename Bind>
Result<> make_mount_point_and(const std::string& path, bool shared_dir, const Bind& bind) {
  std::string dir = dir_name(path);
  TRY(make_dirs(dir));
  if (shared_dir) TRY(make_netns_dir_mount(dir));
  trace_syscall("open(" + quote(path) + ", O_CREAT|O_EXCL)");
  {
    ASSIGN_OR_RETURN(Fd file, open_fd(path, O_RDONLY | O_CREAT | O_EXCL, 0));
  }
  Result<> bound = bind();
  if (!bound) ::unlink(path.c_str());
  return bound;
}

}  // namespace

Result<> create_netns(const std::string& path, bool shared_dir) {
  return make_mount_point_and(path, shared_dir, [&] { return bind_new_netns(path); });
}

Result<> bind_netns(const std::string& path, int netns, bool shared_dir) {
  return make_mount_point_and(path, shared_dir,
                              [&] { return mount_traced("/proc/self/fd/" + std::to_string(netns), path, MS_BIND); });
}

Result<> remove_netns(const std::string& path) {
  // MNT_DETACH: a process may still be inside, or hold the file open; the namespace lives
  // on for them and is freed after the last one. UMOUNT_NOFOLLOW: only our own file.
  trace_syscall("umount2(" + quote(path) + ", MNT_DETACH)");
  if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL &&
      errno != ENOENT)
    return sys_error("umount2", path);
  // EBUSY here means the file is still a mount point in another mount namespace that does
  // not receive our umount (a private copy): see make_netns_dir_mount.
  trace_syscall("unlink(" + quote(path) + ")");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_error("unlink", path);
  return {};
}

Result<InNetns> InNetns::enter(const std::string& path) {
  ASSIGN_OR_RETURN(Fd original, open_fd(kThreadNetns, O_RDONLY));
  ASSIGN_OR_RETURN(Fd target, open_fd(path, O_RDONLY));
  trace_syscall("setns(" + quote(path) + ", CLONE_NEWNET)");
  // EINVAL when `path` is not a network namespace (e.g. the file is no longer mounted).
  if (::setns(target.get(), CLONE_NEWNET) != 0) return sys_error("setns", path);
  return InNetns(std::move(original));
}

Result<> InNetns::leave() {
  if (!original_) return {};
  trace_syscall("setns(" + quote(kThreadNetns) + " as before, CLONE_NEWNET)");
  if (::setns(original_.get(), CLONE_NEWNET) != 0) return sys_error("setns", "original netns");
  original_.reset();
  return {};
}

// Going back can fail only if the thread lost CAP_SYS_ADMIN meanwhile or the kernel is out
// of memory. Carrying on in the wrong namespace would make every later link operation hit
// another network (a container's, or the host's), so the process stops instead.
InNetns::~InNetns() {
  if (!original_) return;
  if (auto r = leave(); !r) {
    std::string text = "berth: cannot return to the original network namespace: " +
                       r.error().message() + "\n";
    ssize_t unused = ::write(STDERR_FILENO, text.data(), text.size());
    (void)unused;
    std::abort();
  }
}

Result<> bring_up_loopback() {
  ASSIGN_OR_RETURN(Netlink nl, Netlink::open());
  return nl.set_up("lo");
}

}  // namespace berth::netns
