// Parsing the image config (OCI image spec config.md; docker's Healthcheck extension).
// Fields may be absent or null: both mean "not set", never an error.
#include "oci/image_config.h"

#include "oci/digest.h"

namespace berth::oci {

namespace {

std::string get_string(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t get_int(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::vector<std::string> get_strings(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (it->is_string()) return {it->get<std::string>()};  // tolerated by docker
  return it->get<std::vector<std::string>>();
}

std::vector<std::string> get_keys(const Json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) out.push_back(k);
  return out;
}

void parse_run_config(const Json& c, ImageConfig& cfg) {
  cfg.user = get_string(c, "User");
  cfg.working_dir = get_string(c, "WorkingDir");
  cfg.stop_signal = get_string(c, "StopSignal");
  cfg.env = get_strings(c, "Env");
  cfg.entrypoint = get_strings(c, "Entrypoint");
  cfg.cmd = get_strings(c, "Cmd");
  cfg.exposed_ports = get_keys(c, "ExposedPorts");
  cfg.volumes = get_keys(c, "Volumes");
  if (auto it = c.find("Labels"); it != c.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) cfg.labels[k] = v.get<std::string>();
    }
  }
  if (auto it = c.find("Healthcheck"); it != c.end() && it->is_object()) {
    cfg.healthcheck_test = get_strings(*it, "Test");
    cfg.health_interval_ns = get_int(*it, "Interval");
    cfg.health_timeout_ns = get_int(*it, "Timeout");
    cfg.health_start_period_ns = get_int(*it, "StartPeriod");
    cfg.health_retries = static_cast<int>(get_int(*it, "Retries"));
  }
}

}  // namespace

Result<ImageConfig> parse_image_config(const std::string& json_text, const std::string& source) {
  ASSIGN_OR_RETURN(Json doc, parse_json(json_text, source));
  if (!doc.is_object()) return fail("image config is not a JSON object", source);
  ImageConfig cfg;
  try {
    cfg.architecture = get_string(doc, "architecture");
    cfg.os = get_string(doc, "os");
    cfg.created = get_string(doc, "created");
    if (auto it = doc.find("config"); it != doc.end() && it->is_object()) {
      parse_run_config(*it, cfg);
    }
    if (auto it = doc.find("rootfs"); it != doc.end() && it->is_object()) {
      cfg.diff_ids = get_strings(*it, "diff_ids");
    }
  } catch (const Json::exception& e) {
    return fail(std::string("invalid image config (") + e.what() + ")", source);
  }
  for (const auto& d : cfg.diff_ids) {
    if (!is_sha256_digest(d)) return fail("invalid diff id \"" + d + "\" in image config", source);
  }
  cfg.raw = std::move(doc);
  return cfg;
}

}  // namespace berth::oci
