#include "engine/container_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include "base/clock.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/strings.h"

namespace berth::engine {

namespace {
constexpr const char* kRecordFile = "container.json";  // a container's record, in its storage directory
}  // namespace

StateRoot StateRoot::from_flag(const std::string& root) {
  if (root.empty()) return {"/var/lib/berth", "/run/berth"};
  return {root, path_join(root, "run")};
}


std::string random_container_name() {
  static const char* left[] = {"brave", "calm", "eager", "fond", "gentle", "happy", "keen",
                               "lucid", "merry", "nifty", "proud", "quiet", "sharp", "tender",
                               "vivid", "witty", "zen", "bold", "clever", "dreamy"};
  static const char* right[] = {"curie", "darwin", "euler", "fermi", "gauss", "hopper",
                                "kepler", "lovelace", "meitner", "noether", "pascal", "ritchie",
                                "shannon", "thompson", "turing", "wozniak", "yalow", "babbage"};
  std::string r = random_hex(2);
  unsigned v = static_cast<unsigned>(std::stoul(r, nullptr, 16));
  return std::string(left[v % std::size(left)]) + "_" + right[(v / 31) % std::size(right)];
}

Json ContainerRecord::to_json() const {
  return {{"Id", id},
          {"Name", name},
          {"Image", image},
          {"ImageId", image_id},
          {"Command", command},
          {"Created", created},
          {"AutoRemove", auto_remove},
          {"Detached", detached},
          {"HalfMade", half_made},
          {"Paused", paused},
          {"StopSignal", stop_signal},
          {"RestartCount", restart_count},
          {"Options", options},
          {"Healthcheck", healthcheck},
          {"Mounts", mounts},
          {"State",
           {{"Status", status},
            {"Pid", pid},
            {"PidStart", pid_start},
            {"BootId", boot_id},
            {"ShimPid", shim_pid},
            {"ExitCode", exit_code},
            {"OOMKilled", oom_killed},
            {"StopRequested", stop_requested},
            {"Health", health},
            {"StartedAt", started_at},
            {"FinishedAt", finished_at}}}};
}

Result<ContainerRecord> ContainerRecord::from_json(const Json& j, const std::string& source) {
  try {
    ContainerRecord r;
    r.id = j.at("Id").get<std::string>();
    r.name = j.at("Name").get<std::string>();
    r.image = j.value("Image", "");
    r.image_id = j.value("ImageId", "");
    r.command = j.value("Command", std::vector<std::string>{});
    r.created = j.value("Created", "");
    r.auto_remove = j.value("AutoRemove", false);
    r.detached = j.value("Detached", false);
    r.half_made = j.value("HalfMade", false);
    r.paused = j.value("Paused", false);
    r.stop_signal = j.value("StopSignal", "");
    r.restart_count = j.value("RestartCount", 0);
    r.options = j.value("Options", Json::object());
    r.healthcheck = j.value("Healthcheck", Json());
    r.mounts = j.value("Mounts", Json());
    const Json& s = j.at("State");
    r.status = s.value("Status", "created");
    r.pid = s.value("Pid", 0);
    r.pid_start = s.value("PidStart", uint64_t{0});
    r.boot_id = s.value("BootId", "");
    r.shim_pid = s.value("ShimPid", 0);
    r.stop_requested = s.value("StopRequested", false);
    r.health = s.value("Health", Json());
    r.exit_code = s.value("ExitCode", 0);
    r.oom_killed = s.value("OOMKilled", false);
    r.started_at = s.value("StartedAt", "");
    r.finished_at = s.value("FinishedAt", "");
    return r;
  } catch (const Json::exception& e) {
    return fail(std::string("invalid container record (") + e.what() + ")", source);
  }
}

std::string ContainerStore::storage_dir(const std::string& id) const {
  return path_join(root_.storage, "containers/" + id);
}
std::string ContainerStore::run_dir(const std::string& id) const {
  return path_join(root_.run, "containers/" + id);
}
std::string ContainerStore::rootfs_dir(const std::string& id) const {
  return path_join(run_dir(id), "rootfs");
}
std::string ContainerStore::log_path(const std::string& id) const {
  return path_join(storage_dir(id), id + "-json.log");
}
std::string ContainerStore::store_lock() const { return path_join(root_.storage, "containers/.lock"); }

Result<ContainerStore::Created> ContainerStore::create(ContainerRecord rec) {
  // 0711: traversable (a user-namespaced container's root must reach its layers and
  // upper directory) but not listable by other users.
  TRY(make_dirs(path_join(root_.storage, "containers"), 0711));
  TRY(make_dirs(path_join(root_.run, "containers"), 0711));
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(store_lock()));
  ASSIGN_OR_RETURN(auto all, list());
  if (rec.name.empty()) {
    for (int i = 0; i < 20 && rec.name.empty(); i++) {
      std::string n = random_container_name();
      bool used = false;
      for (const auto& c : all) used |= c.name == n;
      if (!used) rec.name = n;
    }
  }
  for (const auto& c : all)
    if (c.name == rec.name)
      return fail("Conflict. The container name \"/" + rec.name + "\" is already in use by container \"" +
                  c.id + "\". You have to remove (or rename) that container to be able to reuse that name");
  if (rec.id.empty()) rec.id = random_hex(32);
  rec.created = rfc3339_now();
  std::string dir = storage_dir(rec.id);
  if (path_exists(dir)) return fail("container id already in use", rec.id);
  // The overlay's root directory takes the mode of the upper directory: 0755, or nobody
  // but root could reach /bin in the container.
  TRY(make_dirs(dir, 0711));
  for (const char* sub : {"upper", "work", "etc"}) TRY(make_dirs(path_join(dir, sub), 0755));
  TRY(make_dirs(rootfs_dir(rec.id), 0755));
  ASSIGN_OR_RETURN(FileLock creating, FileLock::acquire(dir));  // the directory itself
  TRY(save(rec));
  return Created{std::move(rec), std::move(creating)};
}

