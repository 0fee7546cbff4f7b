// probe: a small static binary the integration tests bind-mount into containers
// (`-v PROBE:/probe:ro`). Each subcommand prints exact facts about what the process sees,
// one `key=value` per line where it can, so the tests compare values, not prose.
//
//   probe status                 pid, ppid, hostname, uid/gid, CapEff/CapBnd/NoNewPrivs/Seccomp
//   probe mount                  mount("none", "/mnt", "tmpfs") -> mount=ok | mount=EPERM ...
//   probe keyctl                 keyctl(KEYCTL_GET_KEYRING_ID, session) -> keyctl=ok | EPERM ...
//   probe write PATH TEXT        write=ok | write=EROFS ...
//   probe read PATH              read=<bytes read, up to 1 MiB>  or read=<errno name>
//   probe alloc MB               allocates and touches MB MiB, prints alloc=ok
//   probe forkbomb N             forks up to N sleeping children: forked=<count> then reaps
//   probe pids                   the numeric entries of /proc, one per line
//   probe uidmap | gidmap        /proc/self/uid_map, /proc/self/gid_map
//   probe signal-wait            prints "ready"; on SIGTERM prints "got SIGTERM", exits 42
//   probe cgroup                 /proc/self/cgroup
//   probe ls-owner PATH          owner=<uid>:<gid>
//   probe udp-echo PORT          answers each UDP datagram on PORT with "echo <sender ip> <data>"
//   probe tcp-peer PORT          serves TCP on PORT: each connection gets "peer <its ip>\n"
//   probe udp-ask IP PORT TEXT   sends TEXT in one datagram to IP:PORT, prints the answer
//                                (within 3 s; exits 1 without one)
//   probe http-files DIR PORT    serves DIR's files over HTTP/1.1 on PORT with keep-alive
//                                (sendfile(2), 32 pre-forked workers): bench/ports' server
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr long kKeyctlGetKeyringId = 0;
constexpr long kKeySpecSessionKeyring = -3;

const char* errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    default: {
      static char buf[32];
      std::snprintf(buf, sizeof buf, "E%d", e);
      return buf;
    }
  }
}

std::string read_file(const char* path) {
  std::string out;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

int cat(const char* path) {
  std::string s = read_file(path);
  std::fwrite(s.data(), 1, s.size(), stdout);
  return 0;
}

// The value of "Key:" in /proc/self/status, whitespace trimmed.
std::string status_field(const std::string& status, const std::string& key) {
  size_t pos = 0;
  while (pos < status.size()) {
    size_t end = status.find('\n', pos);
    if (end == std::string::npos) end = status.size();
    std::string line = status.substr(pos, end - pos);
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
    pos = end + 1;
  }
  return "";
}

int cmd_status() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string st = read_file("/proc/self/status");
  std::printf("pid=%d\nppid=%d\nhostname=%s\nuid=%u\ngid=%u\neuid=%u\negid=%u\n", getpid(),
              getppid(), host, getuid(), getgid(), geteuid(), getegid());
  for (const char* key : {"CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp"}) {
    std::printf("%s=%s\n", key, status_field(st, key).c_str());
  }
  return 0;
}

int cmd_mount() {
  if (mount("none", "/mnt", "tmpfs", 0, nullptr) == 0) {
    umount("/mnt");
    std::puts("mount=ok");
  } else {
    std::printf("mount=%s\n", errno_name(errno));
  }
  return 0;
}

int cmd_keyctl() {
  long r = syscall(SYS_keyctl, kKeyctlGetKeyringId, kKeySpecSessionKeyring, 0L);
  if (r >= 0) std::puts("keyctl=ok");
  else std::printf("keyctl=%s\n", errno_name(errno));
  return 0;
}

int cmd_write(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    std::printf("write=%s\n", errno_name(errno));
    return 0;
  }
  ssize_t n = write(fd, text, std::strlen(text));
  int e = errno;
  close(fd);
  if (n < 0) std::printf("write=%s\n", errno_name(e));
  else std::puts("write=ok");
  return 0;
}

