// Small derived facts of the model (compose/model.h).
#include "compose/model.h"

namespace berth::compose {

int64_t Service::replicas() const {
  if (scale) return *scale;
  if (deploy && deploy->replicas) return *deploy->replicas;
  return 1;
}

std::string secret_mount_path(const FileReference& ref) {
  if (!ref.target.empty() && ref.target[0] == '/') return ref.target;
  return "/run/secrets/" + (ref.target.empty() ? ref.source : ref.target);
}

std::string config_mount_path(const FileReference& ref) {
  if (ref.target.empty()) return "/" + ref.source;
  if (ref.target[0] == '/') return ref.target;
  return "/" + ref.target;
}

}  // namespace berth::compose