Result<ContainerRecord> ContainerStore::update(const std::string& id,
                                               const std::function<Result<>(ContainerRecord&)>& change) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(path_join(storage_dir(id), "state.lock")));
  ASSIGN_OR_RETURN(ContainerRecord rec, load(id));
  TRY(change(rec));
  TRY(save(rec));
  return rec;
}

Result<> ContainerStore::rename(const std::string& id, const std::string& name) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(store_lock()));
  ASSIGN_OR_RETURN(auto all, list());
  for (const auto& c : all)
    if (c.name == name && c.id != id)
      return fail("Conflict. The container name \"/" + name + "\" is already in use by container \"" + c.id +
                  "\". You have to remove (or rename) that container to be able to reuse that name");
  TRY(update(id, [&name](ContainerRecord& r) -> Result<> {
    r.name = name;
    return {};
  }));
  return {};
}

Result<> ContainerStore::save(const ContainerRecord& rec) {
  return write_file_atomic(path_join(storage_dir(rec.id), kRecordFile), rec.to_json().dump(2), 0600,
                           Sync::kNoSync);
}

Result<ContainerRecord> ContainerStore::load(const std::string& id) const {
  std::string path = path_join(storage_dir(id), kRecordFile);
  ASSIGN_OR_RETURN(Json j, read_json_file(path));
  return ContainerRecord::from_json(j, path);
}

Result<std::vector<ContainerRecord>> ContainerStore::list() const {
  std::vector<ContainerRecord> out;
  ASSIGN_OR_RETURN(auto ids, list_dir(path_join(root_.storage, "containers")));
  for (const auto& id : ids) {
    if (id.size() != 64) continue;
    auto rec = load(id);
    if (rec) out.push_back(std::move(*rec));
  }
  return out;
}

