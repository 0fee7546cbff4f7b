// `berth compose`: docker compose's verbs over a compose project (compose/).
//
// Each verb loads the project (compose/load.h) and acts through compose::Stack
// (compose/stack.h). Progress goes to stderr as docker compose prints it without a
// terminal (" Container demo-web-1  Started"); tables and ids go to stdout.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "base/clock.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/compose_commands.h"
#include "cli/container_view.h"
#include "cli/table.h"
#include "compose/config_output.h"
#include "compose/load.h"
#include "compose/run_plan.h"

namespace berth::cli {

namespace {

ComposeFlags& flags() {
  static ComposeFlags f;
  return f;
}

int print_config(const ComposeFlags& f) {
  auto project = load_compose_project(f);
  if (!project) return report(project.error(), 1);
  if (f.quiet) return 0;
  std::string out;
  if (f.services)
    out = compose::render_service_names(*project);
  else if (f.volumes)
    out = compose::render_volume_names(*project);
  else if (f.format == "json")
    out = compose::render_config_json_text(*project) + "\n";
  else if (f.format == "yaml" || f.format.empty())
    out = compose::render_config_yaml(*project);
  else
    return report(Error(0, "invalid --format (yaml or json)", f.format), 1);
  std::fputs(out.c_str(), stdout);
  return 0;
}

int compose_up(const Globals& g, ComposeFlags& f) {
  compose::UpOptions& u = f.up;
  for (const auto& s : f.scale) {
    auto eq = s.find('=');
    auto n = eq == std::string::npos ? std::nullopt : parse_int(s.substr(eq + 1));
    if (!n || *n < 0) return report(Error(0, "invalid --scale (want SERVICE=NUM)", s));
    u.scale[s.substr(0, eq)] = static_cast<int>(*n);
  }
  if (f.timeout >= 0) u.timeout_s = f.timeout;
  if (f.wait_timeout >= 0) u.wait_timeout_s = f.wait_timeout;
  u.pull = f.pull;
  u.build = f.build;
  u.no_build = f.no_build;
  if (u.build && u.no_build) return report(Error(0, "--build and --no-build are incompatible"));
  if (f.up.wait) f.detach = true;  // docker compose: --wait implies -d
  if (f.abort_on_exit || !f.exit_code_from.empty()) {
    if (f.detach) return report(Error(0, "--abort-on-container-exit and --exit-code-from cannot be combined with -d"));
    f.abort_on_exit = true;
  }
  u.services = f.args;
  bool attach = !f.detach && !u.no_start;
  if (attach) {  // Ctrl-C while the stack starts: stop what started, as docker compose
    catch_interrupts();
    u.cancelled = interrupted;
  }
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto up = stack.up(u);
    if (attach && interrupted()) return stop_after_interrupt(stack, f);
    if (!up) return report(up.error());
    if (!attach) return 0;
    return attach_stack(stack, f);
  });
}

int compose_down(const Globals& g, ComposeFlags& f) {
  compose::DownOptions d;
  d.volumes = f.volumes_flag;
  d.remove_orphans = f.up.remove_orphans;
  d.rmi = f.rmi;
  if (f.timeout >= 0) d.timeout_s = f.timeout;
  d.services = f.args;
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto r = stack.down(d);
    return r ? 0 : report(r.error());
  });
}

// docker compose ps: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS.
int compose_ps(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers(f.args, f.all);
    if (!list) return report(list.error());
    auto nets = stack.engine().networks().value_or(std::vector<engine::NetworkRecord>{});
    std::vector<std::vector<std::string>> rows;
    std::set<std::string> services;
    for (const auto& c : *list) {
      bool alive = stack.engine().store().is_alive(c);
      if (!f.all && !alive) continue;
      auto labels = compose::container_labels(c);
      std::vector<std::string> ports;
      if (alive)
        for (const auto& p : engine::published_ports(nets, c.id)) ports.push_back(p.to_string());
      if (f.services) {
        if (services.insert(labels[compose::kLabelService]).second) std::puts(labels[compose::kLabelService].c_str());
        continue;
      }
      if (f.quiet) {
        std::puts(c.id.c_str());
        continue;
      }
      int64_t age = seconds_since(c.created);
      std::string health = c.health.is_object() && alive ? c.health.value("Status", "") : "";
      if (f.format == "json") {
        Json j = {{"ID", c.id},
                  {"Name", c.name},
                  {"Image", c.image},
                  {"Command", join(c.command, " ")},
                  {"Project", labels[compose::kLabelProject]},
                  {"Service", labels[compose::kLabelService]},
                  {"Created", c.created},
                  {"State", state_of(c, alive)},
                  {"Status", status_text(c, alive)},
                  {"Health", health},
                  {"ExitCode", alive ? 0 : c.exit_code},
                  {"Ports", join(ports, ", ")},
                  {"Labels", labels}};
        std::puts(j.dump().c_str());
        continue;
      }
      rows.push_back({c.name, c.image, command_text(c), labels[compose::kLabelService],
                      human_duration_ago(age < 0 ? 0 : age), status_text(c, alive), join(ports, ", ")});
    }
    if (!f.quiet && !f.services && f.format != "json")
      print_table({"NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"}, rows);
    return 0;
  });
}

