// Detached containers: create, start (through a shim), stop, kill, wait, remove.
//
// Who does what (runtime/shim_config.h has the protocol):
//   berth start       writes shim.conf, spawns berth-shim (double fork: the shim is nobody's
//                     child), waits for its "ok PID" / "error ..." on a pipe, exits;
//   berth-shim        holds the run lock and the container's output, reaps it;
//   berth internal start   (the starter, run by the shim) sets the container up and lets it go;
//   berth internal exited  (run by the shim) records the exit and applies the restart policy.
// Every record change goes through ContainerStore::update (a per-container flock), since
// these processes write the same record.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/clock.h"
#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/engine.h"
#include "engine/etc_passwd.h"
#include "engine/spec_builder.h"
#include "runtime/capabilities.h"
#include "runtime/exec.h"
#include "runtime/log_writer.h"
#include "runtime/namespaces.h"
#include "runtime/shim_config.h"

namespace berth::engine {

namespace {

// Waits until `done()` or the deadline; true when done.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A pidfd for the recorded process, or an invalid Fd when it is gone (or the pid was
// reused: the identity is checked after opening, so the fd cannot name a newcomer).
Fd open_container_process(const ContainerRecord& rec) {
  if (rec.pid <= 0) return Fd();
  Fd fd = open_pidfd(rec.pid);
  if (!fd) return Fd();
  if (!ProcessIdentity{rec.pid, rec.pid_start, rec.boot_id}.alive()) return Fd();
  return fd;
}

// Waits for the process behind a pidfd to exit; true when it did within `ms`.
bool wait_exit(int pidfd, int ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  int n;
  do n = ::poll(&p, 1, ms);
  while (n < 0 && errno == EINTR);
  return n > 0;
}

}  // namespace

// "SIGTERM", "TERM", "15" -> 15.
Result<int> parse_signal(const std::string& text) {
  if (auto n = parse_int(text); n && *n > 0 && *n < 65) return static_cast<int>(*n);
  std::string name = text;
  for (auto& c : name) c = static_cast<char>(::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int sig = 1; sig < 32; sig++) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev && name == abbrev) return sig;
  }
  return fail("invalid signal", text);
}

Result<ContainerRecord> Engine::find(const std::string& key) { return containers_.find(key); }

Result<> Engine::spawn_shim(const ContainerRecord& rec) {
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  ASSIGN_OR_RETURN(runtime::LogOptions logs, runtime::parse_log_options(o.log_opts));
  runtime::ShimConfig cfg;
  cfg.id = rec.id;
  std::string exe = self_exe();
  cfg.berth = {exe};
  if (root_.storage != StateRoot::from_flag("").storage) cfg.berth.insert(cfg.berth.end(), {"--root", root_.storage});
  cfg.run_dir = containers_.run_dir(rec.id);
  cfg.log_path = containers_.log_path(rec.id);
  cfg.log_max_size = logs.max_size;
  cfg.log_max_files = logs.max_files;
  cfg.tty = o.tty;
  cfg.interactive = o.interactive;
  if (!rec.healthcheck.is_null())
    cfg.health_interval_ms = Healthcheck::from_json(rec.healthcheck).interval_ns / 1'000'000;
  TRY(make_dirs(containers_.rootfs_dir(rec.id), 0755));
  // A new shim chooses its host ports anew (choose_ports).
  if (::unlink(path_join(cfg.run_dir, "host.ports").c_str()) < 0 && errno != ENOENT)
    return sys_error("unlink", path_join(cfg.run_dir, "host.ports"));
  std::string conf = path_join(cfg.run_dir, "shim.conf");
  TRY(write_file_atomic(conf, cfg.format(), 0600, Sync::kNoSync));
  std::string shim = path_join(dir_name(exe), "berth-shim");
  TRY(start_dns_servers(rec));
  trace_note("starting " + shim + " " + conf + ": it supervises the container from now on");

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return sys_error("pipe");
  Fd ready_r(ready[0]), ready_w(ready[1]);
  pid_t child = ::fork();
  if (child < 0) return sys_error("fork");
  if (child == 0) {
    // Fork again so that the shim is nobody's child (init or a subreaper adopts it) and
    // berth never has to reap it; that grandchild starts the container and becomes the shim.
    if (::fork() != 0) ::_exit(0);
    ready_r.reset();
    ::_exit(launch_and_become_shim(rec, cfg, conf, shim, ready_w.get()));
  }
  ready_w.reset();
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  ASSIGN_OR_RETURN(std::string answer, read_all(ready_r.get()));
  if (answer.rfind("ok ", 0) == 0) return {};
  if (answer.rfind("error ", 0) == 0) {
    // The starter's Error, serialized, or a plain message from the shim itself.
    std::string body = answer.substr(6);
    if (!body.empty() && body.back() == '\n') body.pop_back();
    if (body.find('\0') == std::string::npos) return fail(trim(body));
    return std::unexpected(Error::deserialize(body));
  }
  return fail("the shim did not start (is " + shim + " installed?)");
}

