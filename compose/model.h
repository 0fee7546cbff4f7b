// The compose application model: what a compose.yml means once it is loaded.
//
// Every short form of the file has been turned into its long form here, so the planner and
// the engine read one shape only: `"8080:80"` is a PortMapping{target 80, published "8080"},
// `./data:/data:ro` is a VolumeMount{type "bind", source "/abs/project/data", ...}, an
// environment list is a map, `depends_on: [db]` is {db: {service_started, required}},
// durations are nanoseconds and sizes are bytes. Relative paths are absolute, resolved
// against the project directory (or, for a service extended from another file or an
// included project, against that file's directory).
//
// Field names follow the Compose Specification's keys, so `services.web.stop_grace_period`
// is `Service::stop_grace_period_ns`. std::optional marks "not set" where the default is
// not simply empty/false (docker's defaults are applied by whoever runs the service, not
// here, so `config` prints what the user wrote).
//
// Read: the Compose Specification, "Services top-level elements" and the pages on networks,
// volumes, secrets and configs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::compose {

// A KEY=VALUE map where a key may have no value (`environment: [DEBUG]` with DEBUG unset).
using OptionalStringMap = std::map<std::string, std::optional<std::string>>;
using StringMap = std::map<std::string, std::string>;

struct BuildConfig {
  std::string context;        // absolute path, or a URL (git, http) kept as written
  std::string dockerfile;     // relative to the context; "Dockerfile" unless set
  std::string dockerfile_inline;
  OptionalStringMap args;
  StringMap labels;
  std::vector<std::string> cache_from;
  std::optional<bool> no_cache;
  std::optional<bool> pull;
  std::string network;
  std::string target;
  std::vector<std::string> tags;
};

// `ports:` entry, long form. A short range ("8000-8001:80-81") becomes one entry per port.
struct PortMapping {
  std::string name;
  std::string mode = "ingress";  // ingress | host (both publish on this host with berth)
  std::string host_ip;           // "" = every address
  uint32_t target = 0;           // the container port
  std::string published;         // "" = ephemeral; "8080"; or a range "8000-8010" to pick from
  std::string protocol = "tcp";  // tcp | udp
  std::string app_protocol;
  bool operator==(const PortMapping&) const = default;
};

struct VolumeMount {
  std::string type;         // bind | volume | tmpfs
  std::string source;       // bind: absolute host path; volume: the top-level key ("" = anonymous)
  std::string target;       // absolute path in the container
  bool read_only = false;
  std::string consistency;  // accepted and ignored (a Docker Desktop setting)
  struct Bind {
    std::string propagation;  // rprivate, shared, ...
    std::optional<bool> create_host_path;
    std::string selinux;      // "z" | "Z" | ""
  };
  struct Volume {
    bool nocopy = false;
    std::string subpath;
  };
  struct Tmpfs {
    std::optional<int64_t> size;   // bytes
    std::optional<uint32_t> mode;  // octal file mode
  };
  std::optional<Bind> bind;
  std::optional<Volume> volume;
  std::optional<Tmpfs> tmpfs;
};

struct Dependency {
  std::string condition = "service_started";  // | service_healthy | service_completed_successfully
  bool restart = false;   // restart this service when the dependency is restarted
  bool required = true;   // false: a missing or disabled dependency is only a warning
};

struct Healthcheck {
  std::vector<std::string> test;  // {"CMD", ...}, {"CMD-SHELL", "cmd"} or {"NONE"}; empty = image's
  std::optional<int64_t> timeout_ns, interval_ns, start_period_ns, start_interval_ns;
  std::optional<int64_t> retries;
  bool disable = false;
};

struct ResourceLimits {
  std::optional<double> cpus;
  std::optional<int64_t> memory;  // bytes
  std::optional<int64_t> pids;
};

struct Deploy {
  std::optional<int64_t> replicas;
  std::optional<ResourceLimits> limits;  // deploy.resources.limits
};

struct Ulimit {
  int64_t soft = 0, hard = 0;
  bool single = false;  // written as one number (soft = hard)
};

struct Logging {
  std::string driver;
  StringMap options;
};

// A service's attachment to one network (`networks: {front: {aliases: [...]}}`).
struct NetworkAttachment {
  std::vector<std::string> aliases;
  std::string ipv4_address;
};

