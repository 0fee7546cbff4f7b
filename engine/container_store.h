// Containers on disk: one record per container, and the locks that say which are alive.
//
// Layout (shared/DESIGN.md "Processes: no daemon"):
//   <storage>/containers/<id>/container.json   the definition and last known state
//   <storage>/containers/<id>/upper, work      the writable overlay layer (kept until rm)
//   <storage>/containers/<id>/etc/             hostname, hosts, resolv.conf (bind-mounted)
//   <run>/containers/<id>/                     the OCI bundle: config.json + rootfs/
//   <run>/containers/<id>/lock                 held (flock) by the berth process that runs it
// "running" in container.json is believed only while somebody holds the lock: a berth that
// was killed drops its flock with its last fd, so the next command sees the truth.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/lock.h"
#include "base/result.h"

namespace berth::engine {

struct StateRoot {
  std::string storage;  // /var/lib/berth: images, container definitions
  std::string run;      // /run/berth: bundles, locks (gone after a reboot)
  // --root DIR puts everything under DIR (DIR and DIR/run).
  static StateRoot from_flag(const std::string& root);
};

struct ContainerRecord {
  std::string id, name, image, image_id;
  std::vector<std::string> command;
  std::string created;          // RFC 3339
  std::string status = "created";  // created | running | exited
  pid_t pid = 0;
  int exit_code = 0;
  bool oom_killed = false;
  std::string started_at, finished_at;
  bool auto_remove = false;
  Json to_json() const;
  static Result<ContainerRecord> from_json(const Json& j, const std::string& source);
};

class ContainerStore {
 public:
  explicit ContainerStore(StateRoot root) : root_(std::move(root)) {}

  std::string storage_dir(const std::string& id) const;  // <storage>/containers/<id>
  std::string bundle_dir(const std::string& id) const;   // <run>/containers/<id>

  // Reserves a new id and name under the store lock (a name in use is an error, as docker's
  // `Conflict. The container name "/web" is already in use`). Creates the directories.
  Result<ContainerRecord> create(ContainerRecord rec);
  Result<> save(const ContainerRecord& rec);
  Result<ContainerRecord> load(const std::string& id) const;
  Result<std::vector<ContainerRecord>> list() const;
  // By name, full id or unique id prefix.
  Result<ContainerRecord> find(const std::string& name_or_id) const;
  // Holds <run>/containers/<id>/lock while the container runs.
  Result<FileLock> lock_running(const std::string& id);
  bool is_alive(const std::string& id) const;
  // Removes every directory of the container.
  Result<> remove(const std::string& id);
  // After a crash: containers recorded as running whose berth died become exited (137);
  // half-created ones and --rm ones are removed. Returns the ids that are still alive.
  Result<std::vector<std::string>> recover();

 private:
  std::string store_lock() const;
  StateRoot root_;
};

std::string random_container_name();

}  // namespace berth::engine