int Engine::launch_and_become_shim(const ContainerRecord& rec, const runtime::ShimConfig& cfg,
                                   const std::string& conf, const std::string& shim, int ready) {
  auto failed = [ready](const Error& e) {
    std::string msg = "error " + e.serialize();
    (void)write_all(ready, msg.data(), msg.size());
    return 125;
  };
  // What the shim is, from here on: its own session, and the reaper of its descendants,
  // so the container (our child) stays its child across the execve below.
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // The run lock first: it is how every other command sees that a supervisor exists.
  Fd lock(::open(path_join(cfg.run_dir, "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) < 0)
    return failed(Error(0, "container " + rec.id.substr(0, 12) + " is already running"));
  // Our stdin/stdout/stderr become the container's: keep the user's stderr for --trace.
  if (trace_enabled()) set_trace_fd(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10));
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (!cfg.tty) {
    if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) return failed(sys_error("pipe").error());
    if (cfg.interactive && ::pipe2(in, O_CLOEXEC) < 0) return failed(sys_error("pipe").error());
  }
  ::dup2(in[0] >= 0 ? in[0] : null, STDIN_FILENO);
  ::dup2(out[1] >= 0 ? out[1] : null, STDOUT_FILENO);
  ::dup2(err[1] >= 0 ? err[1] : null, STDERR_FILENO);
  for (int fd : {in[0], out[1], err[1]})
    if (fd >= 0) ::close(fd);
  auto started = start_detached(rec.id, ::getpid());
  for (int fd = 0; fd < 3; fd++) ::dup2(null, fd);
  if (!started) return failed(started.error());
  // The host ports the shim's userland proxy serves, and those it holds for nftables, now
  // that they are chosen.
  if (auto rules = port_rules(rec); rules && (!rules->served.empty() || !rules->held.empty())) {
    runtime::ShimConfig with_proxy = cfg;
    with_proxy.proxy = rules->served;
    with_proxy.hold = rules->held;
    if (auto w = write_file_atomic(conf, with_proxy.format(), 0600, Sync::kNoSync); !w) {
      ::kill(started->pid, SIGKILL);
      (void)runtime::remove_container_cgroup(rec.id);
      (void)detach_network(rec.id);
      return failed(w.error());
    }
  }
  // (A SIGCHLD of a container that exits before the shim runs is not lost: the shim
  // reaps once before it waits.) What the shim inherits: the container's pipes (or pty),
  // and the lock, held.
  std::vector<std::string> args = {"berth-shim", conf, std::to_string(ready), "adopt",
                                    std::to_string(started->pid)};
  for (int fd : {out[0], err[0], started->console.get(), in[1], lock.get()}) {
    if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
    args.push_back(std::to_string(fd));
  }
  ::fcntl(ready, F_SETFD, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(shim.c_str(), argv.data());
  Error e = sys_error("exec", shim).error();
  // No shim: the container must not run unsupervised.
  ::kill(started->pid, SIGKILL);
  (void)runtime::remove_container_cgroup(rec.id);
  (void)detach_network(rec.id);
  return failed(e);
}

Result<ContainerRecord> Engine::run_detached(const RunOptions& o) {
  ASSIGN_OR_RETURN(ContainerStore::Created made, create(o, true));
  if (auto s = spawn_shim(made.rec); !s) {
    (void)discard(made.rec.id);
    (void)remove_anonymous_volumes(made.rec);
    return std::unexpected(s.error());
  }
  return containers_.load(made.rec.id);  // start_detached has saved it as running
}

Result<ContainerRecord> Engine::start(const std::string& key) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  if (containers_.is_alive(rec)) return rec;  // docker: starting a running container is a no-op
  ASSIGN_OR_RETURN(rec, containers_.update(rec.id, [](ContainerRecord& r) -> Result<> {
                     r.stop_requested = false;
                     r.detached = true;
                     r.restart_count = 0;
                     return {};
                   }));
  TRY(spawn_shim(rec));
  return containers_.load(rec.id);
}

Result<> Engine::start_process(const std::string& id, int report_fd) {
  runtime::RunRequest req = run_request(id);
  req.detach = true;
  auto report = [report_fd](const std::string& text, int fd) {
    std::string msg = text + "\n";
    struct iovec iov = {msg.data(), msg.size()};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr m = {};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (fd >= 0) {
      m.msg_control = control;
      m.msg_controllen = sizeof control;
      struct cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    (void)::sendmsg(report_fd, &m, MSG_NOSIGNAL);
  };
  auto started = start_detached(id, ::getppid());
  if (!started) {
    report("error " + started.error().serialize(), -1);  // keeps errno: exit codes 126/127
    return std::unexpected(started.error());
  }
  report("ok " + std::to_string(started->pid), started->console.get());
  return {};
}

Result<runtime::Started> Engine::start_detached(const std::string& id, pid_t shim) {
  runtime::RunRequest req = run_request(id);
  req.detach = true;
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.load(id));
  // Wired on helper threads while the runtime prepares the rest (as in Engine::run): the
  // network namespace on one, plugged into the bridge(s) on another.
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  NetworkHelpers helpers;
  if (is_bridge_network(o.network)) helpers.netns.emplace(runtime::make_netns_with_loopback, "netns");
  helpers.wired.emplace([&] { return attach_network(rec, &helpers.netns); }, "network");
  req.before_clone = [&] { return helpers.join(); };
  auto started = runtime::start_container(req);
  if (!started) {
    (void)helpers.join();  // a failure before the clone: the helpers may still be at work
    (void)detach_network(id);
    return std::unexpected(started.error());
  }
  auto saved = containers_.update(id, [&](ContainerRecord& r) -> Result<> {
    r.status = "running";
    r.pid = started->pid;
    if (auto who = ProcessIdentity::of(started->pid)) {
      r.pid_start = who->start_time;
      r.boot_id = who->boot_id;
    }
    r.shim_pid = shim;
    r.detached = true;
    r.half_made = false;  // handed over: from here on it is a running container like any
    r.exit_code = 0;
    r.oom_killed = false;
    r.started_at = rfc3339_now();
    r.finished_at.clear();
    if (!r.healthcheck.is_null())
      r.health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
    return {};
  });
  if (!saved) {  // removed meanwhile (`rm -f` during a restart): leave nothing running
    ::kill(started->pid, SIGKILL);
    (void)runtime::remove_container_cgroup(id);
    (void)detach_network(id);
    return std::unexpected(saved.error());
  }
  return started;
}

Result<int> Engine::process_exited(const std::string& id, int code, int signal, bool final) {
  (void)signal;
  auto oom = runtime::reap_container_cgroup(id);
  TRY(detach_network(id));
  ASSIGN_OR_RETURN(ContainerRecord current, containers_.load(id));
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(current.options));
  ASSIGN_OR_RETURN(RestartPolicy policy, parse_restart_policy(o.restart));
  bool again = false;
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.update(id, [&](ContainerRecord& r) -> Result<> {
                     if (!final) {
                       r.exit_code = code;
                       r.oom_killed = oom && *oom;
                       r.finished_at = rfc3339_now();
                     }
                     r.pid = 0;
                     r.status = "exited";
                     r.paused = false;
                     if (final || r.stop_requested) return {};
                     if (policy.name == "always" || policy.name == "unless-stopped")
                       again = true;
                     else if (policy.name == "on-failure")
                       again = code != 0 && (policy.max_retries == 0 || r.restart_count < policy.max_retries);
                     if (again) {
                       r.status = "restarting";
                       r.restart_count++;
                     }
                     return {};
                   }));
  if (!again && rec.auto_remove) {
    TRY(discard(id));
    TRY(remove_anonymous_volumes(rec));  // docker's --rm takes them along
  }
  return again ? runtime::kExitRestart : 0;
}

