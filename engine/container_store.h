// Containers on disk: one record per container, and the locks that say which are alive.
//
// Layout (shared/DESIGN.md "Processes: no daemon"):
//   <storage>/containers/<id>/container.json   the definition and last known state
//   <storage>/containers/<id>/config.json      the OCI runtime spec: the bundle is this dir
//   <storage>/containers/<id>/upper, work      the writable overlay layer (kept until rm)
//   <storage>/containers/<id>/etc/             hostname, hosts, resolv.conf (bind-mounted)
//   <storage>/containers/<id>/<id>-json.log    its output, when detached (runtime/log_writer.h)
//   <run>/containers/<id>/rootfs               where the overlay is mounted (in its own mount ns)
//   <run>/containers/<id>/lock                 held (flock) by whoever supervises it: the
//                                              foreground `berth run`, or the shim
//   <storage>/containers/<id>/state.lock       serialises read-modify-write of the record
// Definitions live under /var/lib (they survive a reboot), everything of a running
// container under /run (a reboot empties it). "running" in container.json is believed only
// while the supervisor holds the lock or the recorded process (pid + start time + boot id)
// still exists: a berth or shim that was killed drops its flock with its last fd, so the
// next command sees the truth.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
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
  std::string status = "created";  // created | running | restarting | exited
  pid_t pid = 0;
  uint64_t pid_start = 0;          // the pid's start time and boot (base/process.h)
  std::string boot_id;
  pid_t shim_pid = 0;              // detached: the supervising shim
  int exit_code = 0;
  bool oom_killed = false;
  std::string started_at, finished_at;
  bool auto_remove = false;
  bool detached = false;           // supervised by a shim (run -d, start)
  bool stop_requested = false;     // `stop`/`kill`/`rm -f` asked: the restart policy yields
  bool paused = false;             // `pause`: its cgroup is frozen (status stays "running")
  int restart_count = 0;
  // A `run` that has not finished starting it yet: if that berth dies, nobody will, and
  // the next command removes the container (see recover()).
  bool half_made = false;
  std::string stop_signal;         // the image's StopSignal ("" = SIGTERM)
  Json options;                    // the RunOptions it was created with (RunOptions::to_json)
  Json health;                     // docker's State.Health (null without a healthcheck)
  Json healthcheck;                // its Healthcheck::to_json(), null when it has none
  // docker's Mounts for its -v entries, resolved at create: binds, and the volumes (named
  // or anonymous) by name (engine/volume_mounts.h). Null in records older than volumes.
  Json mounts;
  Json to_json() const;
  static Result<ContainerRecord> from_json(const Json& j, const std::string& source);
};

class ContainerStore {
 public:
  explicit ContainerStore(StateRoot root) : root_(std::move(root)) {}

  std::string storage_dir(const std::string& id) const;  // <storage>/containers/<id>: the bundle
  std::string run_dir(const std::string& id) const;      // <run>/containers/<id>
  std::string rootfs_dir(const std::string& id) const;   // <run>/containers/<id>/rootfs
  std::string log_path(const std::string& id) const;     // <storage>/containers/<id>/<id>-json.log
  const StateRoot& root() const { return root_; }

  // Reserves rec.id (a new random one if empty) and the name under the store lock (a name
  // in use is an error, as docker's `Conflict. The container name "/web" is already in
  // use`). Creates the directories.
  // `creating` is held until the container has been handed over to its supervisor: while
  // it is held, recover() leaves the container alone.
  struct Created {
    ContainerRecord rec;
    FileLock creating;
  };
  Result<Created> create(ContainerRecord rec);
  Result<> save(const ContainerRecord& rec);
  // Load, change, save, under the container's state lock (several processes write a
  // record: berth commands, the shim, the starter). Returns the record as saved.
  Result<ContainerRecord> update(const std::string& id,
                                 const std::function<Result<>(ContainerRecord&)>& change);
  Result<ContainerRecord> load(const std::string& id) const;
  Result<std::vector<ContainerRecord>> list() const;
  // By name, full id or unique id prefix.
  Result<ContainerRecord> find(const std::string& name_or_id) const;
  // Holds <run>/containers/<id>/lock while the container runs (creates the run dir).
  Result<FileLock> lock_running(const std::string& id);
  // Its supervisor holds the lock, or its recorded process is still there (a shim killed
  // with -9 leaves the container running).
  bool is_alive(const ContainerRecord& rec) const;
  bool supervisor_alive(const std::string& id) const;
  // Gives the container a new name (under the store lock: names are unique).
  Result<> rename(const std::string& id, const std::string& name);
  // Removes every directory of the container.
  Result<> remove(const std::string& id);
  // Everything but its record (container.json), which stays for remove() to take last.
  Result<> remove_all_but_record(const std::string& id);
  // After a crash: containers recorded as running whose berth died become exited (137);
  // half-created ones and --rm ones are removed. Containers of other state roots are never
  // touched.
  struct Recovered {
    std::vector<std::string> settled;      // settled so: their cgroups may be left over
    // "created" and held by nobody: never started, or killed while being started, before
    // the record said "running" (`run` in the foreground, `start`); kept as they are, but
    // a half-wired network of theirs is the caller's to look for
    std::vector<std::string> interrupted;
  };
  Result<Recovered> recover();

 private:
  std::string store_lock() const;
  StateRoot root_;
};

std::string random_container_name();

}  // namespace berth::engine
