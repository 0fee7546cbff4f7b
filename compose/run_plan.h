// From a service of the model to the engine's RunOptions: what `docker run` flags a
// compose service amounts to, container by container; and from a top-level network to
// what `docker network create` is asked for.
//
//   services.web.ports: ["8080:80"]        -> -p 8080:80/tcp
//   services.web.volumes: [data:/var/lib]  -> -v <project>_data:/var/lib
//   services.web.networks: [front, back]   -> --network name=<project>_back,alias=web ...
//   services.web.healthcheck.test: [CMD, x]-> Healthcheck.Test {"CMD", "x"}
//   networks.front.ipam.config: [{subnet: "fd00:28::/64", gateway: "fd00:28::1"}]
//                                           -> --subnet fd00:28::/64 --gateway fd00:28::1
// plus the labels docker compose puts on every container (com.docker.compose.project, ...),
// by which `ps`, `down` and `ls` find a stack's containers again from any directory.
//
// Read: the Compose Specification's service keys; docker compose's labels
// (pkg/api/labels.go in docker/compose names them).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"
#include "engine/network_store.h"
#include "engine/run_options.h"

namespace berth::compose {

// docker compose's labels.
inline constexpr const char kLabelProject[] = "com.docker.compose.project";
inline constexpr const char kLabelService[] = "com.docker.compose.service";
inline constexpr const char kLabelNumber[] = "com.docker.compose.container-number";
inline constexpr const char kLabelOneoff[] = "com.docker.compose.oneoff";
inline constexpr const char kLabelConfigHash[] = "com.docker.compose.config-hash";
inline constexpr const char kLabelWorkingDir[] = "com.docker.compose.project.working_dir";
inline constexpr const char kLabelConfigFiles[] = "com.docker.compose.project.config_files";
inline constexpr const char kLabelDependsOn[] = "com.docker.compose.depends_on";
inline constexpr const char kLabelImage[] = "com.docker.compose.image";
inline constexpr const char kLabelNetwork[] = "com.docker.compose.network";
inline constexpr const char kLabelVolume[] = "com.docker.compose.volume";
inline constexpr const char kLabelVersion[] = "com.docker.compose.version";

// `container_name`, or "<project>-<service>-<number>" as docker compose v2 names them.
std::string container_name(const Project& project, const Service& service, int number);
// The image a service runs: `image:`, else (a service with `build:`) `<project>-<service>`,
// the name docker compose gives what it builds.
std::string service_image(const Project& project, const Service& service);

// A digest of everything in the service's definition that shapes its containers (not its
// scale: scaling keeps the containers there are). `up` recreates a container whose
// config-hash label differs.
std::string config_hash(const Service& service);

// Where compose keeps a project's own files (secrets and configs given by content or by
// environment variable): <state storage>/compose/<project>.
std::string project_state_dir(const std::string& state_storage, const std::string& project);

struct ServiceRun {
  engine::RunOptions options;
  std::vector<std::string> warnings;  // keys accepted but not acted on, as docker compose warns
  // Files to write before the container is created (path -> content): secrets and configs
  // whose content is not a file of the project.
  std::vector<std::pair<std::string, std::string>> files;
};

struct RunContext {
  std::string state_storage;  // the engine's state root (project_state_dir)
  std::string image_id;       // the image's id, for the com.docker.compose.image label
  bool oneoff = false;        // `compose run`
};

// The run options for container `number` (1-based) of `service`.
Result<ServiceRun> service_run_options(const Project& project, const Service& service, int number,
                                       const RunContext& context);

// The project's network `key`, as the record `up` asks the engine to create: internal,
// enable_ipv6, driver_opts (the mtu), docker compose's labels, and ipam.config's subnets
// and gateways, each to the fields of its address family. Errors name the key:
// `networks.front.ipam.config[1].subnet: more than one IPv4 subnet (...)`.
Result<engine::NetworkRecord> network_to_create(const Project& project, const std::string& key);

// depends_on as waves: every service of wave k depends only on services of waves < k, so
// `up` starts a wave's services together and `down` stops the waves in reverse. A
// `network_mode: service:X` counts as a dependency on X. Only `services` (and what they
// depend on, unless no_deps) are included.
Result<std::vector<std::vector<std::string>>> dependency_waves(const Project& project,
                                                               const std::vector<std::string>& services,
                                                               bool no_deps = false);

}  // namespace berth::compose
