#include "engine/spec_builder.h"

#include <algorithm>
#include <cmath>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/volume_store.h"
#include "runtime/capabilities.h"
#include "runtime/cgroup.h"
#include "runtime/seccomp.h"
#include "runtime/uid_map.h"

namespace berth::engine {

namespace {

using runtime::Mount;

std::vector<Mount> default_mounts(bool mount_cgroup2, bool privileged) {
  std::vector<Mount> m = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", privileged ? "rw" : "ro"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
  };
  if (mount_cgroup2)
    m.push_back({"/sys/fs/cgroup", "cgroup2", "cgroup",
                 {"nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"}});
  return m;
}

// Docker's lists (moby's oci/defaults): files that leak host details or let a container
// poke the kernel, hidden or made read-only unless --privileged.
const std::vector<std::string> kMaskedPaths = {
    "/proc/asound",        "/proc/acpi",        "/proc/kcore",      "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",     "/sys/devices/virtual/powercap"};
const std::vector<std::string> kReadonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq",
                                                  "/proc/sys", "/proc/sysrq-trigger"};

Json device_rules(bool privileged) {
  if (privileged) return Json::array({{{"allow", true}, {"access", "rwm"}}});
  Json rules = Json::array({{{"allow", false}, {"access", "rwm"}}});
  // mknod of any node is allowed (a node alone opens nothing); these may be opened.
  rules.push_back({{"allow", true}, {"type", "c"}, {"access", "m"}});
  rules.push_back({{"allow", true}, {"type", "b"}, {"access", "m"}});
  const int64_t allowed[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9},
                                {5, 0}, {5, 1}, {5, 2}, {136, -1}, {10, 200}};
  for (const auto& d : allowed) {
    Json r = {{"allow", true}, {"type", "c"}, {"major", d[0]}, {"access", "rwm"}};
    if (d[1] >= 0) r["minor"] = d[1];
    rules.push_back(r);
  }
  return rules;
}

Result<runtime::Spec> apply_security(runtime::Spec& spec, const RunOptions& o) {
  ASSIGN_OR_RETURN(auto caps, runtime::compute_capabilities(o.cap_add, o.cap_drop, o.privileged));
  spec.process.capabilities = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  bool seccomp = !o.privileged;
  for (const auto& opt : o.security_opt) {
    if (opt == "no-new-privileges" || opt == "no-new-privileges:true" ||
        opt == "no-new-privileges=true") {
      spec.process.no_new_privileges = true;
    } else if (opt == "seccomp=unconfined" || opt == "seccomp:unconfined") {
      seccomp = false;
    } else if (starts_with(opt, "seccomp=") || starts_with(opt, "seccomp:")) {
      std::string file = opt.substr(8);
      ASSIGN_OR_RETURN_CTX(std::string text, read_file(file), "--security-opt seccomp");
      ASSIGN_OR_RETURN(spec.seccomp, runtime::seccomp_from_docker_profile(text, caps, file));
      seccomp = false;
    } else if (starts_with(opt, "label") || starts_with(opt, "apparmor")) {
      continue;  // no SELinux/AppArmor in berth: accepted and ignored, as docker on such hosts
    } else {
      return fail("invalid --security-opt", opt);
    }
  }
  if (seccomp) spec.seccomp = runtime::default_seccomp_profile(caps);
  if (!o.privileged) {
    spec.masked_paths = kMaskedPaths;
    spec.readonly_paths = kReadonlyPaths;
  }
  return spec;
}

Result<> add_user_mounts(runtime::Spec& spec, const RunOptions& o,
                         const std::map<std::string, std::string>& volume_dirs) {
  std::vector<std::string> destinations;
  for (const auto& v : o.volumes) {
    ASSIGN_OR_RETURN(Mount m, parse_volume(v, volume_dirs));
    if (std::find(destinations.begin(), destinations.end(), m.destination) != destinations.end())
      return fail("Duplicate mount point", m.destination);
    destinations.push_back(m.destination);
    spec.mounts.push_back(m);
  }
  for (const auto& t : o.tmpfs) {
    ASSIGN_OR_RETURN(Mount m, parse_tmpfs(t));
    spec.mounts.push_back(m);
  }
  return {};
}

