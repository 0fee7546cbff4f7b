// `berth pull` (see pull.h): manifest, config, parallel verified downloads with extraction
// as each completes, then the image record.
#include "oci/pull.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "base/fd.h"
#include "base/fs.h"
#include "base/lock.h"
#include "base/trace.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/registry.h"

namespace berth::oci {

namespace {

// Progress calls from several threads, one at a time.
class Reporter {
 public:
  explicit Reporter(const PullProgress& progress) : progress_(progress) {}
  void operator()(const std::string& id, const std::string& status, int64_t current = -1, int64_t total = -1) {
    if (!progress_) return;
    std::lock_guard lock(mu_);
    progress_(PullEvent{id, status, current, total});
  }

 private:
  const PullProgress& progress_;
  std::mutex mu_;
};

// The image manifest for the reference: an index is resolved to the platform's entry.
struct ResolvedManifest {
  FetchedManifest top;    // what the tag or digest names
  FetchedManifest image;  // the image manifest (== top unless top is an index)
  Manifest manifest;
  bool from_index = false;
};

Result<ResolvedManifest> resolve_manifest(RegistryClient& client, const Reference& ref,
                                          const Platform& want) {
  ResolvedManifest out;
  std::string name = ref.str();
  ASSIGN_OR_RETURN(out.top, client.get_manifest(ref.digest.empty() ? ref.tag : ref.digest));
  ASSIGN_OR_RETURN(out.manifest, parse_manifest(out.top.body, out.top.content_type, name));
  out.image = out.top;
  if (out.manifest.kind == Manifest::Kind::kIndex) {
    ASSIGN_OR_RETURN_CTX(Descriptor entry, select_manifest(out.manifest, want), name);
    if (trace_enabled()) trace_note("pull: " + want.str() + " is " + entry.digest + " in the index");
    ASSIGN_OR_RETURN(out.image, client.get_manifest(entry.digest));
    ASSIGN_OR_RETURN(out.manifest, parse_manifest(out.image.body, out.image.content_type, name));
    if (out.manifest.kind != Manifest::Kind::kImage) {
      return fail("the index's entry for " + want.str() + " is an index again", name);
    }
    out.from_index = true;
  }
  return out;
}

// A single-platform image pulled with an explicit --platform must be for that platform.
Result<> check_platform(const ImageConfig& config, const Platform& want, const std::string& name) {
  Platform actual{config.os, config.architecture, config.raw.value("variant", "")};
  if (best_platform_match({actual}, want) >= 0) return {};
  return fail("image with reference " + name + " was found but does not match the specified platform: wanted " +
              want.str() + ", actual: " + actual.str());
}

// Where each layer's blob is or will be (the store's blob, or a file in the download
// directory); the indexes of the layers to download, one per distinct blob the store
// lacks (the same blob twice in one manifest is fetched once: store_image() checks the
// second use against its own diff id).
std::vector<size_t> plan_layers(const std::vector<Descriptor>& layers, const std::string& download_dir,
                                const std::function<std::optional<std::string>(const std::string&)>& stored,
                                std::vector<Store::StagedLayer>& staged, Reporter& report) {
  std::vector<size_t> jobs;
  std::set<std::string> seen;
  for (size_t i = 0; i < layers.size(); i++) {
    const Descriptor& l = layers[i];
    Store::StagedLayer layer{"", l.digest, l.size, l.media_type, false};
    std::string id = short_digest(l.digest);
    if (auto path = stored(l.digest)) {
      layer.path = *path;
      report(id, "Already exists");
    } else {
      layer.path = path_join(download_dir, l.digest.substr(kSha256Prefix.size()));
      if (seen.insert(l.digest).second) {
        jobs.push_back(i);
        report(id, "Pulling fs layer");
      }
    }
    staged.push_back(std::move(layer));
  }
  return jobs;
}

// The layers the store lacks, downloaded by `workers` threads (each with its own
// connection); each verified blob is handed to an extraction thread of its own, so that
// the download threads go straight on to the next blob instead of waiting for gzip. The
// first failure cancels the rest.
using ExtractLayer = std::function<Result<LayerDigests>(const Store::StagedLayer&, const std::string&)>;

Result<> fetch_layers(RegistryClient& client, const std::vector<Descriptor>& blobs,
                      std::vector<Store::StagedLayer>& staged, const std::vector<size_t>& jobs,
                      const std::vector<std::string>& diff_ids, int workers, Reporter& report,
                      const ExtractLayer& extract) {
  std::atomic<size_t> next{0};
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::optional<Error> first_error;
  std::vector<std::jthread> extractors;  // guarded by mu; joined last
  auto failed = [&](const Error& e) {
    std::lock_guard lock(mu);
    if (!first_error) first_error = e;
    cancel = true;
  };
  auto extract_layer = [&](size_t i) {
    std::string id = short_digest(blobs[i].digest);
    report(id, "Extracting");
    auto d = extract(staged[i], diff_ids[i]);
    if (!d) return failed(wrap(d.error(), "layer " + blobs[i].digest));
    staged[i].extracted = true;  // each thread writes only its own element
    report(id, "Pull complete");
  };
  auto work = [&](RegistryClient& c) {
    while (!cancel.load()) {
      size_t j = next.fetch_add(1);
      if (j >= jobs.size()) return;
      size_t i = jobs[j];
      std::string id = short_digest(blobs[i].digest);
      // At most every 256 KiB: a progress bar needs no more, and the lock stays quiet.
      int64_t shown = -1;
      auto progress = [&](int64_t bytes) {
        if (shown >= 0 && bytes - shown < (256 << 10) && bytes != blobs[i].size) return;
        shown = bytes;
        report(id, "Downloading", bytes, blobs[i].size);
      };
      if (auto got = c.download_blob(blobs[i], staged[i].path, &cancel, progress); !got) return failed(got.error());
      report(id, "Download complete");
      std::lock_guard lock(mu);
      extractors.emplace_back([&extract_layer, i] { extract_layer(i); });
    }
  };
  size_t n = std::min<size_t>(jobs.size(), static_cast<size_t>(std::max(1, workers)));
  std::vector<RegistryClient> clients;
  for (size_t k = 1; k < n; k++) {
    ASSIGN_OR_RETURN(RegistryClient c, client.clone());
    clients.push_back(std::move(c));
  }
  {
    std::vector<std::jthread> threads;
    for (auto& c : clients) threads.emplace_back([&work, &c] { work(c); });
    work(client);
  }  // the downloads are over
  std::vector<std::jthread> running;
  {
    std::lock_guard lock(mu);
    running = std::move(extractors);
  }
  running.clear();  // joined: every extraction is over too
  if (first_error) return std::unexpected(*first_error);
  return {};
}

struct Connected {
  RegistryClient client;
  ResolvedManifest resolved;
};

// The registry to pull from, with the image's manifest resolved there: Docker Hub's
// mirrors first (the first that has it wins; a failing one is skipped), then the image's
// own registry, whose error is the one reported.
Result<Connected> connect(const Reference& ref, const PullOptions& options, const Platform& want) {
  ASSIGN_OR_RETURN(std::vector<RegistryEndpoint> sources, mirror_endpoints(ref, options.tls_verify, options.cert_dir));
  ASSIGN_OR_RETURN(RegistryEndpoint own, registry_endpoint(ref, options.tls_verify, options.cert_dir));
  sources.push_back(std::move(own));
  Error last;
  for (auto& ep : sources) {
    RegistryOptions ro;
    ASSIGN_OR_RETURN(ro.credentials, read_docker_credentials(ep.domain, options.docker_config_dir));
    ro.credentials_dir = docker_config_dir(options.docker_config_dir);
    std::string host = ep.host;
    ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::create(std::move(ep), std::move(ro)));
    auto resolved = resolve_manifest(client, ref, want);
    if (resolved) return Connected{std::move(client), std::move(*resolved)};
    last = resolved.error();
    if (trace_enabled()) trace_note("registry " + host + ": " + last.message());
  }
  return std::unexpected(last);
}

}  // namespace