// docker compose ls: NAME STATUS CONFIG FILES, e.g. "running(2), exited(1)".
int compose_ls(const Globals& g, const ComposeFlags& f) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto all = compose::stacks(*eng);
  if (!all) return report(all.error());
  std::vector<std::vector<std::string>> rows;
  Json out = Json::array();
  for (const auto& [name, list] : *all) {
    std::map<std::string, int> states;
    std::string files;
    for (const auto& c : list) {
      states[state_of(c, eng->store().is_alive(c))]++;
      files = compose::container_labels(c)[compose::kLabelConfigFiles];
    }
    if (!f.all && !states.count("running")) continue;
    std::vector<std::string> parts;
    for (const auto& [state, n] : states) parts.push_back(state + "(" + std::to_string(n) + ")");
    if (f.quiet) {
      std::puts(name.c_str());
      continue;
    }
    rows.push_back({name, join(parts, ", "), files});
    out.push_back({{"Name", name}, {"Status", join(parts, ", ")}, {"ConfigFiles", files}});
  }
  if (f.quiet) return 0;
  if (f.format == "json")
    std::puts(out.dump().c_str());
  else
    print_table({"NAME", "STATUS", "CONFIG FILES"}, rows);
  return 0;
}

int compose_port(const Globals& g, ComposeFlags& f) {
  if (f.args.size() != 2) return report(Error(0, "compose port requires SERVICE PRIVATE_PORT"));
  std::string port = f.args[1];
  f.args.pop_back();  // only the service is a service
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers({f.args[0]});
    if (!list) return report(list.error());
    auto nets = stack.engine().networks();
    if (!nets) return report(nets.error());
    int index = f.index > 0 ? f.index : 1;
    for (const auto& c : *list) {
      if (compose::container_labels(c)[compose::kLabelNumber] != std::to_string(index)) continue;
      for (const auto& p : engine::published_ports(*nets, c.id)) {
        if (std::to_string(p.container_port) != port || p.protocol != f.protocol) continue;
        std::string host = p.to_string().substr(0, p.to_string().find("->"));
        std::puts(host.c_str());
        return 0;
      }
    }
    return report(Error(0, "no port " + port + "/" + f.protocol + " for container " + f.args[0] + " " +
                               std::to_string(index)));
  });
}

int compose_images(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers(f.args);
    if (!list) return report(list.error());
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : *list) {
      std::string repo = c.image, tag = "latest";
      auto colon = repo.rfind(':');
      if (colon != std::string::npos && repo.find('/', colon) == std::string::npos) {
        tag = repo.substr(colon + 1);
        repo = repo.substr(0, colon);
      }
      std::string size;
      if (auto img = stack.engine().images().find_image(c.image)) size = human_size(img->size);
      std::string id = c.image_id.substr(c.image_id.find(':') + 1).substr(0, 12);
      rows.push_back({c.name, repo, tag, id, size});
    }
    print_table({"CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"}, rows);
    return 0;
  });
}

int compose_top(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers(f.args);
    if (!list) return report(list.error());
    int rc = 0;
    for (const auto& c : *list) {
      if (!stack.engine().store().is_alive(c)) continue;
      std::printf("%s\n", c.name.c_str());
      std::fflush(stdout);
      rc |= show_top(g, c.id);
      std::printf("\n");
    }
    return rc;
  });
}