int cmd_read(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::printf("read=%s\n", errno_name(errno));
    return 0;
  }
  static char buf[1 << 16];
  long total = 0;
  while (total < (1 << 20)) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::printf("read=%s\n", errno_name(errno));
      close(fd);
      return 0;
    }
    if (n == 0) break;
    total += n;
  }
  close(fd);
  std::printf("read=%ld\n", total);
  return 0;
}

int cmd_alloc(long mb) {
  size_t size = static_cast<size_t>(mb) << 20;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::printf("alloc=%s\n", errno_name(errno));
    return 1;
  }
  auto* bytes = static_cast<volatile char*>(p);
  for (size_t i = 0; i < size; i += 4096) bytes[i] = 1;
  std::puts("alloc=ok");
  return 0;
}

int cmd_forkbomb(long n) {
  std::vector<pid_t> kids;
  int err = 0;
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;) pause();
    }
    if (pid < 0) {
      err = errno;
      break;
    }
    kids.push_back(pid);
  }
  std::printf("forked=%zu\n", kids.size());
  if (err != 0) std::printf("error=%s\n", errno_name(err));
  for (pid_t pid : kids) kill(pid, SIGKILL);
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  return 0;
}

int cmd_pids() {
  DIR* d = opendir("/proc");
  if (d == nullptr) return 1;
  std::vector<long> pids;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0') pids.push_back(v);
  }
  closedir(d);
  std::sort(pids.begin(), pids.end());
  for (long p : pids) std::printf("%ld\n", p);
  return 0;
}

void on_term(int) {
  const char msg[] = "got SIGTERM\n";
  ssize_t ignored = write(STDOUT_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(42);
}

int cmd_signal_wait() {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  std::puts("ready");
  std::fflush(stdout);
  for (;;) pause();
}

int cmd_ls_owner(const char* path) {
  struct stat st {};
  if (lstat(path, &st) != 0) {
    std::printf("owner=%s\n", errno_name(errno));
    return 1;
  }
  std::printf("owner=%u:%u\n", st.st_uid, st.st_gid);
  return 0;
}

int bound_socket(int type, int port) {
  int s = socket(AF_INET, type, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::printf("bind=%s\n", errno_name(errno));
    std::exit(1);
  }
  return s;
}

int cmd_udp_echo(int port) {
  int s = bound_socket(SOCK_DGRAM, port);
  for (;;) {
    char buf[1024];
    struct sockaddr_in from {};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) continue;
    std::string reply = std::string("echo ") + inet_ntoa(from.sin_addr) + " " + std::string(buf, static_cast<size_t>(n));
    sendto(s, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

int cmd_udp_ask(const char* ip, int port, const std::string& text) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in to {};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip, &to.sin_addr) != 1) return 2;
  struct timeval wait = {3, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  if (sendto(s, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return 1;
  char buf[1024];
  ssize_t n = recv(s, buf, sizeof buf, 0);
  if (n <= 0) return 1;
  std::printf("%.*s\n", static_cast<int>(n), buf);
  return 0;
}

int cmd_tcp_peer(int port) {
  int s = bound_socket(SOCK_STREAM, port);
  listen(s, 16);
  for (;;) {
    struct sockaddr_in from {};
    socklen_t len = sizeof from;
    int c = accept(s, reinterpret_cast<sockaddr*>(&from), &len);
    if (c < 0) continue;
    std::string reply = std::string("peer ") + inet_ntoa(from.sin_addr) + "\n";
    ssize_t ignored = write(c, reply.data(), reply.size());
    (void)ignored;
    close(c);
  }
}

// One connection of http-files: requests read up to their blank line, each answered with
// the file (or 404), until the client closes or asks to.
void serve_http_connection(int c, const std::string& dir) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(c, chunk, sizeof chunk);
      if (n <= 0 || buf.size() > 65536) return;
      buf.append(chunk, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    bool close_after = lower.find("connection: close") != std::string::npos ||
                       (lower.find(" http/1.0") != std::string::npos && lower.find("keep-alive") == std::string::npos);
    size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
    std::string path = sp1 == std::string::npos ? "" : head.substr(sp1 + 1, sp2 - sp1 - 1);
    int fd = (path.find("..") == std::string::npos && !path.empty()) ? open((dir + path).c_str(), O_RDONLY) : -1;
    struct stat st {};
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
      close(fd);
      fd = -1;
    }
    std::string reply = fd < 0 ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                               : "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                                     std::to_string(st.st_size) + "\r\n";
    reply += close_after ? "Connection: close\r\n\r\n" : "\r\n";
    // MSG_MORE: the header waits for the body's first bytes, as one segment (else Nagle
    // holds the body back until the client's delayed ACK of the header).
    bool ok = send(c, reply.data(), reply.size(), fd >= 0 && st.st_size > 0 ? MSG_MORE : 0) ==
              static_cast<ssize_t>(reply.size());
    off_t off = 0;
    while (ok && fd >= 0 && off < st.st_size) ok = sendfile(c, fd, &off, static_cast<size_t>(st.st_size - off)) > 0;
    if (fd >= 0) close(fd);
    if (!ok || close_after) return;
  }
}

int cmd_http_files(const std::string& dir, int port) {
  int s = bound_socket(SOCK_STREAM, port);
  if (s < 0 || listen(s, 128) != 0) return 1;
  signal(SIGCHLD, SIG_IGN);
  for (int i = 0; i < 32; i++)
    if (fork() == 0) break;  // each worker (and the parent) accepts and serves one at a time
  for (;;) {
    int c = accept(s, nullptr, nullptr);
    if (c < 0) continue;
    serve_http_connection(c, dir);
    close(c);
  }
}

// The same over IPv6 only: answers "peer ADDR" to each connection to [::]:port.
int cmd_tcp6_peer(int port) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  struct sockaddr_in6 a {};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(port));
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 16) != 0) {
    std::printf("bind=%s\n", errno_name(errno));
    return 1;
  }
  for (;;) {
    struct sockaddr_in6 from {};
    socklen_t len = sizeof from;
    int c = accept(s, reinterpret_cast<sockaddr*>(&from), &len);
    if (c < 0) continue;
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET6, &from.sin6_addr, text, sizeof text);
    std::string reply = std::string("peer ") + text + "\n";
    ssize_t ignored = write(c, reply.data(), reply.size());
    (void)ignored;
    close(c);
  }
}