std::string short_digest(const std::string& digest) {
  std::string_view hex = digest;
  if (hex.starts_with(kSha256Prefix)) hex.remove_prefix(kSha256Prefix.size());
  return std::string(hex.substr(0, 12));
}

Result<PulledImage> Store::pull(const Reference& ref, const PullOptions& options,
                                const std::function<void(const PullEvent&)>& progress) {
  Reporter report(progress);
  std::string name = ref.str();
  Platform want = options.platform.value_or(host_platform());
  ASSIGN_OR_RETURN(Connected source, connect(ref, options, want));
  RegistryClient& client = source.client;
  ResolvedManifest& rm = source.resolved;
  const Manifest& m = rm.manifest;
  const std::string& config_digest = m.config.digest;
  report(ref.digest.empty() ? ref.tag : ref.digest, "Pulling from " + ref.path);

  // Downloads and extraction happen under the shared lock: readers (run, images) go on,
  // writers (load, rmi and their garbage collection) wait.
  StagedImage image;
  std::optional<WorkDir> tmp;
  {
    ASSIGN_OR_RETURN(auto shared, FileLock::acquire(lock_path(), FileLock::Mode::kShared));
    // The config: from the store when we have it (always, when the image is up to date).
    if (has_blob(config_digest)) {
      ASSIGN_OR_RETURN(image.config_text, read_blob(config_digest));
    } else {
      ASSIGN_OR_RETURN(image.config_text, client.get_blob(config_digest, m.config.size));
    }
    ASSIGN_OR_RETURN(ImageConfig config,
                     parse_image_config(image.config_text, "image config " + config_digest));
    if (options.platform && !rm.from_index) TRY(check_platform(config, want, name));

    ASSIGN_OR_RETURN(auto entries, read_index());
    for (const auto& e : entries) {
      bool named = std::find(e.names.begin(), e.names.end(), name) != e.names.end();
      bool same = ref.digest.empty() ? e.id == config_digest && named
                                     : e.manifest_digest == rm.image.digest || e.id == config_digest;
      if (!same) continue;
      ASSIGN_OR_RETURN(ImageRecord rec, to_record(e));
      return PulledImage{std::move(rec), rm.top.digest, true};
    }

    image.manifest_text = rm.image.body;
    image.display = ref.familiar();
    if (ref.digest.empty()) image.names.push_back(Reference{ref.domain, ref.path, ref.tag, {}}.str());
    if (config.diff_ids.size() != m.layers.size()) {
      return fail("invalid image " + name + ": its config lists " + std::to_string(config.diff_ids.size()) +
                  " layers, its manifest " + std::to_string(m.layers.size()));
    }

    ASSIGN_OR_RETURN(WorkDir work, make_work_dir());
    tmp.emplace(std::move(work));
    auto stored = [this](const std::string& digest) -> std::optional<std::string> {
      if (!has_blob(digest)) return std::nullopt;
      return blob_path(digest);
    };
    std::vector<size_t> jobs = plan_layers(m.layers, tmp->path(), stored, image.layers, report);
    auto extract = [this](const StagedLayer& l, const std::string& diff_id) {
      return ensure_layer(l, diff_id);
    };
    TRY(fetch_layers(client, m.layers, image.layers, jobs, config.diff_ids,
                     options.max_concurrent_downloads, report, extract));
  }

  // Recording needs the exclusive lock. In the gap a concurrent rmi may have removed an
  // extracted layer we share with it: store_image() extracts it again from our download.
  ASSIGN_OR_RETURN(auto exclusive, FileLock::acquire(lock_path(), FileLock::Mode::kExclusive));
  ASSIGN_OR_RETURN(ImageRecord rec, store_image(image));
  return PulledImage{std::move(rec), rm.top.digest, false};
}

}  // namespace berth::oci
