// Integration-test harness: runs the real `berth` binary as root against a private state
// root per test, and checks after every test that nothing leaked (shared/STYLE.md
// section 7): no mount under the root, no new cgroup under any berth/ cgroup directory,
// no process mentioning the root, and the root itself removable.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth_it {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string kBerth = BERTH_BINARY;
inline const std::string kProbe = BERTH_PROBE;
inline const std::string kSourceDir = BERTH_SOURCE_DIR;
inline const std::string kBuildDir = BERTH_BUILD_DIR;

struct Result {
  int code = -1;  // exit code, or 128+signal when killed by a signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

inline std::string describe(const Result& r) {
  return "exit=" + std::to_string(r.code) + (r.timed_out ? " (TIMED OUT)" : "") +
         "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// A TCP socket bound to 127.0.0.1 on a port the kernel picks (*port); listening when
// `backlog` > 0.
inline int bind_loopback(int* port, int backlog = 0) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  if (backlog > 0) listen(fd, backlog);
  return fd;
}

// A port nobody listens on right now, on 127.0.0.1.
inline int free_port() {
  int port = 0;
  close(bind_loopback(&port));
  return port;
}

// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) connected to 127.0.0.1:port, reads timing
// out after `recv_timeout`; -1 when the connection is refused.
inline int connect_loopback(int type, uint16_t port, std::chrono::milliseconds recv_timeout) {
  int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  struct timeval tv = {static_cast<time_t>(recv_timeout.count() / 1000),
                       static_cast<suseconds_t>(recv_timeout.count() % 1000 * 1000)};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return s;
  close(s);
  return -1;
}

// s without its trailing whitespace (a command's output without its newline).
inline std::string trim_copy(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// The value of "key=value" among the lines of s ("" when absent).
inline std::string kv(const std::string& s, const std::string& key) {
  for (const auto& l : lines_of(s))
    if (l.rfind(key + "=", 0) == 0) return l.substr(key.size() + 1);
  return "<missing " + key + ">";
}

inline int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// A child process with its stdout and stderr on pipes.
class Process {
 public:
  // Starts argv; stdin is /dev/null unless stdin_fd >= 0. With `tty_fd` >= 0 the child
  // becomes a session leader with tty_fd as its controlling terminal and stdio.
  static Process spawn(const std::vector<std::string>& argv, int tty_fd = -1) {
    Process p;
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (tty_fd < 0) {
      if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) std::abort();
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      if (tty_fd >= 0) {
        setsid();
        ioctl_ctty(tty_fd);
        dup2(tty_fd, 0);
        dup2(tty_fd, 1);
        dup2(tty_fd, 2);
      } else {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
      }
      ::signal(SIGPIPE, SIG_DFL);
      execv(args[0], args.data());
      _exit(127);
    }
    p.pid_ = pid;
    if (tty_fd < 0) {
      close(out[1]);
      close(err[1]);
      p.out_fd_ = out[0];
      p.err_fd_ = err[0];
    }
    return p;
  }

  Process() = default;
  Process(Process&& o) noexcept { *this = std::move(o); }
  Process& operator=(Process&& o) noexcept {
    std::swap(pid_, o.pid_);
    std::swap(out_fd_, o.out_fd_);
    std::swap(err_fd_, o.err_fd_);
    std::swap(result_, o.result_);
    return *this;
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }

  pid_t pid() const { return pid_; }
  const std::string& out() const { return result_.out; }
  const std::string& err() const { return result_.err; }

  // Reads output until stdout contains `needle` or the timeout expires.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (result_.out.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (!pump(static_cast<int>(std::min<long>(left.count(), 200)))) {
        if (out_fd_ < 0 && err_fd_ < 0) return result_.out.find(needle) != std::string::npos;
      }
    }
    return true;
  }

  void signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }

  // Waits for exit, reading all output; kills the child with SIGKILL after `timeout`.
  // Stops reading once the child has exited and its pipes are drained, even if a
  // process it left behind still holds them open.
  Result wait(std::chrono::milliseconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        result_.timed_out = true;
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      if (out_fd_ < 0 && err_fd_ < 0) std::this_thread::sleep_for(10ms);
      else pump(20);
    }
    pid_ = -1;
    // Drain what is already buffered.
    for (int i = 0; i < 1000 && (out_fd_ >= 0 || err_fd_ >= 0); ++i) {
      size_t before = result_.out.size() + result_.err.size();
      pump(i == 0 ? 50 : 10);
      if (result_.out.size() + result_.err.size() == before) break;
    }
    result_.code = decode_status(status);
    return result_;
  }

 private:
  static void ioctl_ctty(int fd);

  // One poll round; false when nothing is left open.
  bool pump(int timeout_ms) {
    pollfd fds[2];
    int n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (n == 0) return false;
    if (poll(fds, n, timeout_ms) <= 0) return true;
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      bool is_out = fds[i].fd == out_fd_;
      if (got > 0) {
        (is_out ? result_.out : result_.err).append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        (is_out ? out_fd_ : err_fd_) = -1;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  Result result_;
};

inline Result run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 60s) {
  return Process::spawn(argv).wait(timeout);
}

