// Parsing manifests and indexes, and choosing an index entry by platform (see manifest.h).
#include "oci/manifest.h"

#include "base/json.h"
#include "oci/digest.h"

namespace berth::oci {

namespace {

bool is_index_type(std::string_view t) { return t == kOciIndexType || t == kDockerListType; }
bool is_image_type(std::string_view t) { return t == kOciManifestType || t == kDockerManifestType; }
bool is_schema1_type(std::string_view t) {
  return t == kDockerSchema1Type || t == kDockerSchema1SignedType;
}

// "application/json; charset=utf-8" -> "application/json".
std::string_view bare_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

Result<Descriptor> parse_descriptor(const Json& j) {
  if (!j.is_object()) return fail("descriptor is not an object");
  Descriptor d;
  d.media_type = j.value("mediaType", "");
  d.digest = j.value("digest", "");
  if (!is_sha256_digest(d.digest)) return fail("descriptor has no valid sha256 digest", d.digest);
  if (auto s = j.find("size"); s != j.end() && s->is_number_integer()) d.size = s->get<int64_t>();
  if (auto u = j.find("urls"); u != j.end() && u->is_array()) {
    for (const auto& url : *u) {
      if (url.is_string()) d.urls.push_back(url.get<std::string>());
    }
  }
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    d.platform = Platform{p->value("os", ""), p->value("architecture", ""), p->value("variant", "")};
  }
  return d;
}

Result<std::vector<Descriptor>> parse_descriptors(const Json& doc, const char* key) {
  auto list = doc.find(key);
  if (list == doc.end() || !list->is_array()) return fail(std::string("manifest has no \"") + key + "\" list");
  std::vector<Descriptor> out;
  for (const auto& j : *list) {
    ASSIGN_OR_RETURN_CTX(Descriptor d, parse_descriptor(j), key);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::string manifest_accept_header() {
  return "Accept: " + std::string(kOciIndexType) + ", " + std::string(kDockerListType) + ", " +
         std::string(kOciManifestType) + ", " + std::string(kDockerManifestType);
}

Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type,
                                const std::string& name) {
  ASSIGN_OR_RETURN(Json doc, parse_json(std::string(body), "manifest of " + name));
  if (!doc.is_object()) return fail("invalid manifest (not a JSON object)", name);
  Manifest m;
  m.media_type = doc.value("mediaType", "");
  if (m.media_type.empty()) m.media_type = bare_type(content_type);
  if (doc.value("schemaVersion", 0) == 1 || is_schema1_type(m.media_type)) {
    return fail("manifest schema 1 is not supported: " + name +
                " (push it again with a current docker, podman or skopeo: OCI or schema 2)");
  }
  bool index = is_index_type(m.media_type) || (!is_image_type(m.media_type) && doc.contains("manifests"));
  bool image = is_image_type(m.media_type) || (!index && doc.contains("layers"));
  if (index) {
    m.kind = Manifest::Kind::kIndex;
    ASSIGN_OR_RETURN_CTX(m.manifests, parse_descriptors(doc, "manifests"), "manifest of " + name);
    return m;
  }
  if (!image) return fail("unsupported manifest type \"" + m.media_type + "\"", name);
  auto config = doc.find("config");
  if (config == doc.end()) return fail("invalid manifest (no config)", name);
  ASSIGN_OR_RETURN_CTX(m.config, parse_descriptor(*config), "config of " + name);
  ASSIGN_OR_RETURN_CTX(m.layers, parse_descriptors(doc, "layers"), "manifest of " + name);
  return m;
}

Result<Descriptor> select_manifest(const Manifest& index, const Platform& want) {
  std::vector<Platform> platforms;
  std::vector<size_t> which;
  for (size_t i = 0; i < index.manifests.size(); i++) {
    const auto& d = index.manifests[i];
    // Entries without a platform, or with buildx's "unknown/unknown" (attestations,
    // signatures), are not images to run.
    if (!d.platform || d.platform->os == "unknown") continue;
    if (!is_image_type(d.media_type) && !d.media_type.empty()) continue;
    platforms.push_back(*d.platform);
    which.push_back(i);
  }
  int best = best_platform_match(platforms, want);
  if (best < 0) return fail("no matching manifest for " + want.str() + " in the manifest list entries");
  return index.manifests[which[static_cast<size_t>(best)]];
}

bool is_non_distributable(std::string_view media_type) {
  return media_type.starts_with("application/vnd.oci.image.layer.nondistributable.") ||
         media_type.starts_with("application/vnd.docker.image.rootfs.foreign.");
}

}  // namespace berth::oci
