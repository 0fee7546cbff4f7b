// The registry fixture of the pull and push tests: Debian's docker-registry (distribution
// v2) started on 127.0.0.1 by each test (plain HTTP, or htpasswd basic auth), skopeo to
// put test images into it, and helpers to look at the store.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/base64.h"
#include "harness.h"

namespace berth_it {

inline const std::string kRegistryBinary = "/usr/bin/docker-registry";

inline bool port_answers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// One docker-registry process with its config, storage and log under `dir`; stopped
// (SIGTERM, then SIGKILL) by its destructor.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  ~Registry() { stop(); }

  // `htpasswd`: the path of a bcrypt htpasswd file, or "" for no auth. `tls_cert` and
  // `tls_key`: PEM paths to serve HTTPS with, or "" for plain HTTP.
  // `auth_yaml`: an `auth:` section to use instead (token auth), written as it is.
  ::testing::AssertionResult start(const std::string& dir, const std::string& htpasswd = "",
                                   const std::string& tls_cert = "", const std::string& tls_key = "",
                                   const std::string& auth_yaml = "") {
    dir_ = dir;
    fs::create_directories(dir + "/storage");
    for (int tries = 0; tries < 5; tries++) {
      port_ = free_port();
      std::ofstream(dir + "/config.yml")
          << "version: 0.1\n"
          << "log:\n  level: info\n  accesslog:\n    disabled: false\n"
          << "storage:\n  filesystem:\n    rootdirectory: " << dir << "/storage\n"
          << "  delete:\n    enabled: true\n"
          << "http:\n  addr: 127.0.0.1:" << port_ << "\n"
          << (tls_cert.empty() ? "" : "  tls:\n    certificate: " + tls_cert + "\n    key: " + tls_key + "\n")
          << (htpasswd.empty() ? "" : "auth:\n  htpasswd:\n    realm: basic-realm\n    path: " + htpasswd + "\n")
          << auth_yaml;
      pid_ = fork();
      if (pid_ == 0) {
        int log = open((dir + "/registry.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(log, 1);
        dup2(log, 2);
        execl(kRegistryBinary.c_str(), kRegistryBinary.c_str(), "serve", (dir + "/config.yml").c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
      }
      for (int i = 0; i < 200; i++) {
        if (port_answers(port_)) return ::testing::AssertionSuccess();
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;  // died: the port was taken?
        std::this_thread::sleep_for(50ms);
      }
      stop();
    }
    return ::testing::AssertionFailure() << "docker-registry did not start; its log:\n" << log();
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; i++) std::this_thread::sleep_for(20ms);
    if (kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return slurp(dir_ + "/registry.log"); }
  // Blob GETs the registry answered so far (its access log).
  int blob_gets() const {
    int n = 0;
    for (const auto& l : lines_of(log()))
      if (l.find("\"GET /v2/") != std::string::npos && l.find("/blobs/sha256:") != std::string::npos) n++;
    return n;
  }
  // The file holding a blob in the registry's filesystem storage.
  std::string blob_file(const std::string& digest) const {
    std::string hex = digest.substr(7);
    return dir_ + "/storage/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class RegistryTest : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* tool : {"/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/htpasswd"}) {
      if (!fs::exists(tool)) GTEST_SKIP() << tool << " missing (scripts/setup installs it)";
    }
    char tmpl[] = "/tmp/berth-registry-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    ASSERT_TRUE(registry_.start(dir_ + "/plain"));
  }

  void TearDown() override {
    registry_.stop();
    auth_registry_.stop();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    BerthTest::TearDown();
  }

  // skopeo copy of a test image archive (or an OCI layout: "oci:DIR:REF") into a registry.
  void push(const std::string& source, const std::string& dest, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> a = {"/usr/bin/skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(source.find(':') == std::string::npos ? "oci-archive:" + image(source) : source);
    a.push_back("docker://" + dest);
    Result r = run_command(a, 120s);
    ASSERT_EQ(r.code, 0) << describe(r);
  }

  std::string name(const std::string& repo_tag) const { return registry_.host() + "/" + repo_tag; }

  // Every file under the image store, with its size: "the store as it was".
  std::map<std::string, uintmax_t> store_files() const {
    std::map<std::string, uintmax_t> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root_ + "/images", ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().filename() != "lock") out[it->path().string()] = it->file_size(ec);
    }
    return out;
  }

  std::vector<std::string> image_names() {
    Result r = berth({"images", "--format", "json"});
    EXPECT_EQ(r.code, 0) << describe(r);
    std::vector<std::string> out;
    for (const auto& l : lines_of(r.out)) {
      if (l.empty()) continue;
      auto j = nlohmann::json::parse(l);
      out.push_back(j["Repository"].get<std::string>() + ":" + j["Tag"].get<std::string>());
    }
    return out;
  }

  std::string dir_;
  Registry registry_, auth_registry_;
};


}  // namespace berth_it
