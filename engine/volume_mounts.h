// A container's volumes: from its -v entries to the host directories it gets mounted.
//
// At create, every -v entry that is not a host path takes a volume (engine/volume_store.h):
//   -v data:/var/lib/db   the volume "data", made on first use as docker does
//   -v /var/lib/db        a new anonymous volume (a random 64-hex name)
// and a volume that is empty gets a copy of what the image has at that path, once
// (docker's copy-up, engine/image_tree.h), unless the entry says nocopy.
//
// It happens in two steps around the check of every other flag: plan (pure: parse, check
// names, pick the anonymous names, say where each directory will be) and take (make and
// fill, under the volume store's lock). The lock is held until the container's record
// names its volumes, so that a `volume rm` or `volume prune` running meanwhile either
// sees the container or runs before the volume is taken.
//
// The container's record keeps docker's Mounts for all its -v entries (binds too); its
// options keep the -v entries as the user wrote them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/lock.h"
#include "base/result.h"
#include "engine/image_tree.h"
#include "engine/volume_store.h"

namespace berth::engine {

struct ContainerVolumes {
  struct Volume {
    std::string name, destination;
    bool anonymous = false, nocopy = false;
  };
  std::vector<Volume> volumes;              // the -v entries that are volumes, in order
  std::map<std::string, std::string> dirs;  // destination -> host directory (SpecInputs::volume_dirs)
  Json mounts = Json::array();              // docker's Mounts (ContainerRecord::mounts)
  // Volumes made for this container by take: if its create fails later, the caller removes
  // them again (Engine::remove_volume, which spares those another container took meanwhile).
  std::vector<std::string> created;
};

// Step 1, before anything exists: parses the -v entries (binds included, for Mounts) and
// names the volumes. Makes nothing.
Result<ContainerVolumes> plan_container_volumes(const VolumeStore& store, const std::vector<std::string>& entries);

// Step 2: makes the missing volumes and fills the empty ones from the image (layer_dirs
// lowest first; owners shifted for a user namespace). Returns holding the store's lock when
// there are volumes; the caller keeps it until the container's record is saved. On error,
// the volumes it made are removed again.
Result<std::optional<FileLock>> take_container_volumes(VolumeStore& store, ContainerVolumes& plan,
                                                       const std::vector<std::string>& layer_dirs,
                                                       const IdShift& shift);

}  // namespace berth::engine
