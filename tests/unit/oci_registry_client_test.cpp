// The registry client against a small fake registry on 127.0.0.1 (in this process): the
// ping's HTTPS-then-HTTP fallback for a loopback registry, the Bearer token flow, Basic
// credentials refused, retries on 5xx, a dropped connection resumed with Range, and a
// digest mismatch that leaves no file behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "oci/digest.h"
#include "oci/registry.h"

namespace berth::oci {
namespace {

struct FakeRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

void send_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// A complete response; every connection is closed after one request.
void respond(int fd, int status, const std::string& body, const std::vector<std::string>& headers = {}) {
  std::ostringstream out;
  out << "HTTP/1.1 " << status << " X\r\nContent-Length: " << body.size() << "\r\nConnection: close\r\n";
  for (const auto& h : headers) out << h << "\r\n";
  out << "\r\n" << body;
  send_all(fd, out.str());
}

// One request per connection, one connection at a time: enough for a client that does
// one thing at a time.
class FakeRegistry {
 public:
  using Handler = std::function<void(const FakeRequest&, int fd)>;
  explicit FakeRegistry(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeRegistry() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      handle(fd);
      ::close(fd);
    }
  }
  void handle(int fd) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      head.append(buf, static_cast<size_t>(n));
      if (static_cast<unsigned char>(head[0]) == 0x16) return;  // a TLS handshake: we speak HTTP
    }
    FakeRequest req;
    std::istringstream in(head.substr(0, head.find("\r\n\r\n")));
    std::string line;
    std::getline(in, line);
    std::istringstream first(line);
    first >> req.method >> req.target;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    handler_(req, fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<FakeRequest> requests_;
};

RegistryClient client_for(const FakeRegistry& fake, std::optional<Credentials> creds = std::nullopt) {
  auto ref = parse_reference(fake.host() + "/test/img:1");
  EXPECT_TRUE(ref.has_value());
  RegistryOptions o;
  o.credentials = std::move(creds);
  o.credentials_dir = "/nonexistent";
  o.backoff_ms = 1;
  auto c = RegistryClient::create(resolve_registry(*ref), o);
  EXPECT_TRUE(c.has_value());
  return std::move(*c);
}

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("berth-registry-test-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::string kManifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";

TEST(RegistryClient, BearerTokenFlowThenManifest) {
  std::string host;
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    std::string challenge = "WWW-Authenticate: Bearer realm=\"http://" + host + "/token\",service=\"fake\"";
    if (r.target.starts_with("/token")) return respond(fd, 200, R"({"token":"T0K"})");
    if (r.header("authorization") != "Bearer T0K") return respond(fd, 401, "{}", {challenge});
    if (r.target == "/v2/test/img/manifests/1") {
      return respond(fd, 200, kManifest, {"Content-Type: application/vnd.oci.image.manifest.v1+json"});
    }
    respond(fd, 404, "");
  });
  host = fake.host();
  RegistryClient c = client_for(fake);
  auto m = c.get_manifest("1");
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->body, kManifest);
  EXPECT_EQ(m->digest, sha256_digest_of(kManifest));
  EXPECT_EQ(m->content_type, "application/vnd.oci.image.manifest.v1+json");
  auto reqs = fake.requests();
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/v2/");  // the ping: over plain HTTP once HTTPS failed
  EXPECT_EQ(reqs[1].target, "/token?service=fake&scope=repository%3Atest%2Fimg%3Apull");
  EXPECT_EQ(reqs[1].header("authorization"), "");  // anonymous
  EXPECT_NE(reqs[2].header("accept").find("application/vnd.oci.image.index.v1+json"), std::string::npos);
  // Asked by digest, the body must have that digest.
  auto wrong = c.get_manifest("sha256:" + std::string(64, '0'));
  ASSERT_FALSE(wrong.has_value());
}

TEST(RegistryClient, TokenServerSeesBasicCredentials) {
  std::string host, token_auth;
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target.starts_with("/token")) {
      token_auth = r.header("authorization");
      return respond(fd, 200, R"({"access_token":"A"})");
    }
    if (r.header("authorization") != "Bearer A") {
      return respond(fd, 401, "", {"WWW-Authenticate: Bearer realm=\"http://" + host + "/token\""});
    }
    respond(fd, 200, kManifest);
  });
  host = fake.host();
  RegistryClient c = client_for(fake, Credentials{"user", "pass", "x"});
  ASSERT_TRUE(c.get_manifest("1").has_value());
  EXPECT_EQ(token_auth, "Basic dXNlcjpwYXNz");
}

