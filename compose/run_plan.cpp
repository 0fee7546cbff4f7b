#include "compose/run_plan.h"

#include <cmath>
#include <set>

#include "base/fs.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "compose/config_output.h"
#include "compose/config_service.h"
#include "compose/values.h"

namespace berth::compose {

namespace {

constexpr const char kComposeVersion[] = "2.0.0-berth";

std::string bool_label(bool b) { return b ? "True" : "False"; }

// "8080:80/tcp", "127.0.0.1::80/udp", "[::1]:8080:80/tcp": docker's -p for a long-form port.
std::string publish_spec(const PortMapping& p) {
  std::string host_ip = p.host_ip;
  if (host_ip.find(':') != std::string::npos) host_ip = "[" + host_ip + "]";
  std::string target = std::to_string(p.target) + "/" + p.protocol;
  if (host_ip.empty()) return p.published.empty() ? target : p.published + ":" + target;
  return host_ip + ":" + p.published + ":" + target;
}

// One volumes: entry as docker's -v / --tmpfs.
Result<> add_volume(const Project& project, const Service& service, const VolumeMount& v, engine::RunOptions& o,
                    std::vector<std::string>& warnings) {
  std::string mode = v.read_only ? "ro" : "rw";
  if (v.type == "tmpfs") {
    std::vector<std::string> opts;
    if (v.tmpfs && v.tmpfs->size) opts.push_back("size=" + std::to_string(*v.tmpfs->size));
    if (v.tmpfs && v.tmpfs->mode) {
      char octal[16];
      std::snprintf(octal, sizeof octal, "%o", *v.tmpfs->mode);
      opts.push_back(std::string("mode=") + octal);
    }
    if (v.read_only) opts.push_back("ro");
    o.tmpfs.push_back(opts.empty() ? v.target : v.target + ":" + join(opts, ","));
    return {};
  }
  if (v.type == "bind") {
    if (v.bind && v.bind->create_host_path == false && !path_exists(v.source))
      return fail("services." + service.name + ".volumes: bind source path does not exist", v.source);
    if (v.bind && !v.bind->propagation.empty() && v.bind->propagation != "rprivate")
      warnings.push_back("services." + service.name + ".volumes: bind propagation \"" + v.bind->propagation +
                         "\" is not supported yet; the mount is rprivate");
    o.volumes.push_back(v.source + ":" + v.target + ":" + mode);
    return {};
  }
  if (v.type == "volume") {
    if (v.volume && !v.volume->subpath.empty())
      return fail("services." + service.name + ".volumes: volume subpath is not supported yet", v.target);
    std::string opts = mode + (v.volume && v.volume->nocopy ? ",nocopy" : "");
    if (v.source.empty()) {  // anonymous: a fresh volume for this container
      o.volumes.push_back(v.target + (v.read_only ? ":ro" : ""));
      return {};
    }
    auto it = project.volumes.find(v.source);
    std::string name = it != project.volumes.end() ? it->second.name : v.source;
    o.volumes.push_back(name + ":" + v.target + ":" + opts);
    return {};
  }
  return fail("services." + service.name + ".volumes: volume type \"" + v.type + "\" is not supported yet",
              v.target);
}

// A secret or config: a read-only bind of its file, or of a file written from its content.
Result<> add_file_object(const Project& project, const std::string& kind, const FileObject& obj,
                         const FileReference& ref, const std::string& target, const std::string& dir,
                         ServiceRun& run) {
  if (obj.external)
    return fail(kind + " \"" + ref.source + "\" is external: external " + kind + "s need a swarm, not supported");
  std::string source = obj.file;
  if (source.empty()) {
    std::string content = obj.content;
    if (!obj.environment.empty()) {
      // Interpolation's view of the environment (the process's over .env), as docker compose.
      auto env = project.environment.find(obj.environment);
      if (env == project.environment.end())
        return fail(kind + " \"" + ref.source + "\": environment variable " + obj.environment + " is not set");
      content = env->second;
    }
    source = path_join(path_join(dir, kind + "s"), ref.source);
    run.files.emplace_back(source, content);
  } else if (!path_exists(source)) {
    return fail(kind + " \"" + ref.source + "\": file not found", source);
  }
  if (!ref.uid.empty() || !ref.gid.empty() || ref.mode)
    run.warnings.push_back(kind + " \"" + ref.source + "\": uid, gid and mode are ignored for a file " + kind +
                           " (a bind mount keeps the file's own)");
  run.options.volumes.push_back(source + ":" + target + ":ro");
  return {};
}

Result<> add_networks(const Project& project, const Service& service, int number, bool oneoff,
                      engine::RunOptions& o) {
  const std::string& mode = service.network_mode;
  if (mode == "host" || mode == "none") {
    o.network = mode;
    return {};
  }
  if (mode == "bridge") {  // docker's default bridge: berth's default network
    o.network = "berth";
    return {};
  }
  if (mode.rfind("service:", 0) == 0) {
    auto it = project.services.find(mode.substr(8));
    if (it == project.services.end())
      return fail("services." + service.name + ".network_mode: service \"" + mode.substr(8) + "\" not found");
    o.network = "container:" + container_name(project, it->second, 1);
    return {};
  }
  if (mode.rfind("container:", 0) == 0) {
    o.network = mode;
    return {};
  }
  if (!mode.empty()) return fail("services." + service.name + ".network_mode: unsupported value", mode);
  if (service.networks.empty()) {
    o.network = "none";
    return {};
  }
  bool first = true;
  for (const auto& [key, attachment] : service.networks) {
    auto net = project.networks.find(key);
    if (net == project.networks.end())
      return fail("services." + service.name + ".networks: network \"" + key + "\" not declared");
    engine::NetworkRequest req;
    req.name = net->second.name;
    // docker compose: the service name on every network (not for `compose run`'s one-off
    // containers, which other services must not reach by the service's name).
    if (!oneoff) req.aliases.push_back(service.name);
    if (attachment) {
      req.aliases.insert(req.aliases.end(), attachment->aliases.begin(), attachment->aliases.end());
      req.ip = attachment->ipv4_address;
      if (!req.ip.empty() && service.replicas() > 1 && number > 1)
        return fail("services." + service.name + ".networks." + key +
                    ".ipv4_address: a fixed address cannot be shared by several replicas");
    }
    if (first) {
      o.network = req.name;
      o.network_aliases = req.aliases;
      o.ip = req.ip;
      first = false;
    } else {
      o.extra_networks.push_back(req.to_string());
    }
  }
  return {};
}

std::string cpus_text(double cpus) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", cpus);
  return buf;
}

// ipam.config: each entry's subnet and gateway go to the fields of their family, so an IPv6
// entry's gateway becomes the IPv6 gateway, not the IPv4 one.
Result<> add_ipam_config(engine::NetworkRecord& wanted, const Network& n, const std::string& path) {
  for (size_t i = 0; i < n.ipam_config.size(); i++) {
    const IpamPool& pool = n.ipam_config[i];
    std::string at = index_path(path, i);
    if (!pool.subnet.empty()) TRY_CTX(engine::add_subnet(wanted, pool.subnet), key_path(at, "subnet"));
    if (!pool.gateway.empty()) TRY_CTX(engine::add_gateway(wanted, pool.gateway), key_path(at, "gateway"));
  }
  return {};
}

// driver_opts (engine::add_driver_option).
Result<> add_driver_opts(engine::NetworkRecord& wanted, const Network& n, const std::string& path) {
  for (const auto& [k, v] : n.driver_opts) TRY_CTX(engine::add_driver_option(wanted, k, v), path);
  return {};
}

}  // namespace

