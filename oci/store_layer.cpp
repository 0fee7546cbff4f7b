// How layers and images enter the store: each layer is extracted once per diff id, into
// layers/tmp-<random>/, verified, then renamed into layers/sha256/<diffid>/; the image's
// blobs and record follow only when every layer is in place.
//
// Read: OCI image spec, config.md "Layer DiffID" (why the diff id, not the blob digest,
// names an extracted layer: the same content may arrive gzip'd, zstd'd or plain).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "base/trace.h"
#include "oci/digest.h"
#include "oci/store.h"

namespace berth::oci {

namespace {

std::string layer_dir_of(const std::string& root, const std::string& diff_id) {
  return path_join(root, "layers/sha256/" + diff_id.substr(kSha256Prefix.size()));
}

int64_t read_layer_size(const std::string& dir) {
  auto text = read_file(dir + ".size");
  if (!text) return 0;
  return parse_int(trim(*text)).value_or(0);
}

Result<> check_digest(const char* what, const std::string& expected, const std::string& got) {
  if (expected.empty() || expected == got) return {};
  return fail(std::string(what) + " mismatch: expected " + expected + ", got " + got);
}

}  // namespace

// diff_id empty: not known yet (import); the extracted layer is named by what we computed.
Result<LayerDigests> Store::ensure_layer(const StagedLayer& layer, const std::string& diff_id) {
  if (!diff_id.empty()) {
    std::string dir = layer_dir_of(root_, diff_id);
    if (is_directory(dir)) {
      // Already extracted. An uncompressed blob is its own diff id; any other is hashed
      // (without extracting) so that no blob enters the store under a false claim.
      if (layer.digest != diff_id && !layer.extracted) {
        ASSIGN_OR_RETURN(LayerDigests d, digest_layer(layer.path));
        TRY(check_digest("blob digest", layer.digest, d.blob_digest));
        TRY(check_digest("diff id", diff_id, d.diff_id));
      }
      return LayerDigests{layer.digest, diff_id, layer.size, read_layer_size(dir)};
    }
  }
  return extract_new_layer(layer, diff_id);
}

Result<LayerDigests> Store::extract_new_layer(const StagedLayer& layer,
                                              const std::string& diff_id) {
  std::string tmp = path_join(root_, "layers/tmp-" + random_hex(8));
  if (::mkdir(tmp.c_str(), 0755) < 0) return sys_error("mkdir", tmp);
  if (trace_enabled()) trace_note("extracting layer " + (diff_id.empty() ? layer.digest : diff_id));
  UnpackOptions options;
  options.chown = ::geteuid() == 0;
  auto d = unpack_layer(layer.path, tmp, options);
  Result<> verified = d ? check_digest("blob digest", layer.digest, d->blob_digest) : Result<>();
  if (d && verified) verified = check_digest("diff id", diff_id, d->diff_id);
  if (!d || !verified) {
    (void)remove_tree(tmp);  // nothing of a refused layer stays on disk
    return std::unexpected(d ? verified.error() : d.error());
  }
  std::string dir = layer_dir_of(root_, d->diff_id);
  if (is_directory(dir)) {  // import of content we already have
    TRY(remove_tree(tmp));
    return d;
  }
  // The data must be on disk before the rename makes the layer visible under its name.
  ASSIGN_OR_RETURN(Fd fd, open_fd(tmp, O_RDONLY | O_DIRECTORY));
  if (::syncfs(fd.get()) < 0) return sys_error("syncfs", tmp);
  TRY(write_file_atomic(dir + ".size", std::to_string(d->size) + "\n"));
  if (::rename(tmp.c_str(), dir.c_str()) < 0) {
    int err = errno;
    (void)remove_tree(tmp);
    // Two pulls sharing a layer may extract it at once: the first rename wins, and the
    // second one's identical copy is not needed.
    if ((err == EEXIST || err == ENOTEMPTY) && is_directory(dir)) return d;
    return fail_errno(err, "rename", dir);
  }
  return d;
}

namespace {

// An OCI manifest for images that arrive without one (docker-archive, import).
std::string synthesize_manifest(const std::string& config_text,
                                const std::vector<Store::StagedLayer>& layers) {
  Json jl = Json::array();
  for (const auto& l : layers) {
    jl.push_back({{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}});
  }
  Json m = {{"schemaVersion", 2},
            {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
            {"config",
             {{"mediaType", "application/vnd.oci.image.config.v1+json"},
              {"digest", sha256_digest_of(config_text)},
              {"size", config_text.size()}}},
            {"layers", jl}};
  return m.dump();
}

}  // namespace

Result<ImageRecord> Store::store_image(const StagedImage& image) {
  std::string id = sha256_digest_of(image.config_text);
  std::string ctx = "loading " + (image.display.empty() ? id : image.display);
  ASSIGN_OR_RETURN_CTX(ImageConfig config,
                       parse_image_config(image.config_text, "image config " + id), ctx);
  if (config.diff_ids.size() != image.layers.size()) {
    return std::unexpected(wrap(Error(0, "the config lists " + std::to_string(config.diff_ids.size()) +
                                             " layers, the manifest " +
                                             std::to_string(image.layers.size())),
                                ctx));
  }
  int64_t size = 0;
  for (size_t i = 0; i < image.layers.size(); i++) {
    StagedLayer layer = image.layers[i];
    if (!path_exists(layer.path)) layer.path = blob_path(layer.digest);  // moved by an earlier image
    auto d = ensure_layer(layer, config.diff_ids[i]);
    if (!d) return std::unexpected(wrap(wrap(d.error(), "layer " + config.diff_ids[i]), ctx));
    size += d->size;
  }
  for (const auto& layer : image.layers) {
    if (path_exists(layer.path)) TRY_CTX(adopt_blob(layer.path, layer.digest), ctx);
  }
  std::string manifest = image.manifest_text.empty()
                             ? synthesize_manifest(image.config_text, image.layers)
                             : image.manifest_text;
  TRY_CTX(put_blob(image.config_text), ctx);
  ASSIGN_OR_RETURN_CTX(std::string manifest_digest, put_blob(manifest), ctx);
  TRY_CTX(commit(IndexEntry{id, manifest_digest, image.names, size, config.created}), ctx);
  return ImageRecord{id, manifest_digest, image.names, size, config.created, std::move(config)};
}

}  // namespace berth::oci
