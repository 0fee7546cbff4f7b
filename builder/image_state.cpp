// The image config a stage is building (see image_state.h).
#include "builder/image_state.h"

#include "base/clock.h"

namespace berth::builder {

ImageState ImageState::scratch(const std::string& os, const std::string& architecture, const std::string& variant) {
  ImageState s;
  s.doc_ = {{"architecture", architecture},
            {"os", os},
            {"config", Json::object()},
            {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}},
            {"history", Json::array()}};
  if (!variant.empty()) s.doc_["variant"] = variant;
  return s;
}

Result<ImageState> ImageState::from_image(oci::Store& store, const oci::ImageRecord& image) {
  ImageState s;
  s.doc_ = image.config.raw;
  if (!s.doc_.is_object()) return fail("invalid image config", image.id);
  if (!s.doc_.contains("config") || !s.doc_["config"].is_object()) s.doc_["config"] = Json::object();
  if (!s.doc_.contains("history") || !s.doc_["history"].is_array()) s.doc_["history"] = Json::array();
  // docker's own fields about the container that made the base image describe the base,
  // not us.
  s.doc_.erase("container");
  s.doc_.erase("container_config");
  s.doc_.erase("docker_version");
  ASSIGN_OR_RETURN(s.blobs_, store.layer_blobs(image));
  if (s.blobs_.size() != image.config.diff_ids.size())
    return fail("image " + image.id + " lists " + std::to_string(image.config.diff_ids.size()) +
                " layers in its config and " + std::to_string(s.blobs_.size()) + " in its manifest");
  s.image_id_ = image.id;
  return s;
}

std::vector<std::string> ImageState::env() const {
  const Json& c = config();
  if (!c.contains("Env") || !c["Env"].is_array()) return {};
  std::vector<std::string> out;
  for (const auto& e : c["Env"])
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

std::optional<std::string> ImageState::env_value(const std::string& key) const {
  for (const auto& e : env()) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') return e.substr(key.size() + 1);
    if (e == key) return std::string();
  }
  return std::nullopt;
}

void ImageState::set_env(const std::string& key, const std::string& value) {
  std::vector<std::string> env = this->env();
  std::string entry = key + "=" + value;
  bool replaced = false;
  for (auto& e : env) {
    if (e == key || e.starts_with(key + "=")) {
      e = entry;
      replaced = true;
    }
  }
  if (!replaced) env.push_back(entry);
  config()["Env"] = env;
  changed();
}

std::string ImageState::working_dir() const {
  const Json& c = config();
  return c.contains("WorkingDir") && c["WorkingDir"].is_string() ? c["WorkingDir"].get<std::string>() : "";
}

std::string ImageState::user() const {
  const Json& c = config();
  return c.contains("User") && c["User"].is_string() ? c["User"].get<std::string>() : "";
}

std::vector<std::string> ImageState::diff_ids() const {
  std::vector<std::string> out;
  const Json& r = doc_.at("rootfs");
  if (r.contains("diff_ids"))
    for (const auto& d : r["diff_ids"]) out.push_back(d.get<std::string>());
  return out;
}

void ImageState::add_layer(const std::string& diff_id, const oci::LayerBlob& blob) {
  doc_["rootfs"]["diff_ids"].push_back(diff_id);
  blobs_.push_back(blob);
  changed();
}

void ImageState::add_history(const std::string& created_by, bool empty_layer, const std::string& created) {
  Json h = {{"created", created}, {"created_by", created_by}, {"comment", "berth build"}};
  if (empty_layer) h["empty_layer"] = true;
  doc_["history"].push_back(std::move(h));
  changed();
}

Result<oci::ImageRecord> ImageState::commit(oci::Store& store, const std::vector<std::string>& names,
                                            bool build_cache) {
  Json doc = doc_;
  const Json& history = doc_["history"];
  // The image was made when its last step was: a rebuild from the cache gives the same id.
  doc["created"] = history.empty() ? rfc3339_now() : history.back().value("created", rfc3339_now());
  ASSIGN_OR_RETURN(oci::ImageRecord rec, store.add_image(doc.dump(), blobs_, names, build_cache));
  image_id_ = rec.id;
  return rec;
}

}  // namespace berth::builder
