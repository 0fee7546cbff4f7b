// Named volumes on disk: what docker's "local" volume driver keeps.
//
// A volume is a directory that outlives containers: `-v data:/var/lib/db` bind-mounts the
// volume's directory at /var/lib/db, and the next container given `-v data:...` sees what
// the last one wrote. Unlike a bind mount of a host path, the user names the data, not a
// place on the host; berth decides where it lives. `-v /var/lib/db` alone makes an
// anonymous volume: a random 64-hex name, labelled com.docker.volume.anonymous, removed
// with its container by `rm -v` (or `run --rm`).
//
// Layout:
//   <storage>/volumes/<name>/volume.json   the record, shaped like `docker volume inspect`
//   <storage>/volumes/<name>/_data         the content: what containers get mounted
//   <storage>/volumes/.lock                flock held by every create and remove, and by a
//                                          container's create while it takes its volumes
// Records are written with write_file_atomic (rename(2)), so readers (ls, inspect) need no
// lock. A directory without volume.json is a create that crashed half-way: not a volume.
//
// The local driver's options (`volume create --opt`, as `mount -t TYPE -o O DEVICE`): berth
// supports the bind form `--opt type=none --opt o=bind --opt device=/srv/data`, whose
// containers get /srv/data itself. Mountpoint stays <name>/_data, as docker shows it.
//
// Read: docker's "Volumes" guide (docs.docker.com/engine/storage/volumes) and the
// `docker volume create` reference (the local driver's options).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/lock.h"
#include "base/result.h"
#include "engine/container_store.h"

namespace berth::engine {

// The label docker puts on the volumes it makes for `-v /path` (anonymous volumes).
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

struct VolumeRecord {
  std::string name;
  std::string driver = "local";
  std::string mountpoint;  // <storage>/volumes/<name>/_data (set by the store)
  std::string created;     // RFC 3339
  std::map<std::string, std::string> labels, options;

  bool anonymous() const { return labels.contains(kAnonymousVolumeLabel); }
  // The directory containers get: the mountpoint, or the device of an o=bind volume.
  std::string host_dir() const;
  // `docker volume inspect`'s object: CreatedAt, Driver, Labels, Mountpoint, Name,
  // Options, Scope.
  Json to_json() const;
  static Result<VolumeRecord> from_json(const Json& j, const std::string& source);
};

// docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters);
// the error names the volume and hints at an absolute path (as `-v data:/x` is also how a
// mistyped host path looks).
Result<> validate_volume_name(const std::string& name);

// The local driver's options, checked: keys type, o and device; only the bind form is
// supported (type empty or "none", o=bind, device an absolute path); other types (tmpfs,
// nfs, ...) are refused as not supported yet.
struct LocalVolumeOptions {
  std::string type, o, device;
  bool bind() const { return !device.empty(); }
};
Result<LocalVolumeOptions> parse_local_volume_options(const std::map<std::string, std::string>& options);

// The names of the volumes a container mounts (its record's Mounts of Type "volume").
std::vector<std::string> mounted_volumes(const ContainerRecord& rec);

class VolumeStore {
 public:
  // Creates <storage>/volumes if needed.
  static Result<VolumeStore> open(const std::string& storage_root);

  const std::string& dir() const { return dir_; }
  // The store's lock: create and remove take it themselves; callers that check containers
  // before removing (Engine::remove_volume) or that take several volumes at once (a
  // container's create) hold it around the whole step and call the *_locked forms.
  Result<FileLock> lock() const;

  struct Created {
    VolumeRecord rec;
    bool created = false;  // false: the name existed, and this is that volume
  };
  // `wanted` carries name (empty: a random 64-hex one), driver (empty: "local"), labels and
  // options. An existing volume of that name is returned as it is, as docker's `volume
  // create` does, unless its driver differs.
  Result<Created> create(VolumeRecord wanted);
  Result<Created> create_locked(VolumeRecord wanted);
  // By name. Not found: ENOENT, "no such volume".
  Result<VolumeRecord> find(const std::string& name) const;
  Result<std::vector<VolumeRecord>> list() const;  // sorted by name
  // Deletes the record and _data (never an o=bind volume's device). The caller holds the
  // lock and has checked that no container uses it.
  Result<> remove_locked(const std::string& name);
  // Bytes in the volume's files (for prune's "Total reclaimed space"); 0 for an o=bind
  // volume, whose content is not the store's.
  uint64_t size_of(const VolumeRecord& rec) const;

 private:
  explicit VolumeStore(std::string dir) : dir_(std::move(dir)) {}
  std::string volume_dir(const std::string& name) const;
  std::string dir_;
};

}  // namespace berth::engine