int compose_wait(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto list = stack.containers(f.args);
    if (!list) return report(list.error());
    // Each container's exit code as it stops; --down-project: down at the first.
    int code = 0;
    std::set<std::string> done;
    auto& store = stack.engine().store();
    while (done.size() < list->size()) {
      for (const auto& c : *list) {
        if (done.count(c.id)) continue;
        auto now = store.load(c.id);
        if (now && (store.is_alive(*now) || now->status == "restarting")) continue;
        done.insert(c.id);
        int exit_code = now ? now->exit_code : 0;
        std::printf("%d\n", exit_code);
        std::fflush(stdout);
        if (exit_code != 0 && code == 0) code = exit_code;
        if (f.down_project) {
          if (auto r = stack.down({}); !r) return report(r.error());
          return code;
        }
      }
      if (done.size() < list->size()) ::usleep(50'000);
    }
    return code;
  });
}

// start, stop, restart, kill, rm.
int compose_simple(const Globals& g, ComposeFlags& f, const std::string& verb) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    std::optional<int> timeout;
    if (f.timeout >= 0) timeout = f.timeout;
    Result<> r;
    if (verb == "start") {
      r = stack.start(f.args);
    } else if (verb == "stop") {
      r = stack.stop(f.args, timeout);
    } else if (verb == "restart") {
      r = stack.restart(f.args, timeout);
    } else if (verb == "pause" || verb == "unpause") {
      r = stack.pause(f.args, verb == "pause");
    } else if (verb == "kill") {
      auto sig = engine::parse_signal(f.signal);
      if (!sig) return report(sig.error());
      r = stack.kill(f.args, *sig);
    } else {  // rm
      r = stack.remove(f.args, f.stop_first, f.volumes_flag);
    }
    return r ? 0 : report(r.error());
  });
}

int compose_pull(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    auto waves = compose::dependency_waves(stack.project(), f.args, true);
    if (!waves) return report(waves.error());
    std::vector<std::string> services;
    for (const auto& w : *waves) services.insert(services.end(), w.begin(), w.end());
    auto r = stack.pull_images(services, "always", f.force);
    return r ? 0 : report(r.error());
  });
}

int compose_build(const Globals& g, ComposeFlags& f) {
  auto args = parse_build_arg_flags(f.build_args);
  if (!args) return report(args.error());
  f.build_request.args = std::move(*args);
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    std::vector<std::string> services = f.args;
    if (services.empty())
      for (const auto& [name, s] : stack.project().services) services.push_back(name);
    for (const auto& s : services)
      if (!stack.project().services.contains(s)) return report(Error(0, "no such service: " + s));
    auto r = stack.build_images(services, f.build_request);
    return r ? 0 : report(r.error());
  });
}

// docker compose push: the image of every service (or those named) that has `image:`, one
// after the other, each as `berth push` would; a service without `image:` has nothing to
// push under a name a registry knows, and is skipped, as docker compose does.
int compose_push(const Globals& g, ComposeFlags& f) {
  return with_stack(g, f, [&](compose::Stack& stack) -> int {
    std::vector<std::string> services = f.args;
    if (services.empty())
      for (const auto& [name, s] : stack.project().services) services.push_back(name);
    int rc = 0;
    for (const auto& name : services) {
      auto s = stack.project().services.find(name);
      if (s == stack.project().services.end()) return report(Error(0, "no such service: " + name));
      if (s->second.image.empty()) continue;
      PushFlags push;
      push.name = s->second.image;
      push.quiet = f.quiet;
      if (auto r = push_image(stack.engine(), push); !r) {
        rc = report(wrap(r.error(), "service " + name));
        if (!f.force) return rc;  // --ignore-push-failures goes on with the others
      }
    }
    return f.force ? 0 : rc;
  });
}

}  // namespace

Result<compose::Project> load_compose_project(const ComposeFlags& f) {
  std::vector<std::string> warnings;
  auto project = compose::load_project(f.load, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "WARN[0000] %s\n", w.c_str());
  return project;
}

