// `berth pull` against a real registry: Debian's docker-registry (distribution v2) started
// on 127.0.0.1 by each test, with the test images pushed by skopeo from the OCI archives
// of scripts/make-test-images. Plain HTTP (loopback is insecure by default), htpasswd
// basic auth, pull by tag and by digest, a multi-layer and a multi-platform image, a 404,
// and a blob corrupted in the registry's storage.
#include <poll.h>

#include <atomic>

#include "base/sha256.h"
#include "oci/platform.h"
#include "registry_fixture.h"

namespace berth_it {
namespace {

class PullTest : public RegistryTest {};

TEST_F(PullTest, ByTagThenRunThenUpToDateWithoutFetchingABlob) {
  push("busybox.oci.tar", name("test/busybox:1"));
  std::string ref = name("test/busybox:1");
  Result r = berth({"pull", ref});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0], "1: Pulling from test/busybox");
  EXPECT_NE(r.out.find(": Pulling fs layer\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": Download complete\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": Pull complete\n"), std::string::npos) << r.out;
  EXPECT_EQ(lines[lines.size() - 3].rfind("Digest: sha256:", 0), 0u) << r.out;
  EXPECT_EQ(lines[lines.size() - 2], "Status: Downloaded newer image for " + ref);
  EXPECT_EQ(lines.back(), ref);
  EXPECT_EQ(image_names(), std::vector<std::string>{ref});

  Result run = berth({"run", "--rm", ref, "sh", "-c", "echo ok"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "ok\n");

  int gets = registry_.blob_gets();
  EXPECT_GE(gets, 2) << registry_.log();  // config and layer
  Result again = berth({"pull", ref});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_NE(again.out.find("Status: Image is up to date for " + ref + "\n"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("Pull complete"), std::string::npos) << again.out;
  EXPECT_EQ(registry_.blob_gets(), gets) << "a pull of an image we have fetched a blob";

  Result quiet = berth({"pull", "-q", "--tls-verify=false", ref});
  ASSERT_EQ(quiet.code, 0) << describe(quiet);
  EXPECT_EQ(quiet.out, ref + "\n");
}

TEST_F(PullTest, RunAndCreatePullAMissingImageAsDockerDoes) {
  push("busybox.oci.tar", name("test/busybox:run"));
  std::string ref = name("test/busybox:run");
  Result never = berth({"run", "--rm", "--pull", "never", ref, "true"});
  EXPECT_EQ(never.code, 125) << describe(never);
  EXPECT_NE(never.err.find("No such image: " + ref), std::string::npos) << never.err;
  Result bad = berth({"run", "--rm", "--pull", "sometimes", ref, "true"});
  EXPECT_EQ(bad.code, 125) << describe(bad);
  EXPECT_NE(bad.err.find("invalid pull option"), std::string::npos) << bad.err;
  Result run = berth({"run", "--rm", ref, "echo", "pulled and ran"});
  ASSERT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "pulled and ran\n");  // pull's lines go to stderr
  EXPECT_NE(run.err.find("Unable to find image '" + ref + "' locally"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Status: Downloaded newer image for " + ref), std::string::npos) << run.err;
  int gets = registry_.blob_gets();
  Result again = berth({"create", "--name", "made", ref});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(registry_.blob_gets(), gets) << "present: not pulled again";
  EXPECT_EQ(again.err, "");
  Result always = berth({"run", "--rm", "--pull", "always", ref, "true"});
  ASSERT_EQ(always.code, 0) << describe(always);
  EXPECT_NE(always.err.find("Status: Image is up to date for " + ref), std::string::npos) << always.err;
  EXPECT_EQ(berth({"rm", "made"}).code, 0);
}

TEST_F(PullTest, DockerHubImagesComeFromTheConfiguredMirrors) {
  // The second mirror has library/busybox; the first one, empty, answers 404 and is
  // skipped. Docker Hub itself is never asked, since a mirror has the image.
  push("busybox.oci.tar", name("library/busybox:latest"));
  ASSERT_TRUE(auth_registry_.start(dir_ + "/empty"));
  std::string config = dir_ + "/berth-config.json";
  std::ofstream(config) << nlohmann::json{{"registry-mirrors", {"http://" + auth_registry_.host(),
                                                                "http://" + registry_.host() + "/"}}}.dump();
  auto with_config = [&](const std::string& path, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"/usr/bin/env", "BERTH_CONFIG=" + path};
    for (const auto& x : argv(args)) a.push_back(x);
    return run_command(a);
  };
  Result r = with_config(config, {"pull", "busybox"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(lines_of(r.out).front(), "latest: Pulling from library/busybox") << r.out;
  EXPECT_EQ(lines_of(r.out).back(), "docker.io/library/busybox:latest") << r.out;
  EXPECT_EQ(image_names(), std::vector<std::string>{"busybox:latest"});
  Result run = berth({"run", "--rm", "busybox", "echo", "from a mirror"});
  EXPECT_EQ(run.out, "from a mirror\n") << describe(run);
  // Images of other registries are not mirrored; a bad config is one clear line.
  std::ofstream(dir_ + "/bad.json") << R"({"registry-mirrors": ["mirror.example.com"]})";
  Result bad = with_config(dir_ + "/bad.json", {"pull", name("library/busybox:latest")});
  EXPECT_EQ(bad.code, 1) << describe(bad);
  EXPECT_NE(bad.err.find(dir_ + "/bad.json: registry-mirrors: \"mirror.example.com\" is not an http(s) URL"),
            std::string::npos)
      << bad.err;
}

// A TCP proxy in front of the registry that cuts the first connection which has carried
// more than `cut_after` bytes from the registry: a layer download dropped half-way.
class DroppingProxy {
 public:
  DroppingProxy(int upstream_port, size_t cut_after) : upstream_(upstream_port), cut_after_(cut_after) {
    listener_ = bind_loopback(&port_, 16);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~DroppingProxy() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    for (auto& t : pumps_) t.join();
  }
  int port() const { return port_; }
  bool dropped() const { return dropped_; }
  int connections() const { return connections_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      connections_++;
      int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(upstream_));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        close(client);
        close(server);
        continue;
      }
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }
  // Both directions of one connection, until either side closes (or we cut it).
  void pump(int client, int server) {
    size_t from_server = 0;
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    char buf[16384];
    while (!stopping_ && poll(fds, 2, 200) >= 0) {
      bool done = false;
      for (int i = 0; i < 2 && !done; i++) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          done = true;
          break;
        }
        if (i == 1) {
          from_server += static_cast<size_t>(n);
          if (!dropped_ && from_server > cut_after_) {
            dropped_ = true;  // half of this chunk reaches the client, then the line goes dead
            (void)!write(client, buf, static_cast<size_t>(n) / 2);
            done = true;
            break;
          }
        }
        if (write(fds[1 - i].fd, buf, static_cast<size_t>(n)) != n) done = true;
      }
      if (done) break;
    }
    close(client);
    close(server);
  }

