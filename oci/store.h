// The image store: content-addressed blobs, extracted layers and the list of images.
//
// Read: OCI image spec, image-layout.md (blobs/<alg>/<hex>), manifest.md, config.md.
// Layout under the root:
//   blobs/sha256/<hex>           manifests, configs, layer blobs exactly as received
//   layers/sha256/<diffid-hex>/  each layer extracted once, shared by every image using it,
//                                read-only by convention (overlay lowerdirs)
//   layers/sha256/<hex>.size     the layer's uncompressed content size, for `images`
//   images.json                  records: id (config digest), manifest digest, names
//   lock                         flock: writers exclusive, readers shared
//   tmp/, layers/tmp-*           work in progress; the next open() removes leftovers
//                                (not a tmp/ directory a running pull holds an flock on)
// Every write is atomic (write_file_atomic, or extract under tmp-* then rename(2)), so a
// crash leaves either nothing or a complete object under its final name.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "oci/image_config.h"
#include "oci/layer_unpack.h"
#include "oci/reference.h"

namespace berth::oci {

struct PullOptions;  // oci/pull.h
struct PulledImage;
struct PullEvent;
struct PushOptions;  // oci/push.h
struct PushedImage;

struct ImageRecord {
  std::string id;               // "sha256:<hex>" = digest of the config blob (docker's image ID)
  std::string manifest_digest;  // "sha256:..." of the stored OCI manifest
  std::vector<std::string> names;  // normalised "docker.io/library/busybox:latest"
  int64_t size = 0;             // sum of uncompressed layer sizes (for `images`)
  std::string created;          // from config
  ImageConfig config;
  // Made by `berth build` as a step's or a stage's result (its cache), not asked for by a
  // user: `images` lists it only with -a, `builder prune` removes it.
  bool build_cache = false;
};

// A layer blob as a manifest lists it.
struct LayerBlob {
  std::string media_type, digest;  // digest of the blob as stored (compressed or not)
  int64_t size = 0;
};

// A working directory under the store's tmp/, flock'ed while it lives, so that another
// berth's clean-up of tmp/ (Store::open) leaves it alone, and removed with everything in it
// at the end, whatever happened. Finished blobs and layers leave it by rename(2).
class WorkDir {
 public:
  static Result<WorkDir> lock(std::string path);
  WorkDir(WorkDir&& o) noexcept : path_(std::exchange(o.path_, "")), fd_(std::move(o.fd_)) {}
  WorkDir& operator=(WorkDir&&) = delete;
  ~WorkDir();
  const std::string& path() const { return path_; }

 private:
  WorkDir(std::string path, Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  Fd fd_;
};

class Store {
 public:
  // Creates the layout if needed; removes what a crashed writer left in tmp/.
  static Result<Store> open(const std::string& root);
  Result<std::vector<ImageRecord>> list_images();
  // By name (normalised), full id "sha256:..", id hex prefix (>= 4 chars, unique), name@digest.
  // Not found: an error with errno ENOENT.
  Result<ImageRecord> find_image(std::string_view name_or_id);
  // docker-archive (manifest.json) and OCI image-layout (index.json) tars. Returns the loaded
  // names ("busybox:latest") or "sha256:<id>" for untagged images.
  Result<std::vector<std::string>> load_archive(const std::string& path);
  // `berth import`: a rootfs tar (optionally gzip/zstd) becomes a one-layer image named ref.
  Result<ImageRecord> import_rootfs(const std::string& tar_path, const Reference& ref);
  // `berth pull`: the image `ref` names, from its registry (oci/pull.cpp). `progress` is
  // called from download threads too, one call at a time.
  Result<PulledImage> pull(const Reference& ref, const PullOptions& options,
                           const std::function<void(const PullEvent&)>& progress = {});
  // `berth push`: the image named `ref` into its registry (oci/push.cpp); `progress` sees
  // docker's lines ("<layer>: Pushed", "Layer already exists").
  Result<PushedImage> push(const Reference& ref, const PushOptions& options,
                           const std::function<void(const PullEvent&)>& progress = {});
  Result<> tag(std::string_view source, const Reference& target);
  // Docker's `rmi`: returns "Untagged: busybox:latest", "Deleted: sha256:..." lines.
  Result<std::vector<std::string>> remove_image(std::string_view name_or_id, bool force_all_names);
  // A docker-archive that is also an OCI image layout, like `docker save` of docker 25+.
  Result<> save(const std::vector<std::string>& names, const std::string& out_path);
  // Extracted layer directories, lowest first (absolute paths): overlay lowerdirs.
  Result<std::vector<std::string>> layer_dirs(const ImageRecord& image);
  Result<std::vector<std::string>> layer_dirs(const std::vector<std::string>& diff_ids);
  const std::string& root() const { return root_; }