int with_stack(const Globals& g, ComposeFlags& f, const std::function<int(compose::Stack&)>& body) {
  // Verbs that take services name them on the command line: enabled whatever their profile.
  f.load.services = f.args;
  auto project = load_compose_project(f);
  if (!project) return report(project.error(), 1);
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  std::vector<std::string> warnings;
  auto print_event = [&f](const compose::Event& e) {
    if (f.quiet) return;  // (pull -q, ...)
    std::string line = " " + e.kind + " " + e.name + "  " + e.status + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());  // one write: workers share stderr
  };
  compose::Stack stack(*eng, std::move(*project), print_event, &warnings);
  int rc = body(stack);
  for (const auto& w : warnings) std::fprintf(stderr, "WARN[0000] %s\n", w.c_str());
  return rc;
}

void register_compose_commands(CLI::App& app, Globals& g, int* exit_code) {
  ComposeFlags& f = flags();
  auto* compose = app.add_subcommand("compose", "Define and run multi-container applications (compose.yml)");
  compose->require_subcommand(1);
  compose->add_option("-f,--file", f.load.files, "Compose configuration files")->allow_extra_args(false);
  compose->add_option("-p,--project-name", f.load.project_name, "Project name");
  compose->add_option("--project-directory", f.load.project_directory, "Alternate working directory");
  compose->add_option("--env-file", f.load.env_files, "Alternate environment files")->allow_extra_args(false);
  compose->add_option("--profile", f.load.profiles, "Profiles to enable")->allow_extra_args(false);
  auto services_arg = [&f](CLI::App* sub) { sub->add_option("services", f.args, "SERVICE..."); };
  auto timeout_flag = [&f](CLI::App* sub) {
    sub->add_option("-t,--timeout", f.timeout, "Specify a shutdown timeout in seconds");
  };

  auto* config = compose->add_subcommand("config", "Parse, resolve and render the compose file in canonical format");
  config->add_flag("--services", f.services, "Print the service names, one per line");
  config->add_flag("--volumes", f.volumes, "Print the volume names, one per line");
  config->add_flag("-q,--quiet", f.quiet, "Only validate the configuration, don't print anything");
  config->add_option("--format", f.format, "Format the output: yaml or json");
  config->add_option("services", f.load.services, "SERVICE...");
  config->callback([exit_code, &f] { *exit_code = print_config(f); });

  for (const char* verb : {"up", "create"}) {
    bool up = std::string(verb) == "up";
    auto* sub = compose->add_subcommand(verb, up ? "Create and start containers" : "Creates containers for a service");
    services_arg(sub);
    sub->add_flag("--force-recreate", f.up.force_recreate, "Recreate containers even if their configuration hasn't changed");
    sub->add_flag("--no-recreate", f.up.no_recreate, "If containers already exist, don't recreate them");
    sub->add_flag("--remove-orphans", f.up.remove_orphans, "Remove containers for services not defined in the Compose file");
    sub->add_flag("--build", f.build, "Build images before starting containers");
    sub->add_flag("--no-build", f.no_build, "Don't build an image, even if it's policy");
    sub->add_option("--scale", f.scale, "Scale SERVICE to NUM instances (SERVICE=NUM)")->allow_extra_args(false);
    sub->add_option("--pull", f.pull, "Pull image before running (always|missing|never)");
    if (!up) {
      sub->callback([&g, exit_code, &f] {
        f.up.no_start = true;
        *exit_code = compose_up(g, f);
      });
      continue;
    }
    sub->add_flag("-d,--detach", f.detach, "Detached mode: Run containers in the background");
    sub->add_flag("--no-deps", f.up.no_deps, "Don't start linked services");
    sub->add_flag("--no-start", f.up.no_start, "Don't start the services after creating them");
    sub->add_flag("--wait", f.up.wait, "Wait for services to be running|healthy. Implies detached mode.");
    sub->add_option("--wait-timeout", f.wait_timeout, "Maximum duration in seconds to wait for the project to be running|healthy");
    sub->add_flag("--abort-on-container-exit", f.abort_on_exit, "Stops all containers if any container was stopped");
    sub->add_option("--exit-code-from", f.exit_code_from, "Return the exit code of the selected service container");
    sub->add_flag("--no-color", f.no_color, "Produce monochrome output");
    sub->add_flag("--no-log-prefix", f.no_prefix, "Don't print prefix in logs");
    timeout_flag(sub);
    sub->callback([&g, exit_code, &f] { *exit_code = compose_up(g, f); });
  }

  auto* down = compose->add_subcommand("down", "Stop and remove containers, networks");
  services_arg(down);
  down->add_flag("-v,--volumes", f.volumes_flag, "Remove named volumes declared in the volumes section and anonymous volumes");
  down->add_flag("--remove-orphans", f.up.remove_orphans, "Remove containers for services not defined in the Compose file");
  down->add_option("--rmi", f.rmi, "Remove images used by services: local or all");
  timeout_flag(down);
  down->callback([&g, exit_code, &f] { *exit_code = compose_down(g, f); });

  auto* ps = compose->add_subcommand("ps", "List containers");
  services_arg(ps);
  ps->add_flag("-a,--all", f.all, "Show all stopped containers");
  ps->add_flag("-q,--quiet", f.quiet, "Only display IDs");
  ps->add_flag("--services", f.services, "Display services");
  ps->add_option("--format", f.format, "Format the output: table or json")->check(CLI::IsMember({"", "table", "json"}));
  ps->callback([&g, exit_code, &f] { *exit_code = compose_ps(g, f); });

  auto* ls = compose->add_subcommand("ls", "List running compose projects");
  ls->add_flag("-a,--all", f.all, "Show all stopped Compose projects");
  ls->add_flag("-q,--quiet", f.quiet, "Only display project names");
  ls->add_option("--format", f.format, "Format the output: table or json")->check(CLI::IsMember({"", "table", "json"}));
  ls->callback([&g, exit_code, &f] { *exit_code = compose_ls(g, f); });

  auto* logs = compose->add_subcommand("logs", "View output from containers");
  services_arg(logs);
  logs->add_flag("-f,--follow", f.follow, "Follow log output");
  logs->add_flag("-t,--timestamps", f.timestamps, "Show timestamps");
  logs->add_option("-n,--tail", f.tail, "Number of lines to show from the end of the logs for each container");
  logs->add_option("--since", f.since, "Show logs since timestamp or relative (42m)");
  logs->add_option("--until", f.until, "Show logs before a timestamp or relative time");
  logs->add_flag("--no-color", f.no_color, "Produce monochrome output");
  logs->add_flag("--no-log-prefix", f.no_prefix, "Don't print prefix in logs");
  logs->add_option("--index", f.index, "index of the container if service has multiple replicas");
  logs->callback([&g, exit_code, &f] { *exit_code = compose_logs(g, f); });

  for (const char* verb : {"start", "stop", "restart", "kill", "rm", "pause", "unpause"}) {
    std::string v = verb;
    auto* sub = compose->add_subcommand(verb, v == "start"     ? "Start services"
                                              : v == "stop"    ? "Stop services"
                                              : v == "restart" ? "Restart service containers"
                                              : v == "kill"    ? "Force stop service containers"
                                              : v == "pause"   ? "Pause services"
                                              : v == "unpause" ? "Unpause services"
                                                               : "Removes stopped service containers");
    services_arg(sub);
    if (v == "stop" || v == "restart") timeout_flag(sub);
    if (v == "kill") sub->add_option("-s,--signal", f.signal, "SIGNAL to send to the container");
    if (v == "rm") {
      sub->add_flag("-f,--force", f.force, "Don't ask to confirm removal");
      sub->add_flag("-s,--stop", f.stop_first, "Stop the containers, if required, before removing");
      sub->add_flag("-v,--volumes", f.volumes_flag, "Remove any anonymous volumes attached to containers");
    }
    sub->callback([&g, exit_code, &f, v] { *exit_code = compose_simple(g, f, v); });
  }

  auto* exec = compose->add_subcommand("exec", "Execute a command in a running container");
  exec->set_help_flag("--help", "Print this help message and exit");
  exec->add_flag("-T,--no-TTY", f.no_tty, "Disable pseudo-TTY allocation");
  exec->add_flag("-d,--detach", f.detach, "Detached mode: Run command in the background");
  exec->add_option("-e,--env", f.exec.env, "Set environment variables")->allow_extra_args(false);
  exec->add_option("-u,--user", f.exec.user, "Run the command as this user");
  exec->add_option("-w,--workdir", f.exec.workdir, "Path to workdir directory for this command");
  exec->add_flag("--privileged", f.exec.privileged, "Give extended privileges to the process");
  exec->add_option("--index", f.index, "Index of the container if service has multiple replicas");
  exec->callback([&g, exit_code, &f] { *exit_code = compose_exec(g, f); });

  auto* run = compose->add_subcommand("run", "Run a one-off command on a service");
  run->set_help_flag("--help", "Print this help message and exit");
  run->add_flag("-d,--detach", f.detach, "Run container in background and print container ID");
  run->add_flag("--rm", f.remove, "Automatically remove the container when it exits");
  run->add_option("-e,--env", f.run_env, "Set environment variables")->allow_extra_args(false);
  run->add_option("-p,--publish", f.run_publish, "Publish a container's port(s) to the host")->allow_extra_args(false);
  run->add_flag("--service-ports", f.service_ports, "Run command with the service's ports enabled and mapped to the host");
  run->add_flag("--no-deps", f.up.no_deps, "Don't start linked services");
  run->add_option("--entrypoint", f.run_entrypoint, "Override the entrypoint of the image");
  run->add_option("--name", f.run_name, "Assign a name to the container");
  run->add_option("-u,--user", f.exec.user, "Run as specified username or uid");
  run->add_option("-w,--workdir", f.exec.workdir, "Working directory inside the container");
  run->add_flag("-T,--no-TTY", f.no_tty, "Disable pseudo-TTY allocation");
  run->add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  run->callback([&g, exit_code, &f] { *exit_code = compose_run(g, f); });

  auto* port = compose->add_subcommand("port", "Print the public port for a port binding");
  port->add_option("args", f.args, "SERVICE PRIVATE_PORT");
  port->add_option("--protocol", f.protocol, "tcp or udp");
  port->add_option("--index", f.index, "Index of the container if service has multiple replicas");
  port->callback([&g, exit_code, &f] { *exit_code = compose_port(g, f); });

  auto* images = compose->add_subcommand("images", "List images used by the created containers");
  services_arg(images);
  images->callback([&g, exit_code, &f] { *exit_code = compose_images(g, f); });

  auto* top = compose->add_subcommand("top", "Display the running processes");
  services_arg(top);
  top->callback([&g, exit_code, &f] { *exit_code = compose_top(g, f); });

  auto* wait = compose->add_subcommand("wait", "Block until containers of all (or specified) services stop");
  services_arg(wait);
  wait->add_flag("--down-project", f.down_project, "Drops project when the first container stops");
  wait->callback([&g, exit_code, &f] { *exit_code = compose_wait(g, f); });

  auto* version = compose->add_subcommand("version", "Show the Docker Compose version information");
  version->add_option("--format", f.format, "Format the output: pretty or json");
  version->add_flag("--short", f.quiet, "Shows only Compose's version number");
  version->callback([&f] {
    if (f.quiet)
      std::puts("2.0.0-berth");
    else if (f.format == "json")
      std::puts(R"({"version":"2.0.0-berth"})");
    else
      std::puts("berth compose version 2.0.0-berth (Compose Specification; docker compose v2's verbs)");
  });

  auto* pull = compose->add_subcommand("pull", "Pull service images");
  services_arg(pull);
  pull->add_flag("--ignore-pull-failures", f.force, "Pull what it can and ignores images with pull failures");
  pull->add_flag("-q,--quiet", f.quiet, "Pull without printing progress information");
  pull->callback([&g, exit_code, &f] { *exit_code = compose_pull(g, f); });

  auto* build = compose->add_subcommand("build", "Build or rebuild services");
  services_arg(build);
  build->add_flag("--no-cache", f.build_request.no_cache, "Do not use cache when building the image");
  build->add_flag("--pull", f.build_request.pull, "Always attempt to pull a newer version of the image");
  build->add_flag("-q,--quiet", f.build_request.quiet, "Don't print anything to STDOUT");
  build->add_option("--build-arg", f.build_args, "Set build-time variables for services");
  build->callback([&g, exit_code, &f] { *exit_code = compose_build(g, f); });

  auto* push = compose->add_subcommand("push", "Push service images");
  services_arg(push);
  push->add_flag("--ignore-push-failures", f.force, "Push what is possible but ignore any push failures");
  push->add_flag("-q,--quiet", f.quiet, "Push without printing progress information");
  push->callback([&g, exit_code, &f] { *exit_code = compose_push(g, f); });
}

}  // namespace berth::cli
