// The compose verbs that stream: `logs [-f]`, the foreground `up` (every container's output,
// prefixed with its name, until the stack stops; Ctrl-C stops it gracefully, a second
// Ctrl-C kills), `exec` and `run`.
//
// Following several logs at once is one forked follower per container
// (runtime/log_reader.h follow_log), each writing whole prefixed lines with one write(2),
// so lines of different containers never interleave mid-line.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/fs.h"
#include "base/process.h"
#include "base/strings.h"
#include "cli/compose_commands.h"
#include "compose/run_plan.h"
#include "runtime/log_reader.h"

namespace berth::cli {

namespace {

// docker compose's palette for prefixes, cycled in container order.
const char* const kColors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m",
                               "\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m"};

struct Prefixer {
  std::vector<std::string> prefixes;  // per container: "web-1  | " (coloured on a terminal)

  Prefixer(const std::vector<engine::ContainerRecord>& list, bool color, bool none) {
    size_t width = 0;
    for (const auto& c : list) width = std::max(width, c.name.size());
    for (size_t i = 0; i < list.size(); i++) {
      if (none) {
        prefixes.emplace_back();
        continue;
      }
      std::string p = list[i].name + std::string(width - list[i].name.size(), ' ') + "  | ";
      prefixes.push_back(color ? std::string(kColors[i % std::size(kColors)]) + p + "\033[0m" : p);
    }
  }
};

void write_line(const std::string& prefix, const runtime::LogEntry& e, bool timestamps) {
  std::string line = prefix + (timestamps ? e.time + " " : "") + e.log;
  if (line.empty() || line.back() != '\n') line += '\n';
  (void)write_all(STDOUT_FILENO, line.data(), line.size());
}

// Follows every container's log in its own forked follower until each stops (or the
// follower is killed); `announce_exit` prints docker compose's "web-1 exited with code 0".
std::vector<pid_t> start_followers(engine::Engine& eng, const std::vector<engine::ContainerRecord>& list,
                                   const Prefixer& px, const runtime::LogReadOptions& opts, bool timestamps,
                                   bool attached) {
  std::vector<pid_t> pids;
  std::fflush(nullptr);
  pid_t parent = ::getpid();
  for (size_t i = 0; i < list.size(); i++) {
    pid_t pid = ::fork();
    if (pid != 0) {
      if (pid > 0) pids.push_back(pid);
      continue;
    }
    // Attached to `up`, Ctrl-C is the parent's to handle (it stops the stack, and the
    // followers end with their containers); for `logs -f` it ends the followers too.
    ::signal(SIGINT, attached ? SIG_IGN : SIG_DFL);
    ::signal(SIGTERM, attached ? SIG_IGN : SIG_DFL);
    // And it never outlives the command that started it, however that one ends.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);
    const auto& c = list[i];
    auto& store = eng.store();
    auto running = [&store, &c] {
      auto r = store.load(c.id);
      return r && (store.is_alive(*r) || r->status == "restarting");
    };
    auto print = [&](const runtime::LogEntry& e) {
      write_line(px.prefixes[i], e, timestamps);
      return true;
    };
    (void)runtime::follow_log(store.log_path(c.id), opts, print, running);
    if (attached) {
      if (auto r = store.load(c.id)) {
        std::string msg = c.name + " exited with code " + std::to_string(r->exit_code) + "\n";
        (void)write_all(STDOUT_FILENO, msg.data(), msg.size());
      }
    }
    ::_exit(0);
  }
  return pids;
}

volatile sig_atomic_t g_interrupts = 0;
void on_interrupt(int) { g_interrupts = g_interrupts + 1; }

}  // namespace

void catch_interrupts() {
  struct sigaction sa = {};
  sa.sa_handler = on_interrupt;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_interrupts > 0; }

int stop_after_interrupt(compose::Stack& stack, const ComposeFlags& f) {
  std::fputs("Gracefully stopping... (press Ctrl+C again to force)\n", stderr);
  std::optional<int> timeout;
  if (f.timeout >= 0) timeout = f.timeout;
  if (auto r = stack.stop(f.up.services, timeout); !r) report(r.error());
  return 130;
}

