// `berth import`: a root filesystem tarball becomes a one-layer image.
//
// Read: OCI image spec, config.md (the minimal config: architecture, os, rootfs.diff_ids)
// and manifest.md. The tar is copied into the store as the layer blob (as given: plain,
// gzip or zstd) and extracted once; its diff id is learnt from that extraction.
#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "base/clock.h"
#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/sha256.h"
#include "oci/compression.h"
#include "oci/digest.h"
#include "oci/platform.h"
#include "oci/store.h"

namespace berth::oci {

namespace {

// Copies src to dst, hashing on the way: the staged layer blob.
Result<Store::StagedLayer> copy_hashed(const std::string& src, const std::string& dst) {
  ASSIGN_OR_RETURN(Fd in, open_fd(src, O_RDONLY));
  ASSIGN_OR_RETURN(Fd out, open_fd(dst, O_WRONLY | O_CREAT | O_EXCL, 0644));
  Store::StagedLayer layer{dst, {}, 0, {}};
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (true) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", src);
    if (n == 0) break;
    if (layer.size == 0) {
      layer.media_type = layer_media_type(
          detect_compression(std::string_view(buf.data(), static_cast<size_t>(n))));
    }
    sha.update(buf.data(), static_cast<size_t>(n));
    TRY(write_all(out.get(), buf.data(), static_cast<size_t>(n)));
    layer.size += n;
  }
  if (layer.media_type.empty()) layer.media_type = layer_media_type(Compression::kNone);
  layer.digest = std::string(kSha256Prefix) + sha.hex_digest();
  return layer;
}

std::string import_config(const std::string& diff_id, const std::string& source) {
  std::string now = rfc3339_now();
  Json config = {{"architecture", host_architecture()},
                 {"os", "linux"},
                 {"created", now},
                 {"config", Json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
                 {"history", {{{"created", now}, {"created_by", "berth import"},
                               {"comment", "Imported from " + base_name(source)}}}}};
  return config.dump();
}

}  // namespace

Result<ImageRecord> Store::import_rootfs(const std::string& tar_path, const Reference& ref) {
  std::string ctx = "importing \"" + tar_path + "\"";
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), FileLock::Mode::kExclusive));
  ASSIGN_OR_RETURN(std::string tmp, make_temp_dir());
  auto result = [&]() -> Result<ImageRecord> {
    ASSIGN_OR_RETURN(StagedLayer layer, copy_hashed(tar_path, path_join(tmp, "layer")));
    ASSIGN_OR_RETURN(LayerDigests d, ensure_layer(layer, ""));
    layer.extracted = true;
    StagedImage image;
    image.config_text = import_config(d.diff_id, tar_path);
    image.layers.push_back(layer);
    if (!ref.tag.empty()) image.names.push_back(Reference{ref.domain, ref.path, ref.tag, {}}.str());
    image.display = ref.familiar();
    return store_image(image);
  }();
  (void)remove_tree(tmp);
  if (!result) return std::unexpected(wrap(result.error(), ctx));
  return result;
}

}  // namespace berth::oci
