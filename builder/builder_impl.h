// The builder's insides, shared by build.cpp (stages, FROM, the driver), instructions.cpp
// (the instructions that only change the image config) and layer_steps.cpp (those that
// add a layer). Not included outside builder/.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/fd.h"
#include "builder/build.h"
#include "builder/build_cache.h"
#include "builder/dockerfile.h"
#include "builder/dockerignore.h"
#include "builder/image_state.h"
#include "builder/shell_words.h"

namespace berth::builder {

struct Stage {
  size_t index = 0;
  std::string name;  // from `AS name`, lower-case; "" when unnamed
  const Instruction* from = nullptr;
  std::vector<const Instruction*> body;
};

// One stage while it is built, and after.
struct StageRun {
  const Stage* stage = nullptr;
  ImageState state;
  std::string key;                          // the cache key chain so far
  std::map<std::string, std::string> args;  // ARGs declared in this stage, with their values
  std::vector<std::string> shell = {"/bin/sh", "-c"};
  int step = 0, steps = 0;                  // "[builder 2/5]"
  bool cmd_set = false;                     // CMD given in this stage (ENTRYPOINT then keeps it)
  std::string label;                        // "builder " / "stage-1 " / "" (single stage)
};

class Builder {
 public:
  Builder(engine::Engine& engine, const BuildOptions& options, Progress& progress)
      : engine_(engine), options_(options), progress_(progress),
        cache_(path_of_cache(engine), engine.images()) {}
  Result<oci::ImageRecord> run();

 private:
  static std::string path_of_cache(engine::Engine& engine);
  // build.cpp
  Result<> load();
  Result<StageRun*> build_stage(size_t index);
  Result<> start_stage(StageRun& s);
  Result<oci::ImageRecord> base_image(const std::string& name, const std::string& platform);
  Result<> execute(StageRun& s, const Instruction& ins);
  Result<> run_onbuild_triggers(StageRun& s);
  VarLookup vars(const StageRun& s) const;
  VarLookup global_vars() const;
  std::string step_name(StageRun& s, const std::string& text);
  std::optional<size_t> find_stage(const std::string& name, size_t before) const;
  // instructions.cpp: config-only instructions.
  Result<> apply_metadata(StageRun& s, const Instruction& ins);
  Result<> do_arg(StageRun& s, const Instruction& ins);
  Result<> do_healthcheck(StageRun& s, const Instruction& ins);
  Result<std::vector<std::string>> command_form(StageRun& s, const Instruction& ins) const;
  void record_metadata(StageRun& s, const Instruction& ins, const std::string& canonical);
  // layer_steps.cpp: instructions that add a layer.
  using MakeLayer = std::function<Result<std::string>(const std::string& scratch)>;
  // `container`: the layer is a RUN container's upper directory (whose mount stubs go).
  Result<> layer_step(StageRun& s, const Instruction& ins, const std::string& key_part,
                      const std::string& created_by, const MakeLayer& make, bool container = false);
  Result<> do_run(StageRun& s, const Instruction& ins);
  Result<> do_copy(StageRun& s, const Instruction& ins);
  Result<> do_workdir(StageRun& s, const Instruction& ins);
  Result<std::string> run_container(StageRun& s, const std::vector<std::string>& argv, const std::string& network,
                                    const std::string& scratch);
  std::set<std::string> mount_stubs(const std::string& upper, const std::vector<std::string>& lower_dirs) const;

  engine::Engine& engine_;
  const BuildOptions& options_;
  Progress& progress_;
  BuildCache cache_;
  Dockerfile dockerfile_;
  std::string dockerfile_name_;  // "Dockerfile" as errors show it
  DockerIgnore ignore_;
  Fd context_;                   // O_PATH of the context directory
  std::vector<const Instruction*> global_args_;
  std::map<std::string, std::optional<std::string>> global_values_;
  std::vector<Stage> stages_;
  std::map<size_t, std::unique_ptr<StageRun>> built_;
  std::set<std::string> used_args_;
};

// The predefined platform ARGs (TARGETPLATFORM, BUILDARCH, ...) for the host.
std::map<std::string, std::string> platform_args();

}  // namespace berth::builder
