// berth's registry settings, in the file docker keeps in /etc/docker/daemon.json:
//   {"registry-mirrors": ["https://mirror.example.com"], "insecure-registries": ["reg.lan:5000"]}
// read from $BERTH_CONFIG, else /etc/berth/config.json (base/config_file.h; a missing file:
// no settings).
//
// Read: docker's dockerd reference, "Registry mirror" and "Insecure registries".
//   - registry-mirrors: pulls of Docker Hub images (docker.io/...) ask these first, in
//     order, and Docker Hub itself only when none of them has the image (Docker Hub's pull
//     rate limits make a mirror the usual VPS setup). Only docker.io is mirrored.
//   - insecure-registries: HOST[:PORT] names (or IPv4 CIDRs like 10.0.0.0/8) that may be
//     spoken to over plain HTTP or unverified TLS, as loopback registries always may.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::oci {

struct RegistryConfig {
  std::vector<std::string> mirrors;   // URLs: "https://host[:port]" or "http://host[:port]"
  std::vector<std::string> insecure;  // HOST[:PORT] or CIDR
  bool is_insecure(std::string_view domain) const;
};

// `path` "": $BERTH_CONFIG, else /etc/berth/config.json. Errors name the file and key.
Result<RegistryConfig> load_registry_config(const std::string& path = "");

}  // namespace berth::oci