  int upstream_, port_ = 0, listener_ = -1;
  size_t cut_after_;
  std::atomic<bool> stopping_{false}, dropped_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;
};

TEST_F(PullTest, ADroppedConnectionMidLayerIsResumedAndTheImageIsWhole) {
  push("busybox.oci.tar", name("test/busybox:drop"));
  int port = std::stoi(registry_.host().substr(registry_.host().find(':') + 1));
  DroppingProxy proxy(port, 200 * 1024);
  std::string ref = "127.0.0.1:" + std::to_string(proxy.port()) + "/test/busybox:drop";
  Result r = berth({"pull", ref});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(proxy.dropped()) << "the layer is over 200 KiB: the proxy must have cut it";
  EXPECT_GE(proxy.connections(), 2);
  Result run = berth({"run", "--rm", ref, "sh", "-c", "echo whole"});
  EXPECT_EQ(run.out, "whole\n") << describe(run);
}

TEST_F(PullTest, ByDigestThenRunByDigest) {
  push("busybox.oci.tar", name("test/busybox:1"));
  Result inspect = run_command({"/usr/bin/skopeo", "--insecure-policy", "inspect", "--tls-verify=false",
                                "docker://" + name("test/busybox:1")});
  ASSERT_EQ(inspect.code, 0) << describe(inspect);
  std::string digest = nlohmann::json::parse(inspect.out)["Digest"];
  ASSERT_EQ(digest.rfind("sha256:", 0), 0u);
  std::string ref = name("test/busybox@" + digest);
  Result r = berth({"pull", ref});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(lines_of(r.out)[0], digest + ": Pulling from test/busybox");
  EXPECT_NE(r.out.find("Digest: " + digest + "\n"), std::string::npos) << r.out;
  EXPECT_EQ(lines_of(r.out).back(), ref);
  Result run = berth({"run", "--rm", ref, "echo", "by-digest"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "by-digest\n");
  Result again = berth({"pull", ref});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_NE(again.out.find("Image is up to date"), std::string::npos) << again.out;
  // A digest that is not the image's: refused, nothing stored.
  std::string other = name("test/busybox@sha256:" + std::string(64, 'e'));
  Result missing = berth({"pull", other});
  EXPECT_NE(missing.code, 0) << describe(missing);
  EXPECT_EQ(lines_of(missing.err).size(), 1u) << missing.err;
}

TEST_F(PullTest, MultiLayerImageInParallel) {
  push("layers.oci.tar", name("test/layers:1"));
  std::string ref = name("test/layers:1");
  Result r = berth({"pull", "--max-concurrent-downloads", "2", ref});
  ASSERT_EQ(r.code, 0) << describe(r);
  int complete = 0;
  for (const auto& l : lines_of(r.out)) complete += l.ends_with(": Pull complete");
  EXPECT_EQ(complete, 3) << r.out;
  Result cat = berth({"run", "--rm", ref});
  EXPECT_EQ(cat.code, 0) << describe(cat);
  EXPECT_EQ(cat.out, "keep: from layer 2\n");
  // The busybox image is the first of those layers (make-test-images builds both from the
  // same bytes): "Already exists", and only its config is fetched.
  push("busybox.oci.tar", name("test/busybox:1"));
  int gets = registry_.blob_gets();
  Result bb = berth({"pull", name("test/busybox:1")});
  ASSERT_EQ(bb.code, 0) << describe(bb);
  EXPECT_NE(bb.out.find(": Already exists\n"), std::string::npos) << bb.out;
  EXPECT_EQ(bb.out.find("Pulling fs layer"), std::string::npos) << bb.out;
  EXPECT_EQ(registry_.blob_gets(), gets + 1) << "only the config: " << bb.out;
  Result echo = berth({"run", "--rm", name("test/busybox:1"), "echo", "shared"});
  EXPECT_EQ(echo.out, "shared\n") << describe(echo);
}

TEST_F(PullTest, TwoPullsAtOnceShareTheStore) {
  push("layers.oci.tar", name("test/layers:1"));
  push("busybox.oci.tar", name("test/busybox:1"));
  // Both download and extract under the store's shared lock, the shared layer possibly
  // twice; the first extraction to land wins and both images are recorded.
  Process a = berth_bg({"pull", "-q", name("test/layers:1")});
  Process b = berth_bg({"pull", "-q", name("test/busybox:1")});
  Result ra = a.wait(), rb = b.wait();
  EXPECT_EQ(ra.code, 0) << describe(ra);
  EXPECT_EQ(rb.code, 0) << describe(rb);
  auto names = image_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{name("test/busybox:1"), name("test/layers:1")}));
  Result cat = berth({"run", "--rm", name("test/layers:1")});
  EXPECT_EQ(cat.out, "keep: from layer 2\n") << describe(cat);
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(root_ + "/images/tmp", ec)) << "a download left behind";
}