// A service's use of a secret or config (`secrets: [db_password]` or the long form).
struct FileReference {
  std::string source;  // the top-level secret/config key
  std::string target;  // as written; see mount_path()
  std::string uid, gid;
  std::optional<uint32_t> mode;
};
// Where it appears in the container: secrets under /run/secrets/ unless the target is
// absolute, configs at /<source> unless a target is given.
std::string secret_mount_path(const FileReference& ref);
std::string config_mount_path(const FileReference& ref);

struct Service {
  std::string name;
  std::optional<BuildConfig> build;
  std::vector<std::string> cap_add, cap_drop;
  std::optional<std::vector<std::string>> command;     // unset = the image's CMD
  std::vector<FileReference> configs;
  std::string container_name;
  std::optional<int64_t> cpu_shares;
  std::optional<double> cpus;
  std::map<std::string, Dependency> depends_on;
  std::optional<Deploy> deploy;
  std::vector<std::string> dns, dns_opt, dns_search;
  std::string domainname;
  std::optional<std::vector<std::string>> entrypoint;  // unset = the image's ENTRYPOINT
  OptionalStringMap environment;  // env_file entries merged in, `environment` winning
  std::vector<std::string> expose;  // "3000", "8000-8010", "53/udp"
  std::vector<std::pair<std::string, std::string>> extra_hosts;  // host, address (sorted)
  std::optional<Healthcheck> healthcheck;
  std::string hostname;
  std::string image;
  std::optional<bool> init;
  StringMap labels;
  std::optional<Logging> logging;
  std::optional<int64_t> mem_limit, memswap_limit;  // bytes; memswap -1 = unlimited
  std::string network_mode;  // "" | host | none | bridge | service:NAME | container:NAME
  // Networks joined (key: top-level network key); nullopt = joined with no options.
  std::map<std::string, std::optional<NetworkAttachment>> networks;
  std::optional<int64_t> pids_limit;
  std::vector<PortMapping> ports;
  bool privileged = false;
  std::vector<std::string> profiles;
  std::string pull_policy;
  bool read_only = false;
  std::string restart;  // "" | no | always | on-failure[:N] | unless-stopped
  std::optional<int64_t> scale;
  std::vector<FileReference> secrets;
  std::vector<std::string> security_opt;
  std::optional<int64_t> shm_size;
  bool stdin_open = false;
  std::optional<int64_t> stop_grace_period_ns;
  std::string stop_signal;
  StringMap sysctls;
  std::vector<std::string> tmpfs;  // "/run" or "/run:size=64m,mode=1777"
  bool tty = false;
  std::map<std::string, Ulimit> ulimits;
  std::string user;
  std::vector<VolumeMount> volumes;
  std::string working_dir;

  // How many containers to run: scale, else deploy.replicas, else 1.
  int64_t replicas() const;
};

struct IpamPool {
  std::string subnet, gateway, ip_range;
};

struct Network {
  std::string name;  // the engine's name: "<project>_<key>", or `name:`, or the key if external
  std::string driver;  // "" = bridge
  StringMap driver_opts;
  std::string ipam_driver;
  std::vector<IpamPool> ipam_config;
  bool external = false;
  bool internal = false;
  std::optional<bool> enable_ipv6;
  StringMap labels;
};

struct Volume {
  std::string name;  // "<project>_<key>", or `name:`, or the key if external
  std::string driver;
  StringMap driver_opts;  // local driver: type, o, device (a bind when o has "bind")
  bool external = false;
  StringMap labels;
};

// A top-level secret or config: where its content comes from.
struct FileObject {
  std::string name;
  std::string file;         // absolute path
  std::string environment;  // the variable holding the content
  std::string content;      // configs only: inline content
  bool external = false;
  StringMap labels;
};

struct Project {
  std::string name;
  std::string working_dir;  // the project directory
  std::vector<std::string> config_files;  // absolute paths, in merge order
  std::map<std::string, Service> services;  // enabled services only
  std::map<std::string, std::vector<std::string>> disabled_services;  // name -> its profiles
  std::map<std::string, Network> networks;
  std::map<std::string, Volume> volumes;
  std::map<std::string, FileObject> secrets;
  std::map<std::string, FileObject> configs;
  // The variables the files were interpolated with (process environment over .env), for
  // secrets and configs whose content comes from the environment.
  StringMap environment;
};

}  // namespace berth::compose
