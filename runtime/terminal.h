// The user's side of `run -it`: raw mode on our terminal and copying bytes both ways
// between it and the container's pty master. Read: termios(3) cfmakeraw, ioctl_tty(2)
// TIOCGWINSZ/TIOCSWINSZ.
#pragma once

#include <termios.h>

#include "base/result.h"

namespace berth::runtime {

// Puts fd's terminal into raw mode (keys go straight to the container: Ctrl-C becomes a
// byte that the container's tty turns into SIGINT); restores it on destruction.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  bool active_ = false;
  struct termios saved_ {};
};

// Copies our window size to the container's pty (at start and on SIGWINCH).
void copy_window_size(int from_tty, int to_master);

}  // namespace berth::runtime