TEST_F(PullTest, NotFoundIsOneLineAndLeavesTheStoreAsItWas) {
  Result init = berth({"images"});
  ASSERT_EQ(init.code, 0) << describe(init);
  auto before = store_files();
  Result r = berth({"pull", name("test/nope:1")});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_EQ(r.out, "");
  ASSERT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("manifest for " + name("test/nope:1") + " not found"), std::string::npos) << r.err;
  EXPECT_EQ(store_files(), before);
}

TEST_F(PullTest, CorruptedBlobIsRefusedAndNothingOfItIsStored) {
  push("busybox.oci.tar", name("test/corrupt:1"));
  // The layer is the largest blob the registry holds; flip its bytes, keep its size.
  std::string layer_digest;
  uintmax_t biggest = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ + "/plain/storage/docker/registry/v2/blobs")) {
    if (e.path().filename() != "data" || e.file_size() <= biggest) continue;
    biggest = e.file_size();
    layer_digest = "sha256:" + e.path().parent_path().filename().string();
  }
  ASSERT_FALSE(layer_digest.empty());
  std::string data = slurp(registry_.blob_file(layer_digest));
  for (size_t i = data.size() / 2; i < data.size() / 2 + 64; i++) data[i] = static_cast<char>(~data[i]);
  std::ofstream(registry_.blob_file(layer_digest), std::ios::binary | std::ios::trunc) << data;
  Result init = berth({"images"});
  ASSERT_EQ(init.code, 0) << describe(init);
  auto before = store_files();
  Result r = berth({"pull", name("test/corrupt:1")});
  EXPECT_EQ(r.code, 1) << describe(r);
  ASSERT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("blob " + layer_digest + " digest mismatch"), std::string::npos) << r.err;
  EXPECT_TRUE(image_names().empty());
  EXPECT_EQ(store_files(), before);
  EXPECT_FALSE(fs::exists(root_ + "/images/blobs/sha256/" + layer_digest.substr(7)));
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(root_ + "/images/tmp", ec)) << "a download left behind";
}

