// berth's settings file: the keys of docker's daemon.json (/etc/docker/daemon.json) that
// berth acts on, in $BERTH_CONFIG, else /etc/berth/config.json. A missing file means no
// settings: every key at its default.
//
// There is no daemon to read it once at start: each command reads the file when it needs a
// key, and each layer reads only its own keys, so that `berth run` never parses the
// registry settings and `berth pull` never the address pools:
//   oci/registry_config.h     registry-mirrors, insecure-registries
//   engine/address_pools.h    default-address-pools
#pragma once

#include <string>

#include "base/json.h"
#include "base/result.h"

namespace berth {

// `given` when not empty (tests), else $BERTH_CONFIG when set, else /etc/berth/config.json.
std::string config_file_path(const std::string& given = "");

// The file's top-level object; an empty one when the file does not exist. Errors name the
// file: "/etc/berth/config.json: not a JSON object".
Result<Json> read_config_file(const std::string& path);

}  // namespace berth
