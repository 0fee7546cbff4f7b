// The registry requests of a push and of a login (see registry.h).
//
// Read: OCI distribution spec, spec.md "Pushing blobs" (POST then PUT: the "monolithic"
// upload, one PUT with the whole blob and ?digest=), "Checking if content exists in the
// registry" (HEAD) and "Pushing Manifests" (PUT with the manifest's media type). A registry
// answers the POST with 202 and the upload's Location, which may be absolute or a path,
// and may carry its own query (`?_state=...`): the digest is appended with & then.
#include "oci/digest.h"
#include "oci/registry.h"

namespace berth::oci {

Result<bool> RegistryClient::blob_exists(const std::string& digest) {
  HttpRequest req;
  req.method = "HEAD";
  ASSIGN_OR_RETURN(HttpResponse r, send_with_retries(endpoint().repository + "/blobs/" + digest, req));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return fail("checking blob " + digest + " in " + name("") + ": " + registry_error_text(r));
}

Result<> RegistryClient::upload_blob(const std::string& digest, const std::string& path) {
  HttpRequest start;
  start.method = "POST";
  ASSIGN_OR_RETURN(HttpResponse opened, send_with_retries(endpoint().repository + "/blobs/uploads/", start));
  if (opened.status == 401 || opened.status == 403)
    return fail("denied: requested access to the resource is denied (" + name("") + ": " + registry_error_text(opened) + ")");
  if (opened.status != 202) return fail("starting the upload of " + digest + ": " + registry_error_text(opened));
  std::string location = opened.header("location");
  if (location.empty()) return fail("starting the upload of " + digest + ": the registry gave no Location");
  location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
  HttpRequest put;
  put.method = "PUT";
  put.upload_path = path;
  put.headers.push_back("Content-Type: application/octet-stream");
  ASSIGN_OR_RETURN(HttpResponse done, send(location, put, nullptr));
  if (done.status != 201) return fail("uploading " + digest + ": " + registry_error_text(done));
  return {};
}

Result<std::string> RegistryClient::put_manifest(const std::string& tag, const std::string& body,
                                                 const std::string& media_type) {
  HttpRequest put;
  put.method = "PUT";
  put.body = body;
  put.headers.push_back("Content-Type: " + media_type);
  ASSIGN_OR_RETURN(HttpResponse r, send_with_retries(endpoint().repository + "/manifests/" + tag, put));
  if (r.status != 201 && r.status != 200) return fail("pushing the manifest of " + name(tag) + ": " + registry_error_text(r));
  std::string digest = sha256_digest_of(body);
  if (std::string given = r.header("docker-content-digest"); !given.empty() && given != digest)
    return fail("the registry stored the manifest of " + name(tag) + " as " + given + ", expected " + digest);
  return digest;
}

Result<> RegistryClient::check_login() {
  ASSIGN_OR_RETURN(HttpResponse r, send("", HttpRequest{}, nullptr));
  if (r.status == 401 || r.status == 403) return fail("unauthorized: incorrect username or password");
  if (r.status < 200 || r.status > 299) return fail("login to " + endpoint().host + ": " + registry_error_text(r));
  return {};
}

}  // namespace berth::oci