Result<> add_namespaces(runtime::Spec& spec, const RunOptions& o, const std::string& netns_path) {
  spec.namespaces = {{"pid", ""}, {"mount", ""}, {"ipc", ""}, {"uts", ""}, {"cgroup", ""}};
  if (o.network == "none")
    spec.namespaces.push_back({"network", ""});
  else if (o.network != "host")  // a bridge network's (netns/), or another container's
    spec.namespaces.push_back({"network", netns_path});
  for (const auto& m : o.uidmap) {
    ASSIGN_OR_RETURN(auto map, runtime::parse_id_mapping(m));
    spec.uid_mappings.push_back(map);
  }
  for (const auto& m : o.gidmap) {
    ASSIGN_OR_RETURN(auto map, runtime::parse_id_mapping(m));
    spec.gid_mappings.push_back(map);
  }
  if (spec.uid_mappings.empty() != spec.gid_mappings.empty())
    return fail("--uidmap and --gidmap must be given together");
  if (!spec.uid_mappings.empty()) spec.namespaces.push_back({"user", ""});
  return {};
}

}  // namespace

Result<std::vector<std::string>> container_command(const RunOptions& o, const oci::ImageConfig& img) {
  // Docker's rule: ENTRYPOINT + CMD, where run's arguments replace CMD, and --entrypoint
  // replaces ENTRYPOINT *and* drops the image's CMD.
  std::vector<std::string> args;
  if (o.entrypoint) {
    if (!o.entrypoint->empty()) args.push_back(*o.entrypoint);
  } else {
    args = img.entrypoint;
  }
  if (!o.command.empty())
    args.insert(args.end(), o.command.begin(), o.command.end());
  else if (!o.entrypoint)
    args.insert(args.end(), img.cmd.begin(), img.cmd.end());
  if (args.empty()) return fail("no command specified");
  return args;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('='));
  for (auto& e : env)
    if (e.substr(0, e.find('=')) == key) return void(e = kv);
  env.push_back(kv);
}

Result<std::vector<std::string>> container_env(const SpecInputs& in) {
  std::vector<std::string> env;
  auto set = [&env](const std::string& kv) { set_env(env, kv); };
  set("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  set("HOSTNAME=" + (in.options->hostname.empty() ? in.id.substr(0, 12) : in.options->hostname));
  for (const auto& e : in.image->env) set(e);
  if (in.options->tty) set("TERM=xterm");
  auto add_user_var = [&](const std::string& kv, const std::string& where) -> Result<> {
    if (kv.empty() || kv[0] == '=') return fail("invalid environment variable (" + where + ")", kv);
    if (kv.find('=') != std::string::npos) return set(kv), Result<>{};
    for (const auto& h : in.host_env)  // `-e NAME`: take it from our environment, if set
      if (starts_with(h, kv + "=")) set(h);
    return {};
  };
  for (const auto& file : in.options->env_files) {
    ASSIGN_OR_RETURN_CTX(std::string text, read_file(file), "--env-file");
    int n = 0;
    for (const auto& line : split(text, '\n')) {
      n++;
      std::string l = trim(line);
      if (l.empty() || l[0] == '#') continue;
      TRY(add_user_var(l, file + ":" + std::to_string(n)));
    }
  }
  for (const auto& e : in.options->env) TRY(add_user_var(e, "-e"));
  bool has_home = false;
  for (const auto& e : env) has_home |= starts_with(e, "HOME=");
  if (!has_home) env.push_back("HOME=" + in.user.home);
  return env;
}

Result<Json> resources_json(const RunOptions& o) {
  Json r = Json::object();
  int64_t memory = 0;
  if (!o.memory.empty()) {
    auto m = parse_bytes(o.memory);
    if (!m) return fail("invalid --memory value", o.memory);
    if (*m < kMinimumMemory) return fail("minimum memory limit allowed is 6MB", o.memory);
    memory = *m;
    r["memory"]["limit"] = memory;
  }
  if (!o.memory_swap.empty()) {
    int64_t swap = -1;
    if (o.memory_swap != "-1") {
      auto s = parse_bytes(o.memory_swap);
      if (!s) return fail("invalid --memory-swap value", o.memory_swap);
      swap = *s;
    }
    if (memory == 0) return fail("--memory-swap requires --memory");
    if (swap != -1 && swap < memory)
      return fail("minimum memoryswap limit should be larger than memory limit", o.memory_swap);
    r["memory"]["swap"] = swap;
  }
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double cpus = std::strtod(o.cpus.c_str(), &end);
    if (!end || *end || !(cpus > 0) || cpus > 1024) return fail("invalid --cpus value", o.cpus);
    r["cpu"]["period"] = 100000;
    r["cpu"]["quota"] = static_cast<int64_t>(std::llround(cpus * 100000));
  }
  if (o.cpu_shares < 0) return fail("invalid --cpu-shares value", std::to_string(o.cpu_shares));
  if (o.cpu_shares > 0) r["cpu"]["shares"] = std::clamp<int64_t>(o.cpu_shares, 2, 262144);
  if (!o.cpuset_cpus.empty()) {
    if (o.cpuset_cpus.find_first_not_of("0123456789,-") != std::string::npos)
      return fail("invalid --cpuset-cpus value", o.cpuset_cpus);
    r["cpu"]["cpus"] = o.cpuset_cpus;
  }
  if (o.pids_limit) r["pids"]["limit"] = *o.pids_limit <= 0 ? -1 : *o.pids_limit;
  r["devices"] = device_rules(o.privileged);
  return r;
}