int compose_logs(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers(f.args);
    if (!list) return report(list.error());
    if (f.index > 0)
      std::erase_if(*list, [&](const engine::ContainerRecord& c) {
        return compose::container_labels(c)[compose::kLabelNumber] != std::to_string(f.index);
      });
    auto opts = log_read_options(f.tail, f.since, f.until);
    if (!opts) return report(opts.error());
    Prefixer px(*list, ::isatty(STDOUT_FILENO) && !f.no_color, f.no_prefix);
    engine::Engine& eng = stack.engine();
    if (f.follow) {
      for (pid_t pid : start_followers(eng, *list, px, *opts, f.timestamps, false))
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
      return 0;
    }
    // All entries of all containers, merged in time order.
    struct Line {
      runtime::LogEntry entry;
      size_t container;
    };
    std::vector<Line> lines;
    for (size_t i = 0; i < list->size(); i++) {
      auto entries = runtime::read_log(eng.store().log_path((*list)[i].id), *opts);
      if (!entries) {
        if (entries.error().errno_value() == ENOENT) continue;
        return report(entries.error());
      }
      for (auto& e : *entries) lines.push_back({std::move(e), i});
    }
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.entry.time < b.entry.time; });
    for (const auto& l : lines) write_line(px.prefixes[l.container], l.entry, f.timestamps);
    return 0;
  });
}

int attach_stack(compose::Stack& stack, const ComposeFlags& f) {
  auto list = stack.containers(f.up.services);
  if (!list) return report(list.error());
  engine::Engine& eng = stack.engine();
  std::vector<std::string> names;
  for (const auto& c : *list) names.push_back(c.name);
  std::printf("Attaching to %s\n", join(names, ", ").c_str());
  Prefixer px(*list, ::isatty(STDOUT_FILENO) && !f.no_color, f.no_prefix);
  runtime::LogReadOptions opts;  // all of it: what they printed while the stack started, too
  catch_interrupts();  // (already, since before `up`: again for other callers)
  std::vector<pid_t> followers = start_followers(eng, *list, px, opts, false, true);
  std::optional<int> timeout;
  if (f.timeout >= 0) timeout = f.timeout;
  bool stopping = false, killed = false;
  pid_t stopper = -1;
  std::string first_exited;
  while (!followers.empty()) {
    int status;
    pid_t done = ::waitpid(-1, &status, 0);
    if (done < 0 && errno != EINTR) break;
    if (done > 0) {
      if (done == stopper) {
        stopper = -1;
        continue;
      }
      std::erase(followers, done);
      if (f.abort_on_exit && !stopping) {
        std::fputs("Aborting on container exit...\n", stdout);
        std::fflush(stdout);
        if (g_interrupts == 0) g_interrupts = 1;
      }
    }
    if (g_interrupts >= 1 && !stopping) {
      stopping = true;
      if (!f.abort_on_exit) std::fputs("Gracefully stopping... (press Ctrl+C again to force)\n", stderr);
      std::fflush(nullptr);
      stopper = ::fork();
      if (stopper == 0) {
        ::signal(SIGINT, SIG_IGN);
        auto r = stack.stop(f.up.services, timeout);
        if (!r) report(r.error());
        std::fflush(nullptr);
        ::_exit(r ? 0 : 1);
      }
    }
    if (g_interrupts >= 2 && !killed) {
      killed = true;
      if (stopper > 0) ::kill(stopper, SIGKILL);
      (void)stack.kill(f.up.services, SIGKILL);
    }
  }
  if (stopper > 0)
    while (::waitpid(stopper, nullptr, 0) < 0 && errno == EINTR) {
    }
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  if (!f.exit_code_from.empty()) {  // (also after Ctrl-C: the container's own code)
    auto mine = stack.containers({f.exit_code_from});
    if (!mine || mine->empty()) return report(Error(0, "no container for service " + f.exit_code_from));
    auto rec = eng.store().load(mine->front().id);
    return rec ? rec->exit_code : 1;
  }
  return stopping && !f.abort_on_exit ? 130 : 0;  // docker compose: 130 after Ctrl-C
}