  // For the builder (oci/store_build.cpp).
  Result<WorkDir> make_work_dir();
  // `dir` (overlayfs' format: an overlay upper dir, or a directory the builder filled, on
  // the store's filesystem) becomes a layer: packed into an uncompressed tar blob, then
  // renamed into layers/ as the extracted layer. `work` holds the tar meanwhile. `skip` as
  // pack_layer_dir's. The directory is gone afterwards, whatever happened.
  Result<LayerDigests> add_layer_dir(const std::string& dir, const WorkDir& work,
                                     const std::set<std::string>& skip = {});
  // An image from a config document (its rootfs.diff_ids already extracted here) and the
  // blobs of those layers, lowest first. An image with the same config that exists already
  // gets the names (and loses the build_cache mark when this one has none).
  Result<ImageRecord> add_image(const std::string& config_text, const std::vector<LayerBlob>& layers,
                                const std::vector<std::string>& names, bool build_cache);
  // Whether the layer is extracted here and its blob is stored.
  bool has_layer(const std::string& diff_id, const std::string& blob_digest) const;
  // The layer blobs of an image, from its manifest, lowest first.
  Result<std::vector<LayerBlob>> layer_blobs(const ImageRecord& image);

  // A layer blob on its way into the store (used by load and import).
  struct StagedLayer {
    std::string path;    // where the bytes are now (a staging file, or the blob itself)
    std::string digest;  // sha256 of those bytes
    int64_t size = 0;
    std::string media_type;
    bool extracted = false;  // already extracted and verified by this operation (import)
  };
  struct StagedImage {
    std::string config_text;
    std::string manifest_text;  // empty: one is written (docker-archive, import)
    std::vector<StagedLayer> layers;
    std::vector<std::string> names;  // normalised
    std::string display;             // for errors: "loading <display>: ..."
  };

 private:
  struct IndexEntry {
    std::string id, manifest_digest;
    std::vector<std::string> names;
    int64_t size = 0;
    std::string created;
    bool build_cache = false;
  };
  struct Match {
    size_t index;
    bool by_id;  // an id or a digest, not a name: removes every name
  };

  explicit Store(std::string root) : root_(std::move(root)) {}
  std::string lock_path() const;
  Result<std::vector<IndexEntry>> read_index() const;
  Result<> write_index(const std::vector<IndexEntry>& entries) const;
  Result<ImageRecord> to_record(const IndexEntry& e) const;
  Result<Match> resolve(const std::vector<IndexEntry>& entries, std::string_view name_or_id) const;
  Result<std::vector<std::string>> delete_image(std::vector<IndexEntry>& entries, size_t index);

  std::string blob_path(std::string_view digest) const;
  bool has_blob(std::string_view digest) const;
  Result<std::string> read_blob(std::string_view digest) const;
  Result<std::string> put_blob(const std::string& content);
  Result<> adopt_blob(const std::string& staged_path, const std::string& digest);
  Result<std::string> make_temp_dir();
  Result<LayerDigests> ensure_layer(const StagedLayer& layer, const std::string& diff_id);
  Result<LayerDigests> extract_new_layer(const StagedLayer& layer, const std::string& diff_id);
  // The caller holds the exclusive lock.
  Result<ImageRecord> store_image(const StagedImage& image);
  Result<> commit(IndexEntry entry);

  std::string root_;
};

}  // namespace berth::oci