int usage() {
  std::fputs("usage: probe status|mount|keyctl|write PATH TEXT|read PATH|alloc MB|"
             "forkbomb N|pids|uidmap|gidmap|signal-wait|cgroup|ls-owner PATH|udp-echo PORT|tcp-peer PORT|http-files DIR PORT|"
             "tcp6-peer PORT\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  int rc = 2;
  if (cmd == "status") rc = cmd_status();
  else if (cmd == "mount") rc = cmd_mount();
  else if (cmd == "keyctl") rc = cmd_keyctl();
  else if (cmd == "write" && argc == 4) rc = cmd_write(argv[2], argv[3]);
  else if (cmd == "read" && argc == 3) rc = cmd_read(argv[2]);
  else if (cmd == "alloc" && argc == 3) rc = cmd_alloc(std::atol(argv[2]));
  else if (cmd == "forkbomb" && argc == 3) rc = cmd_forkbomb(std::atol(argv[2]));
  else if (cmd == "pids") rc = cmd_pids();
  else if (cmd == "uidmap") rc = cat("/proc/self/uid_map");
  else if (cmd == "gidmap") rc = cat("/proc/self/gid_map");
  else if (cmd == "signal-wait") rc = cmd_signal_wait();
  else if (cmd == "cgroup") rc = cat("/proc/self/cgroup");
  else if (cmd == "ls-owner" && argc == 3) rc = cmd_ls_owner(argv[2]);
  else if (cmd == "udp-echo" && argc == 3) rc = cmd_udp_echo(std::atoi(argv[2]));
  else if (cmd == "udp-ask" && argc == 5) rc = cmd_udp_ask(argv[2], std::atoi(argv[3]), argv[4]);
  else if (cmd == "tcp-peer" && argc == 3) rc = cmd_tcp_peer(std::atoi(argv[2]));
  else if (cmd == "http-files" && argc == 4) rc = cmd_http_files(argv[2], std::atoi(argv[3]));
  else if (cmd == "tcp6-peer" && argc == 3) rc = cmd_tcp6_peer(std::atoi(argv[2]));
  else return usage();
  std::fflush(stdout);
  return rc;
}