Result<runtime::Rlimit> parse_ulimit(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos) return fail("invalid --ulimit (want name=soft[:hard])", text);
  std::string name = text.substr(0, eq);
  auto values = split(text.substr(eq + 1), ':');
  static const char* names[] = {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
                                "nice", "nofile", "nproc", "rss", "rtprio", "rttime",
                                "sigpending", "stack", "as"};
  bool known = false;
  for (const char* n : names) known |= name == n;
  if (!known) return fail("invalid --ulimit name", name);
  auto soft = parse_int(values[0]);
  auto hard = values.size() > 1 ? parse_int(values[1]) : soft;
  if (!soft || !hard || values.size() > 2 || *soft < -1 || *hard < -1)
    return fail("invalid --ulimit value", text);
  auto as_limit = [](int64_t v) { return v < 0 ? UINT64_MAX : static_cast<uint64_t>(v); };
  if (as_limit(*soft) > as_limit(*hard))
    return fail("invalid --ulimit: soft limit is above the hard limit", text);
  std::string upper = "RLIMIT_";
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return runtime::Rlimit{upper, as_limit(*hard), as_limit(*soft)};
}

Result<VolumeArg> parse_volume_arg(const std::string& text) {
  auto parts = split(text, ':');
  VolumeArg v;
  std::string mode;
  // Docker's reading: the destination is always absolute, so "/data:ro" is DEST:MODE and
  // "/srv:/data" is SOURCE:DEST.
  if (parts.size() == 1) {
    v.destination = parts[0];
  } else if (parts.size() == 2 && !parts[1].empty() && parts[1][0] != '/') {
    v.destination = parts[0];
    mode = parts[1];
  } else if (parts.size() == 2 || parts.size() == 3) {
    v.source = parts[0];
    v.destination = parts[1];
    if (parts.size() == 3) mode = parts[2];
    if (v.source.empty()) return fail("invalid volume specification: empty source", text);
  } else {
    return fail("invalid volume specification (want [/host/path|name:]/container/path[:ro])", text);
  }
  if (v.destination.empty() || v.destination[0] != '/')
    return fail("invalid volume specification: container path must be absolute", text);
  if (v.destination == "/") return fail("invalid volume specification: destination can't be '/'", text);
  if (!v.source.empty() && v.source[0] == '.')
    return fail("invalid volume specification: a relative host path; use an absolute path", text);
  if (!v.source.empty() && !v.is_bind()) TRY(validate_volume_name(v.source));
  for (const auto& m : split(mode, ',')) {
    if (m == "ro" || m == "rw" || m == "z" || m == "Z") {
      v.modes.push_back(m);
      v.read_only = m == "ro" || (v.read_only && m != "rw");
    } else if (m == "nocopy") {
      v.nocopy = true;
    } else if (!m.empty() || parts.size() == 3) {
      return fail("invalid volume mode \"" + m + "\"", text);
    }
  }
  return v;
}

Result<Mount> parse_volume(const std::string& text, const std::map<std::string, std::string>& volume_dirs) {
  ASSIGN_OR_RETURN(VolumeArg v, parse_volume_arg(text));
  std::string source = v.source;
  if (!v.is_bind()) {  // a volume: its directory was chosen by the engine
    auto dir = volume_dirs.find(v.destination);
    if (dir == volume_dirs.end())
      return fail("volume " + (v.source.empty() ? "(anonymous)" : v.source) + " for " + v.destination +
                  " has no directory (volumes are taken at create)");
    source = dir->second;
  }
  Mount m{v.destination, "bind", source, {"rbind", "rprivate"}};
  m.options.insert(m.options.end(), v.modes.begin(), v.modes.end());
  return m;
}

