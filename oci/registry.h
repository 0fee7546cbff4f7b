// A registry client for the OCI distribution spec (the "registry v2" API): where an image
// reference lives, and the three requests a pull makes: GET /v2/ (the ping: which scheme,
// which authentication), GET /v2/NAME/manifests/REF and GET /v2/NAME/blobs/DIGEST.
//
// Read: OCI distribution spec, spec.md ("Pulling manifests", "Pulling blobs", the error
// codes); docker's registry/config.go for which registries are insecure by default
// (loopback: plain HTTP is allowed, TLS not verified); RFC 9110 section 14 (Range).
// After this file you know that "busybox" is fetched from registry-1.docker.io as
// library/busybox, and that every byte a registry sends is checked against its digest
// before anything keeps it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/http.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_auth.h"
#include "oci/registry_certs.h"

namespace berth::oci {

struct RegistryEndpoint {
  std::string domain;      // as in the reference: "docker.io", "127.0.0.1:5000"
  std::string host;        // whom we talk to: "registry-1.docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/busybox"
  // Plain HTTP allowed and TLS certificates not verified: loopback registries, and any
  // registry with --tls-verify=false. HTTPS is still tried first, as docker does.
  bool insecure = false;
  RegistryTls tls;  // certs.d: its CAs and client certificate (with_certs())
};

// localhost, 127.0.0.0/8 and [::1], with or without a port: docker's insecure defaults.
bool is_loopback_registry(std::string_view domain);
RegistryEndpoint resolve_registry(const Reference& ref, bool tls_verify = true);
// Where an image's registry is and how to speak to it: resolve_registry(), then its
// certs.d directory (registry_certs.h: a registry that has one is spoken to over verified
// TLS unless --tls-verify=false) and berth's insecure-registries (registry_config.h).
Result<RegistryEndpoint> registry_endpoint(const Reference& ref, bool tls_verify, const std::string& cert_dir);
// Docker Hub's mirrors from berth's config (registry_config.h), in order, as endpoints for
// `ref`; none for an image of another registry.
Result<std::vector<RegistryEndpoint>> mirror_endpoints(const Reference& ref, bool tls_verify,
                                                       const std::string& cert_dir);

// The registry's own words for a failed request: the distribution spec's error body
// {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "..."}]} rendered as docker does
// ("manifest unknown: manifest unknown"), else the HTTP status.
std::string registry_error_text(const HttpResponse& r);

struct RegistryOptions {
  std::optional<Credentials> credentials;
  std::string credentials_dir;  // where credentials were looked for (for error messages)
  int max_attempts = 5;         // per request, on 5xx, 429 and dropped connections
  int backoff_ms = 250;         // the first wait; doubled after each failed attempt
  bool push = false;            // tokens for "pull,push" (berth push), not just "pull"
};

struct FetchedManifest {
  std::string body, content_type;
  std::string digest;  // sha256 of body
};

class RegistryClient {
 public:
  static Result<RegistryClient> create(RegistryEndpoint endpoint, RegistryOptions options);
  // Another client of the same session (scheme, token) with a connection of its own: one
  // per download thread.
  Result<RegistryClient> clone() const;
  const RegistryEndpoint& endpoint() const;

  // GET /v2/NAME/manifests/TAG_OR_DIGEST. Asked by digest, the body must have that digest.
  Result<FetchedManifest> get_manifest(std::string_view tag_or_digest);
  // A small blob (an image config) into memory, verified against `digest`.
  Result<std::string> get_blob(const std::string& digest, int64_t size);
  // A blob streamed into `path`, hashed on the way; a partial file left by a dropped
  // connection is resumed with a Range request. On success the file holds exactly the
  // blob; a digest or size mismatch removes it and names the blob. `on_progress(bytes)`
  // sees the bytes so far; `cancel` stops the transfer when set by another thread.
  Result<> download_blob(const Descriptor& blob, const std::string& path,
                         const std::atomic<bool>* cancel = nullptr,
                         const std::function<void(int64_t)>& on_progress = {});

  // Pushing (oci/registry_push.cpp; distribution spec "Pushing blobs", "Pushing Manifests").
  // HEAD /v2/NAME/blobs/DIGEST: whether the registry has the blob already.
  Result<bool> blob_exists(const std::string& digest);
  // The file at `path`, whose sha256 is `digest`: POST .../blobs/uploads/ opens an upload
  // session, one PUT of the whole blob to its Location with ?digest= closes it.
  Result<> upload_blob(const std::string& digest, const std::string& path);
  // PUT /v2/NAME/manifests/TAG; returns the digest the registry stored it under.
  Result<std::string> put_manifest(const std::string& tag, const std::string& body, const std::string& media_type);
  // berth login: GET /v2/ with the credentials, which must be accepted.
  Result<> check_login();

 private:
  struct Session;
  RegistryClient(std::shared_ptr<Session> session, HttpClient http);
  Result<> ping();
  Result<> authenticate(const std::vector<AuthChallenge>& challenges, const std::string& used);
  // One request to /v2/<path> (or to a URL the registry gave: an absolute one, or a path
  // from its root) with our authorization; a 401 makes us authenticate (again) and send it
  // once more.
  Result<HttpResponse> send(const std::string& path, HttpRequest request, BodyWriter* writer);
  // send(), again after a backoff while the registry answers 5xx/429 or the connection drops.
  Result<HttpResponse> send_with_retries(const std::string& path, const HttpRequest& request);
  // download_blob() less the clean-up: attempts, each resuming what the last one left.
  Result<> fetch_blob_with_retries(const Descriptor& blob, const std::string& path,
                                   const std::atomic<bool>* cancel,
                                   const std::function<void(int64_t)>& on_progress);
  std::string name(std::string_view ref) const;

  std::shared_ptr<Session> session_;
  HttpClient http_;
};

}  // namespace berth::oci
