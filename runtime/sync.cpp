#include "runtime/sync.h"

#include <sys/socket.h>

#include <cstring>
#include <string>

namespace berth::runtime {

namespace {
enum : char { kMsgGo = 'G', kMsgJoined = 'J', kMsgError = 'E', kMsgConsole = 'C' };

// A msghdr over one data buffer with room for one passed descriptor (SCM_RIGHTS).
// It points into itself, so it is built in place and never copied.
struct FdMessage {
  struct iovec iov;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  FdMessage(void* data, size_t len) : iov{data, len} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};
}  // namespace

Result<SyncPair> make_sync_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) return sys_error("socketpair");
  return SyncPair{Fd(fds[0]), Fd(fds[1])};
}

namespace {
// One message byte, with `passed` attached as SCM_RIGHTS when it is a descriptor.
Result<> send_with_fd(int fd, char kind, int passed, const char* what) {
  FdMessage out(&kind, 1);
  if (passed >= 0) {
    struct cmsghdr* c = CMSG_FIRSTHDR(&out.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &passed, sizeof(int));
  } else {
    out.msg.msg_control = nullptr;
    out.msg.msg_controllen = 0;
  }
  if (::sendmsg(fd, &out.msg, MSG_NOSIGNAL) < 0) return sys_error(what);
  return {};
}

// The descriptor a received message carried, or an invalid Fd.
Fd passed_fd(struct msghdr& msg) {
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return Fd();
  int received;
  std::memcpy(&received, CMSG_DATA(c), sizeof(int));
  return Fd(received);
}
}  // namespace

Result<> send_go(int fd, int rootfs_mount) {
  return send_with_fd(fd, kMsgGo, rootfs_mount, "send go to container");
}

namespace {
// The child waits for one message of the given kind and returns its descriptor, if any.
Result<Fd> wait_for(int fd, char kind) {
  char m = 0;
  FdMessage in(&m, 1);
  ssize_t n;
  do n = ::recvmsg(fd, &in.msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("wait for parent");
  if (n == 0 || m != kind) return fail("parent went away before the container started");
  return passed_fd(in.msg);
}
}  // namespace

Result<Fd> wait_go(int fd) { return wait_for(fd, kMsgGo); }

Result<> send_joined(int fd) { return send_with_fd(fd, kMsgJoined, -1, "send cgroup joined to container"); }

Result<> wait_joined(int fd) {
  TRY(wait_for(fd, kMsgJoined));
  return {};
}

void send_error(int fd, const Error& e) {
  std::string msg(1, kMsgError);
  msg += e.serialize();
  (void)::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
}

Result<> send_console_fd(int fd, int master) {
  return send_with_fd(fd, kMsgConsole, master, "send console to parent");
}

Result<SyncMessage> receive_message(int fd) {
  char buf[8192];
  FdMessage in(buf, sizeof buf);
  struct msghdr& msg = in.msg;
  ssize_t n;
  do n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("receive from container");
  SyncMessage out;
  if (n == 0) return out;
  if (buf[0] == kMsgError) {
    out.kind = SyncMessage::kError;
    out.error = Error::deserialize(std::string(buf + 1, static_cast<size_t>(n - 1)));
  } else if (buf[0] == kMsgConsole) {
    out.kind = SyncMessage::kConsole;
    out.console = passed_fd(msg);
    if (!out.console) return fail("console message without a descriptor");
  } else {
    return fail("unexpected message from container");
  }
  return out;
}

}  // namespace berth::runtime