Result<Mount> parse_tmpfs(const std::string& text) {
  auto colon = text.find(':');
  std::string dest = text.substr(0, colon);
  if (dest.empty() || dest[0] != '/') return fail("invalid --tmpfs: path must be absolute", text);
  Mount m{dest, "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec"}};
  if (colon != std::string::npos)
    for (const auto& o : split(text.substr(colon + 1), ',')) m.options.push_back(o);
  return m;
}

Result<runtime::Spec> build_spec(const SpecInputs& in) {
  const RunOptions& o = *in.options;
  runtime::Spec spec;
  spec.root_path = in.rootfs_dir.empty() ? "rootfs" : in.rootfs_dir;
  spec.root_readonly = o.read_only;
  spec.hostname = o.network == "host" ? "" : (o.hostname.empty() ? in.id.substr(0, 12) : o.hostname);
  if (!o.domainname.empty()) {
    if (o.network == "host") return fail("--domainname cannot be used with --network host (the host's uts namespace)");
    spec.domainname = o.domainname;
  }
  ASSIGN_OR_RETURN(spec.process.args, container_command(o, *in.image));
  ASSIGN_OR_RETURN(spec.process.env, container_env(in));
  spec.process.terminal = o.tty;
  spec.process.cwd = o.workdir.empty() ? (in.image->working_dir.empty() ? "/" : in.image->working_dir)
                                       : o.workdir;
  if (spec.process.cwd[0] != '/') return fail("the working directory must be an absolute path", spec.process.cwd);
  spec.process.uid = in.user.uid;
  spec.process.gid = in.user.gid;
  spec.process.additional_gids = in.user.additional_gids;
  // RLIMIT_NOFILE as docker sets it (1048576), but never above what we may raise it to:
  // without CAP_SYS_RESOURCE a higher hard limit fails the whole container.
  uint64_t nofile = std::min<uint64_t>(1048576, in.nofile_hard_limit);
  spec.process.rlimits.push_back({"RLIMIT_NOFILE", nofile, nofile});
  for (const auto& u : o.ulimits) {
    ASSIGN_OR_RETURN(auto rl, parse_ulimit(u));
    std::erase_if(spec.process.rlimits, [&](const auto& r) { return r.type == rl.type; });
    spec.process.rlimits.push_back(rl);
  }
  TRY(apply_security(spec, o));
  TRY(add_namespaces(spec, o, in.netns_path));
  spec.mounts = default_mounts(in.mount_cgroup2 && spec.uid_mappings.empty(), o.privileged);
  if (!o.shm_size.empty()) {  // --shm-size: /dev/shm's tmpfs size
    auto bytes = parse_bytes(o.shm_size);
    if (!bytes || *bytes <= 0) return fail("invalid --shm-size (want a size like 64m)", o.shm_size);
    for (auto& m : spec.mounts)
      if (m.destination == "/dev/shm")
        for (auto& opt : m.options)
          if (opt.rfind("size=", 0) == 0) opt = "size=" + std::to_string(*bytes / 1024) + "k";
  }
  for (const char* f : {"hostname", "hosts", "resolv.conf"})
    spec.mounts.push_back({std::string("/etc/") + f, "bind", path_join(in.etc_dir, f),
                           {"rbind", "rprivate"}});
  TRY(add_user_mounts(spec, o, in.volume_dirs));
  ASSIGN_OR_RETURN(spec.resources, resources_json(o));
  spec.cgroups_path = "berth/" + in.id;
  for (const auto& s : o.sysctls) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) return fail("invalid --sysctl (want key=value)", s);
    spec.sysctl[s.substr(0, eq)] = s.substr(eq + 1);
  }
  if (!in.layer_dirs.empty()) {
    std::vector<std::string> top_first(in.layer_dirs.rbegin(), in.layer_dirs.rend());
    spec.annotations[runtime::kAnnotationLowerdirs] = join(top_first, ":");
    spec.annotations[runtime::kAnnotationUpperdir] = in.upperdir;
    spec.annotations[runtime::kAnnotationWorkdir] = in.workdir;
    if (o.remove && !o.keep_writable_layer) spec.annotations[runtime::kAnnotationVolatile] = "1";
  }
  if (o.init) spec.annotations[runtime::kAnnotationInit] = "1";
  return spec;
}

}  // namespace berth::engine
