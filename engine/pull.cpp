// Engine::pull: `berth pull NAME[:TAG|@DIGEST]`. The work is the image store's
// (oci/pull.h: registry, verified downloads, extraction); the engine names the image the
// way every other verb does, so that `run` can later pull what it does not find.
#include "engine/engine.h"
#include "oci/reference.h"

namespace berth::engine {

Result<oci::PulledImage> Engine::pull(const std::string& reference, const oci::PullOptions& options,
                                      const oci::PullProgress& progress) {
  ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(reference));
  return images_.pull(ref, options, progress);
}

}  // namespace berth::engine
