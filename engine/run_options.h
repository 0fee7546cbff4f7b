// What a user asks for with `berth run` (docker's flags), before it becomes an OCI spec.
#pragma once

#include <cstdint>
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
  std::string name;                              // --name
  bool remove = false;                           // --rm
  bool tty = false;                              // -t
  bool interactive = false;                      // -i
  bool init = false;                             // --init
  std::string network = "none";                  // --network none|host
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opt;         // seccomp=unconfined|FILE, no-new-privileges
  bool privileged = false;
  bool read_only = false;
  std::string memory, memory_swap, cpus, cpuset_cpus;  // docker spellings, validated later
  int64_t cpu_shares = 0;
  std::optional<int64_t> pids_limit;
  std::vector<std::string> ulimits;              // nofile=1024:2048
  std::vector<std::string> volumes;              // -v HOST:CTR[:ro]
  std::vector<std::string> tmpfs;                // --tmpfs /run[:size=64m]
  std::vector<std::string> uidmap, gidmap;       // --uidmap 0:100000:65536
  std::vector<std::string> sysctls;              // --sysctl k=v
  // Detached containers (the shim).
  std::string restart = "no";                    // --restart no|on-failure[:N]|always|unless-stopped
  std::vector<std::string> log_opts;             // --log-opt max-size=10m --log-opt max-file=3

  // Kept in the container's record, so `start` after a reboot and `inspect` see them.
  Json to_json() const;
  static Result<RunOptions> from_json(const Json& j);
};

// docker's --restart: "no", "always", "unless-stopped", "on-failure" or "on-failure:N".
struct RestartPolicy {
  std::string name = "no";
  int max_retries = 0;  // on-failure:N; 0 = unlimited
};
Result<RestartPolicy> parse_restart_policy(const std::string& text);

}  // namespace berth::engine
