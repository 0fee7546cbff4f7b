// `berth push` (see push.h).
#include "oci/push.h"

#include "base/lock.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/registry.h"
#include "oci/store.h"

namespace berth::oci {

Result<PushedImage> Store::push(const Reference& ref, const PushOptions& options,
                                const std::function<void(const PullEvent&)>& progress) {
  auto report = [&](const std::string& id, const std::string& status) {
    if (progress) progress(PullEvent{id, status});
  };
  if (ref.tag.empty()) return fail("push needs a tag (NAME:TAG)", ref.str());
  ASSIGN_OR_RETURN_CTX(ImageRecord image, find_image(ref.str()), "An image does not exist locally with the tag: " + ref.familiar());
  // Held while we read the blobs: an rmi cannot collect them under us.
  ASSIGN_OR_RETURN(auto shared, FileLock::acquire(lock_path(), FileLock::Mode::kShared));
  ASSIGN_OR_RETURN(std::string manifest_text, read_blob(image.manifest_digest));
  ASSIGN_OR_RETURN(Manifest manifest, parse_manifest(manifest_text, "", ref.str()));
  RegistryOptions ro;
  ASSIGN_OR_RETURN(ro.credentials, read_docker_credentials(ref.domain, options.docker_config_dir));
  ro.credentials_dir = docker_config_dir(options.docker_config_dir);
  ro.push = true;
  ASSIGN_OR_RETURN(RegistryEndpoint ep, registry_endpoint(ref, options.tls_verify, options.cert_dir));
  ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::create(std::move(ep), std::move(ro)));
  report("", "The push refers to repository [" + ref.domain + "/" + ref.path + "]");
  // Layers top first, as docker lists them; the config after them.
  std::vector<Descriptor> blobs(manifest.layers.rbegin(), manifest.layers.rend());
  blobs.push_back(manifest.config);
  for (auto it = manifest.layers.rbegin(); it != manifest.layers.rend(); ++it) report(short_digest(it->digest), "Preparing");
  for (const auto& b : blobs) {
    bool layer = b.digest != manifest.config.digest;
    std::string id = short_digest(b.digest);
    ASSIGN_OR_RETURN(bool exists, client.blob_exists(b.digest));
    if (exists) {
      if (layer) report(id, "Layer already exists");
      continue;
    }
    if (!has_blob(b.digest)) return fail("blob " + b.digest + " of " + ref.familiar() + " is not in the store");
    if (layer) report(id, "Pushing");
    TRY_CTX(client.upload_blob(b.digest, blob_path(b.digest)), "pushing " + ref.familiar());
    if (layer) report(id, "Pushed");
  }
  std::string media_type = manifest.media_type.empty() ? "application/vnd.oci.image.manifest.v1+json" : manifest.media_type;
  ASSIGN_OR_RETURN(std::string digest, client.put_manifest(ref.tag, manifest_text, media_type));
  return PushedImage{digest, static_cast<int64_t>(manifest_text.size())};
}

}  // namespace berth::oci