void Engine::kill_shim(const ContainerRecord& rec) {
  if (rec.shim_pid <= 0) return;
  // Only if that pid is still this container's shim: its command line names our run dir.
  auto cmdline = read_file("/proc/" + std::to_string(rec.shim_pid) + "/cmdline");
  if (!cmdline || cmdline->find(containers_.run_dir(rec.id)) == std::string::npos) return;
  Fd shim = open_pidfd(rec.shim_pid);
  if (shim) pidfd_signal(shim.get(), SIGKILL);
}

Result<> Engine::signal_container(const ContainerRecord& rec, int sig) {
  Fd proc = open_container_process(rec);
  if (!proc) return fail("container " + rec.id.substr(0, 12) + " is not running");
  trace_syscall("pidfd_send_signal(" + std::to_string(rec.pid) + ", " + std::to_string(sig) + ")");
  if (!pidfd_signal(proc.get(), sig)) return sys_error("kill", rec.name);
  return {};
}

Result<> Engine::settle(const ContainerRecord& rec, int assumed_code) {
  // The shim records the exit and leaves; wait for it (a hung or killed shim is replaced).
  bool gone = wait_until([&] { return !containers_.supervisor_alive(rec.id); }, std::chrono::seconds(10));
  if (!gone && rec.shim_pid > 0) ::kill(rec.shim_pid, SIGKILL);
  auto now = containers_.load(rec.id);
  if (now && (now->status == "running" || now->status == "restarting"))
    TRY(process_exited(rec.id, assumed_code, 0, now->status == "restarting"));
  return {};
}

