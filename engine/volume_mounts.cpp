// A container's volumes at create: see volume_mounts.h.
#include "engine/volume_mounts.h"

#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/spec_builder.h"

namespace berth::engine {

Result<ContainerVolumes> plan_container_volumes(const VolumeStore& store, const std::vector<std::string>& entries) {
  ContainerVolumes plan;
  for (const auto& text : entries) {
    ASSIGN_OR_RETURN(VolumeArg v, parse_volume_arg(text));
    std::string mode = join(v.modes, ",");
    if (v.is_bind()) {
      plan.mounts.push_back({{"Type", "bind"},
                             {"Source", v.source},
                             {"Destination", v.destination},
                             {"Mode", mode},
                             {"RW", !v.read_only},
                             {"Propagation", "rprivate"}});
      continue;
    }
    ContainerVolumes::Volume vol{v.source, v.destination, v.is_anonymous(), v.nocopy};
    if (vol.anonymous) vol.name = random_hex(32);
    std::string mountpoint = path_join(path_join(store.dir(), vol.name), "_data");
    std::string dir = mountpoint;  // where a new volume's will be
    if (!vol.anonymous) {
      auto existing = store.find(vol.name);
      if (existing)
        dir = existing->host_dir();
      else if (existing.error().errno_value() != ENOENT)
        return std::unexpected(existing.error());
    }
    plan.dirs[v.destination] = dir;
    // docker shows "z" for a volume given without a mode: relabel (SELinux), shared.
    plan.mounts.push_back({{"Type", "volume"},
                           {"Name", vol.name},
                           {"Source", mountpoint},
                           {"Destination", v.destination},
                           {"Driver", "local"},
                           {"Mode", mode.empty() ? "z" : mode},
                           {"RW", !v.read_only},
                           {"Propagation", ""}});
    plan.volumes.push_back(std::move(vol));
  }
  return plan;
}

namespace {

// One volume of the container: made if missing, filled from the image if empty.
Result<> take_volume(VolumeStore& store, ContainerVolumes& plan, const ContainerVolumes::Volume& vol,
                     const std::vector<std::string>& layer_dirs, const IdShift& shift) {
  VolumeRecord wanted;
  wanted.name = vol.name;
  if (vol.anonymous) wanted.labels[kAnonymousVolumeLabel] = "";
  ASSIGN_OR_RETURN(VolumeStore::Created got, store.create_locked(wanted));
  if (got.created) {
    trace_note("volume " + vol.name + ": created for " + vol.destination);
    plan.created.push_back(vol.name);
  }
  std::string dir = got.rec.host_dir();
  plan.dirs[vol.destination] = dir;
  if (!is_directory(dir)) return fail_errno(ENOENT, "volume " + vol.name + ": its directory", dir);
  ASSIGN_OR_RETURN(auto content, list_dir(dir));
  bool filled = false;
  if (content.empty() && !vol.nocopy) {
    auto copied = copy_image_dir(layer_dirs, vol.destination, dir, shift);
    if (!copied)
      return std::unexpected(wrap(copied.error(), "volume " + vol.name + ": copying the image's " + vol.destination));
    filled = *copied;
  }
  // A user namespace's root must own a new volume to write in it (the copy already gave
  // it the image directory's owner, shifted).
  bool shifted = !shift.uids.empty() || !shift.gids.empty();
  if (got.created && !filled && shifted && dir == got.rec.mountpoint &&
      ::lchown(dir.c_str(), shift.uid(0), shift.gid(0)) < 0)
    return sys_error("volume " + vol.name + ": chown for the user namespace", dir);
  return {};
}

}  // namespace

Result<std::optional<FileLock>> take_container_volumes(VolumeStore& store, ContainerVolumes& plan,
                                                       const std::vector<std::string>& layer_dirs,
                                                       const IdShift& shift) {
  if (plan.volumes.empty()) return std::optional<FileLock>();
  ASSIGN_OR_RETURN(FileLock lock, store.lock());
  for (const auto& vol : plan.volumes) {
    if (auto taken = take_volume(store, plan, vol, layer_dirs, shift); !taken) {
      for (const auto& name : plan.created) (void)store.remove_locked(name);
      plan.created.clear();
      return std::unexpected(taken.error());
    }
  }
  return std::optional<FileLock>(std::move(lock));
}

}  // namespace berth::engine
