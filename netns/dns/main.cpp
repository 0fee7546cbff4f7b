// berth-dns: the embedded DNS server of one bridge network (netns/dns_server.h).
//
//   berth-dns [--port N] [--ready-fd FD] DIR LISTEN_ADDR...
//
// The engine starts one per network with DIR = the network's DNS directory and the
// gateway's address(es); containers' resolv.conf names those addresses. In order:
//   1. take DIR/lock (flock LOCK_EX|LOCK_NB) for the whole life of the process. That lock
//      is how the engine knows a server is alive; if another process holds it, that one
//      serves DIR already, and this one exits 0 without a word;
//   2. read DIR/records and bind every address, UDP and TCP, on port N (default 53). A
//      bind failure: exit 1 with the address on stderr, nothing on the ready fd;
//   3. drop every capability: binding port 53 needed CAP_NET_BIND_SERVICE, nothing after
//      it needs any, and this process parses packets from every container on the network;
//   4. write one byte to --ready-fd and close it: the engine may now start containers;
//   5. serve until SIGTERM/SIGINT (exit 0) or the removal of DIR/records (exit 0: the
//      network is gone). SIGHUP re-reads the records, as a rename over them does.
// It is a separate, statically linked program built from exactly the sources it needs
// (CMakeLists.txt, target berth-dns), so that it stays small: one runs per network.
//
// Read: flock(2), signalfd(2), capabilities(7) and capset(2).
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "netns/dns_server.h"

namespace berth::netns::dns {
namespace {

void say(std::string_view text) {
  std::string line = "berth-dns: " + std::string(text) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

struct Args {
  ServerOptions options;
  int ready_fd = -1;
};

bool parse_number(const char* text, long max, long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtol(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && out >= 0 && out <= max;
}

bool parse_args(int argc, char** argv, Args& a) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    std::string_view flag = argv[i];
    long value;
    if (i + 1 >= argc || !parse_number(argv[i + 1], 65535, value)) return false;
    if (flag == "--port" && value > 0)
      a.options.port = static_cast<uint16_t>(value);
    else if (flag == "--ready-fd")
      a.ready_fd = static_cast<int>(value);
    else
      return false;
    i++;
  }
  if (argc - i < 2) return false;
  a.options.dir = argv[i++];
  for (; i < argc; i++) a.options.listen.emplace_back(argv[i]);
  return true;
}

// Holds DIR/lock for the rest of the process's life; an empty Fd if another has it.
Result<Fd> take_lock(const std::string& dir) {
  ASSIGN_OR_RETURN(Fd lock, open_fd(dir + "/lock", O_RDWR | O_CREAT, 0600));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return Fd();
    return sys_error("flock", dir + "/lock");
  }
  return lock;
}

// SIGTERM, SIGINT and SIGHUP arrive on a descriptor the loop watches, not in a handler.
Result<Fd> block_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return sys_error("sigprocmask");
  Fd fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd) return sys_error("signalfd");
  ::signal(SIGPIPE, SIG_IGN);  // a TCP client that left: send() says EPIPE instead
  return fd;
}

// Empties the effective, permitted and inheritable sets (capset(2) directly: libcap is
// not worth linking for one call) and sets no_new_privs. Not being root is fine: then
// there is nothing to drop.
void drop_capabilities() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) < 0) say(std::string("capset: ") + std::strerror(errno));
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

void signal_ready(int fd) {
  if (fd < 0) return;
  char byte = 'R';
  (void)!::write(fd, &byte, 1);
  ::close(fd);
}

int dns_main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    say("usage: berth-dns [--port N] [--ready-fd FD] DIR LISTEN_ADDR...");
    return 2;
  }
  if (args.ready_fd >= 0) ::fcntl(args.ready_fd, F_SETFD, FD_CLOEXEC);
  auto lock = take_lock(args.options.dir);
  if (!lock) {
    say(lock.error().message());
    return 1;
  }
  if (!*lock) return 0;  // another berth-dns serves this directory
  auto signals = block_signals();
  if (!signals) {
    say(signals.error().message());
    return 1;
  }
  args.options.signal_fd = signals->get();
  args.options.log = say;
  auto server = Server::open(std::move(args.options));
  if (!server) {
    say(server.error().message());
    return 1;
  }
  drop_capabilities();
  signal_ready(args.ready_fd);
  auto stopped = server->run();
  if (!stopped) {
    say(stopped.error().message());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace berth::netns::dns

int main(int argc, char** argv) { return berth::netns::dns::dns_main(argc, argv); }
