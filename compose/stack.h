// A compose project brought to life: `up`, `down` and the verbs over a project's
// containers, on the engine.
//
// A stack has no state file of its own: its containers, networks and volumes carry docker
// compose's labels (com.docker.compose.project=NAME, ...; compose/run_plan.h), so any
// berth command, from any directory, finds a stack's parts by asking the engine. That is
// also how `up` stays idempotent: a running container whose config-hash label matches its
// service's definition is left alone; one whose hash differs is recreated.
//
//   up:    networks and volumes first; then the services in depends_on waves
//          (compose/run_plan.h dependency_waves), a wave's containers started together in
//          forked workers (base/process.h run_forked), each wave waiting for the
//          conditions the next one asks for (service_healthy, ...).
//   down:  the waves in reverse, each stopped together, then removed; then the project's
//          networks (and volumes with -v) and its state directory.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"
#include "engine/engine.h"

namespace berth::compose {

// A progress line as docker compose prints it: " Container demo-web-1  Started".
struct Event {
  std::string kind;    // "Network", "Volume", "Container"
  std::string name;
  std::string status;  // "Creating", "Created", "Started", "Running", "Waiting", "Healthy", ...
};
using EventSink = std::function<void(const Event&)>;

struct UpOptions {
  std::vector<std::string> services;  // none: all
  bool no_deps = false;
  bool force_recreate = false, no_recreate = false;
  bool remove_orphans = false;
  bool no_start = false;               // `compose create`
  bool wait = false;                   // --wait: until running/healthy
  std::optional<int> wait_timeout_s;   // --wait-timeout (also bounds depends_on waits)
  std::map<std::string, int> scale;    // --scale s=n
  std::optional<int> timeout_s;        // -t: for containers that are recreated
  std::function<bool()> cancelled;     // asked between waves and while waiting (Ctrl-C)
  std::string pull;                    // --pull always|missing|never ("": each service's pull_policy)
  bool build = false;                  // --build: build every service that has `build:` first
  bool no_build = false;               // --no-build: never build, even a missing image
};

// `compose build`'s flags (and what `up --build` passes on).
struct BuildRequest {
  bool no_cache = false, pull = false, quiet = false;
  std::map<std::string, std::optional<std::string>> args;  // --build-arg, over the file's
};

struct DownOptions {
  bool volumes = false;         // -v: named volumes of the project and anonymous ones
  bool remove_orphans = false;
  std::string rmi;              // "", "local" or "all"
  std::optional<int> timeout_s;
  std::vector<std::string> services;  // down SERVICE...: only those (networks stay)
};

// The compose labels of a container (from its record's options), as a map.
std::map<std::string, std::string> container_labels(const engine::ContainerRecord& rec);

class Stack {
 public:
  Stack(engine::Engine& engine, Project project, EventSink events, std::vector<std::string>* warnings)
      : engine_(engine), project_(std::move(project)), events_(std::move(events)), warnings_(warnings) {}

  const Project& project() const { return project_; }
  engine::Engine& engine() { return engine_; }

  Result<> up(const UpOptions& options);
  // The networks and volumes the services need (what `up` makes first; `compose run`).
  Result<> prepare(const std::vector<std::string>& services);
  // Waits for the depends_on conditions of `service` (service_healthy,
  // service_completed_successfully); a `required: false` dependency only warns.
  Result<> wait_for_dependencies(const std::string& service, const UpOptions& options);
  Result<> down(const DownOptions& options);

  // The project's containers (oneoff ones from `compose run` only with `oneoff`), sorted by
  // service then number; `services` narrows them (none: all).
  Result<std::vector<engine::ContainerRecord>> containers(const std::vector<std::string>& services = {},
                                                          bool oneoff = false);
  // start/stop/restart/kill/rm over the services' containers, as docker compose's verbs.
  Result<> start(const std::vector<std::string>& services);
  Result<> stop(const std::vector<std::string>& services, std::optional<int> timeout_s);
  Result<> restart(const std::vector<std::string>& services, std::optional<int> timeout_s);
  Result<> kill(const std::vector<std::string>& services, int signal);
  Result<> pause(const std::vector<std::string>& services, bool paused);
  // Stopped containers only, unless `stop` (rm -s): stop them first.
  Result<> remove(const std::vector<std::string>& services, bool stop, bool volumes);

  // compose pull, and what `up` does first: the services' images from their registries.
  // `policy`: always (compose pull), missing (pull what the store lacks), never; "" takes
  // each service's pull_policy (default missing). `ignore_failures`: report and go on.
  Result<> pull_images(const std::vector<std::string>& services, const std::string& policy, bool ignore_failures);
  // docker compose build: each service with `build:` (of `services`; none: all), in file
  // order, through the builder; the image is named service_image(), plus build.tags.
  Result<> build_images(const std::vector<std::string>& services, const BuildRequest& request);
  // What up and run build first: services with `build:` whose image is missing, or all of
  // them with `always` (--build), or those whose pull_policy is build; none with --no-build.
  Result<> build_missing(const std::vector<std::string>& services, bool always, bool never);

  // Containers of this project whose service is not in the file.
  Result<std::vector<engine::ContainerRecord>> orphans();

 private:
  Result<> ensure_networks(const std::vector<std::string>& services);
  Result<> ensure_volumes(const std::vector<std::string>& services);
  Result<> converge_wave(const std::vector<std::string>& wave, const UpOptions& options,
                         const std::vector<engine::ContainerRecord>& existing);
  Result<> wait_until_ready(const std::string& service, const std::string& condition,
                            std::optional<int> timeout_s, const std::function<bool()>& cancelled = {});
  void keep_anonymous_volumes(const engine::ContainerRecord& old, engine::RunOptions& options);
  Result<> stop_in_waves(const std::vector<engine::ContainerRecord>& list, std::optional<int> timeout_s,
                         bool remove, bool volumes);
  void emit(const std::string& kind, const std::string& name, const std::string& status) const;
  void warn(const std::string& text) const;

  engine::Engine& engine_;
  Project project_;
  EventSink events_;
  std::vector<std::string>* warnings_;
  std::set<std::string> replaced_;  // services given new containers by this `up`
};

// Every stack on this host (docker compose ls): project name -> its containers.
Result<std::map<std::string, std::vector<engine::ContainerRecord>>> stacks(engine::Engine& engine);

}  // namespace berth::compose
