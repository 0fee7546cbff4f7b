// The OCI runtime spec (config.json): the contract between the engine and the runtime.
//
// Read: opencontainers/runtime-spec config.md and config-linux.md. Everything upstream of
// runtime/ (images, compose, the builder) ends by writing one of these into a bundle
// directory; runtime/ turns it into a running process and knows nothing else. This file
// holds the subset berth uses, as plain structs, and converts it to and from JSON.
//
// berth-specific extensions travel as annotations (the spec's escape hatch):
//   org.berth.rootfs.lowerdirs  "a:b:c" overlay lower layers (top first, as overlayfs wants)
//   org.berth.rootfs.upperdir / org.berth.rootfs.workdir
// When they are present the runtime mounts the overlay at root.path itself, *inside* the
// container's mount namespace, so it vanishes with the container and can never leak.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::runtime {

inline constexpr const char* kAnnotationLowerdirs = "org.berth.rootfs.lowerdirs";
inline constexpr const char* kAnnotationUpperdir = "org.berth.rootfs.upperdir";
inline constexpr const char* kAnnotationWorkdir = "org.berth.rootfs.workdir";
// "1": the writable layer is thrown away with the container (`run --rm`), so the overlay
// is mounted "volatile": it never syncs the upper directory, not even when it is unmounted.
inline constexpr const char* kAnnotationVolatile = "org.berth.rootfs.volatile";
// "1": run berth's tiny init as PID 1 (docker's --init).
inline constexpr const char* kAnnotationInit = "org.berth.init";

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Namespace {
  std::string type;  // pid network mount ipc uts user cgroup
  std::string path;  // join this one instead of creating a new one
};

struct Process {
  bool terminal = false;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  Json capabilities = Json::object();  // bounding/effective/inheritable/permitted/ambient
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
};

struct Spec {
  std::string oci_version = "1.0.2";
  std::string root_path = "rootfs";
  bool root_readonly = false;
  std::string hostname;
  std::string domainname;  // the uts namespace's NIS domain name (setdomainname(2))
  Process process;
  std::vector<Mount> mounts;
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  Json resources = Json::object();  // linux.resources, see runtime/cgroup.h
  std::string cgroups_path;         // "berth/<id>"
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  Json seccomp;                     // linux.seccomp; null = unconfined
  std::map<std::string, std::string> sysctl;
  std::map<std::string, std::string> annotations;

  bool has_namespace(const std::string& type) const;
  const Namespace* find_namespace(const std::string& type) const;
};

// Errors name the key: `config.json: process.args: must be a non-empty array of strings`.
Result<Spec> parse_spec(const Json& doc, const std::string& source);
Result<Spec> load_spec(const std::string& bundle_dir);
Json spec_to_json(const Spec& spec);

}  // namespace berth::runtime
