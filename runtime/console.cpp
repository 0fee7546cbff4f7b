// The container's terminal (docker run -t): a pseudo-terminal from the container's own devpts.
//
// The pair is made *inside* the container, from the devpts instance mounted at /dev/pts
// with "newinstance", so the terminal belongs to the container (its /dev/pts/0), not to the
// host. The child keeps the slave as its stdin/stdout/stderr and controlling terminal, and
// passes the master to berth over the sync socket (SCM_RIGHTS); berth copies between the
// master and the user's terminal.
// Read: pty(7), pts(4), ioctl_tty(2) TIOCSCTTY, setsid(2), unix(7) SCM_RIGHTS.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/trace.h"
#include "runtime/step_functions.h"
#include "runtime/sync.h"

namespace berth::runtime {

Result<> open_console(ContainerContext& ctx) {
  trace_syscall("open(\"/dev/pts/ptmx\")  ioctl(TIOCSPTLCK, 0)  ioctl(TIOCGPTN)  "
                "mount(\"/dev/pts/N\", \"/dev/console\", MS_BIND)  setsid()  ioctl(TIOCSCTTY)");
  ASSIGN_OR_RETURN(Fd master, open_fd("/dev/pts/ptmx", O_RDWR | O_NOCTTY));
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return sys_error("ioctl TIOCSPTLCK");
  unsigned int n = 0;
  if (::ioctl(master.get(), TIOCGPTN, &n) < 0) return sys_error("ioctl TIOCGPTN");
  std::string slave_path = "/dev/pts/" + std::to_string(n);
  ASSIGN_OR_RETURN(Fd slave, open_fd(slave_path, O_RDWR | O_NOCTTY));

  // /dev/console is where some programs (and init systems) write; point it at our tty.
  // (Not for `exec`: the container's /dev/console belongs to its own terminal.)
  if (!ctx.exec) {
    if (!path_exists("/dev/console")) TRY(write_file_atomic("/dev/console", "", 0600));
    if (::mount(slave_path.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) < 0)
      return sys_error("bind console", slave_path);
  }

  TRY(send_console_fd(ctx.sync_fd, master.get()));
  master.reset();
  if (::setsid() < 0) return sys_error("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) return sys_error("ioctl TIOCSCTTY", slave_path);
  for (int fd = 0; fd < 3; fd++)
    if (::dup2(slave.get(), fd) < 0) return sys_error("dup2", slave_path);
  return {};
}

}  // namespace berth::runtime