int compose_exec(const Globals& g, ComposeFlags& f) {
  const auto& rest = container_args();  // SERVICE COMMAND [ARG...], cut off by main()
  if (rest.size() < 2) {
    std::fprintf(stderr, "berth: \"compose exec\" requires at least 2 arguments: SERVICE COMMAND [ARG...]\n");
    return 1;
  }
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers({rest[0]});
    if (!list) return report(list.error());
    int index = f.index > 0 ? f.index : 1;
    for (const auto& c : *list) {
      if (compose::container_labels(c)[compose::kLabelNumber] != std::to_string(index)) continue;
      engine::ExecOptions x = f.exec;
      x.command.assign(rest.begin() + 1, rest.end());
      x.interactive = !f.detach;
      x.tty = !f.no_tty && !f.detach && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
      auto status = stack.engine().exec(c.id, x);
      if (!status) return report(status.error(), exit_code_for(status.error()));
      return status->code;
    }
    return report(Error(0, "service \"" + rest[0] + "\" is not running"));
  });
}

int compose_run(const Globals& g, ComposeFlags& f) {
  const auto& rest = container_args();  // SERVICE [COMMAND...]
  if (rest.empty()) {
    std::fprintf(stderr, "berth: \"compose run\" requires at least 1 argument: SERVICE [COMMAND] [ARG...]\n");
    return 1;
  }
  std::string service = rest[0];
  f.args = {service};
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    const compose::Project& project = stack.project();
    auto it = project.services.find(service);
    if (it == project.services.end()) return report(Error(0, "no such service: " + service));
    // Its dependencies first, as `up` would start them.
    if (!f.up.no_deps) {
      std::vector<std::string> deps;
      for (const auto& [dep, d] : it->second.depends_on)
        if (project.services.count(dep)) deps.push_back(dep);
      if (!deps.empty()) {
        compose::UpOptions u;
        u.services = deps;
        if (auto r = stack.up(u); !r) return report(r.error());
      }
      if (auto r = stack.wait_for_dependencies(service, {}); !r) return report(r.error());
    }
    if (auto r = stack.build_missing({service}, f.build, false); !r) return report(r.error());
    if (auto r = stack.pull_images({service}, f.pull, false); !r) return report(r.error());
    if (auto r = stack.prepare({service}); !r) return report(r.error());
    engine::Engine& eng = stack.engine();
    auto image = eng.images().find_image(compose::service_image(project, it->second));
    compose::RunContext ctx{eng.store().root().storage, image ? image->id : "", true};
    auto run = compose::service_run_options(project, it->second, 1, ctx);
    if (!run) return report(run.error());
    engine::RunOptions o = run->options;
    o.name = f.run_name.empty() ? project.name + "-" + service + "-run-" + random_hex(6) : f.run_name;
    if (rest.size() > 1) {  // the command replaces the service's, after the entrypoint's own words
      const auto& ep = it->second.entrypoint;
      std::vector<std::string> command;
      if (ep && ep->size() > 1) command.assign(ep->begin() + 1, ep->end());
      command.insert(command.end(), rest.begin() + 1, rest.end());
      o.command = std::move(command);
    }
    if (f.run_entrypoint != "\x01unset") {
      o.entrypoint = f.run_entrypoint;
      if (rest.size() <= 1) o.command.clear();
    }
    o.env.insert(o.env.end(), f.run_env.begin(), f.run_env.end());
    if (!f.service_ports) o.publish.clear();  // docker compose run: the service's ports only on request
    o.publish.insert(o.publish.end(), f.run_publish.begin(), f.run_publish.end());
    if (!f.exec.user.empty()) o.user = f.exec.user;
    if (!f.exec.workdir.empty()) o.workdir = f.exec.workdir;
    o.restart = "no";
    o.remove = f.remove;
    o.tty = !f.no_tty && !f.detach && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    o.interactive = !f.detach || f.interactive;
    for (const auto& [path, content] : run->files) {
      if (auto r = make_dirs(dir_name(path), 0700); !r) return report(r.error());
      if (auto r = write_file_atomic(path, content, 0444); !r) return report(r.error());
    }
    if (f.detach) {
      auto rec = eng.run_detached(o);
      if (!rec) return report(rec.error());
      std::puts(rec->name.c_str());
      return 0;
    }
    auto status = eng.run(o);
    if (!status) return report(status.error(), exit_code_for(status.error()));
    return status->code;
  });
}

}  // namespace berth::cli
