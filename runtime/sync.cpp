#include "runtime/sync.h"

#include <sys/socket.h>

#include <cstring>
#include <string>

namespace berth::runtime {

namespace {
enum : char { kMsgGo = 'G', kMsgError = 'E', kMsgConsole = 'C' };

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

Result<> send_go(int fd) {
  char m = kMsgGo;
  if (::send(fd, &m, 1, MSG_NOSIGNAL) != 1) return sys_error("send go to container");
  return {};
}

Result<> wait_go(int fd) {
  char m = 0;
  ssize_t n;
  do n = ::recv(fd, &m, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("wait for parent");
  if (n == 0 || m != kMsgGo) return fail("parent went away before the container started");
  return {};
}

void send_error(int fd, const Error& e) {
  std::string msg(1, kMsgError);
  msg += e.serialize();
  (void)::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
}

Result<> send_console_fd(int fd, int master) {
  char m = kMsgConsole;
  FdMessage out(&m, 1);
  struct cmsghdr* c = CMSG_FIRSTHDR(&out.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (::sendmsg(fd, &out.msg, MSG_NOSIGNAL) < 0) return sys_error("send console to parent");
  return {};
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
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return fail("console message without a descriptor");
    int received;
    std::memcpy(&received, CMSG_DATA(c), sizeof(int));
    out.kind = SyncMessage::kConsole;
    out.console = Fd(received);
  } else {
    return fail("unexpected message from container");
  }
  return out;
}

}  // namespace berth::runtime
