// From "this image, with these docker flags" to an OCI runtime spec: the engine's main job.
//
// Everything docker decides for a container is decided here, in one pure function that
// unit tests can call without privileges: the command (ENTRYPOINT + CMD rules), the
// environment, the user, the mounts Docker gives every container (/proc, a private /dev,
// /dev/pts, /dev/shm, /dev/mqueue, a read-only /sys), the masked and read-only /proc paths,
// the default capabilities and seccomp profile, the device allowlist, and the limits.
// Bad flag values are reported here, before anything exists on disk.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/etc_passwd.h"
#include "engine/run_options.h"
#include "oci/image_config.h"
#include "runtime/spec.h"

namespace berth::engine {

struct SpecInputs {
  std::string id;
  const RunOptions* options = nullptr;
  const oci::ImageConfig* image = nullptr;
  ResolvedUser user;
  std::vector<std::string> layer_dirs;  // lowest first
  std::string upperdir, workdir;        // this container's writable layer
  std::string etc_dir;                  // holds hostname, hosts, resolv.conf to bind-mount
  std::string rootfs_dir;               // where the rootfs is mounted ("" = bundle/rootfs)
  std::string netns_path;               // a bridge network: the namespace file berth makes
  bool mount_cgroup2 = false;           // the host's cgroup2 hierarchy has controllers
  uint64_t nofile_hard_limit = 1048576; // the caller's RLIMIT_NOFILE ceiling
  std::vector<std::string> host_env;    // for `-e NAME` without a value
  // -v NAME:/dest and -v /dest: the host directory of the volume mounted at each
  // destination (engine/volume_mounts.h decides them; binds are not in here).
  std::map<std::string, std::string> volume_dirs;
};

Result<runtime::Spec> build_spec(const SpecInputs& in);

// The pieces, exposed for tests and for `compose` later.
Result<std::vector<std::string>> container_command(const RunOptions& o, const oci::ImageConfig& img);
Result<std::vector<std::string>> container_env(const SpecInputs& in);
// Sets KEY=VALUE in env, replacing an existing KEY.
void set_env(std::vector<std::string>& env, const std::string& kv);
Result<Json> resources_json(const RunOptions& o);
Result<runtime::Rlimit> parse_ulimit(const std::string& text);
// One -v value in docker's grammar [SOURCE:]DESTINATION[:MODE]: SOURCE is an absolute host
// path (a bind mount), a volume's name, or absent (an anonymous volume); MODE is a
// comma-separated list of ro, rw, z, Z and nocopy (a new volume is not filled from the
// image). "/data:ro" is DESTINATION:MODE, as docker reads it.
struct VolumeArg {
  std::string source, destination;
  std::vector<std::string> modes;  // ro, rw, z, Z as given (nocopy is not a mount option)
  bool read_only = false, nocopy = false;
  bool is_bind() const { return !source.empty() && source[0] == '/'; }
  bool is_anonymous() const { return source.empty(); }
};
Result<VolumeArg> parse_volume_arg(const std::string& text);
// The mount of one -v value; a volume's directory comes from `volume_dirs` (SpecInputs).
Result<runtime::Mount> parse_volume(const std::string& text,
                                    const std::map<std::string, std::string>& volume_dirs = {});
Result<runtime::Mount> parse_tmpfs(const std::string& text);
// Docker's rule: a memory limit below 6 MiB is refused before the kernel sees it.
inline constexpr int64_t kMinimumMemory = 6 * 1024 * 1024;

}  // namespace berth::engine
