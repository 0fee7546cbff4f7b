// What a user asks for with `berth run` (docker's flags), before it becomes an OCI spec.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::engine {

struct RunOptions {
  std::string image;
  std::vector<std::string> command;              // after the image name
  std::optional<std::string> entrypoint;         // --entrypoint ("" clears the image's)
  std::vector<std::string> env;                  // -e K=V or -e K (taken from our env)
  std::vector<std::string> env_files;            // --env-file
  std::string workdir;                           // -w
  std::string user;                              // -u user[:group]
  std::string hostname;                          // --hostname
  std::string domainname;                        // --domainname (the NIS domain name)
  std::string name;                              // --name
  bool remove = false;                           // --rm
  bool keep_writable_layer = false;              // not a flag: the builder takes the upper
                                                 // directory after --rm (never volatile)
  bool tty = false;                              // -t
  bool interactive = false;                      // -i
  bool init = false;                             // --init
  std::string network = "berth";                 // --network none|host|container:NAME|NAME
  std::string ip;                                // --ip: a fixed address on that network
  std::vector<std::string> network_aliases;      // --network-alias: more DNS names on it
  std::vector<std::string> extra_networks;       // more bridge networks (a repeated --network;
                                                 // `network connect`): NAME or docker's long
                                                 // form name=NAME,alias=A,ip=IP
  std::vector<std::string> publish;              // -p [ip:][host:]container[/proto] (-P adds
                                                 // the image's EXPOSE here, at create)
  bool publish_all = false;                      // -P
  bool userland_proxy = false;                   // --userland-proxy (also when nftables is not
                                                 // usable): the shim serves the ports
  std::vector<std::string> expose;               // --expose 80[/tcp] (published by -P too)
  std::vector<std::string> add_hosts;            // --add-host name:ip (ip may be host-gateway)
  std::vector<std::string> dns, dns_search, dns_options;  // --dns, --dns-search, --dns-option
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opt;         // seccomp=unconfined|FILE, no-new-privileges
  bool privileged = false;
  bool read_only = false;
  std::string memory, memory_swap, cpus, cpuset_cpus;  // docker spellings, validated later
  int64_t cpu_shares = 0;
  std::optional<int64_t> pids_limit;
  std::vector<std::string> ulimits;              // nofile=1024:2048
  std::vector<std::string> volumes;              // -v HOST:CTR[:ro], NAME:CTR[:ro][,nocopy], CTR
  std::vector<std::string> tmpfs;                // --tmpfs /run[:size=64m]
  std::vector<std::string> uidmap, gidmap;       // --uidmap 0:100000:65536
  std::vector<std::string> sysctls;              // --sysctl k=v
  // Detached containers (the shim).
  std::string restart = "no";                    // --restart no|on-failure[:N]|always|unless-stopped
  std::vector<std::string> log_opts;             // --log-opt max-size=10m --log-opt max-file=3
  // Healthcheck (docker's flags; unset ones come from the image's HEALTHCHECK).
  std::optional<std::string> health_cmd;         // --health-cmd "curl -f http://localhost/"
  std::string health_interval, health_timeout, health_start_period;  // "30s"
  std::optional<int> health_retries;
  bool no_healthcheck = false;
  // The docker API's Healthcheck.Test, as compose writes it: {"CMD", args...},
  // {"CMD-SHELL", cmd} or {"NONE"}; non-empty, it takes the place of --health-cmd.
  std::vector<std::string> health_test;
  std::vector<std::string> labels;               // --label k=v (Config.Labels)
  std::string stop_signal;                       // --stop-signal (default: the image's, else SIGTERM)
  std::optional<int> stop_timeout;               // --stop-timeout seconds (default 10)
  std::string shm_size;                          // --shm-size 64m (/dev/shm's size)

  // --label values as a map ("k" alone: an empty value, as docker); the same from a
  // container record's options (to_json()) without parsing the rest.
  std::map<std::string, std::string> label_map() const;
  static std::map<std::string, std::string> labels_from_json(const Json& options);

  // Kept in the container's record, so `start` after a reboot and `inspect` see them.
  Json to_json() const;
  static Result<RunOptions> from_json(const Json& j);
};

// A --network value naming a bridge network (not none, host or container:NAME).
bool is_bridge_network(const std::string& mode);

// One --network value: "app", or docker's long form "name=app,alias=web,alias=www,ip=10.1.0.5".
struct NetworkRequest {
  std::string name, ip;
  std::vector<std::string> aliases;
  std::string to_string() const;  // the long form (or just the name)
};
Result<NetworkRequest> parse_network_request(const std::string& text);

// docker's --restart: "no", "always", "unless-stopped", "on-failure" or "on-failure:N".
struct RestartPolicy {
  std::string name = "no";
  int max_retries = 0;  // on-failure:N; 0 = unlimited
};
Result<RestartPolicy> parse_restart_policy(const std::string& text);

// The healthcheck a container gets: its flags over the image's HEALTHCHECK, with docker's
// defaults (interval 30s, timeout 30s, start period 0, retries 3). Kept in the record as
// docker's Config.Healthcheck ({"Test": ["CMD-SHELL", "..."], "Interval": ns, ...}).
struct Healthcheck {
  std::vector<std::string> test;  // {"CMD-SHELL", cmd} or {"CMD", args...}; empty = none
  int64_t interval_ns = 30'000'000'000, timeout_ns = 30'000'000'000, start_period_ns = 0;
  int retries = 3;
  Json to_json() const;
  static Healthcheck from_json(const Json& j);
  // The argv to run in the container.
  std::vector<std::string> command() const;
};
struct ImageHealthcheck {  // what the image says (oci::ImageConfig's fields)
  std::vector<std::string> test;
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0;
  int retries = 0;
};
Result<Healthcheck> effective_healthcheck(const RunOptions& o, const ImageHealthcheck& image);

}  // namespace berth::engine
