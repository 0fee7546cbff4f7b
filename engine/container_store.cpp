#include "engine/container_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include "base/clock.h"
#include "base/fs.h"
#include "base/strings.h"

namespace berth::engine {

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
          {"State",
           {{"Status", status},
            {"Pid", pid},
            {"ExitCode", exit_code},
            {"OOMKilled", oom_killed},
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
    const Json& s = j.at("State");
    r.status = s.value("Status", "created");
    r.pid = s.value("Pid", 0);
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
std::string ContainerStore::bundle_dir(const std::string& id) const {
  return path_join(root_.run, "containers/" + id);
}
std::string ContainerStore::store_lock() const { return path_join(root_.storage, "containers/.lock"); }

Result<ContainerRecord> ContainerStore::create(ContainerRecord rec) {
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
  rec.id = random_hex(32);
  rec.created = rfc3339_now();
  std::string dir = storage_dir(rec.id);
  // The overlay's root directory takes the mode of the upper directory: 0755, or nobody
  // but root could reach /bin in the container.
  TRY(make_dirs(dir, 0711));
  for (const char* sub : {"upper", "work", "etc"}) TRY(make_dirs(path_join(dir, sub), 0755));
  TRY(make_dirs(path_join(bundle_dir(rec.id), "rootfs"), 0755));
  TRY(save(rec));
  return rec;
}

Result<> ContainerStore::save(const ContainerRecord& rec) {
  return write_file_atomic(path_join(storage_dir(rec.id), "container.json"), rec.to_json().dump(2), 0600,
                           Sync::kNoSync);
}

Result<ContainerRecord> ContainerStore::load(const std::string& id) const {
  std::string path = path_join(storage_dir(id), "container.json");
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
  return FileLock::try_acquire(path_join(bundle_dir(id), "lock"));
}

bool ContainerStore::is_alive(const std::string& id) const {
  std::string path = path_join(bundle_dir(id), "lock");
  if (!path_exists(path)) return false;
  return !FileLock::try_acquire(path, FileLock::Mode::kShared);
}

Result<> ContainerStore::remove(const std::string& id) {
  TRY(remove_tree(bundle_dir(id)));
  return remove_tree(storage_dir(id));
}

Result<std::vector<std::string>> ContainerStore::recover() {
  std::vector<std::string> alive;
  ASSIGN_OR_RETURN(auto ids, list_dir(path_join(root_.storage, "containers")));
  for (const auto& id : ids) {
    if (id.size() != 64) continue;
    if (is_alive(id)) {
      alive.push_back(id);
      continue;
    }
    auto rec = load(id);
    if (!rec) {  // killed between mkdir and the first save: nothing to keep
      TRY(remove(id));
      continue;
    }
    // A `run --rm` killed before its command started is still "created": nobody will
    // ever remove it otherwise.
    if (rec->status == "created" && rec->auto_remove) {
      TRY(remove(id));
      continue;
    }
    if (rec->status != "running") continue;
    if (rec->auto_remove) {
      TRY(remove(id));
      continue;
    }
    rec->status = "exited";
    rec->exit_code = 137;
    rec->pid = 0;
    rec->finished_at = rfc3339_now();
    TRY(save(*rec));
  }
  // Bundles whose definition is gone (a crash inside remove()).
  ASSIGN_OR_RETURN(auto bundles, list_dir(path_join(root_.run, "containers")));
  for (const auto& id : bundles)
    if (!path_exists(storage_dir(id)) && !is_alive(id)) TRY(remove_tree(bundle_dir(id)));
  return alive;
}

}  // namespace berth::engine
