// `berth pull`: an image from its registry into the store, ready to run.
//
// Read: OCI distribution spec, spec.md "Pull"; docker's distribution/pull_v2.go for the
// order of things and the words of its progress lines. The order: resolve the reference
// to a registry (registry.h), fetch the manifest (an index picks the host's platform,
// manifest.h) and the config (unless the store has it), stop early when the store already
// has that image under that name, then download the layers the store lacks, several at
// once, each verified against its digest while it streams and extracted as soon as it is
// complete; last, under the store's exclusive lock, record the image (store_layer.cpp).
// A failure at any point leaves the store as it was: downloads live in a private
// directory under tmp/ until the image is recorded.
//
// Non-distributable ("foreign") layers are fetched from the registry like any other when
// it has them (the spec restricts pushing them, not pulling); berth never follows their
// external "urls", so one the registry lacks is an error that says so.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "oci/platform.h"
#include "oci/store.h"

namespace berth::oci {

inline constexpr int kDefaultMaxConcurrentDownloads = 3;

struct PullOptions {
  std::optional<Platform> platform;  // default: the host's (host_platform())
  // false: plain HTTP and unverified TLS allowed for this registry (an insecure registry);
  // loopback registries are treated so anyway.
  bool tls_verify = true;
  int max_concurrent_downloads = kDefaultMaxConcurrentDownloads;
  std::string docker_config_dir;  // where config.json is; default $DOCKER_CONFIG, ~/.docker
  std::string cert_dir;           // --cert-dir: the certs.d to read (default: registry_certs.h)
};

// One progress line, as docker prints it: "<id>: <status>". The id is a layer's short
// digest (12 hex digits), or the tag (or digest) for "Pulling from <repository>".
struct PullEvent {
  std::string id, status;
  // "Downloading" (and "Pushing"): bytes so far and in all (-1: not a progress event).
  // Plain output skips these; a terminal draws them as docker's bars.
  int64_t current = -1, total = -1;
};
using PullProgress = std::function<void(const PullEvent&)>;

struct PulledImage {
  ImageRecord image;
  // What the reference resolved to: the manifest's digest, or the index's for a
  // multi-platform image (docker's "Digest: sha256:...").
  std::string digest;
  bool up_to_date = false;  // the store had it under that name: nothing was fetched
};

// "sha256:0123456789abcdef..." -> "0123456789ab", docker's short layer id.
std::string short_digest(const std::string& digest);

}  // namespace berth::oci
