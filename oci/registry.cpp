// The registry client: endpoint resolution, the ping, authentication on 401, retries,
// manifests and blobs (see registry.h).
#include "oci/registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>

#include "oci/registry_config.h"
#include "base/base64.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/trace.h"
#include "oci/digest.h"

namespace berth::oci {

namespace {

// "127.0.0.1:5000" -> "127.0.0.1"; "[::1]:5000" -> "::1".
std::string_view host_part(std::string_view domain) {
  if (domain.starts_with("[")) {
    size_t close = domain.find(']');
    return close == std::string_view::npos ? domain : domain.substr(1, close - 1);
  }
  return domain.substr(0, domain.find(':'));
}

std::string lower_words(std::string code) {
  for (char& c : code) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return code;
}

}  // namespace

std::string registry_error_text(const HttpResponse& r) {
  auto doc = parse_json(r.body, "registry error");
  if (doc && doc->is_object()) {
    auto errors = doc->find("errors");
    if (errors != doc->end() && errors->is_array() && !errors->empty() && (*errors)[0].is_object()) {
      const Json& e = (*errors)[0];
      std::string code = lower_words(e.value("code", ""));
      std::string message = e.value("message", "");
      if (!code.empty() && !message.empty()) return code + ": " + message;
      if (!code.empty() || !message.empty()) return code + message;
    }
  }
  return "HTTP status " + std::to_string(r.status);
}

bool is_loopback_registry(std::string_view domain) {
  std::string host(host_part(domain));
  if (host == "localhost" || host == "::1") return true;
  in_addr addr;
  if (::inet_pton(AF_INET, host.c_str(), &addr) == 1) return (ntohl(addr.s_addr) >> 24) == 127;
  return false;
}

RegistryEndpoint resolve_registry(const Reference& ref, bool tls_verify) {
  RegistryEndpoint e;
  e.domain = ref.domain;
  // docker.io is a name, not a host: Docker Hub's registry API lives on registry-1.
  e.host = ref.domain == kDefaultDomain ? "registry-1.docker.io" : ref.domain;
  e.repository = ref.path;
  e.insecure = !tls_verify || is_loopback_registry(ref.domain);
  return e;
}

Result<RegistryEndpoint> registry_endpoint(const Reference& ref, bool tls_verify, const std::string& cert_dir) {
  RegistryEndpoint e = resolve_registry(ref, tls_verify);
  ASSIGN_OR_RETURN(e.tls, load_registry_tls(e.domain, cert_dir));
  if (e.tls.configured && tls_verify) e.insecure = false;
  ASSIGN_OR_RETURN(RegistryConfig config, load_registry_config());
  if (config.is_insecure(e.domain)) e.insecure = true;
  return e;
}

Result<std::vector<RegistryEndpoint>> mirror_endpoints(const Reference& ref, bool tls_verify,
                                                       const std::string& cert_dir) {
  std::vector<RegistryEndpoint> out;
  if (ref.domain != kDefaultDomain) return out;
  ASSIGN_OR_RETURN(RegistryConfig config, load_registry_config());
  for (const auto& url : config.mirrors) {
    RegistryEndpoint e;
    e.host = url.substr(url.find("://") + 3);
    e.host = e.host.substr(0, e.host.find('/'));
    e.domain = e.host;  // its credentials and certs.d entry are the mirror's own
    e.repository = ref.path;
    ASSIGN_OR_RETURN(e.tls, load_registry_tls(e.domain, cert_dir));
    e.insecure = !tls_verify || url.starts_with("http://") || is_loopback_registry(e.host) || config.is_insecure(e.host);
    if (e.tls.configured && tls_verify && url.starts_with("https://")) e.insecure = false;
    out.push_back(std::move(e));
  }
  return out;
}

struct RegistryClient::Session {
  RegistryEndpoint endpoint;
  RegistryOptions options;
  std::mutex mu;  // guards what follows: download threads share the session
  bool pinged = false;
  std::string base;           // "https://host/v2/"
  std::string authorization;  // the header line, or "" (anonymous)
};

RegistryClient::RegistryClient(std::shared_ptr<Session> session, HttpClient http)
    : session_(std::move(session)), http_(std::move(http)) {}

Result<RegistryClient> RegistryClient::create(RegistryEndpoint endpoint, RegistryOptions options) {
  auto session = std::make_shared<Session>();
  session->endpoint = std::move(endpoint);
  session->options = std::move(options);
  ASSIGN_OR_RETURN(HttpClient http, HttpClient::create());
  return RegistryClient(std::move(session), std::move(http));
}

Result<RegistryClient> RegistryClient::clone() const {
  ASSIGN_OR_RETURN(HttpClient http, HttpClient::create());
  return RegistryClient(session_, std::move(http));
}

const RegistryEndpoint& RegistryClient::endpoint() const { return session_->endpoint; }

std::string RegistryClient::name(std::string_view ref) const {
  std::string n = session_->endpoint.domain + "/" + session_->endpoint.repository;
  if (ref.empty()) return n;
  return n + (ref.starts_with(kSha256Prefix) ? "@" : ":") + std::string(ref);
}

// GET /v2/ tells whether the registry speaks HTTPS (an insecure one may not: then plain
// HTTP) and how it wants us to authenticate (its 401's WWW-Authenticate).
Result<> RegistryClient::ping() {
  const auto& ep = session_->endpoint;
  std::vector<std::string> schemes = {"https"};
  if (ep.insecure) schemes.push_back("http");
  Error last;
  for (const auto& scheme : schemes) {
    HttpRequest req{"GET", scheme + "://" + ep.host + "/v2/", {}, 0, !ep.insecure, {}, {}, ep.tls.ca_pem,
                    ep.tls.client_cert, ep.tls.client_key};
    Result<HttpResponse> r = fail("no attempt");
    for (int attempt = 0, wait = session_->options.backoff_ms;; attempt++, wait *= 2) {
      r = http_.send(req);
      bool again = (!r && is_retryable_transport_error(r.error()) && scheme == schemes.back()) ||
                   (r && (r->status >= 500 || r->status == 429));
      if (!again || attempt + 1 >= session_->options.max_attempts) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    }
    if (!r) {
      last = r.error();
      continue;  // HTTPS refused by an insecure registry: try plain HTTP
    }
    if (trace_enabled()) trace_note("registry " + ep.host + " speaks " + scheme);
    {
      std::lock_guard lock(session_->mu);
      session_->base = scheme + "://" + ep.host + "/v2/";
    }
    session_->pinged = true;  // before any clone() starts a thread
    if (r->status == 401) return authenticate(parse_www_authenticate(r->header("www-authenticate")), "");
    if (r->status >= 200 && r->status < 300) return {};
    return fail("registry " + ep.host + " does not speak the registry v2 API (GET /v2/: " +
                registry_error_text(*r) + ")");
  }
  return std::unexpected(wrap(last, "contacting registry " + ep.host));
}

// Sets the session's authorization for the challenges of a 401. `used`: the
// authorization that was refused ("" if none), so that we never repeat a refused one.
Result<> RegistryClient::authenticate(const std::vector<AuthChallenge>& challenges,
                                      const std::string& used) {
  const auto& ep = session_->endpoint;
  const auto& creds = session_->options.credentials;
  std::string basic =
      creds ? "Authorization: Basic " + base64_encode(creds->username + ":" + creds->password) : "";
  auto unauthorized = [&](const std::string& detail) {
    std::string where = creds ? "credentials for " + ep.domain + " from " + creds->source
                              : "no credentials for " + ep.domain + " in " +
                                    session_->options.credentials_dir + "/config.json";
    return fail(detail + " (" + where + ")");
  };
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic_challenge = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic_challenge) basic_challenge = &c;
  }
  if (bearer) {
    std::string scope = bearer->param("scope");
    // A login asks for no repository, so for no scope: only whether the credentials hold.
    if (scope.empty() && !ep.repository.empty())
      scope = "repository:" + ep.repository + (session_->options.push ? ":pull,push" : ":pull");
    ASSIGN_OR_RETURN(std::string url, token_url(*bearer, scope));
    if (trace_enabled()) trace_note("registry token: GET " + url);
    HttpRequest req{"GET", url, {}, 0, !ep.insecure, {}, {}, ep.tls.ca_pem, ep.tls.client_cert, ep.tls.client_key};
    if (!basic.empty()) req.headers.push_back(basic);
    ASSIGN_OR_RETURN_CTX(HttpResponse r, http_.send(req), "getting a registry token");
    if (r.status == 401 || r.status == 403) return unauthorized("unauthorized: " + registry_error_text(r));
    if (r.status != 200) return fail("getting a registry token from " + url + ": " + registry_error_text(r));
    ASSIGN_OR_RETURN(std::string token, parse_token_response(r.body));
    std::string header = "Authorization: Bearer " + token;
    if (header == used) return unauthorized("unauthorized: the registry refused its own token");
    std::lock_guard lock(session_->mu);
    session_->authorization = header;
    return {};
  }
  if (basic_challenge || challenges.empty()) {
    if (basic.empty()) return unauthorized("unauthorized: authentication required");
    if (basic == used) return unauthorized("unauthorized: incorrect username or password");
    std::lock_guard lock(session_->mu);
    session_->authorization = basic;
    return {};
  }
  return fail("unsupported registry authentication \"" + challenges.front().scheme + "\"");
}

