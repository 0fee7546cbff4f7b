// Detached containers' verbs: start, stop, restart, kill, wait, logs; and `internal`, the
// hidden commands the shim calls (runtime/shim_config.h).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/template.h"
#include "runtime/log_reader.h"
#include "runtime/shim_config.h"

namespace berth::cli {

namespace {

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct LogsFlags {
  bool follow = false, timestamps = false;
  std::string tail = "all", since, until;
};

bool print_entry(const runtime::LogEntry& e, bool timestamps) {
  FILE* out = e.stream == runtime::LogStream::kStderr ? stderr : stdout;
  if (timestamps) std::fprintf(out, "%s ", e.time.c_str());
  std::fwrite(e.log.data(), 1, e.log.size(), out);
  std::fflush(out);
  return true;
}

int show_logs(const Globals& g, const std::string& key, const LogsFlags& f) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto rec = eng->find(key);
  if (!rec) return report(rec.error());
  auto parsed = log_read_options(f.tail, f.since, f.until);
  if (!parsed) return report(parsed.error());
  runtime::LogReadOptions opts = *parsed;
  std::string path = eng->store().log_path(rec->id);
  auto print = [&f](const runtime::LogEntry& e) { return print_entry(e, f.timestamps); };
  if (f.follow) {
    std::string id = rec->id;
    auto& store = eng->store();
    auto running = [&store, &id] {
      auto r = store.load(id);
      return r && (store.is_alive(*r) || r->status == "restarting");
    };
    auto r = runtime::follow_log(path, opts, print, running);
    return r ? 0 : report(r.error());
  }
  auto entries = runtime::read_log(path, opts);
  if (!entries) {
    if (entries.error().errno_value() == ENOENT) return 0;  // never started detached
    return report(entries.error());
  }
  for (const auto& e : *entries) print(e);
  return 0;
}

// Applies `act` to each named container, printing each name as docker does.
template <typename Act>
int for_each_container(const Globals& g, const std::vector<std::string>& names, Act act) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  int rc = 0;
  for (const auto& n : names) {
    if (auto r = act(*eng, n); !r)
      rc = report(r.error());
    else
      std::puts(n.c_str());
  }
  return rc;
}

// --all: every container not running whose restart policy matches one of the filters.
Result<std::vector<std::string>> containers_to_start(const Globals& g, const std::vector<std::string>& filters) {
  std::vector<std::string> policies;
  for (const auto& f : filters) {
    if (f.rfind("restart-policy=", 0) != 0) return fail("unsupported filter (want restart-policy=...)", f);
    policies.push_back(f.substr(15));
  }
  ASSIGN_OR_RETURN(engine::Engine eng, open_engine(g));
  ASSIGN_OR_RETURN(auto all, eng.containers());
  std::vector<std::string> out;
  for (const auto& c : all) {
    if (eng.store().is_alive(c)) continue;
    auto o = engine::RunOptions::from_json(c.options);
    std::string policy = o ? engine::parse_restart_policy(o->restart).value_or(engine::RestartPolicy{}).name : "no";
    // unless-stopped: not one that a user stopped (always: even then, as docker at boot).
    if (policy == "unless-stopped" && c.stop_requested) continue;
    if (policies.empty() || std::find(policies.begin(), policies.end(), policy) != policies.end())
      out.push_back(c.name);
  }
  return out;
}

int inspect_containers(const Globals& g, const std::vector<std::string>& names, const std::string& format) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  Json all = Json::array();
  int rc = 0;
  for (const auto& n : names) {
    auto rec = eng->find(n);
    if (!rec) {
      rc = report(Error(0, "No such container", n));
      continue;
    }
    Json one = eng->inspect(*rec);
    if (format.empty()) {
      all.push_back(std::move(one));
      continue;
    }
    auto text = render_template(format, one);
    if (!text) return report(text.error());
    std::puts(text->c_str());
  }
  if (format.empty()) std::puts(all.dump(4).c_str());
  return rc;
}