// A new pty pair (master, slave) for a test that plays the user's terminal.
inline bool open_pty(int& master, int& slave) {
  master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return false;
  slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  return slave >= 0;
}

// Reads the pty master until `needle` appears (or timeout); returns all read so far.
inline bool read_until(int master, std::string& acc, const std::string& needle,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (acc.find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd pfd{master, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buf[1024];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) return acc.find(needle) != std::string::npos;
    acc.append(buf, static_cast<size_t>(n));
  }
  return true;
}

// The test images (scripts/make-test-images), built once per test binary.
inline const std::string& image_dir() {
  static std::string dir;
  static std::once_flag once;
  std::call_once(once, [] {
    dir = kBuildDir + "/it-images";
    Result r = run_command({"/usr/bin/env", "python3", kSourceDir + "/scripts/make-test-images", dir},
                           300s);
    if (r.code != 0) {
      ADD_FAILURE() << "scripts/make-test-images failed: " << describe(r);
    }
  });
  return dir;
}

inline std::string image(const std::string& file) { return image_dir() + "/" + file; }

// Every directory directly below a "berth" cgroup directory, on every hierarchy.
inline std::set<std::string> berth_cgroups() {
  std::set<std::string> out;
  std::vector<std::string> parents = {"/sys/fs/cgroup/berth"};
  std::error_code ec;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    parents.push_back(h.path().string() + "/berth");
  }
  for (const auto& p : parents) {
    for (const auto& c : fs::directory_iterator(p, ec)) {
      if (c.is_directory(ec)) out.insert(c.path().string());
    }
  }
  return out;
}