std::string service_image(const Project& project, const Service& service) {
  return service.image.empty() ? project.name + "-" + service.name : service.image;
}

std::string container_name(const Project& project, const Service& service, int number) {
  if (!service.container_name.empty()) return service.container_name;
  return project.name + "-" + service.name + "-" + std::to_string(number);
}

std::string config_hash(const Service& service) {
  // What docker compose leaves out of its hash too: how the image is made or fetched,
  // scale, the startup order and profiles (none changes what a container is).
  OJson j = service_json(service);
  for (const char* key : {"scale", "build", "pull_policy", "depends_on", "profiles"}) j.erase(key);
  if (j.contains("deploy") && j["deploy"].is_object()) {
    j["deploy"].erase("replicas");
    if (j["deploy"].empty()) j.erase("deploy");
  }
  return sha256_hex(j.dump());
}

std::string project_state_dir(const std::string& state_storage, const std::string& project) {
  return path_join(path_join(state_storage, "compose"), project);
}

Result<ServiceRun> service_run_options(const Project& project, const Service& s, int number,
                                       const RunContext& ctx) {
  ServiceRun run;
  engine::RunOptions& o = run.options;
  auto warn = [&](const std::string& key, const std::string& what) {
    run.warnings.push_back("services." + s.name + "." + key + ": " + what);
  };
  if (s.image.empty() && !s.build) return fail("services." + s.name + ": neither an image nor a build context is given");
  o.image = service_image(project, s);
  o.name = container_name(project, s, number);
  if (s.command) o.command = *s.command;
  if (s.entrypoint) {
    // docker's --entrypoint takes one word; the rest of a compose entrypoint goes before
    // the command (an entrypoint drops the image's CMD, as docker does).
    const auto& ep = *s.entrypoint;
    o.entrypoint = ep.empty() ? "" : ep[0];
    if (ep.size() > 1) o.command.insert(o.command.begin(), ep.begin() + 1, ep.end());
  }
  for (const auto& [key, value] : s.environment)
    if (value) o.env.push_back(key + "=" + *value);
  o.workdir = s.working_dir;
  o.user = s.user;
  o.hostname = s.hostname;
  o.domainname = s.domainname;
  o.init = s.init.value_or(false);
  o.tty = s.tty;
  o.interactive = s.stdin_open;
  o.privileged = s.privileged;
  o.read_only = s.read_only;
  o.cap_add = s.cap_add;
  o.cap_drop = s.cap_drop;
  o.security_opt = s.security_opt;
  o.restart = s.restart.empty() ? "no" : s.restart;
  o.stop_signal = s.stop_signal;
  if (s.stop_grace_period_ns)
    o.stop_timeout = static_cast<int>((*s.stop_grace_period_ns + 999'999'999) / 1'000'000'000);
  o.dns = s.dns;
  o.dns_search = s.dns_search;
  o.dns_options = s.dns_opt;
  for (const auto& [host, address] : s.extra_hosts) o.add_hosts.push_back(host + ":" + address);
  for (const auto& [key, value] : s.sysctls) o.sysctls.push_back(key + "=" + value);
  for (const auto& [name, u] : s.ulimits)
    o.ulimits.push_back(name + "=" + std::to_string(u.soft) + ":" + std::to_string(u.hard));
  o.tmpfs = s.tmpfs;
  if (s.shm_size) o.shm_size = std::to_string(*s.shm_size);

  // Resources: deploy.resources.limits wins over the older top-level keys, as in compose.
  std::optional<double> cpus = s.cpus;
  std::optional<int64_t> memory = s.mem_limit, pids = s.pids_limit;
  if (s.deploy && s.deploy->limits) {
    if (s.deploy->limits->cpus) cpus = s.deploy->limits->cpus;
    if (s.deploy->limits->memory) memory = s.deploy->limits->memory;
    if (s.deploy->limits->pids) pids = s.deploy->limits->pids;
  }
  if (cpus) o.cpus = cpus_text(*cpus);
  if (memory) o.memory = std::to_string(*memory);
  if (s.memswap_limit) o.memory_swap = std::to_string(*s.memswap_limit);
  if (s.cpu_shares) o.cpu_shares = *s.cpu_shares;
  o.pids_limit = pids;

  if (s.healthcheck) {
    const Healthcheck& h = *s.healthcheck;
    if (h.disable) {
      o.no_healthcheck = true;
    } else {
      o.health_test = h.test;
      if (h.interval_ns) o.health_interval = format_go_duration(*h.interval_ns);
      if (h.timeout_ns) o.health_timeout = format_go_duration(*h.timeout_ns);
      if (h.start_period_ns) o.health_start_period = format_go_duration(*h.start_period_ns);
      if (h.retries) o.health_retries = static_cast<int>(*h.retries);
      if (h.start_interval_ns) warn("healthcheck.start_interval", "not supported yet, ignored");
    }
  }
  if (s.logging) {
    if (!s.logging->driver.empty() && s.logging->driver != "json-file" && s.logging->driver != "local")
      return fail("services." + s.name + ".logging.driver: only json-file logs are supported", s.logging->driver);
    for (const auto& [key, value] : s.logging->options) {
      if (key != "max-size" && key != "max-file") {
        warn("logging.options." + key, "not supported, ignored");
        continue;
      }
      o.log_opts.push_back(key + "=" + value);
    }
  }

  // Networks and ports. Host mode: docker ignores published ports with a warning.
  TRY(add_networks(project, s, number, ctx.oneoff, o));
  if (o.network == "host") {
    // Services sharing the host's network reach each other on localhost; berth also lets
    // them use each other's names (docker cannot): /etc/hosts entries at 127.0.0.1.
    for (const auto& [name, other] : project.services)
      if (other.network_mode == "host") {
        o.add_hosts.push_back(name + ":127.0.0.1");
        if (!other.container_name.empty()) o.add_hosts.push_back(other.container_name + ":127.0.0.1");
      }
  }
  if (!s.ports.empty() && o.network == "host") {
    warn("ports", "published ports are discarded when using host network mode");
  } else {
    for (const auto& p : s.ports) o.publish.push_back(publish_spec(p));
  }
  o.expose = s.expose;

  for (const auto& v : s.volumes) TRY(add_volume(project, s, v, o, run.warnings));
  std::string dir = project_state_dir(ctx.state_storage, project.name);
  for (const auto& ref : s.secrets) {
    auto it = project.secrets.find(ref.source);
    if (it == project.secrets.end()) return fail("services." + s.name + ".secrets: secret \"" + ref.source + "\" not declared");
    TRY(add_file_object(project, "secret", it->second, ref, secret_mount_path(ref), dir, run));
  }
  for (const auto& ref : s.configs) {
    auto it = project.configs.find(ref.source);
    if (it == project.configs.end()) return fail("services." + s.name + ".configs: config \"" + ref.source + "\" not declared");
    TRY(add_file_object(project, "config", it->second, ref, config_mount_path(ref), dir, run));
  }

  // Labels: the user's, then compose's own (which the user cannot override).
  for (const auto& [key, value] : s.labels) o.labels.push_back(key + "=" + value);
  std::vector<std::string> deps;
  for (const auto& [name, d] : s.depends_on)
    deps.push_back(name + ":" + d.condition + ":" + (d.restart ? "true" : "false"));
  std::vector<std::pair<std::string, std::string>> compose_labels = {
      {kLabelProject, project.name},
      {kLabelService, s.name},
      {kLabelNumber, std::to_string(number)},
      {kLabelOneoff, bool_label(ctx.oneoff)},
      {kLabelConfigHash, config_hash(s)},
      {kLabelWorkingDir, project.working_dir},
      {kLabelConfigFiles, join(project.config_files, ",")},
      {kLabelDependsOn, join(deps, ",")},
      {kLabelImage, ctx.image_id},
      {kLabelVersion, kComposeVersion},
  };
  for (const auto& [key, value] : compose_labels) {
    std::erase_if(o.labels, [&](const std::string& l) { return l.substr(0, l.find('=')) == key; });
    o.labels.push_back(std::string(key) + "=" + value);
  }
  return run;
}

Result<std::vector<std::vector<std::string>>> dependency_waves(const Project& project,
                                                               const std::vector<std::string>& services,
                                                               bool no_deps) {
  // The services wanted: those named (all when none), plus what they depend on.
  std::set<std::string> wanted;
  std::vector<std::string> todo = services;
  if (todo.empty())
    for (const auto& [name, s] : project.services) todo.push_back(name);
  auto deps_of = [&](const Service& s) {
    std::vector<std::string> deps;
    for (const auto& [name, d] : s.depends_on)
      if (project.services.count(name)) deps.push_back(name);
    if (s.network_mode.rfind("service:", 0) == 0 && project.services.count(s.network_mode.substr(8)))
      deps.push_back(s.network_mode.substr(8));
    return deps;
  };
  while (!todo.empty()) {
    std::string name = todo.back();
    todo.pop_back();
    auto it = project.services.find(name);
    if (it == project.services.end()) return fail("no such service: " + name);
    if (!wanted.insert(name).second || no_deps) continue;
    for (const auto& d : deps_of(it->second)) todo.push_back(d);
  }
  // Kahn's algorithm, a wave at a time, names sorted within a wave.
  std::vector<std::vector<std::string>> waves;
  std::set<std::string> placed;
  while (placed.size() < wanted.size()) {
    std::vector<std::string> wave;
    for (const auto& name : wanted) {
      if (placed.count(name)) continue;
      bool ready = true;
      for (const auto& d : deps_of(project.services.at(name)))
        if (wanted.count(d) && !placed.count(d)) ready = false;
      if (ready) wave.push_back(name);
    }
    if (wave.empty()) return fail("dependency cycle among services: " + [&] {
      std::vector<std::string> left;
      for (const auto& n : wanted)
        if (!placed.count(n)) left.push_back(n);
      return join(left, ", ");
    }());
    placed.insert(wave.begin(), wave.end());
    waves.push_back(std::move(wave));
  }
  return waves;
}

Result<engine::NetworkRecord> network_to_create(const Project& project, const std::string& key) {
  auto found = project.networks.find(key);
  if (found == project.networks.end()) return fail("no network " + key + " in the project");
  const Network& n = found->second;
  std::string path = key_path("networks", key);
  if (!n.driver.empty() && n.driver != "bridge")
    return fail(key_path(path, "driver") + ": only bridge networks are supported", n.driver);
  engine::NetworkRecord wanted;
  wanted.name = n.name;
  wanted.internal = n.internal;
  wanted.ipv6 = n.enable_ipv6.value_or(false);
  TRY(add_ipam_config(wanted, n, key_path(path, "ipam.config")));
  TRY(add_driver_opts(wanted, n, key_path(path, "driver_opts")));
  wanted.labels = n.labels;
  wanted.labels[kLabelProject] = project.name;
  wanted.labels[kLabelNetwork] = key;
  return wanted;
}

}  // namespace berth::compose