Result<HttpResponse> RegistryClient::send(const std::string& path, HttpRequest request,
                                          BodyWriter* writer) {
  if (!session_->pinged) TRY(ping());
  std::string auth;
  {
    std::lock_guard lock(session_->mu);
    if (path.starts_with("http://") || path.starts_with("https://")) {
      request.url = path;
    } else if (path.starts_with("/")) {  // from the registry's root: keep our scheme and host
      request.url = session_->base.substr(0, session_->base.size() - std::string_view("/v2/").size()) + path;
    } else {
      request.url = session_->base + path;
    }
    auth = session_->authorization;
  }
  request.verify_tls = !session_->endpoint.insecure;
  request.extra_ca_pem = session_->endpoint.tls.ca_pem;
  request.client_cert = session_->endpoint.tls.client_cert;
  request.client_key = session_->endpoint.tls.client_key;
  std::vector<std::string> base_headers = request.headers;
  for (int round = 0;; round++) {
    request.headers = base_headers;
    if (!auth.empty()) request.headers.push_back(auth);
    ASSIGN_OR_RETURN(HttpResponse r, http_.send(request, writer));
    if (r.status != 401 || round > 0) return r;
    TRY(authenticate(parse_www_authenticate(r.header("www-authenticate")), auth));
    std::lock_guard lock(session_->mu);
    auth = session_->authorization;
  }
}

