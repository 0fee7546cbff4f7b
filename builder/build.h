// `berth build`: a Dockerfile and a context directory in, an image in the store out.
//
// Read: the Dockerfile reference; BuildKit's docs on multi-stage builds and the build
// cache. The shape of a build here:
//   1. parse the Dockerfile (dockerfile.h) and split it into stages at each FROM;
//   2. build the target stage (the last one, or --target), and before it, on demand, the
//      stages it names (FROM <stage>, COPY --from=<stage>): a stage nobody needs is
//      never built;
//   3. each instruction either changes the image config (ENV, CMD, LABEL, ...) or adds a
//      layer: RUN runs in a berth container on the stage's image so far and its overlay
//      upper directory becomes the layer; COPY, ADD and WORKDIR change the filesystem from
//      berth itself (layer_job.h);
//   4. every layer step first asks the build cache (build_cache.h): the same parent, the
//      same instruction, the same args and the same input files give the same layer;
//   5. the target stage's image is stored and named by the -t tags.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "builder/progress.h"
#include "engine/engine.h"

namespace berth::builder {

struct BuildOptions {
  std::string context;             // the context directory
  std::string dockerfile;          // -f: default CONTEXT/Dockerfile
  std::string dockerfile_inline;   // compose's dockerfile_inline: the text itself
  std::vector<std::string> tags;   // -t (normalised by the builder)
  std::map<std::string, std::optional<std::string>> build_args;  // --build-arg K=V (or K: from env)
  std::map<std::string, std::string> labels;                    // --label
  std::string target;              // --target
  std::string platform;            // --platform (only the host's: no emulation)
  std::string network = "host";    // --network for RUN: host (default), none, or a network
  bool no_cache = false;
  bool pull = false;               // --pull: always fetch FROM images
};

// The stored image. Errors name the Dockerfile and line ("Dockerfile:7: ...").
Result<oci::ImageRecord> build_image(engine::Engine& engine, const BuildOptions& options, Progress& progress);

// builder prune: the build cache's records and the hidden images that hold its layers.
// Returns what was removed, as `rmi` lines.
Result<std::vector<std::string>> prune_build_cache(engine::Engine& engine);

}  // namespace berth::builder
