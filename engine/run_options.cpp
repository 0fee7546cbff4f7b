#include "engine/run_options.h"

#include "base/strings.h"

namespace berth::engine {

Json RunOptions::to_json() const {
  Json j = {{"Image", image},           {"Cmd", command},          {"Env", env},
            {"EnvFiles", env_files},    {"WorkingDir", workdir},   {"User", user},
            {"Hostname", hostname},     {"Name", name},            {"AutoRemove", remove},
            {"Tty", tty},               {"OpenStdin", interactive}, {"Init", init},
            {"NetworkMode", network},   {"CapAdd", cap_add},       {"CapDrop", cap_drop},
            {"SecurityOpt", security_opt}, {"Privileged", privileged},
            {"ReadonlyRootfs", read_only}, {"Memory", memory},     {"MemorySwap", memory_swap},
            {"Cpus", cpus},             {"CpusetCpus", cpuset_cpus}, {"CpuShares", cpu_shares},
            {"Ulimits", ulimits},       {"Binds", volumes},        {"Tmpfs", tmpfs},
            {"UidMap", uidmap},         {"GidMap", gidmap},        {"Sysctls", sysctls},
            {"RestartPolicy", restart}, {"LogOpts", log_opts}};
  if (entrypoint) j["Entrypoint"] = *entrypoint;
  if (pids_limit) j["PidsLimit"] = *pids_limit;
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
    return o;
  } catch (const Json::exception& e) {
    return fail(std::string("invalid run options in container record (") + e.what() + ")");
  }
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

}  // namespace berth::engine