Result<> Engine::stop(const std::string& key, std::optional<int> timeout) {
  return stop_containers({key}, timeout)[0];
}

std::vector<Result<>> Engine::stop_containers(const std::vector<std::string>& keys, std::optional<int> timeout) {
  // In phases over all containers, as remove_containers: signal every one, then wait for
  // them together, so N containers take one grace period, not N.
  struct Stopping {
    ContainerRecord rec;
    Fd proc;
    int code = 0;
    std::chrono::steady_clock::time_point deadline;
    bool killed = false;
  };
  std::vector<Result<>> results(keys.size());
  std::vector<std::optional<Stopping>> stopping(keys.size());
  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < keys.size(); i++) {
    auto rec = containers_.find(keys[i]);
    if (!rec) {
      results[i] = std::unexpected(rec.error());
      continue;
    }
    if (!containers_.is_alive(*rec)) continue;
    auto marked = containers_.update(rec->id, [](ContainerRecord& r) -> Result<> {
      r.stop_requested = true;
      return {};
    });
    if (!marked) {
      results[i] = std::unexpected(marked.error());
      continue;
    }
    thaw_if_paused(*marked);
    Stopping s{*marked, Fd(), 0, now, false};
    if (s.rec.status == "restarting") {  // the shim is waiting out a backoff: cancel it
      if (s.rec.shim_pid > 0) ::kill(s.rec.shim_pid, SIGTERM);
      s.code = s.rec.exit_code;
      stopping[i] = std::move(s);
      continue;
    }
    int sig = SIGTERM;
    if (!s.rec.stop_signal.empty()) {
      auto parsed = parse_signal(s.rec.stop_signal);
      if (!parsed) {
        results[i] = std::unexpected(parsed.error());
        continue;
      }
      sig = *parsed;
    }
    // -t wins; else the container's --stop-timeout; else docker's 10 s (-1: wait forever).
    int grace = timeout.value_or(RunOptions::from_json(s.rec.options).value_or(RunOptions{}).stop_timeout.value_or(10));
    s.code = 128 + sig;
    s.proc = open_container_process(s.rec);
    s.deadline = grace < 0 ? std::chrono::steady_clock::time_point::max() : now + std::chrono::seconds(grace);
    if (s.proc) {
      trace_syscall("pidfd_send_signal(" + std::to_string(s.rec.pid) + ", " + std::to_string(sig) + ")");
      pidfd_signal(s.proc.get(), sig);
    }
    stopping[i] = std::move(s);
  }
  // Wait for all of them; whoever outlives its grace period gets SIGKILL.
  for (;;) {
    std::vector<struct pollfd> fds;
    auto next = std::chrono::steady_clock::time_point::max();
    for (auto& s : stopping) {
      if (!s || !s->proc) continue;
      if (wait_exit(s->proc.get(), 0)) {
        s->proc.reset();
        continue;
      }
      if (!s->killed && std::chrono::steady_clock::now() >= s->deadline) {
        trace_note(s->rec.name + " still running after its grace period: SIGKILL");
        pidfd_signal(s->proc.get(), SIGKILL);
        (void)runtime::remove_container_cgroup(s->rec.id);  // and anything else inside
        s->killed = true;
        s->code = 128 + SIGKILL;
        s->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      } else if (s->killed && std::chrono::steady_clock::now() >= s->deadline) {
        s->proc.reset();  // unkillable (D state): settle() records it anyway
        continue;
      }
      fds.push_back({s->proc.get(), POLLIN, 0});
      next = std::min(next, s->deadline);
    }
    if (fds.empty()) break;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    int ms = next == std::chrono::steady_clock::time_point::max()
                 ? -1
                 : static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, 60'000));
    if (::poll(fds.data(), fds.size(), ms) < 0 && errno != EINTR) break;
  }
  for (size_t i = 0; i < keys.size(); i++)
    if (stopping[i]) results[i] = settle(stopping[i]->rec, stopping[i]->code);
  return results;
}

