// The image a build stage is making, step by step: an OCI image config document (what to
// run, the environment, the layers' diff ids, the history) and the blobs of its layers.
//
// Read: OCI image spec, config.md ("config", "rootfs", "history"). Each Dockerfile
// instruction changes this document (ENV, CMD, LABEL...) or adds a layer to it (RUN,
// COPY, ADD, WORKDIR); the history gets one entry per instruction, with empty_layer for
// the ones that added no layer, as docker writes it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "oci/store.h"

namespace berth::builder {

class ImageState {
 public:
  // FROM scratch: an empty filesystem for this platform.
  static ImageState scratch(const std::string& os, const std::string& architecture, const std::string& variant);
  // FROM image: its config and layers.
  static Result<ImageState> from_image(oci::Store& store, const oci::ImageRecord& image);

  // The "config" object: Env, Cmd, Entrypoint, WorkingDir, User, Labels, ...
  Json& config() { return doc_["config"]; }
  const Json& config() const { return doc_.at("config"); }
  const Json& document() const { return doc_; }
  Json& document() { return doc_; }

  std::vector<std::string> env() const;
  std::optional<std::string> env_value(const std::string& key) const;
  void set_env(const std::string& key, const std::string& value);
  std::string working_dir() const;
  std::string user() const;

  std::vector<std::string> diff_ids() const;
  const std::vector<oci::LayerBlob>& blobs() const { return blobs_; }
  void add_layer(const std::string& diff_id, const oci::LayerBlob& blob);
  void add_history(const std::string& created_by, bool empty_layer, const std::string& created);

  // The image of exactly this state, when it has been stored (any change forgets it).
  const std::optional<std::string>& image_id() const { return image_id_; }
  void changed() { image_id_.reset(); }
  // Stores this state as an image (build_cache: hidden from `images`), remembering its id.
  Result<oci::ImageRecord> commit(oci::Store& store, const std::vector<std::string>& names, bool build_cache);

 private:
  Json doc_;
  std::vector<oci::LayerBlob> blobs_;
  std::optional<std::string> image_id_;
};

}  // namespace berth::builder