void register_internal(CLI::App& app, Globals& g, int* exit_code) {
  auto* internal = app.add_subcommand("internal", "");  // empty description: hidden
  internal->group("");
  auto* start = internal->add_subcommand("start", "starter: start a detached container (fd 3 reports)");
  static std::string id;
  start->add_option("id", id)->required();
  start->callback([&g, exit_code] {
    auto eng = open_engine_quietly(g);
    if (!eng) return void(*exit_code = report(eng.error(), 125));
    auto r = eng->start_process(id, 3);
    *exit_code = r ? 0 : report(r.error(), 125);
  });
  auto* health = internal->add_subcommand("health", "run a detached container's healthcheck once");
  health->add_option("id", id)->required();
  health->callback([&g, exit_code] {
    auto eng = open_engine_quietly(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto r = eng->health_check(id);
    *exit_code = r ? 0 : report(r.error());
  });
  auto* exited = internal->add_subcommand("exited", "record a detached container's exit");
  static int code = 0, sig = 0;
  static std::string final_word;
  exited->add_option("id", id)->required();
  exited->add_option("code", code)->required();
  exited->add_option("signal", sig)->required();
  exited->add_option("final", final_word);
  exited->callback([&g, exit_code] {
    auto eng = open_engine_quietly(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto r = eng->process_exited(id, code, sig, final_word == "final");
    *exit_code = r ? *r : report(r.error());
  });
}

}  // namespace

Result<runtime::LogReadOptions> log_read_options(const std::string& tail, const std::string& since,
                                                 const std::string& until) {
  runtime::LogReadOptions opts;
  if (tail != "all") {
    auto n = parse_int(tail);
    if (!n || *n < 0) return fail("invalid value for \"tail\"", tail);
    opts.tail = static_cast<size_t>(*n);
  }
  int64_t now = now_ns();
  if (!since.empty()) {
    ASSIGN_OR_RETURN(int64_t t, runtime::parse_log_time(since, now));
    opts.since_ns = t;
  }
  if (!until.empty()) {
    ASSIGN_OR_RETURN(int64_t t, runtime::parse_log_time(until, now));
    opts.until_ns = t;
  }
  return opts;
}

void register_lifecycle_commands(CLI::App& app, Globals& g, int* exit_code) {
  auto* start = app.add_subcommand("start", "Start one or more stopped containers");
  static std::vector<std::string> start_names, start_filters;
  static bool start_attach = false, start_all = false;
  start->add_option("containers", start_names, "CONTAINER...");
  start->add_flag("-a,--attach", start_attach, "Attach STDOUT/STDERR and forward its exit code");
  // podman's `start --all --filter restart-policy=always`: what berth.service runs at boot.
  start->add_flag("--all", start_all, "Start all containers (that match --filter)");
  start->add_option("--filter", start_filters, "restart-policy=POLICY (with --all; repeatable: any matches)");
  start->callback([&g, exit_code] {
    if (start_all) {
      auto names = containers_to_start(g, start_filters);
      if (!names) return void(*exit_code = report(names.error()));
      start_names = *names;
    } else if (start_names.empty()) {
      std::fprintf(stderr, "berth: \"start\" requires at least 1 argument (or --all)\n");
      return void(*exit_code = 1);
    }
    if (start_attach && start_names.size() != 1) {
      std::fprintf(stderr, "berth: you cannot start and attach multiple containers at once\n");
      return void(*exit_code = 1);
    }
    if (!start_attach) {
      *exit_code = for_each_container(g, start_names, [](engine::Engine& e, const std::string& n) -> Result<> {
        TRY(e.start(n));
        return {};
      });
      return;
    }
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto rec = eng->start(start_names[0]);
    if (!rec) return void(*exit_code = report(rec.error()));
    // Attached: its output from now on, then its exit code.
    runtime::LogReadOptions opts;
    opts.since_ns = now_ns() - 1000000000;  // the second it took to start
    auto& store = eng->store();
    std::string id = rec->id;
    (void)runtime::follow_log(store.log_path(id), opts, [](const runtime::LogEntry& e) { return print_entry(e, false); },
                              [&store, &id] {
                                auto r = store.load(id);
                                return r && store.is_alive(*r);
                              });
    auto done = eng->wait(id);
    *exit_code = done ? done->exit_code : report(done.error());
  });

  auto* stop = app.add_subcommand("stop", "Stop one or more running containers");
  static std::vector<std::string> stop_names;
  static std::optional<int> stop_timeout;
  stop->add_option("containers", stop_names, "CONTAINER...")->required();
  stop->add_option("-t,--time,--timeout", stop_timeout, "Seconds to wait before killing the container (10)");
  stop->callback([&g, exit_code] {
    *exit_code = for_each_container(g, stop_names, [](engine::Engine& e, const std::string& n) {
      return e.stop(n, stop_timeout);
    });
  });

  auto* restart = app.add_subcommand("restart", "Restart one or more containers");
  static std::vector<std::string> restart_names;
  static std::optional<int> restart_timeout;
  restart->add_option("containers", restart_names, "CONTAINER...")->required();
  restart->add_option("-t,--time,--timeout", restart_timeout, "Seconds to wait before killing the container (10)");
  restart->callback([&g, exit_code] {
    *exit_code = for_each_container(g, restart_names, [](engine::Engine& e, const std::string& n) -> Result<> {
      TRY(e.stop(n, restart_timeout));
      TRY(e.start(n));
      return {};
    });
  });

  auto* kill = app.add_subcommand("kill", "Kill one or more running containers");
  static std::vector<std::string> kill_names;
  static std::string kill_signal = "KILL";
  kill->add_option("containers", kill_names, "CONTAINER...")->required();
  kill->add_option("-s,--signal", kill_signal, "Signal to send to the container (KILL)");
  kill->callback([&g, exit_code] {
    auto sig = engine::parse_signal(kill_signal);
    if (!sig) return void(*exit_code = report(sig.error()));
    *exit_code = for_each_container(g, kill_names, [&sig](engine::Engine& e, const std::string& n) {
      return e.kill(n, *sig);
    });
  });

  for (bool pause : {true, false}) {
    auto* sub = app.add_subcommand(pause ? "pause" : "unpause",
                                   pause ? "Pause all processes within one or more containers"
                                         : "Unpause all processes within one or more containers");
    static std::vector<std::string> names[2];
    sub->add_option("containers", names[pause], "CONTAINER...")->required();
    sub->callback([&g, exit_code, pause] {
      *exit_code = for_each_container(g, names[pause], [pause](engine::Engine& e, const std::string& n) {
        return pause ? e.pause(n) : e.unpause(n);
      });
    });
  }

  auto* wait = app.add_subcommand("wait", "Block until one or more containers stop, then print their exit codes");
  static std::vector<std::string> wait_names;
  wait->add_option("containers", wait_names, "CONTAINER...")->required();
  wait->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    for (const auto& n : wait_names) {
      auto r = eng->wait(n);
      if (!r) {
        *exit_code = report(r.error());
        continue;
      }
      std::printf("%d\n", r->exit_code);
      std::fflush(stdout);
    }
  });

  auto* logs = app.add_subcommand("logs", "Fetch the logs of a container");
  static std::string logs_name;
  static LogsFlags lf;
  logs->add_option("container", logs_name, "CONTAINER")->required();
  logs->add_flag("-f,--follow", lf.follow, "Follow log output");
  logs->add_flag("-t,--timestamps", lf.timestamps, "Show timestamps");
  logs->add_option("-n,--tail", lf.tail, "Number of lines to show from the end of the logs (all)");
  logs->add_option("--since", lf.since, "Show logs since timestamp (2013-01-02T13:23:37Z) or relative (42m)");
  logs->add_option("--until", lf.until, "Show logs before a timestamp or relative time");
  logs->callback([&g, exit_code] { *exit_code = show_logs(g, logs_name, lf); });

  auto* exec = app.add_subcommand("exec", "Execute a command in a running container");
  exec->set_help_flag("--help", "Print this help message and exit");
  static engine::ExecOptions xo;
  exec->add_flag("-t,--tty", xo.tty, "Allocate a pseudo-TTY");
  exec->add_flag("-i,--interactive", xo.interactive, "Keep STDIN open");
  exec->add_flag("--privileged", xo.privileged, "Give extended privileges to the command");
  exec->add_option("-e,--env", xo.env, "Set environment variables")->allow_extra_args(false);
  exec->add_option("-u,--user", xo.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  exec->add_option("-w,--workdir", xo.workdir, "Working directory inside the container");
  exec->callback([&g, exit_code] {
    const auto& rest = container_args();  // CONTAINER COMMAND [ARG...], cut off by main()
    if (rest.size() < 2) {
      std::fprintf(stderr, "berth: \"exec\" requires at least 2 arguments: CONTAINER COMMAND [ARG...]\n");
      return void(*exit_code = 1);
    }
    xo.command.assign(rest.begin() + 1, rest.end());
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error(), 126));
    auto status = eng->exec(rest[0], xo);
    if (!status) return void(*exit_code = report(status.error(), exit_code_for(status.error())));
    *exit_code = status->code;
  });

  auto* inspect = app.add_subcommand("inspect", "Return low-level information on containers");
  static std::vector<std::string> inspect_names;
  static std::string inspect_format;
  inspect->add_option("containers", inspect_names, "CONTAINER...")->required();
  inspect->add_option("-f,--format", inspect_format, "Format the output using a Go-style template ({{.State.Pid}})");
  inspect->callback([&g, exit_code] { *exit_code = inspect_containers(g, inspect_names, inspect_format); });

  register_internal(app, g, exit_code);
}

}  // namespace berth::cli
