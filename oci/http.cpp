// HTTP requests through one libcurl easy handle (see http.h).
#include "oci/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace berth::oci {

namespace {

constexpr long kConnectTimeoutSeconds = 30;
// A transfer slower than 1 byte/s for this long is a dead connection: drop it and retry.
constexpr long kStallSeconds = 60;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The errno a transport error is reported with: retryable ones get the errno that names
// what happened; the rest 0 (curl's own message says it all).
int errno_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
      return ETIMEDOUT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return ECONNRESET;
    default:
      return 0;
  }
}

// What one transfer collects; the callbacks' `userdata`.
struct Transfer {
  CURL* curl = nullptr;
  HttpResponse response;
  BodyWriter* writer = nullptr;
  size_t max_body = 0;
  bool began = false;
  Error failure;  // why a callback stopped the transfer
  bool failed = false;

  long status() const {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
  bool success() const {
    long s = status();
    return s >= 200 && s < 300;
  }
  size_t stop(Error e) {
    failure = std::move(e);
    failed = true;
    return 0;  // anything short of the size given makes curl abort with CURLE_WRITE_ERROR
  }
};

size_t on_header(char* data, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  std::string_view line(data, size * n);
  // A new status line: a redirect or "100 Continue" came first; keep only the last response.
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(lower(trim_space(line.substr(0, colon))),
                                     std::string(trim_space(line.substr(colon + 1))));
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  std::string_view chunk(data, size * n);
  if (t->writer && t->success()) {
    if (!t->began) {
      t->began = true;
      if (auto r = t->writer->begin(t->status()); !r) return t->stop(r.error());
    }
    if (auto r = t->writer->write(chunk); !r) return t->stop(r.error());
    return chunk.size();
  }
  if (t->response.body.size() + chunk.size() > t->max_body) {
    return t->stop(Error(0, "response too large (over " + std::to_string(t->max_body) + " bytes)"));
  }
  t->response.body.append(chunk);
  return chunk.size();
}

// A PUT's body, read by curl as it sends: a file (a layer blob) or a string (a manifest).
struct Upload {
  FILE* file = nullptr;
  std::string_view text;
  size_t offset = 0;
};

size_t on_read(char* buffer, size_t size, size_t n, void* userdata) {
  auto* u = static_cast<Upload*>(userdata);
  if (u->file) return std::fread(buffer, 1, size * n, u->file);
  size_t len = std::min(size * n, u->text.size() - u->offset);
  std::memcpy(buffer, u->text.data() + u->offset, len);
  u->offset += len;
  return len;
}

// The system's CA certificates (Debian's ca-certificates bundle), read once.
const std::string& system_ca_bundle() {
  static const std::string bundle = [] {
    std::FILE* f = std::fopen("/etc/ssl/certs/ca-certificates.crt", "rbe");
    std::string text;
    if (!f) return text;
    char buf[65536];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    return text;
  }();
  return bundle;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> HttpResponse::all_headers(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

bool is_retryable_transport_error(const Error& e) {
  int err = e.errno_value();
  return err == ECONNREFUSED || err == ECONNRESET || err == ETIMEDOUT;
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
  ~Impl() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpClient> HttpClient::create() {
  init_curl_once();
  auto impl = std::make_unique<Impl>();
  impl->curl = curl_easy_init();
  if (!impl->curl) return fail("curl_easy_init failed");
  return HttpClient(std::move(impl));
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request, BodyWriter* writer,
                                      size_t max_body) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);  // keeps the connection cache: the next request reuses the connection
  Transfer t;
  t.curl = c;
  t.writer = writer;
  t.max_body = max_body;
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we are threaded
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "berth");
  if (!request.verify_tls) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  // certs.d's CAs join the system's: curl takes one bundle, so it gets both in one blob.
  std::string bundle;
  if (!request.extra_ca_pem.empty()) {
    bundle = system_ca_bundle() + "\n" + request.extra_ca_pem;
    struct curl_blob blob = {bundle.data(), bundle.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!request.client_cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, request.client_cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, request.client_key.c_str());
  }
  if (request.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  std::vector<std::string> lines = request.headers;
  // Bodies: POST from memory; PUT streamed (from the file, or the string) with its length
  // given up front, since registries refuse chunked uploads.
  Upload upload{nullptr, request.body, 0};
  struct CloseFile {
    FILE*& f;
    ~CloseFile() {
      if (f) std::fclose(f);
    }
  } close_file{upload.file};
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "PUT") {
    curl_off_t size = static_cast<curl_off_t>(request.body.size());
    if (!request.upload_path.empty()) {
      upload.file = std::fopen(request.upload_path.c_str(), "rbe");
      if (!upload.file) return sys_error("open", request.upload_path);
      std::fseek(upload.file, 0, SEEK_END);
      size = std::ftell(upload.file);
      std::fseek(upload.file, 0, SEEK_SET);
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
    lines.push_back("Expect:");  // no 100-continue round trip before each blob
  } else if (request.method != "GET" && request.method != "HEAD") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  struct curl_slist* headers = nullptr;
  if (request.range_start > 0) lines.push_back("Range: bytes=" + std::to_string(request.range_start) + "-");
  for (const auto& h : lines) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  char message[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, message);
  CURLcode code = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);  // `message` dies with this call
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (t.failed) return std::unexpected(t.failure);
  std::string what = request.method + " " + request.url;
  if (code != CURLE_OK) {
    std::string text = message[0] ? message : curl_easy_strerror(code);
    return std::unexpected(Error(errno_of(code), what + ": " + text));
  }
  t.response.status = t.status();
  // An empty 2xx body still begins (and so truncates a stale partial file).
  if (writer && t.response.status >= 200 && t.response.status < 300 && !t.began &&
      request.method != "HEAD") {
    TRY(writer->begin(t.response.status));
  }
  return std::move(t.response);
}

}  // namespace berth::oci
