// Named volumes on disk: see volume_store.h for the layout and the local driver's options.
#include "engine/volume_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/clock.h"
#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"

namespace berth::engine {

namespace {

constexpr const char* kRecordFile = "volume.json";
constexpr const char* kDataDir = "_data";

}  // namespace

// ---- the record ----

std::string VolumeRecord::host_dir() const {
  auto device = options.find("device");
  return device != options.end() && !device->second.empty() ? device->second : mountpoint;
}

Json VolumeRecord::to_json() const {
  return {{"CreatedAt", created}, {"Driver", driver}, {"Labels", labels}, {"Mountpoint", mountpoint},
          {"Name", name},         {"Options", options}, {"Scope", "local"}};
}

Result<VolumeRecord> VolumeRecord::from_json(const Json& j, const std::string& source) {
  try {
    VolumeRecord r;
    r.name = j.at("Name").get<std::string>();
    r.driver = j.value("Driver", "local");
    r.created = j.value("CreatedAt", "");
    r.mountpoint = j.value("Mountpoint", "");
    // docker writes null for "none"; both read as empty.
    if (j.contains("Labels") && j["Labels"].is_object()) r.labels = j["Labels"].get<std::map<std::string, std::string>>();
    if (j.contains("Options") && j["Options"].is_object())
      r.options = j["Options"].get<std::map<std::string, std::string>>();
    return r;
  } catch (const Json::exception& e) {
    return fail(std::string("invalid volume record (") + e.what() + ")", source);
  }
}

Result<> validate_volume_name(const std::string& name) {
  auto ok = [](char c, bool first) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (!first && (c == '_' || c == '.' || c == '-'));
  };
  bool valid = name.size() >= 2;
  for (size_t i = 0; valid && i < name.size(); i++) valid = ok(name[i], i == 0);
  if (!valid)
    return fail("create " + name + ": \"" + name +
                "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                "allowed. If you intended to pass a host directory, use absolute path");
  return {};
}

Result<LocalVolumeOptions> parse_local_volume_options(const std::map<std::string, std::string>& options) {
  LocalVolumeOptions out;
  for (const auto& [key, value] : options) {
    if (key == "type")
      out.type = value;
    else if (key == "o")
      out.o = value;
    else if (key == "device")
      out.device = value;
    else
      return fail("invalid option: \"" + key + "\" (the local driver takes type, o and device)");
  }
  if (!out.type.empty() && out.type != "none")
    return fail("volume driver option type=" + out.type + " is not supported yet (only o=bind with device=/abs/path)");
  bool bind = false;
  for (const auto& o : split(out.o, ',')) {
    if (o == "bind" || o == "rbind")
      bind = true;
    else if (!o.empty())
      return fail("volume driver option o=" + out.o + " is not supported yet (only o=bind with device=/abs/path)");
  }
  if (out.device.empty()) {
    if (!out.type.empty() || !out.o.empty()) return fail("missing required option: \"device\"");
    return out;
  }
  if (!bind) return fail("volume driver option device=" + out.device + " needs o=bind (the only form supported yet)");
  if (out.device[0] != '/') return fail("invalid option device=" + out.device + ": want an absolute host path");
  return out;
}

std::vector<std::string> mounted_volumes(const ContainerRecord& rec) {
  std::vector<std::string> out;
  if (!rec.mounts.is_array()) return out;
  for (const Json& m : rec.mounts)
    if (m.is_object() && m.value("Type", "") == "volume") out.push_back(m.value("Name", ""));
  return out;
}

// ---- the store ----

std::string VolumeStore::volume_dir(const std::string& name) const { return path_join(dir_, name); }

Result<VolumeStore> VolumeStore::open(const std::string& storage_root) {
  VolumeStore store(path_join(storage_root, "volumes"));
  // 0701, as docker's: containers' users may reach a volume they have mounted through
  // its path, but nobody lists the volumes of others.
  TRY(make_dirs(store.dir_, 0701));
  return store;
}

Result<FileLock> VolumeStore::lock() const { return FileLock::acquire(path_join(dir_, ".lock")); }

Result<VolumeStore::Created> VolumeStore::create(VolumeRecord wanted) {
  ASSIGN_OR_RETURN(FileLock held, lock());
  return create_locked(std::move(wanted));
}

Result<VolumeStore::Created> VolumeStore::create_locked(VolumeRecord wanted) {
  if (wanted.name.empty()) wanted.name = random_hex(32);
  TRY(validate_volume_name(wanted.name));
  if (wanted.driver.empty()) wanted.driver = "local";
  if (auto existing = find(wanted.name)) {
    if (existing->driver != wanted.driver)
      return fail("create " + wanted.name + ": a volume with the name " + wanted.name +
                  " already exists with driver \"" + existing->driver + "\"");
    return Created{*existing, false};
  } else if (existing.error().errno_value() != ENOENT) {
    return std::unexpected(existing.error());
  }
  if (wanted.driver != "local")
    return fail("create " + wanted.name + ": volume driver \"" + wanted.driver + "\" is not supported (only \"local\")");
  TRY_CTX(parse_local_volume_options(wanted.options), "create " + wanted.name);
  std::string dir = volume_dir(wanted.name);
  TRY_CTX(make_dirs(path_join(dir, kDataDir), 0755), "create " + wanted.name);
  wanted.mountpoint = path_join(dir, kDataDir);
  wanted.created = rfc3339_now();
  // Durable: the record is all there is to say the directory is a volume.
  TRY_CTX(write_file_atomic(path_join(dir, kRecordFile), wanted.to_json().dump(2), 0644, Sync::kDurable),
          "create " + wanted.name);
  return Created{std::move(wanted), true};
}

Result<VolumeRecord> VolumeStore::find(const std::string& name) const {
  // A name that is not one (a path, "..") must not lead outside the store.
  if (!validate_volume_name(name)) return fail_errno(ENOENT, "get " + name + ": no such volume");
  std::string path = path_join(volume_dir(name), kRecordFile);
  auto j = read_json_file(path);
  if (!j && j.error().errno_value() == ENOENT) return fail_errno(ENOENT, "get " + name + ": no such volume");
  if (!j) return std::unexpected(j.error());
  ASSIGN_OR_RETURN(VolumeRecord rec, VolumeRecord::from_json(*j, path));
  // Where it is now (the state root may have moved since).
  rec.name = name;
  rec.mountpoint = path_join(volume_dir(name), kDataDir);
  return rec;
}

Result<std::vector<VolumeRecord>> VolumeStore::list() const {
  std::vector<VolumeRecord> out;
  ASSIGN_OR_RETURN(auto names, list_dir(dir_));
  for (const auto& name : names) {
    if (name.empty() || name[0] == '.') continue;  // .lock
    auto rec = find(name);
    if (!rec && rec.error().errno_value() == ENOENT) continue;  // half made, or removed meanwhile
    if (!rec) return std::unexpected(rec.error());
    out.push_back(std::move(*rec));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<> VolumeStore::remove_locked(const std::string& name) {
  ASSIGN_OR_RETURN(VolumeRecord rec, find(name));
  std::string dir = volume_dir(rec.name);
  // The record first: a crash half-way leaves a directory that is no longer a volume, not
  // a volume with half its content. remove_tree never crosses into another filesystem nor
  // follows a symlink, and an o=bind volume's device is not below _data.
  std::string record = path_join(dir, kRecordFile);
  if (::unlink(record.c_str()) < 0 && errno != ENOENT) return sys_error("remove " + name + ": unlink", record);
  TRY_CTX(remove_tree(dir), "remove " + name);
  return {};
}

namespace {

uint64_t size_below(int dirfd) {
  Fd dup(::dup(dirfd));
  if (!dup) return 0;
  DIR* dir = ::fdopendir(dup.release());
  if (!dir) return 0;
  uint64_t total = 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    if (!S_ISDIR(st.st_mode)) continue;
    int sub = ::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    Fd subfd(sub);
    total += size_below(subfd.get());
  }
  ::closedir(dir);
  return total;
}

}  // namespace

uint64_t VolumeStore::size_of(const VolumeRecord& rec) const {
  if (rec.host_dir() != rec.mountpoint) return 0;
  auto fd = open_fd(rec.mountpoint, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  return fd ? size_below(fd->get()) : 0;
}

}  // namespace berth::engine