// Mount points at or below `prefix`, deepest first.
inline std::vector<std::string> mounts_under(const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(slurp("/proc/self/mountinfo"))) {
    std::stringstream ss(line);
    std::string id, parent, dev, root, mp;
    ss >> id >> parent >> dev >> root >> mp;
    if (mp == prefix || mp.rfind(prefix + "/", 0) == 0) out.push_back(mp);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

// Pids (other than ours) whose command line mentions `needle`.
inline std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    pid_t pid = std::stoi(name);
    if (pid == getpid()) continue;
    std::string cmd = slurp(e.path().string() + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

// Base fixture: a private --root per test, and the leak check afterwards.
class BerthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/berth-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
    root_ = tmpl;
    // Like /var/lib/berth: traversable, so a user-namespaced container's root can reach
    // its bundle and etc files.
    ASSERT_EQ(chmod(tmpl, 0711), 0) << std::strerror(errno);
    cgroups_before_ = berth_cgroups();
    image_dir();
  }

  void TearDown() override {
    if (root_.empty()) return;
    // Processes berth left running (the shim, a stuck berth) mention the root. The DNS
    // servers of the root's networks live as long as the networks (the default one's
    // until `system reset`), so they are checked after it.
    auto procs = processes_mentioning(root_);
    std::erase_if(procs, [](pid_t p) { return slurp("/proc/" + std::to_string(p) + "/cmdline").find("berth-dns") != std::string::npos; });
    EXPECT_TRUE(procs.empty()) << "leak: " << procs.size() << " process(es) still mention "
                               << root_ << ", first pid " << (procs.empty() ? 0 : procs[0]);
    for (pid_t p : procs) kill(p, SIGKILL);
    // Everything of the root's networks: bridges, DNS servers, the nftables table.
    std::vector<std::string> bridges;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_ + "/networks", ec)) {
      if (e.path().extension() != ".json") continue;
      auto j = nlohmann::json::parse(slurp(e.path().string()), nullptr, false);
      if (j.is_object()) bridges.push_back(j.value("Bridge", ""));
    }
    if (fs::exists(root_ + "/networks")) {
      Result reset = berth({"system", "reset", "-f"});
      EXPECT_EQ(reset.code, 0) << describe(reset);
    }
    for (const auto& b : bridges) EXPECT_FALSE(fs::exists("/sys/class/net/" + b)) << "leak: bridge " << b;
    procs = processes_mentioning(root_);
    EXPECT_TRUE(procs.empty()) << "leak: " << procs.size() << " process(es) still mention " << root_
                               << " after system reset, first pid " << (procs.empty() ? 0 : procs[0]);
    for (pid_t p : procs) kill(p, SIGKILL);
    // Cgroups created during the test and not removed.
    std::vector<std::string> leaked;
    for (const auto& c : berth_cgroups())
      if (!cgroups_before_.contains(c)) leaked.push_back(c);
    EXPECT_TRUE(leaked.empty()) << "leak: cgroup " << (leaked.empty() ? "" : leaked[0])
                                << " (" << leaked.size() << " in all)";
    for (const auto& c : leaked) kill_cgroup(c);
    // Mounts under the root.
    auto mounts = mounts_under(root_);
    EXPECT_TRUE(mounts.empty()) << "leak: mount " << (mounts.empty() ? "" : mounts[0]) << " ("
                                << mounts.size() << " in all)";
    for (const auto& m : mounts) umount2(m.c_str(), MNT_DETACH);
    ec.clear();
    fs::remove_all(root_, ec);
    EXPECT_FALSE(ec) << "leak: cannot remove " << root_ << ": " << ec.message();
  }

  static void kill_cgroup(const std::string& dir) {
    for (int i = 0; i < 50; ++i) {
      auto procs = lines_of(slurp(dir + "/cgroup.procs"));
      for (const auto& p : procs) kill(std::stoi(p), SIGKILL);
      if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
      std::this_thread::sleep_for(20ms);
    }
  }

  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {kBerth, "--root", root_};
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }

  Result berth(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 60s) {
    return run_command(argv(args), timeout);
  }

  Process berth_bg(const std::vector<std::string>& args) { return Process::spawn(argv(args)); }

  // Loads an image archive; fails the test on error.
  void load(const std::string& file) {
    Result r = berth({"load", "-i", image(file)});
    ASSERT_EQ(r.code, 0) << describe(r);
  }

  // `berth run --rm -v PROBE:/probe:ro [opts...] IMAGE /probe ARGS...`
  Result probe(const std::vector<std::string>& opts, const std::vector<std::string>& args,
               const std::string& image_name = "busybox") {
    std::vector<std::string> a = {"run", "--rm", "-v", kProbe + ":/probe:ro"};
    a.insert(a.end(), opts.begin(), opts.end());
    a.push_back(image_name);
    a.push_back("/probe");
    a.insert(a.end(), args.begin(), args.end());
    return berth(a);
  }

  // `berth run --rm [opts...] busybox CMD...`
  Result run(const std::vector<std::string>& opts, const std::vector<std::string>& cmd) {
    std::vector<std::string> a = {"run", "--rm"};
    a.insert(a.end(), opts.begin(), opts.end());
    a.push_back("busybox");
    a.insert(a.end(), cmd.begin(), cmd.end());
    return berth(a);
  }

  std::vector<nlohmann::json> ps_all() {
    Result r = berth({"ps", "-a", "--format", "json"});
    EXPECT_EQ(r.code, 0) << describe(r);
    std::vector<nlohmann::json> out;
    for (const auto& l : lines_of(r.out))
      if (!l.empty()) out.push_back(nlohmann::json::parse(l));
    return out;
  }

  std::vector<std::string> container_dirs() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_ + "/containers", ec)) {
      std::string name = e.path().filename().string();
      if (name[0] != '.') out.push_back(name);  // not the store's .lock
    }
    return out;
  }

  std::string root_;
  std::set<std::string> cgroups_before_;
};

// A test that needs busybox loaded.
class BusyboxTest : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    load("busybox.oci.tar");
  }
};

}  // namespace berth_it

#include <sys/ioctl.h>

inline void berth_it::Process::ioctl_ctty(int fd) { ioctl(fd, TIOCSCTTY, 0); }
