// `berth run` and `berth create`: docker's flags. `run -d` hands the container to a shim.
//
// Exit codes as docker's: the command's own status; 125 when berth itself failed; 126 when
// the command cannot be executed; 127 when it is not found.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"

namespace berth::cli {

namespace {

void add_run_flags(CLI::App* run, engine::RunOptions& o, bool& detach, std::string& entrypoint) {
  if (run->get_name() == "run") run->add_flag("-d,--detach", detach, "Run container in background and print container ID");
  run->add_flag("--rm", o.remove, "Remove the container when it exits");
  run->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
  run->add_flag("-i,--interactive", o.interactive, "Keep STDIN open");
  run->add_flag("--init", o.init, "Run an init inside the container that forwards signals and reaps processes");
  run->add_option("--name", o.name, "Assign a name to the container");
  run->add_option("-e,--env", o.env, "Set environment variables")->allow_extra_args(false);
  run->add_option("--env-file", o.env_files, "Read in a file of environment variables")->allow_extra_args(false);
  run->add_option("-w,--workdir", o.workdir, "Working directory inside the container");
  run->add_option("-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  run->add_option("-h,--hostname", o.hostname, "Container host name");
  run->add_option("--entrypoint", entrypoint, "Overwrite the default ENTRYPOINT of the image");
  // Repeatable: collected in extra_networks, the first then moved to `network` (take_networks).
  run->add_option("--network,--net", o.extra_networks,
                  "Connect a container to a network (default berth; none, host, container:NAME, a network's name, "
                  "or name=NAME,alias=A,ip=IP; repeat for more networks)")
      ->allow_extra_args(false);
  run->add_option("--ip", o.ip, "IPv4 address on that network (e.g., 172.30.100.104)");
  run->add_option("--network-alias", o.network_aliases, "Add network-scoped alias for the container")
      ->allow_extra_args(false);
  run->add_option("-p,--publish", o.publish, "Publish a container's port(s) to the host")->allow_extra_args(false);
  run->add_flag("-P,--publish-all", o.publish_all, "Publish all exposed ports to random ports");
  run->add_flag("--userland-proxy", o.userland_proxy,
                "Serve published ports from a userland proxy (the shim, or berth itself in the foreground) instead of nftables DNAT");
  run->add_option("--expose", o.expose, "Expose a port or a range of ports")->allow_extra_args(false);
  run->add_option("--add-host", o.add_hosts, "Add a custom host-to-IP mapping (host:ip, ip may be host-gateway)")->allow_extra_args(false);
  run->add_option("--dns", o.dns, "Set custom DNS servers")->allow_extra_args(false);
  run->add_option("--dns-search", o.dns_search, "Set custom DNS search domains")->allow_extra_args(false);
  run->add_option("--dns-option", o.dns_options, "Set DNS options")->allow_extra_args(false);
  run->add_option("--cap-add", o.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  run->add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  run->add_option("--security-opt", o.security_opt, "Security options")->allow_extra_args(false);
  run->add_flag("--privileged", o.privileged, "Give extended privileges to this container");
  run->add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
  run->add_option("-m,--memory", o.memory, "Memory limit");
  run->add_option("--memory-swap", o.memory_swap, "Swap limit equal to memory plus swap: -1 for unlimited");
  run->add_option("--cpus", o.cpus, "Number of CPUs");
  run->add_option("-c,--cpu-shares", o.cpu_shares, "CPU shares (relative weight)");
  run->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  run->add_option("--pids-limit", o.pids_limit, "Tune container pids limit (-1 for unlimited)");
  run->add_option("--ulimit", o.ulimits, "Ulimit options")->allow_extra_args(false);
  run->add_option("-v,--volume", o.volumes, "Bind mount a volume")->allow_extra_args(false);
  run->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  run->add_option("--uidmap", o.uidmap, "UID map for the user namespace (container:host:size)")->allow_extra_args(false);
  run->add_option("--gidmap", o.gidmap, "GID map for the user namespace (container:host:size)")->allow_extra_args(false);
  run->add_option("--sysctl", o.sysctls, "Sysctl options")->allow_extra_args(false);
  run->add_option("--restart", o.restart, "Restart policy: no, on-failure[:max-retries], always, unless-stopped");
  run->add_option("--log-opt", o.log_opts, "Log driver options (max-size=10m, max-file=3)")->allow_extra_args(false);
  run->add_option("--health-cmd", o.health_cmd, "Command to run to check health");
  run->add_option("--health-interval", o.health_interval, "Time between running the check (30s)");
  run->add_option("--health-timeout", o.health_timeout, "Maximum time to allow one check to run (30s)");
  run->add_option("--health-start-period", o.health_start_period, "Start period for the container to initialize (0s)");
  run->add_option("--health-retries", o.health_retries, "Consecutive failures needed to report unhealthy (3)");
  run->add_flag("--no-healthcheck", o.no_healthcheck, "Disable any container-specified HEALTHCHECK");
  run->add_option("-l,--label", o.labels, "Set meta data on a container")->allow_extra_args(false);
  run->add_option("--stop-signal", o.stop_signal, "Signal to stop the container");
  run->add_option("--stop-timeout", o.stop_timeout, "Timeout (in seconds) to stop a container");
  run->add_option("--shm-size", o.shm_size, "Size of /dev/shm");
  run->add_option("--domainname", o.domainname, "Container NIS domain name");
}

// The image and command after the flags (main() cut them off for us).
bool take_image_and_command(const char* verb, engine::RunOptions& opts, const std::string& entrypoint) {
  const auto& rest = container_args();
  if (rest.empty()) {
    std::fprintf(stderr, "berth: \"%s\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]\n", verb);
    return false;
  }
  opts.image = rest[0];
  opts.command.assign(rest.begin() + 1, rest.end());
  if (entrypoint != "\x01unset") opts.entrypoint = entrypoint;
  return true;
}

}  // namespace

int exit_code_for(const Error& e) {
  if (e.op() == "exec" || e.op().starts_with("exec:")) {
    if (e.errno_value() == ENOENT) return 127;
    if (e.errno_value() == EACCES || e.errno_value() == ENOEXEC || e.errno_value() == EISDIR) return 126;
  }
  return 125;
}

std::vector<std::string>& container_args() {
  static std::vector<std::string> args;
  return args;
}

// The first --network is the container's network (or mode); any others are extra ones.
void take_networks(engine::RunOptions& o) {
  if (o.extra_networks.empty()) return;
  o.network = o.extra_networks.front();
  o.extra_networks.erase(o.extra_networks.begin());
}

size_t split_container_args(const CLI::App& run, const std::vector<std::string>& args, size_t start) {
  // docker stops reading its own flags at the image name; so do we. A flag that takes a
  // value ("-e K=V", "--name x") consumes the next word unless given as "--name=x" / "-ex".
  auto takes_value = [&run](const std::string& name) {
    const CLI::Option* opt = run.get_option_no_throw(name);
    return opt && opt->get_type_size_max() > 0 && opt->get_expected_min() > 0;
  };
  for (size_t i = start; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "--") return i;
    if (a.size() < 2 || a[0] != '-') return i;
    if (a[1] == '-') {
      if (a.find('=') == std::string::npos && takes_value(a)) i++;
      continue;
    }
    for (size_t k = 1; k < a.size(); k++) {
      if (!takes_value(std::string("-") + a[k])) continue;
      if (k + 1 == a.size()) i++;
      break;
    }
  }
  return args.size();
}

void register_run_command(CLI::App& app, Globals& g, int* exit_code) {
  auto* run = app.add_subcommand("run", "Create and run a new container from an image");
  // Everything after the image name belongs to the container's command, flags included:
  // main() cuts argv there (split_container_args) before CLI11 sees it.
  run->set_help_flag("--help", "Print this help message and exit");  // -h is --hostname, as in docker
  static engine::RunOptions opts;
  static bool detach = false;
  static std::string entrypoint = "\x01unset";
  static std::string run_pull = "missing";
  add_run_flags(run, opts, detach, entrypoint);
  run->add_option("--pull", run_pull, "Pull image before running (always, missing, never)");
  run->callback([&g, exit_code] {
    if (!take_image_and_command("run", opts, entrypoint)) return void(*exit_code = 125);
    take_networks(opts);
    if (opts.tty && !detach && !::isatty(STDIN_FILENO))
      std::fprintf(stderr, "berth: warning: -t given but stdin is not a terminal\n");
    auto warmup = engine::warm_up_container_start(opts);
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error(), 125));
    if (auto have = ensure_image(*eng, opts.image, run_pull); !have) return void(*exit_code = report(have.error(), 125));
    if (detach) {
      auto rec = eng->run_detached(opts);
      if (!rec) return void(*exit_code = report(rec.error(), exit_code_for(rec.error())));
      std::puts(rec->id.c_str());
      return;
    }
    auto status = eng->run(opts);
    if (!status) return void(*exit_code = report(status.error(), exit_code_for(status.error())));
    *exit_code = status->code;
  });

  auto* create = app.add_subcommand("create", "Create a new container");
  create->set_help_flag("--help", "Print this help message and exit");
  static engine::RunOptions create_opts;
  static bool unused_detach = false;
  static std::string create_entrypoint = "\x01unset";
  static std::string create_pull = "missing";
  add_run_flags(create, create_opts, unused_detach, create_entrypoint);
  create->add_option("--pull", create_pull, "Pull image before creating (always, missing, never)");
  create->callback([&g, exit_code] {
    if (!take_image_and_command("create", create_opts, create_entrypoint)) return void(*exit_code = 125);
    take_networks(create_opts);
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error(), 125));
    if (auto have = ensure_image(*eng, create_opts.image, create_pull); !have)
      return void(*exit_code = report(have.error(), 125));
    auto made = eng->create(create_opts);
    if (!made) return void(*exit_code = report(made.error(), 125));
    std::puts(made->rec.id.c_str());
  });
}

}  // namespace berth::cli