Result<HttpResponse> RegistryClient::send_with_retries(const std::string& path,
                                                       const HttpRequest& request) {
  int wait = session_->options.backoff_ms;
  for (int attempt = 1;; attempt++, wait *= 2) {
    auto r = send(path, request, nullptr);
    bool again = r ? (r->status >= 500 || r->status == 429) : is_retryable_transport_error(r.error());
    if (!again || attempt >= session_->options.max_attempts) return r;
    if (trace_enabled()) trace_note("registry: retrying " + path + " in " + std::to_string(wait) + " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
}

Result<FetchedManifest> RegistryClient::get_manifest(std::string_view ref) {
  HttpRequest req;
  req.headers.push_back(manifest_accept_header());
  std::string path = session_->endpoint.repository + "/manifests/" + std::string(ref);
  ASSIGN_OR_RETURN(HttpResponse r, send_with_retries(path, req));
  if (r.status == 404) return fail("manifest for " + name(ref) + " not found: " + registry_error_text(r));
  if (r.status == 401 || r.status == 403) {
    return fail("pull access denied for " + name("") + ": " + registry_error_text(r));
  }
  if (r.status != 200) return fail("fetching manifest of " + name(ref) + ": " + registry_error_text(r));
  FetchedManifest m{std::move(r.body), r.header("content-type"), ""};
  m.digest = sha256_digest_of(m.body);
  if (ref.starts_with(kSha256Prefix) && m.digest != ref) {
    return fail("manifest digest mismatch: " + name(ref) + " was served content with digest " + m.digest);
  }
  return m;
}

Result<std::string> RegistryClient::get_blob(const std::string& digest, int64_t size) {
  std::string path = session_->endpoint.repository + "/blobs/" + digest;
  ASSIGN_OR_RETURN(HttpResponse r, send_with_retries(path, HttpRequest{}));
  if (r.status == 404) {
    return fail("blob " + digest + " of " + name("") + " not found: " + registry_error_text(r));
  }
  if (r.status != 200) return fail("fetching blob " + digest + ": " + registry_error_text(r));
  std::string got = sha256_digest_of(r.body);
  if (got != digest) {
    return fail("blob " + digest + " digest mismatch: the registry sent content with digest " + got);
  }
  if (size >= 0 && static_cast<int64_t>(r.body.size()) != size) {
    return fail("blob " + digest + " size mismatch: expected " + std::to_string(size) + " bytes, got " +
                std::to_string(r.body.size()));
  }
  return std::move(r.body);
}

namespace {

// A blob arriving in a file: hashed as it is written, so that it is verified the moment its
// last byte lands. Opened on a partial file, it hashes what is there first and appends
// what a Range request brings; if the server sends the whole blob instead (200), it starts
// over.
class BlobFile : public BodyWriter {
 public:
  BlobFile(std::string digest, int64_t expected, const std::atomic<bool>* cancel,
           const std::function<void(int64_t)>& on_progress)
      : digest_(std::move(digest)), expected_(expected), cancel_(cancel), on_progress_(on_progress) {}

  // Opens (or creates) `path` and hashes the bytes a previous attempt left in it.
  Result<> open(const std::string& path) {
    ASSIGN_OR_RETURN(fd_, open_fd(path, O_RDWR | O_CREAT, 0644));
    sha_ = Sha256();
    size_ = 0;
    std::string buf(1 << 20, '\0');
    while (true) {
      ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("read", path);
      if (n == 0) break;
      sha_.update(buf.data(), static_cast<size_t>(n));
      size_ += n;
    }
    if (expected_ >= 0 && size_ >= expected_) TRY(restart());  // nothing left to ask for
    return {};
  }
  int64_t size() const { return size_; }

  Result<> begin(long status) override {
    if (status != 206) TRY(restart());
    return {};
  }
  Result<> write(std::string_view chunk) override {
    if (cancel_ && cancel_->load()) return fail("cancelled");
    if (expected_ >= 0 && size_ + static_cast<int64_t>(chunk.size()) > expected_) {
      return fail("blob " + digest_ + " is larger than its descriptor's " + std::to_string(expected_) +
                  " bytes");
    }
    sha_.update(chunk);
    TRY(write_all(fd_.get(), chunk.data(), chunk.size()));
    size_ += static_cast<int64_t>(chunk.size());
    if (on_progress_) on_progress_(size_);
    return {};
  }
  // The digest of everything written. The object is spent afterwards.
  std::string finish_digest() { return std::string(kSha256Prefix) + sha_.hex_digest(); }
  Result<> sync() {
    if (::fsync(fd_.get()) < 0) return sys_error("fsync", digest_);
    return {};
  }

 private:
  Result<> restart() {
    if (::ftruncate(fd_.get(), 0) < 0) return sys_error("ftruncate", digest_);
    if (::lseek(fd_.get(), 0, SEEK_SET) < 0) return sys_error("lseek", digest_);
    sha_ = Sha256();
    size_ = 0;
    return {};
  }

  std::string digest_;
  int64_t expected_;
  const std::atomic<bool>* cancel_;
  const std::function<void(int64_t)>& on_progress_;
  Fd fd_;
  Sha256 sha_;
  int64_t size_ = 0;
};

}  // namespace

Result<> RegistryClient::download_blob(const Descriptor& blob, const std::string& path,
                                       const std::atomic<bool>* cancel,
                                       const std::function<void(int64_t)>& on_progress) {
  auto r = fetch_blob_with_retries(blob, path, cancel, on_progress);
  if (!r) (void)::unlink(path.c_str());  // nothing unverified stays
  return r;
}

Result<> RegistryClient::fetch_blob_with_retries(const Descriptor& blob, const std::string& path,
                                                 const std::atomic<bool>* cancel,
                                                 const std::function<void(int64_t)>& on_progress) {
  std::string url_path = session_->endpoint.repository + "/blobs/" + blob.digest;
  int wait = session_->options.backoff_ms;
  for (int attempt = 1;; attempt++, wait *= 2) {
    BlobFile file(blob.digest, blob.size, cancel, on_progress);
    TRY(file.open(path));
    HttpRequest req;
    req.range_start = file.size();
    auto r = send(url_path, req, &file);
    bool again = r ? (r->status >= 500 || r->status == 429) : is_retryable_transport_error(r.error());
    if (again && attempt < session_->options.max_attempts && !(cancel && cancel->load())) {
      if (trace_enabled()) {
        trace_note("registry: blob " + blob.digest + " interrupted at " + std::to_string(file.size()) +
                   " bytes, resuming in " + std::to_string(wait) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      continue;
    }
    if (!r) return std::unexpected(wrap(r.error(), "fetching blob " + blob.digest));
    if (r->status == 416 && attempt < session_->options.max_attempts) {
      // The range we asked for is past the blob's end: our partial file is no prefix of
      // it. Start over.
      if (::truncate(path.c_str(), 0) < 0) return sys_error("truncate", path);
      continue;
    }
    if (r->status == 404) {
      std::string what = is_non_distributable(blob.media_type)
                             ? " (a non-distributable layer: berth does not fetch its external urls)"
                             : "";
      return fail("blob " + blob.digest + " of " + name("") + " not found: " + registry_error_text(*r) + what);
    }
    if (r->status != 200 && r->status != 206) {
      return fail("fetching blob " + blob.digest + ": " + registry_error_text(*r));
    }
    int64_t size = file.size();
    std::string got = file.finish_digest();
    Result<> verified;
    if (blob.size >= 0 && size != blob.size) {
      verified = fail("blob " + blob.digest + " size mismatch: expected " + std::to_string(blob.size) +
                      " bytes, got " + std::to_string(size));
    } else if (got != blob.digest) {
      verified = fail("blob " + blob.digest + " digest mismatch: the registry sent content with digest " + got);
    } else {
      verified = file.sync();
    }
    return verified;
  }
}

}  // namespace berth::oci
