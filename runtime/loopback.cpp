// Bringing up "lo" in a new network namespace.
//
// A new network namespace has exactly one interface, lo, and it is down: even 127.0.0.1
// does not answer. Docker's `--network none` gives a container a working loopback, so the
// runtime raises it. One interface flag does not need netlink: the classic SIOCSIFFLAGS
// ioctl on any socket of the namespace does it. Read: netdevice(7), network_namespaces(7).
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "base/fd.h"
#include "base/trace.h"
#include "runtime/namespaces.h"
#include "runtime/step_functions.h"

namespace berth::runtime {

namespace {

Result<> raise_loopback() {
  Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return sys_error("socket");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) return sys_error("ioctl SIOCGIFFLAGS", "lo");
  ifr.ifr_flags |= IFF_UP;
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) return sys_error("ioctl SIOCSIFFLAGS", "lo");
  return {};
}

}  // namespace

Result<> bring_up_loopback(ContainerContext&) {
  trace_syscall("ioctl(socket(AF_INET, SOCK_DGRAM), SIOCSIFFLAGS, \"lo\", IFF_UP)");
  return raise_loopback();
}

// Namespaces belong to threads (task_struct), not processes: unshare(2) on this thread
// moves it alone, and the rest of berth stays where it was.
Result<Fd> make_netns_with_loopback() {
  trace_syscall("unshare(CLONE_NEWNET)  ioctl(socket(AF_INET, SOCK_DGRAM), SIOCSIFFLAGS, \"lo\", IFF_UP)  "
                "open(\"/proc/thread-self/ns/net\")");
  if (::unshare(CLONE_NEWNET) < 0) return sys_error("unshare", "CLONE_NEWNET");
  TRY(raise_loopback());
  return open_fd("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

}  // namespace berth::runtime
