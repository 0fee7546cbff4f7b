// The image config: what to run (Entrypoint, Cmd, Env, User, WorkingDir...) and which
// layers make the filesystem (rootfs.diff_ids, the digests of the *uncompressed* layer tars).
//
// Read: OCI image spec, config.md ("Properties", "config", "rootfs"); docker writes the same
// document with a few extra fields (Healthcheck, container_config). The sha256 of this
// document's bytes is the image ID that `docker images` shows.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::oci {

struct ImageConfig {
  std::string architecture, os, created;  // created: RFC3339 string
  std::string user, working_dir, stop_signal;
  std::vector<std::string> env, entrypoint, cmd;    // entrypoint/cmd: empty if absent
  std::vector<std::string> exposed_ports, volumes;  // keys
  std::map<std::string, std::string> labels;
  std::vector<std::string> healthcheck_test;
  int64_t health_interval_ns = 0, health_timeout_ns = 0, health_start_period_ns = 0;
  int health_retries = 0;
  std::vector<std::string> diff_ids;  // "sha256:..."
  Json raw;                           // the whole document
};

// `source` names the document in errors ("image config sha256:...").
Result<ImageConfig> parse_image_config(const std::string& json_text, const std::string& source);

}  // namespace berth::oci