Result<> Engine::pause(const std::string& key) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  if (!containers_.is_alive(rec) || rec.status != "running")
    return fail("container " + rec.id.substr(0, 12) + " is not running");
  if (rec.paused) return fail("container " + rec.id.substr(0, 12) + " is already paused");
  TRY(runtime::freeze_container(rec.id, true));
  auto marked = containers_.update(rec.id, [](ContainerRecord& r) -> Result<> {
    r.paused = true;
    return {};
  });
  if (!marked) (void)runtime::freeze_container(rec.id, false);  // never frozen unrecorded
  return marked ? Result<>{} : std::unexpected(marked.error());
}

Result<> Engine::unpause(const std::string& key) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  if (!rec.paused || !containers_.is_alive(rec))
    return fail("container " + rec.id.substr(0, 12) + " is not paused");
  TRY(runtime::freeze_container(rec.id, false));
  TRY(containers_.update(rec.id, [](ContainerRecord& r) -> Result<> {
    r.paused = false;
    return {};
  }));
  return {};
}

// Before a stop, kill or removal: a frozen container cannot act on a signal (and with the
// v1 freezer not even die of SIGKILL) until it is thawed.
void Engine::thaw_if_paused(const ContainerRecord& rec) {
  if (!rec.paused) return;
  (void)runtime::freeze_container(rec.id, false);
  (void)containers_.update(rec.id, [](ContainerRecord& r) -> Result<> {
    r.paused = false;
    return {};
  });
}

Result<> Engine::kill(const std::string& key, int sig) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  if (!containers_.is_alive(rec) || rec.status != "running")
    return fail("cannot kill container: " + key + ": container " + rec.id.substr(0, 12) + " is not running");
  int stop_sig = SIGTERM;
  if (!rec.stop_signal.empty()) stop_sig = parse_signal(rec.stop_signal).value_or(SIGTERM);
  if (sig == SIGKILL || sig == stop_sig) {  // docker: a kill is a manual stop for the policy
    TRY(containers_.update(rec.id, [](ContainerRecord& r) -> Result<> {
      r.stop_requested = true;
      return {};
    }));
    thaw_if_paused(rec);
  }
  return signal_container(rec, sig);
}