TEST(RegistryClient, BasicAuthWrongAndMissingCredentials) {
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.header("authorization") == "Basic dXNlcjpwYXNz") return respond(fd, 200, kManifest);
    respond(fd, 401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
            {"WWW-Authenticate: Basic realm=\"basic-realm\""});
  });
  auto ok = client_for(fake, Credentials{"user", "pass", "cfg"}).get_manifest("1");
  EXPECT_TRUE(ok.has_value()) << ok.error().message();
  auto wrong = client_for(fake, Credentials{"user", "nope", "/d/config.json"}).get_manifest("1");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("unauthorized"), std::string::npos) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find("/d/config.json"), std::string::npos) << wrong.error().message();
  auto none = client_for(fake).get_manifest("1");
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message().find("no credentials for " + fake.host()), std::string::npos)
      << none.error().message();
}

TEST(RegistryClient, RetriesServerErrorsThenGivesUp) {
  std::atomic<int> manifest_calls{0};
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target == "/v2/") return respond(fd, 200, "{}");
    if (r.target.ends_with("/manifests/1") && ++manifest_calls < 3) return respond(fd, 503, "busy");
    if (r.target.ends_with("/manifests/1")) return respond(fd, 200, kManifest);
    respond(fd, 500, R"({"errors":[{"code":"UNKNOWN","message":"boom"}]})");
  });
  RegistryClient c = client_for(fake);
  auto m = c.get_manifest("1");
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(manifest_calls.load(), 3);
  auto broken = c.get_manifest("2");
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().message().find("unknown: boom"), std::string::npos) << broken.error().message();
}

TEST(RegistryClient, NotFoundNamesTheImage) {
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target == "/v2/") return respond(fd, 200, "{}");
    respond(fd, 404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})");
  });
  auto m = client_for(fake).get_manifest("1");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().message(),
            "manifest for " + fake.host() + "/test/img:1 not found: manifest unknown: manifest unknown");
}

TEST(RegistryClient, DroppedConnectionIsResumedWithRange) {
  std::string blob(300000, '\0');
  for (size_t i = 0; i < blob.size(); i++) blob[i] = static_cast<char>(i * 7 + i / 1000);
  std::string digest = sha256_digest_of(blob);
  std::atomic<int> blob_calls{0};
  std::string second_range;
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target == "/v2/") return respond(fd, 200, "{}");
    if (r.target != "/v2/test/img/blobs/" + digest) return respond(fd, 404, "");
    if (++blob_calls == 1) {  // promise everything, send a third, hang up
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(blob.size()) + "\r\n\r\n" +
                       blob.substr(0, 100000));
      return;
    }
    second_range = r.header("range");
    size_t from = std::stoul(second_range.substr(std::string("bytes=").size()));
    respond(fd, 206, blob.substr(from),
            {"Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(blob.size() - 1) + "/" +
             std::to_string(blob.size())});
  });
  std::string path = temp_file("resume");
  std::filesystem::remove(path);
  Descriptor d{"application/vnd.oci.image.layer.v1.tar", digest, static_cast<int64_t>(blob.size()), {}, {}};
  auto r = client_for(fake).download_blob(d, path);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(blob_calls.load(), 2);
  EXPECT_EQ(second_range, "bytes=100000-");
  EXPECT_EQ(slurp(path), blob);
  std::filesystem::remove(path);
}

TEST(RegistryClient, ServerIgnoringRangeStartsOver) {
  std::string blob(5000, 'x');
  std::string digest = sha256_digest_of(blob);
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target == "/v2/") return respond(fd, 200, "{}");
    respond(fd, 200, blob);  // whatever the Range
  });
  std::string path = temp_file("norange");
  std::ofstream(path) << "xxxxxxxxxxjunk";  // a stale partial file
  Descriptor d{"", digest, static_cast<int64_t>(blob.size()), {}, {}};
  auto r = client_for(fake).download_blob(d, path);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(slurp(path), blob);
  std::filesystem::remove(path);
}

TEST(RegistryClient, DigestMismatchNamesTheBlobAndLeavesNoFile) {
  std::string blob(4096, 'a');
  std::string digest = sha256_digest_of(blob);
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target == "/v2/") return respond(fd, 200, "{}");
    respond(fd, 200, std::string(4096, 'b'));
  });
  std::string path = temp_file("mismatch");
  Descriptor d{"", digest, 4096, {}, {}};
  auto r = client_for(fake).download_blob(d, path);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("blob " + digest + " digest mismatch"), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(path));
  // Larger than its descriptor: refused while streaming.
  Descriptor small{"", digest, 100, {}, {}};
  auto big = client_for(fake).download_blob(small, path);
  ASSERT_FALSE(big.has_value());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RegistryClient, SmallBlobVerified) {
  std::string config = R"({"architecture":"amd64"})";
  FakeRegistry fake([&](const FakeRequest& r, int fd) {
    if (r.target == "/v2/") return respond(fd, 200, "{}");
    respond(fd, 200, config);
  });
  RegistryClient c = client_for(fake);
  auto ok = c.get_blob(sha256_digest_of(config), static_cast<int64_t>(config.size()));
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(*ok, config);
  auto bad = c.get_blob("sha256:" + std::string(64, '1'), -1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("digest mismatch"), std::string::npos);
}

}  // namespace
}  // namespace berth::oci