TEST_F(PullTest, HtpasswdBasicAuthWithDockerConfigCredentials) {
  Result hash = run_command({"/usr/bin/htpasswd", "-Bbn", "berth", "s3cret"});
  ASSERT_EQ(hash.code, 0) << describe(hash);
  std::ofstream(dir_ + "/htpasswd") << hash.out;
  ASSERT_TRUE(auth_registry_.start(dir_ + "/auth", dir_ + "/htpasswd"));
  std::string ref = auth_registry_.host() + "/test/private:1";
  push("busybox.oci.tar", ref, {"--dest-creds", "berth:s3cret"});
  auto pull_with = [&](const std::string& config_dir) {
    std::vector<std::string> a = {"/usr/bin/env", "DOCKER_CONFIG=" + config_dir};
    for (const auto& x : argv({"pull", ref})) a.push_back(x);
    return run_command(a);
  };
  auto write_config = [&](const std::string& sub, const std::string& user_pass) {
    fs::create_directories(dir_ + "/" + sub);
    nlohmann::json config = {{"auths", {{auth_registry_.host(), {{"auth", berth::base64_encode(user_pass)}}}}}};
    std::ofstream(dir_ + "/" + sub + "/config.json") << config.dump();
    return dir_ + "/" + sub;
  };

  Result anonymous = pull_with(dir_ + "/no-config");
  EXPECT_EQ(anonymous.code, 1) << describe(anonymous);
  ASSERT_EQ(lines_of(anonymous.err).size(), 1u) << anonymous.err;
  EXPECT_NE(anonymous.err.find("unauthorized"), std::string::npos) << anonymous.err;
  EXPECT_NE(anonymous.err.find("no credentials for " + auth_registry_.host()), std::string::npos) << anonymous.err;

  Result wrong = pull_with(write_config("wrong", "berth:nope"));
  EXPECT_EQ(wrong.code, 1) << describe(wrong);
  ASSERT_EQ(lines_of(wrong.err).size(), 1u) << wrong.err;
  EXPECT_NE(wrong.err.find("unauthorized"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find(dir_ + "/wrong/config.json"), std::string::npos) << wrong.err;
  EXPECT_TRUE(image_names().empty());

  Result right = pull_with(write_config("right", "berth:s3cret"));
  ASSERT_EQ(right.code, 0) << describe(right);
  EXPECT_EQ(lines_of(right.out).back(), ref);
  Result run = berth({"run", "--rm", ref, "echo", "authorised"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(run.out, "authorised\n");
}

// An OCI layout holding an index of two platforms: the host's busybox image, and the
// same layer under a config that claims another architecture.
std::string sha256_of(const std::string& s) { return "sha256:" + berth::sha256_hex(s); }

void write_blob(const std::string& layout, const std::string& content) {
  std::ofstream(layout + "/blobs/sha256/" + berth::sha256_hex(content), std::ios::binary) << content;
}

TEST_F(PullTest, MultiPlatformIndexPicksTheHostOrThePlatformAsked) {
  std::string layout = dir_ + "/layout";
  fs::create_directories(layout);
  Result untar = run_command({"/bin/tar", "-xf", image("busybox.oci.tar"), "-C", layout});
  ASSERT_EQ(untar.code, 0) << describe(untar);
  auto index = nlohmann::json::parse(slurp(layout + "/index.json"));
  std::string host_manifest_digest = index["manifests"][0]["digest"];
  std::string host_manifest = slurp(layout + "/blobs/sha256/" + host_manifest_digest.substr(7));
  auto manifest = nlohmann::json::parse(host_manifest);
  std::string host_config_digest = manifest["config"]["digest"];
  auto config = nlohmann::json::parse(slurp(layout + "/blobs/sha256/" + host_config_digest.substr(7)));
  std::string host_arch = berth::oci::host_architecture();
  std::string other_arch = host_arch == "arm64" ? "amd64" : "arm64";
  config["architecture"] = other_arch;
  std::string other_config = config.dump();
  write_blob(layout, other_config);
  manifest["config"]["digest"] = sha256_of(other_config);
  manifest["config"]["size"] = other_config.size();
  std::string other_manifest = manifest.dump();
  write_blob(layout, other_manifest);
  nlohmann::json image_index = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", sha256_of(other_manifest)},
         {"size", other_manifest.size()}, {"platform", {{"os", "linux"}, {"architecture", other_arch}}}},
        {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", host_manifest_digest},
         {"size", host_manifest.size()}, {"platform", {{"os", "linux"}, {"architecture", host_arch}}}}}}};
  std::string index_blob = image_index.dump();
  write_blob(layout, index_blob);
  nlohmann::json top = {{"schemaVersion", 2},
                        {"manifests",
                         {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                           {"digest", sha256_of(index_blob)},
                           {"size", index_blob.size()},
                           {"annotations", {{"org.opencontainers.image.ref.name", "multi"}}}}}}};
  std::ofstream(layout + "/index.json", std::ios::trunc) << top.dump();
  push("oci:" + layout + ":multi", name("test/multi:1"), {"--all"});

  std::string ref = name("test/multi:1");
  Result host = berth({"pull", ref});
  ASSERT_EQ(host.code, 0) << describe(host);
  EXPECT_NE(host.out.find("Digest: " + sha256_of(index_blob) + "\n"), std::string::npos) << host.out;
  Result id = berth({"images", "-q"});
  EXPECT_EQ(id.out, host_config_digest.substr(7, 12) + "\n");
  Result run = berth({"run", "--rm", ref, "echo", "multi"});
  EXPECT_EQ(run.out, "multi\n") << describe(run);

  Result other = berth({"pull", "--platform", "linux/" + other_arch, ref});
  ASSERT_EQ(other.code, 0) << describe(other);
  EXPECT_NE(other.out.find("Already exists"), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("Downloaded newer image"), std::string::npos) << other.out;
  Result ids = berth({"images", "--format", "json"});
  EXPECT_NE(ids.out.find(sha256_of(other_config).substr(7, 12)), std::string::npos) << ids.out;

  Result none = berth({"pull", "--platform", "linux/s390x", ref});
  EXPECT_EQ(none.code, 1) << describe(none);
  EXPECT_NE(none.err.find("no matching manifest for linux/s390x in the manifest list entries"), std::string::npos)
      << none.err;
}