Result<ContainerRecord> ContainerStore::find(const std::string& key) const {
  ASSIGN_OR_RETURN(auto all, list());
  std::vector<const ContainerRecord*> prefix;
  for (const auto& c : all) {
    if (c.name == key || c.id == key || "/" + c.name == key) return c;
    if (key.size() >= 1 && starts_with(c.id, key)) prefix.push_back(&c);
  }
  if (prefix.size() == 1) return *prefix[0];
  if (prefix.size() > 1) return fail("multiple containers found with provided prefix", key);
  return fail_errno(ENOENT, "No such container", key);
}

Result<FileLock> ContainerStore::lock_running(const std::string& id) {
  TRY(make_dirs(rootfs_dir(id), 0755));  // after a reboot /run is empty
  return FileLock::try_acquire(path_join(run_dir(id), "lock"));
}

bool ContainerStore::supervisor_alive(const std::string& id) const {
  std::string path = path_join(run_dir(id), "lock");
  if (!path_exists(path)) return false;
  return !FileLock::try_acquire(path, FileLock::Mode::kShared);
}

bool ContainerStore::is_alive(const ContainerRecord& rec) const {
  if (supervisor_alive(rec.id)) return true;
  if (rec.status != "running" || rec.pid <= 0) return false;
  return ProcessIdentity{rec.pid, rec.pid_start, rec.boot_id}.alive();
}

Result<> ContainerStore::remove_all_but_record(const std::string& id) {
  TRY(remove_tree(run_dir(id)));
  auto entries = list_dir(storage_dir(id));
  if (!entries) return entries.error().errno_value() == ENOENT ? Result<>{} : std::unexpected(entries.error());
  for (const auto& name : *entries)
    if (name != kRecordFile) TRY(remove_tree(path_join(storage_dir(id), name)));
  return {};
}

Result<> ContainerStore::remove(const std::string& id) {
  TRY(remove_tree(run_dir(id)));
  return remove_tree(storage_dir(id));
}

Result<ContainerStore::Recovered> ContainerStore::recover() {
  Recovered out;
  std::vector<std::string>& settled = out.settled;
  // Under the store lock: create() makes a directory and locks it under it too, so
  // a half-written directory is never mistaken for a crashed one.
  TRY(make_dirs(path_join(root_.storage, "containers"), 0711));
  TRY(make_dirs(path_join(root_.run, "containers"), 0711));
  ASSIGN_OR_RETURN(FileLock store, FileLock::acquire(store_lock()));
  ASSIGN_OR_RETURN(auto ids, list_dir(path_join(root_.storage, "containers")));
  for (const auto& id : ids) {
    if (id.size() != 64) continue;
    if (supervisor_alive(id)) continue;
    // The berth that creates and starts it holds the lock on its directory until it has
    // handed the container over (to itself in the foreground, or to the shim).
    if (!FileLock::try_acquire(storage_dir(id))) continue;
    auto rec = load(id);
    if (!rec) {  // killed between mkdir and the first save: nothing to keep
      TRY(remove(id));
      continue;
    }
    if (is_alive(*rec)) continue;  // its shim died, the container did not
    // Killed before its command started (`run --rm`, or `run -d` before the shim took
    // over): nobody will ever remove it otherwise.
    if (rec->status == "created" && (rec->auto_remove || rec->half_made)) {
      TRY(remove(id));
      settled.push_back(id);
      continue;
    }
    if (rec->status == "created") out.interrupted.push_back(id);
    if (rec->status != "running" && rec->status != "restarting") continue;
    settled.push_back(id);
    if (rec->auto_remove) {
      TRY(remove(id));
      continue;
    }
    // Its supervisor died (or the machine rebooted) and the process is gone.
    rec->status = "exited";
    if (rec->exit_code == 0) rec->exit_code = 137;
    rec->pid = 0;
    rec->finished_at = rfc3339_now();
    TRY(save(*rec));
  }
  // Run directories whose definition is gone (a crash inside remove()).
  ASSIGN_OR_RETURN(auto runs, list_dir(path_join(root_.run, "containers")));
  for (const auto& id : runs)
    if (!path_exists(storage_dir(id)) && !supervisor_alive(id)) TRY(remove_tree(run_dir(id)));
  return out;
}

}  // namespace berth::engine
