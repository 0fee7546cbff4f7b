// Named volumes: `volume create|ls|inspect|rm|prune`, the engine's side of the volume store
// (engine/volume_store.h). A container's side (-v at create) is engine/volume_mounts.h.
//
// Which containers use a volume is read from their records' Mounts, whatever their state:
// as in docker, a stopped container still holds its volumes until it is removed.
#include <algorithm>

#include "base/strings.h"
#include "engine/engine.h"

namespace berth::engine {

namespace {

// The ids of the containers that have the volume mounted, `except` one.
std::vector<std::string> users_of(const std::vector<ContainerRecord>& all, const std::string& name,
                                  const std::string& except = "") {
  std::vector<std::string> ids;
  for (const auto& c : all) {
    auto names = mounted_volumes(c);
    if (c.id != except && std::find(names.begin(), names.end(), name) != names.end()) ids.push_back(c.id);
  }
  return ids;
}

}  // namespace

Result<VolumeRecord> Engine::create_volume(VolumeRecord wanted) {
  ASSIGN_OR_RETURN(VolumeStore store, VolumeStore::open(root_.storage));
  ASSIGN_OR_RETURN(VolumeStore::Created made, store.create(std::move(wanted)));
  return made.rec;
}

Result<std::vector<VolumeRecord>> Engine::volumes() {
  ASSIGN_OR_RETURN(VolumeStore store, VolumeStore::open(root_.storage));
  return store.list();
}

Result<VolumeRecord> Engine::find_volume(const std::string& name) {
  ASSIGN_OR_RETURN(VolumeStore store, VolumeStore::open(root_.storage));
  return store.find(name);
}

Result<> Engine::remove_volume(const std::string& name, bool force) {
  ASSIGN_OR_RETURN(VolumeStore store, VolumeStore::open(root_.storage));
  // Held across the check and the removal: a container being created takes its volumes
  // under the same lock, so it is either seen here or comes after (volume_mounts.h).
  ASSIGN_OR_RETURN(FileLock lock, store.lock());
  auto rec = store.find(name);
  if (!rec && force && rec.error().errno_value() == ENOENT) return {};
  if (!rec) return std::unexpected(rec.error());
  ASSIGN_OR_RETURN(auto all, containers_.list());
  auto users = users_of(all, name);
  if (!users.empty()) return fail("remove " + name + ": volume is in use - [" + join(users, ", ") + "]");
  return store.remove_locked(name);
}

Result<Engine::PrunedVolumes> Engine::prune_volumes(bool all) {
  ASSIGN_OR_RETURN(VolumeStore store, VolumeStore::open(root_.storage));
  ASSIGN_OR_RETURN(FileLock lock, store.lock());
  ASSIGN_OR_RETURN(auto vols, store.list());
  ASSIGN_OR_RETURN(auto containers, containers_.list());
  PrunedVolumes pruned;
  for (const auto& v : vols) {
    if ((!all && !v.anonymous()) || !users_of(containers, v.name).empty()) continue;
    uint64_t bytes = store.size_of(v);
    TRY(store.remove_locked(v.name));
    pruned.names.push_back(v.name);
    pruned.bytes += bytes;
  }
  return pruned;
}

Result<> Engine::remove_anonymous_volumes(const ContainerRecord& rec) {
  auto names = mounted_volumes(rec);
  if (names.empty()) return {};
  ASSIGN_OR_RETURN(VolumeStore store, VolumeStore::open(root_.storage));
  ASSIGN_OR_RETURN(FileLock lock, store.lock());
  ASSIGN_OR_RETURN(auto containers, containers_.list());
  for (const auto& name : names) {
    auto vol = store.find(name);
    if (!vol && vol.error().errno_value() == ENOENT) continue;  // removed already
    if (!vol) return std::unexpected(vol.error());
    // Named volumes stay (docker's rm -v too); so does one another container mounts.
    if (!vol->anonymous() || !users_of(containers, name, rec.id).empty()) continue;
    TRY(store.remove_locked(name));
  }
  return {};
}

}  // namespace berth::engine