TEST_F(PullTest, ComposeUpPullsWhatIsMissingAndComposePullRefreshes) {
  push("busybox.oci.tar", name("test/busybox:1"));
  std::string proj = dir_ + "/proj";
  fs::create_directories(proj);
  std::ofstream(proj + "/compose.yml") << "services:\n"
                                       << "  app: {image: " << name("test/busybox:1") << ", command: [sleep, '1000']}\n"
                                       << "  local: {image: " << name("test/nothing:1") << ", pull_policy: never, profiles: [x]}\n";
  auto compose = [&](std::vector<std::string> args) {
    std::vector<std::string> a = {"compose", "-f", proj + "/compose.yml", "-p", "pl"};
    a.insert(a.end(), args.begin(), args.end());
    return berth(a, 120s);
  };
  Result up = compose({"up", "-d"});
  ASSERT_EQ(up.code, 0) << describe(up);
  EXPECT_NE(up.err.find("Image " + name("test/busybox:1") + "  Pulled"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("Container pl-app-1  Started"), std::string::npos) << up.err;
  int gets = registry_.blob_gets();
  Result again = compose({"up", "-d"});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(again.err.find("Pulled"), std::string::npos) << "pull_policy missing: nothing to pull: " << again.err;
  Result pull = compose({"pull"});
  ASSERT_EQ(pull.code, 0) << describe(pull);
  EXPECT_NE(pull.err.find("Up to date"), std::string::npos) << pull.err;
  EXPECT_EQ(registry_.blob_gets(), gets) << "an up-to-date image fetches no blob";
  Result never = compose({"--profile", "x", "up", "-d", "local"});
  EXPECT_NE(never.code, 0);
  EXPECT_NE(never.err.find("pull_policy is never"), std::string::npos) << never.err;
  ASSERT_EQ(compose({"--profile", "x", "down", "-t", "0"}).code, 0);
}

}  // namespace
}  // namespace berth_it
