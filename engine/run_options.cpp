#include "engine/run_options.h"

#include "base/strings.h"

namespace berth::engine {

Json RunOptions::to_json() const {
  Json j = {{"Image", image},           {"Cmd", command},          {"Env", env},
            {"EnvFiles", env_files},    {"WorkingDir", workdir},   {"User", user},
            {"Hostname", hostname},     {"Name", name},            {"AutoRemove", remove},
            {"Tty", tty},               {"OpenStdin", interactive}, {"Init", init},
            {"NetworkMode", network}, {"IPAddress", ip}, {"ExtraHosts", add_hosts},
            {"Aliases", network_aliases}, {"ExtraNetworks", extra_networks}, {"PortBindings", publish}, {"PublishAllPorts", publish_all}, {"UserlandProxy", userland_proxy},
            {"ExposedPorts", expose},
            {"Dns", dns}, {"DnsSearch", dns_search}, {"DnsOptions", dns_options},   {"CapAdd", cap_add},       {"CapDrop", cap_drop},
            {"SecurityOpt", security_opt}, {"Privileged", privileged},
            {"ReadonlyRootfs", read_only}, {"Memory", memory},     {"MemorySwap", memory_swap},
            {"Cpus", cpus},             {"CpusetCpus", cpuset_cpus}, {"CpuShares", cpu_shares},
            {"Ulimits", ulimits},       {"Binds", volumes},        {"Tmpfs", tmpfs},
            {"UidMap", uidmap},         {"GidMap", gidmap},        {"Sysctls", sysctls},
            {"RestartPolicy", restart}, {"LogOpts", log_opts},
            {"HealthInterval", health_interval}, {"HealthTimeout", health_timeout},
            {"HealthStartPeriod", health_start_period}, {"NoHealthcheck", no_healthcheck}};
  if (entrypoint) j["Entrypoint"] = *entrypoint;
  if (health_cmd) j["HealthCmd"] = *health_cmd;
  if (health_retries) j["HealthRetries"] = *health_retries;
  if (pids_limit) j["PidsLimit"] = *pids_limit;
  if (!health_test.empty()) j["HealthTest"] = health_test;
  if (!labels.empty()) j["Labels"] = labels;
  if (!stop_signal.empty()) j["StopSignal"] = stop_signal;
  if (stop_timeout) j["StopTimeout"] = *stop_timeout;
  if (!shm_size.empty()) j["ShmSize"] = shm_size;
  if (!domainname.empty()) j["Domainname"] = domainname;
  return j;
}

Result<RunOptions> RunOptions::from_json(const Json& j) {
  try {
    RunOptions o;
    using V = std::vector<std::string>;
    o.image = j.value("Image", "");
    o.command = j.value("Cmd", V{});
    if (j.contains("Entrypoint")) o.entrypoint = j["Entrypoint"].get<std::string>();
    o.env = j.value("Env", V{});
    o.env_files = j.value("EnvFiles", V{});
    o.workdir = j.value("WorkingDir", "");
    o.user = j.value("User", "");
    o.hostname = j.value("Hostname", "");
    o.name = j.value("Name", "");
    o.remove = j.value("AutoRemove", false);
    o.tty = j.value("Tty", false);
    o.interactive = j.value("OpenStdin", false);
    o.init = j.value("Init", false);
    o.network = j.value("NetworkMode", "none");
    o.ip = j.value("IPAddress", "");
    o.network_aliases = j.value("Aliases", V{});
    o.extra_networks = j.value("ExtraNetworks", V{});
    o.publish = j.value("PortBindings", V{});
    o.publish_all = j.value("PublishAllPorts", false);
    o.userland_proxy = j.value("UserlandProxy", false);
    o.expose = j.value("ExposedPorts", V{});
    o.add_hosts = j.value("ExtraHosts", V{});
    o.dns = j.value("Dns", V{});
    o.dns_search = j.value("DnsSearch", V{});
    o.dns_options = j.value("DnsOptions", V{});
    o.cap_add = j.value("CapAdd", V{});
    o.cap_drop = j.value("CapDrop", V{});
    o.security_opt = j.value("SecurityOpt", V{});
    o.privileged = j.value("Privileged", false);
    o.read_only = j.value("ReadonlyRootfs", false);
    o.memory = j.value("Memory", "");
    o.memory_swap = j.value("MemorySwap", "");
    o.cpus = j.value("Cpus", "");
    o.cpuset_cpus = j.value("CpusetCpus", "");
    o.cpu_shares = j.value("CpuShares", int64_t{0});
    if (j.contains("PidsLimit")) o.pids_limit = j["PidsLimit"].get<int64_t>();
    o.ulimits = j.value("Ulimits", V{});
    o.volumes = j.value("Binds", V{});
    o.tmpfs = j.value("Tmpfs", V{});
    o.uidmap = j.value("UidMap", V{});
    o.gidmap = j.value("GidMap", V{});
    o.sysctls = j.value("Sysctls", V{});
    o.restart = j.value("RestartPolicy", "no");
    o.log_opts = j.value("LogOpts", V{});
    if (j.contains("HealthCmd")) o.health_cmd = j["HealthCmd"].get<std::string>();
    o.health_interval = j.value("HealthInterval", "");
    o.health_timeout = j.value("HealthTimeout", "");
    o.health_start_period = j.value("HealthStartPeriod", "");
    if (j.contains("HealthRetries")) o.health_retries = j["HealthRetries"].get<int>();
    o.no_healthcheck = j.value("NoHealthcheck", false);
    o.health_test = j.value("HealthTest", V{});
    o.labels = j.value("Labels", V{});
    o.stop_signal = j.value("StopSignal", "");
    if (j.contains("StopTimeout")) o.stop_timeout = j["StopTimeout"].get<int>();
    o.shm_size = j.value("ShmSize", "");
    o.domainname = j.value("Domainname", "");
    return o;
  } catch (const Json::exception& e) {
    return fail(std::string("invalid run options in container record (") + e.what() + ")");
  }
}

std::map<std::string, std::string> RunOptions::label_map() const {
  std::map<std::string, std::string> m;
  for (const auto& l : labels) {
    auto eq = l.find('=');
    m[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return m;
}

std::map<std::string, std::string> RunOptions::labels_from_json(const Json& options) {
  RunOptions o;
  if (options.is_object() && options.contains("Labels") && options["Labels"].is_array())
    for (const auto& l : options["Labels"])
      if (l.is_string()) o.labels.push_back(l.get<std::string>());
  return o.label_map();
}

Result<RestartPolicy> parse_restart_policy(const std::string& text) {
  RestartPolicy p;
  std::string name = text.substr(0, text.find(':'));
  bool has_count = text.find(':') != std::string::npos;
  if (name.empty() || name == "no" || name == "always" || name == "unless-stopped") {
    if (has_count) return fail("maximum retry count cannot be used with restart policy '" + name + "'");
    p.name = name.empty() ? "no" : name;
    return p;
  }
  if (name != "on-failure") return fail("invalid restart policy '" + text + "'");
  p.name = name;
  if (has_count) {
    auto n = parse_int(text.substr(text.find(':') + 1));
    if (!n || *n < 0) return fail("maximum retry count must be a positive integer", text);
    p.max_retries = static_cast<int>(*n);
  }
  return p;
}

Json Healthcheck::to_json() const {
  return {{"Test", test}, {"Interval", interval_ns}, {"Timeout", timeout_ns},
          {"StartPeriod", start_period_ns}, {"Retries", retries}};
}

Healthcheck Healthcheck::from_json(const Json& j) {
  Healthcheck h;
  if (!j.is_object()) return h;
  h.test = j.value("Test", std::vector<std::string>{});
  h.interval_ns = j.value("Interval", h.interval_ns);
  h.timeout_ns = j.value("Timeout", h.timeout_ns);
  h.start_period_ns = j.value("StartPeriod", h.start_period_ns);
  h.retries = j.value("Retries", h.retries);
  return h;
}

std::vector<std::string> Healthcheck::command() const {
  if (test.size() >= 2 && test[0] == "CMD-SHELL") return {"/bin/sh", "-c", test[1]};
  if (test.size() >= 2 && test[0] == "CMD") return {test.begin() + 1, test.end()};
  return {};
}

namespace {
// A --health-* duration: Go's syntax, positive; "" keeps `fallback`.
Result<int64_t> health_duration(const std::string& flag, const std::string& text, int64_t fallback) {
  if (text.empty()) return fallback;
  auto ns = parse_duration_ns(text);
  if (!ns || *ns < 0) return fail("invalid " + flag + " (want a duration like 30s or 1m30s)", text);
  return *ns;
}
}  // namespace

Result<Healthcheck> effective_healthcheck(const RunOptions& o, const ImageHealthcheck& image) {
  Healthcheck h;
  if (o.no_healthcheck || (!o.health_test.empty() && o.health_test[0] == "NONE")) {
    if (o.health_cmd) return fail("--no-healthcheck conflicts with --health-* options");
    return h;
  }
  if (o.health_cmd && !o.health_test.empty()) return fail("--health-cmd conflicts with a healthcheck test");
  if (!o.health_test.empty())
    h.test = o.health_test;
  else if (o.health_cmd)
    h.test = {"CMD-SHELL", *o.health_cmd};
  else if (!image.test.empty() && image.test[0] != "NONE")
    h.test = image.test;
  if (image.interval_ns > 0) h.interval_ns = image.interval_ns;
  if (image.timeout_ns > 0) h.timeout_ns = image.timeout_ns;
  if (image.start_period_ns > 0) h.start_period_ns = image.start_period_ns;
  if (image.retries > 0) h.retries = image.retries;
  ASSIGN_OR_RETURN(h.interval_ns, health_duration("--health-interval", o.health_interval, h.interval_ns));
  ASSIGN_OR_RETURN(h.timeout_ns, health_duration("--health-timeout", o.health_timeout, h.timeout_ns));
  ASSIGN_OR_RETURN(h.start_period_ns,
                   health_duration("--health-start-period", o.health_start_period, h.start_period_ns));
  if (o.health_retries) {
    if (*o.health_retries < 0) return fail("--health-retries cannot be negative");
    h.retries = *o.health_retries;
  }
  if (h.interval_ns != 0 && h.interval_ns < 1'000'000) return fail("--health-interval must be at least 1ms");
  if (!h.test.empty() && h.command().empty()) return fail("invalid healthcheck test (want CMD, CMD-SHELL or NONE)", h.test[0]);
  return h;
}

Result<NetworkRequest> parse_network_request(const std::string& text) {
  NetworkRequest r;
  if (text.find('=') == std::string::npos) {
    r.name = text;
  } else {
    for (const auto& part : split(text, ',')) {
      auto eq = part.find('=');
      std::string key = part.substr(0, eq), value = eq == std::string::npos ? "" : part.substr(eq + 1);
      if (key == "name") r.name = value;
      else if (key == "alias") r.aliases.push_back(value);
      else if (key == "ip") r.ip = value;
      else return fail("invalid --network option \"" + key + "\" (name, alias, ip)", text);
      if (value.empty()) return fail("empty value for \"" + key + "\" in --network", text);
    }
  }
  if (r.name.empty()) return fail("--network without a network name", text);
  return r;
}

bool is_bridge_network(const std::string& mode) {
  return mode != "none" && mode != "host" && mode.rfind("container:", 0) != 0;
}

std::string NetworkRequest::to_string() const {
  if (ip.empty() && aliases.empty()) return name;
  std::string out = "name=" + name;
  for (const auto& a : aliases) out += ",alias=" + a;
  if (!ip.empty()) out += ",ip=" + ip;
  return out;
}

}  // namespace berth::engine
