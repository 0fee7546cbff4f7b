// `berth push`: an image of the store into a registry, blob by blob, then its manifest.
//
// Read: OCI distribution spec, spec.md "Pushing blobs" and "Pushing Manifests". The order
// matters: a registry accepts a manifest only when every blob it names is there, so the
// layers and the config go first (each skipped when a HEAD finds it: "Layer already
// exists"), the manifest last, under the tag. The blobs are sent exactly as the store
// keeps them, so the manifest (and so the digest a pull by digest asks for) is the same
// one the store has.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/pull.h"

namespace berth::oci {

struct PushOptions {
  bool tls_verify = true;
  std::string docker_config_dir;  // where config.json is; default $DOCKER_CONFIG, ~/.docker
  std::string cert_dir;           // --cert-dir: the certs.d to read (default: registry_certs.h)
};

struct PushedImage {
  std::string digest;  // the manifest's
  int64_t size = 0;    // the manifest's size in bytes (docker prints it)
};

}  // namespace berth::oci
