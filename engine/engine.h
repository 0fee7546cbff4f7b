// The engine: the objects a user sees (images, containers) by name, and the verbs on them.
// It combines oci/ (the image store), runtime/ (running a bundle) and netns/ (later:
// networks); it is the only layer that knows all three.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/container_store.h"
#include "engine/run_options.h"
#include "oci/store.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/spec.h"

namespace berth::engine {

// Call first thing in a command that will start a container, and keep the result until
// the container runs: it starts the kernel's slow first cgroup attach (~10 ms on hosts
// with v1 hierarchies) in the background, overlapping berth's own start-up
// (runtime/cgroup.h, AttachWarmup).
runtime::AttachWarmup warm_up_container_start();

class Engine {
 public:
  static Result<Engine> open(const StateRoot& root);

  // Images.
  oci::Store& images() { return images_; }
  Result<std::vector<std::string>> load(const std::string& archive);
  Result<oci::ImageRecord> import(const std::string& tarball, const std::string& name);
  Result<std::vector<std::string>> remove_image(const std::string& name, bool force);

  // Containers.
  // Runs in the foreground; the result is the command's exit status. Errors before the
  // command started leave nothing behind (no directory, cgroup or record).
  Result<runtime::ExitStatus> run(const RunOptions& options,
                                  const std::function<void(const ContainerRecord&)>& on_created = {});
  Result<std::vector<ContainerRecord>> containers();
  // Removes a stopped container (force: a running one is killed first).
  Result<> remove_container(const std::string& name_or_id, bool force);
  ContainerStore& store() { return containers_; }

 private:
  Engine(StateRoot root, oci::Store images)
      : root_(std::move(root)), images_(std::move(images)), containers_(root_) {}
  Result<runtime::Spec> make_spec(const RunOptions& o, const oci::ImageRecord& image,
                                  const ContainerRecord& rec);
  Result<> write_etc_files(const RunOptions& o, const ContainerRecord& rec);
  Result<> recover();

  StateRoot root_;
  oci::Store images_;
  ContainerStore containers_;
};

}  // namespace berth::engine
