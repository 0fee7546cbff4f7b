// HTTP for the registry client, through libcurl: one request at a time per HttpClient, its
// connection kept alive for the next one (one client per download thread).
//
// Read: RFC 9110 (status codes, Range and 206 Partial Content, WWW-Authenticate); libcurl's
// curl_easy_setopt(3), CURLOPT_WRITEFUNCTION(3), CURLOPT_HEADERFUNCTION(3) and
// CURLOPT_FOLLOWLOCATION(3). Registries answer blob requests with a redirect to their
// storage (S3, a CDN): curl follows it and, since 7.58, drops our Authorization header when
// the redirect leaves the registry's host, which is what the distribution spec expects.
// Any HTTP status is a response; only a failure to talk at all (no connection, a dropped
// one, TLS) is an error, and its errno tells whether trying again may help.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace berth::oci {

struct HttpRequest {
  std::string method = "GET";        // GET, HEAD, POST, PUT (a push) or DELETE
  std::string url;
  std::vector<std::string> headers;  // "Accept: ...", "Authorization: ..."
  int64_t range_start = 0;           // > 0: "Range: bytes=N-" (resuming a download)
  bool verify_tls = true;            // false: an insecure registry (--tls-verify=false)
  // POST and PUT: the body, from memory or (upload_path set) streamed from a file.
  std::string body;
  std::string upload_path;
  // More CA certificates (PEM) to trust, beside the system's; a client certificate and
  // key (paths) for mutual TLS. Both from certs.d (registry_certs.h).
  std::string extra_ca_pem;
  std::string client_cert, client_key;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;  // the body, unless a BodyWriter took it (then: only of a non-2xx)
  // The first header of that name ("" when absent), and all of them.
  std::string header(std::string_view name) const;
  std::vector<std::string> all_headers(std::string_view name) const;
};

// Where a successful (2xx) body goes, as it arrives.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Before the first byte: 206 when the server honoured the Range, 200 when it sends all.
  virtual Result<> begin(long status) = 0;
  virtual Result<> write(std::string_view chunk) = 0;
};

// errno of transport errors worth trying again: the connection was refused, dropped or
// timed out. Other transport errors (TLS, name resolution) carry errno 0.
bool is_retryable_transport_error(const Error& e);

class HttpClient {
 public:
  static Result<HttpClient> create();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // Bodies of responses kept in memory (manifests, tokens, errors) are capped at `max_body`.
  Result<HttpResponse> send(const HttpRequest& request, BodyWriter* writer = nullptr,
                            size_t max_body = 16 << 20);

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::oci
