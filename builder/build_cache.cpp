// The build cache's records (see build_cache.h).
#include "builder/build_cache.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/sha256.h"

namespace berth::builder {

std::string build_cache_dir(const std::string& storage) { return path_join(storage, "builder/cache"); }

std::string chain_key(const std::string& prev, const std::string& part) {
  return sha256_hex(prev + "\n" + part);
}

std::optional<CacheRecord> BuildCache::find(const std::string& key) {
  auto doc = read_json_file(path_join(dir_, key));
  if (!doc) return std::nullopt;
  CacheRecord r;
  try {
    r.empty_layer = doc->value("empty_layer", false);
    r.diff_id = doc->value("diff_id", "");
    r.created = doc->value("created", "");
    if (doc->contains("blob")) {
      const Json& b = doc->at("blob");
      r.blob = oci::LayerBlob{b.at("mediaType").get<std::string>(), b.at("digest").get<std::string>(),
                              b.at("size").get<int64_t>()};
    }
  } catch (const Json::exception&) {
    return std::nullopt;  // a damaged record is a miss; the step runs again and rewrites it
  }
  if (!r.empty_layer && !store_.has_layer(r.diff_id, r.blob.digest)) {
    return std::nullopt;
  }
  return r;
}

Result<> BuildCache::put(const std::string& key, const CacheRecord& r) {
  Json doc = {{"created", r.created}};
  if (r.empty_layer) doc["empty_layer"] = true;
  else {
    doc["diff_id"] = r.diff_id;
    doc["blob"] = {{"mediaType", r.blob.media_type}, {"digest", r.blob.digest}, {"size", r.blob.size}};
  }
  TRY(make_dirs(dir_, 0700));
  return write_file_atomic(path_join(dir_, key), doc.dump() + "\n", 0600, Sync::kNoSync);
}

Result<> BuildCache::clear() { return remove_tree(dir_); }

}  // namespace berth::builder