Result<ContainerRecord> Engine::wait(const std::string& key) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  ContainerRecord last = rec;
  for (;;) {
    auto now = containers_.load(rec.id);
    if (!now) return last;  // removed (--rm): the last state we saw
    last = *now;
    if (!containers_.is_alive(last) && last.status != "running") return last;
    if (last.status == "exited" || last.status == "created") return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<runtime::ExitStatus> Engine::exec(const std::string& key, const ExecOptions& o, int timeout_ms) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  if (rec.status != "running" || !ProcessIdentity{rec.pid, rec.pid_start, rec.boot_id}.alive())
    return fail("container " + rec.id.substr(0, 12) + " is not running");
  if (rec.paused)
    return fail("container " + rec.id.substr(0, 12) + " is paused, unpause the container before exec");
  if (o.command.empty()) return fail("exec needs a command");
  ASSIGN_OR_RETURN(runtime::Spec spec, runtime::load_spec(containers_.storage_dir(rec.id)));
  runtime::Process& p = spec.process;
  p.args = o.command;
  p.terminal = o.tty;
  if (!o.workdir.empty()) p.cwd = o.workdir;
  for (const auto& e : o.env) {
    if (e.empty() || e[0] == '=') return fail("invalid environment variable (-e)", e);
    if (e.find('=') != std::string::npos) set_env(p.env, e);
  }
  if (o.tty) set_env(p.env, "TERM=xterm");
  if (!o.user.empty()) {
    // Names are looked up in the container's own files as they are now.
    std::string root = "/proc/" + std::to_string(rec.pid) + "/root";
    auto passwd = read_file(root + "/etc/passwd");
    auto group = read_file(root + "/etc/group");
    ASSIGN_OR_RETURN(ResolvedUser u, resolve_user(o.user, passwd ? std::optional(*passwd) : std::nullopt,
                                                   group ? std::optional(*group) : std::nullopt));
    p.uid = u.uid;
    p.gid = u.gid;
    p.additional_gids = u.additional_gids;
  }
  if (o.privileged) {  // every capability we hold, no seccomp filter
    ASSIGN_OR_RETURN(auto caps, runtime::compute_capabilities({}, {}, true));
    p.capabilities = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    spec.seccomp = nullptr;
  }
  runtime::ExecRequest req;
  req.id = rec.id;
  req.init_pid = rec.pid;
  req.spec = std::move(spec);
  req.seccomp_cache = path_join(root_.storage, "cache/seccomp");
  req.timeout_ms = timeout_ms;
  return runtime::exec_in_container(req);
}

Result<> Engine::remove_container(const std::string& key, bool force) {
  return remove_containers({key}, force)[0];
}

std::vector<Result<>> Engine::remove_containers(const std::vector<std::string>& keys, bool force, bool volumes) {
  // In phases, each over all containers, so that N shims wind down at the same time
  // instead of one after the other: kill everything, then wait, then remove.
  std::vector<Result<>> results(keys.size());
  std::vector<std::optional<ContainerRecord>> recs(keys.size());
  std::vector<bool> was_alive(keys.size(), false);
  for (size_t i = 0; i < keys.size(); i++) {
    auto rec = containers_.find(keys[i]);
    if (!rec) {
      results[i] = std::unexpected(rec.error());
      continue;
    }
    if (containers_.is_alive(*rec)) {
      if (!force) {
        results[i] = fail("cannot remove container \"" + rec->name +
                          "\": container is running: stop the container before removing or force remove");
        continue;
      }
      was_alive[i] = true;
      auto marked = containers_.update(rec->id, [](ContainerRecord& r) -> Result<> {
        r.stop_requested = true;
        return {};
      });
      if (marked) *rec = *marked;
      thaw_if_paused(*rec);
      // The shim's bookkeeping is moot for a container being removed: stop it first, so
      // it neither restarts the container nor runs `internal exited` for it.
      if (rec->detached) kill_shim(*rec);
      if (Fd proc = open_container_process(*rec)) pidfd_signal(proc.get(), SIGKILL);
    }
    recs[i] = std::move(*rec);
  }
  for (size_t i = 0; i < keys.size(); i++) {
    if (!recs[i] || !was_alive[i]) continue;
    const ContainerRecord& rec = *recs[i];
    if (auto r = runtime::remove_container_cgroup(rec.id); !r) {  // SIGKILLs what is left inside
      results[i] = std::unexpected(r.error());
      recs[i].reset();
    }
  }
  for (size_t i = 0; i < keys.size(); i++) {
    if (!recs[i] || !was_alive[i]) continue;
    const ContainerRecord& rec = *recs[i];
    // The shim (killed above) or a foreground `berth run` lets go of the run lock.
    wait_until([&] { return !containers_.supervisor_alive(rec.id); }, std::chrono::seconds(2));
  }
  for (size_t i = 0; i < keys.size(); i++) {
    if (!recs[i] || !results[i]) continue;
    const ContainerRecord& rec = *recs[i];
    results[i] = discard(rec.id);  // also when --rm got there first
    if (results[i] && volumes) results[i] = remove_anonymous_volumes(rec);
  }
  return results;
}

}  // namespace berth::engine
