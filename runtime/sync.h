// The parent <-> child handshake of one container, as typed messages on a socketpair.
//
// Why a handshake at all: some setup can only be done from outside the new namespaces
// (writing the child's uid_map, moving it into a cgroup v1 hierarchy), and the child must
// not go on before that is done. And the child, which must never unwind into the parent's
// code, reports a failed step by sending the error and exiting.
//
// On success the child's end is closed by execve(2) (it is O_CLOEXEC), so the parent reads
// end-of-file exactly when the container's command has started.
//
// Read: unix(7) SOCK_SEQPACKET and SCM_RIGHTS, cmsg(3).
#pragma once

#include "base/fd.h"
#include "base/result.h"

namespace berth::runtime {

struct SyncPair {
  Fd parent;
  Fd child;
};
Result<SyncPair> make_sync_pair();

// parent -> child: "your uid map is written and you are in your cgroup: go on". In a user
// namespace it carries the rootfs, mounted by the parent (runtime/idmapped_rootfs.h), as
// a detached mount fd; otherwise rootfs_mount is -1 and wait_go returns an invalid Fd.
Result<> send_go(int fd, int rootfs_mount = -1);
Result<Fd> wait_go(int fd);

// parent -> child: "you are in your cgroup now". Moving a process into a v1 cgroup can
// take a kernel RCU grace period (~10 ms), so the parent does it while the child mounts
// its filesystems, and the child waits for this only before it needs the cgroup.
Result<> send_joined(int fd);
Result<> wait_joined(int fd);

// child -> parent: a step failed (the child exits right after).
void send_error(int fd, const Error& e);
// child -> parent: the pty master of the container's console (SCM_RIGHTS).
Result<> send_console_fd(int fd, int master);

// parent: the next message. `console` receives a passed fd; an error message becomes the
// Error; end-of-file (the child exec'd or died) returns kind kEof.
struct SyncMessage {
  enum Kind { kEof, kConsole, kError } kind = kEof;
  Fd console;
  Error error;
};
Result<SyncMessage> receive_message(int fd);

}  // namespace berth::runtime
