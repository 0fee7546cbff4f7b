// How images that berth makes itself (`berth build`) enter the store: a layer from a
// directory, an image from a config whose layers are all here already.
//
// A pulled or loaded layer arrives as a tar and is extracted; a built layer arrives as a
// directory (the overlay upper dir of a RUN step, or the files a COPY step placed). It
// is packed into a tar once, for its digest and for `save`/`push`, and the directory itself
// becomes the extracted layer: the same result as extracting that tar, without doing it.
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/strings.h"
#include "oci/digest.h"
#include "oci/layer_pack.h"
#include "oci/manifest.h"
#include "oci/store.h"

namespace berth::oci {

Result<LayerDigests> Store::add_layer_dir(const std::string& dir, const WorkDir& work,
                                          const std::set<std::string>& skip) {
  struct RemoveDir {
    const std::string& dir;
    ~RemoveDir() {
      if (path_exists(dir)) (void)remove_tree(dir);
    }
  } remove_dir{dir};
  std::string tar = path_join(work.path(), "layer-" + random_hex(8) + ".tar");
  ASSIGN_OR_RETURN(LayerDigests d, pack_layer_dir(dir, tar, skip));
  // Overlay lowerdirs must be readable by container users; the upper dir was 0755 already.
  ::chmod(dir.c_str(), 0755);
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), FileLock::Mode::kShared));
  TRY(adopt_blob(tar, d.blob_digest));
  std::string layer = path_join(root_, "layers/sha256/" + d.diff_id.substr(kSha256Prefix.size()));
  if (is_directory(layer)) return d;  // the same content was made before
  TRY(write_file_atomic(layer + ".size", std::to_string(d.size) + "\n"));
  if (::rename(dir.c_str(), layer.c_str()) < 0) {
    if ((errno == EEXIST || errno == ENOTEMPTY) && is_directory(layer)) return d;
    return sys_error("rename", layer);
  }
  return d;
}

bool Store::has_layer(const std::string& diff_id, const std::string& blob_digest) const {
  if (!is_sha256_digest(diff_id)) return false;
  return has_blob(blob_digest) && is_directory(path_join(root_, "layers/sha256/" + diff_id.substr(kSha256Prefix.size())));
}

Result<std::vector<LayerBlob>> Store::layer_blobs(const ImageRecord& image) {
  ASSIGN_OR_RETURN(std::string text, read_blob(image.manifest_digest));
  ASSIGN_OR_RETURN(Manifest m, parse_manifest(text, "", image.id));
  std::vector<LayerBlob> out;
  for (const auto& l : m.layers) out.push_back(LayerBlob{l.media_type, l.digest, l.size});
  return out;
}

Result<ImageRecord> Store::add_image(const std::string& config_text, const std::vector<LayerBlob>& layers,
                                     const std::vector<std::string>& names, bool build_cache) {
  std::string id = sha256_digest_of(config_text);
  ASSIGN_OR_RETURN(ImageConfig config, parse_image_config(config_text, "image config " + id));
  if (config.diff_ids.size() != layers.size())
    return fail("the config lists " + std::to_string(config.diff_ids.size()) + " layers, the manifest " +
                std::to_string(layers.size()));
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), FileLock::Mode::kExclusive));
  int64_t size = 0;
  Json jl = Json::array();
  for (size_t i = 0; i < layers.size(); i++) {
    const std::string& diff_id = config.diff_ids[i];
    std::string dir = path_join(root_, "layers/sha256/" + diff_id.substr(kSha256Prefix.size()));
    if (!is_directory(dir) || !has_blob(layers[i].digest))
      return fail_errno(ENOENT, "layer is not in the store", diff_id);
    size += parse_int(trim(read_file(dir + ".size").value_or("0"))).value_or(0);
    jl.push_back({{"mediaType", layers[i].media_type}, {"digest", layers[i].digest}, {"size", layers[i].size}});
  }
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", id},
                     {"size", config_text.size()}}},
                   {"layers", jl}};
  TRY(put_blob(config_text));
  ASSIGN_OR_RETURN(std::string manifest_digest, put_blob(manifest.dump()));
  TRY(commit(IndexEntry{id, manifest_digest, names, size, config.created, build_cache}));
  ASSIGN_OR_RETURN(auto entries, read_index());
  for (const auto& e : entries)
    if (e.id == id) return to_record(e);
  return fail_errno(ENOENT, "image vanished after commit", id);
}

}  // namespace berth::oci
