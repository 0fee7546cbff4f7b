// ProxyThread (port_proxy.h): the userland proxy of a foreground container, served on a
// thread beside berth's wait for the container. Read: poll(2), eventfd(2).
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "runtime/port_proxy.h"

namespace berth::runtime {

ProxyThread::ProxyThread(PortProxy proxy)
    : proxy_(std::move(proxy)), stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void ProxyThread::start() {
  thread_ = std::thread([this] {
    for (;;) {
      struct pollfd fds[2] = {{proxy_.fd(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, proxy_.next_timeout_ms());
      if (n < 0 && errno != EINTR) return;
      if (fds[1].revents != 0) return;
      proxy_.on_ready();
    }
  });
}

ProxyThread::~ProxyThread() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
}

}  // namespace berth::runtime
