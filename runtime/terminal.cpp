#include "runtime/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

namespace berth::runtime {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0) return;
  struct termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) == 0) active_ = true;
}

RawTerminal::~RawTerminal() {
  if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
}

void copy_window_size(int from_tty, int to_master) {
  struct winsize ws;
  if (::ioctl(from_tty, TIOCGWINSZ, &ws) == 0) ::ioctl(to_master, TIOCSWINSZ, &ws);
}

}  // namespace berth::runtime
