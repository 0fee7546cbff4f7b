// `berth push`, `login` and `logout` against a real registry (registry_fixture.h): push then
// pull back into another store with identical digests, a second push that finds every
// layer there, a built image (uncompressed layers), login with htpasswd credentials
// (wrong ones refused, nothing saved), push and pull through that login, logout, and a
// credential helper (credsStore) doing the keeping.
#include "registry_fixture.h"

namespace berth_it {
namespace {

class PushTest : public RegistryTest {
 protected:
  // berth with DOCKER_CONFIG set (and PATH, for a credential helper), reading `input`.
  Result berth_env(const std::string& config_dir, const std::vector<std::string>& args, const std::string& input = "",
                   const std::string& store = "") {
    std::vector<std::string> a = {"/usr/bin/env", "DOCKER_CONFIG=" + config_dir,
                                  "PATH=" + dir_ + "/bin:/usr/sbin:/usr/bin:/sbin:/bin", kBerth, "--root",
                                  store.empty() ? root_ : store};
    a.insert(a.end(), args.begin(), args.end());
    if (input.empty()) return run_command(a, 60s);
    std::string in = dir_ + "/stdin";
    std::ofstream(in) << input;
    std::vector<std::string> sh = {"/bin/sh", "-c", "exec \"$@\" < " + in, "sh"};
    sh.insert(sh.end(), a.begin(), a.end());
    return run_command(sh, 60s);
  }

  // The manifest digest a pull into a fresh store reports ("Digest: sha256:...").
  std::string pull_digest_elsewhere(const std::string& ref, const std::string& config_dir = "") {
    std::string other = root_ + "/other-" + std::to_string(others_++);
    Result r = berth_env(config_dir.empty() ? dir_ + "/no-config" : config_dir, {"pull", ref}, "", other);
    EXPECT_EQ(r.code, 0) << describe(r);
    for (const auto& l : lines_of(r.out))
      if (l.starts_with("Digest: ")) return l.substr(8);
    return "";
  }

  void start_auth_registry() {
    Result hash = run_command({"/usr/bin/htpasswd", "-Bbn", "berth", "s3cret"});
    ASSERT_EQ(hash.code, 0) << describe(hash);
    std::ofstream(dir_ + "/htpasswd") << hash.out;
    ASSERT_TRUE(auth_registry_.start(dir_ + "/auth", dir_ + "/htpasswd"));
  }

  int others_ = 0;
};

TEST_F(PushTest, PushThenPullBackGivesTheSameDigestAndASecondPushSendsNoLayer) {
  load("layers.oci.tar");
  std::string ref = name("pushed/layers:v1");
  ASSERT_EQ(berth({"tag", "berth-test/layers", ref}).code, 0);
  Result p = berth({"push", ref});
  ASSERT_EQ(p.code, 0) << describe(p);
  auto lines = lines_of(p.out);
  ASSERT_GE(lines.size(), 5u) << p.out;
  EXPECT_EQ(lines[0], "The push refers to repository [" + registry_.host() + "/pushed/layers]");
  EXPECT_NE(p.out.find(": Preparing\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find(": Pushed\n"), std::string::npos) << p.out;
  ASSERT_EQ(lines.back().rfind("v1: digest: sha256:", 0), 0u) << p.out;
  std::string digest = lines.back().substr(12, 71);
  // The store's own manifest went up as it is: a pull elsewhere gets the same digest.
  EXPECT_EQ(pull_digest_elsewhere(ref), digest);
  Result again = berth({"push", ref});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(again.out.find(": Pushed"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find(": Layer already exists"), std::string::npos) << again.out;
  // An image the store does not have.
  Result missing = berth({"push", name("pushed/none:v1")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("does not exist locally"), std::string::npos) << missing.err;
}

// compose push: every service with `image:` goes up (one built by compose, one loaded), a
// service without one is skipped, an image the store lacks fails the command unless
// --ignore-push-failures.
TEST_F(PushTest, ComposePushPushesEveryServiceWithAnImage) {
  load("busybox.oci.tar");
  std::string proj = root_ + "/proj";
  fs::create_directories(proj + "/app");
  std::ofstream(proj + "/app/Dockerfile") << "FROM busybox\nRUN echo app > /made\n";
  std::string app = name("stack/app:1"), base = name("stack/base:1"), missing = name("stack/none:1");
  ASSERT_EQ(berth({"tag", "busybox", base}).code, 0);
  std::ofstream(proj + "/compose.yaml") << "services:\n"
                                           "  app:\n    build: ./app\n    image: " + app + "\n"
                                           "  base:\n    image: " + base + "\n"
                                           "  local:\n    build: ./app\n";
  ASSERT_EQ(berth({"compose", "-f", proj + "/compose.yaml", "build", "-q"}, 120s).code, 0);
  Result p = berth({"compose", "-f", proj + "/compose.yaml", "push", "-q"});
  ASSERT_EQ(p.code, 0) << describe(p);
  EXPECT_NE(p.out.find(app + "\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find(base + "\n"), std::string::npos) << p.out;
  EXPECT_EQ(lines_of(p.out).size(), 2u) << "the service without image: is skipped: " << p.out;
  EXPECT_FALSE(pull_digest_elsewhere(app).empty());
  EXPECT_FALSE(pull_digest_elsewhere(base).empty());
  // A service whose image the store does not have.
  std::ofstream(proj + "/compose.yaml", std::ios::app) << "  gone:\n    image: " + missing + "\n";
  Result failed = berth({"compose", "-f", proj + "/compose.yaml", "push", "-q", "gone"});
  EXPECT_EQ(failed.code, 1) << describe(failed);
  EXPECT_NE(failed.err.find("service gone"), std::string::npos) << describe(failed);
  Result ignored = berth({"compose", "-f", proj + "/compose.yaml", "push", "-q", "--ignore-push-failures", "gone", "base"});
  EXPECT_EQ(ignored.code, 0) << describe(ignored);
  EXPECT_NE(ignored.out.find(base), std::string::npos) << describe(ignored);
}

TEST_F(PushTest, ABuiltImageRoundTrips) {
  load("busybox.oci.tar");
  std::string ctx = root_ + "/ctx";
  fs::create_directories(ctx);
  std::ofstream(ctx + "/Dockerfile") << "FROM busybox\nRUN echo built here > /made\nCMD [\"cat\", \"/made\"]\n";
  std::string ref = name("built/app:1");
  Result b = berth({"build", "-q", "-t", ref, ctx}, 120s);
  ASSERT_EQ(b.code, 0) << describe(b);
  Result p = berth({"push", "-q", ref});
  ASSERT_EQ(p.code, 0) << describe(p);
  EXPECT_EQ(p.out, ref + "\n");
  std::string other = root_ + "/other-run";
  Result pull = berth_env(dir_ + "/no-config", {"pull", "-q", ref}, "", other);
  ASSERT_EQ(pull.code, 0) << describe(pull);
  Result run = berth_env(dir_ + "/no-config", {"run", "--rm", "--network", "none", ref}, "", other);
  EXPECT_EQ(run.out, "built here\n") << describe(run);
}

TEST_F(PushTest, LoginThenPushAndPullThenLogout) {
  start_auth_registry();
  if (HasFatalFailure()) return;
  load("busybox.oci.tar");
  std::string host = auth_registry_.host();
  std::string ref = host + "/private/busybox:1";
  ASSERT_EQ(berth({"tag", "busybox", ref}).code, 0);
  std::string config = dir_ + "/docker-config";
  fs::create_directories(config);
  std::ofstream(config + "/config.json") << R"({"auths": {}, "psFormat": "keep me"})";

  Result anonymous = berth_env(config, {"push", ref});
  EXPECT_EQ(anonymous.code, 1) << describe(anonymous);
  EXPECT_NE(anonymous.err.find("unauthorized"), std::string::npos) << anonymous.err;

  Result wrong = berth_env(config, {"login", "-u", "berth", "--password-stdin", host}, "nope\n");
  EXPECT_EQ(wrong.code, 1) << describe(wrong);
  EXPECT_NE(wrong.err.find("unauthorized: incorrect username or password"), std::string::npos) << wrong.err;
  EXPECT_EQ(nlohmann::json::parse(slurp(config + "/config.json"))["auths"].size(), 0u);

  Result login = berth_env(config, {"login", "-u", "berth", "--password-stdin", host}, "s3cret\n");
  ASSERT_EQ(login.code, 0) << describe(login);
  EXPECT_EQ(login.out, "Login Succeeded\n");
  EXPECT_NE(login.err.find("stored unencrypted in " + config + "/config.json"), std::string::npos) << login.err;
  auto saved = nlohmann::json::parse(slurp(config + "/config.json"));
  EXPECT_EQ(saved["auths"][host]["auth"], berth::base64_encode("berth:s3cret"));
  EXPECT_EQ(saved["psFormat"], "keep me");
  EXPECT_EQ(fs::status(config + "/config.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  Result push = berth_env(config, {"push", ref});
  ASSERT_EQ(push.code, 0) << describe(push);
  EXPECT_FALSE(pull_digest_elsewhere(ref, config).empty());

  Result logout = berth_env(config, {"logout", host});
  EXPECT_EQ(logout.out, "Removing login credentials for " + host + "\n") << describe(logout);
  EXPECT_FALSE(nlohmann::json::parse(slurp(config + "/config.json"))["auths"].contains(host));
  Result again = berth_env(config, {"logout", host});
  EXPECT_EQ(again.out, "Not logged in to " + host + "\n") << describe(again);
}

TEST_F(PushTest, ACredentialHelperKeepsTheLogin) {
  start_auth_registry();
  if (HasFatalFailure()) return;
  load("busybox.oci.tar");
  std::string host = auth_registry_.host();
  // docker-credential-file: the helper protocol over one file per server.
  fs::create_directories(dir_ + "/bin");
  std::string helper = dir_ + "/bin/docker-credential-file";
  std::ofstream(helper) << "#!/bin/sh\n"
                           "store=" + dir_ + "/helper-store\n"
                           "case \"$1\" in\n"
                           "  store) cat > \"$store\" ;;\n"
                           "  get) read server; [ -f \"$store\" ] && cat \"$store\" || { echo 'credentials not found in native keychain'; exit 1; } ;;\n"
                           "  erase) read server; rm -f \"$store\" ;;\n"
                           "esac\n";
  fs::permissions(helper, fs::perms::owner_all);
  std::string config = dir_ + "/helper-config";
  fs::create_directories(config);
  std::ofstream(config + "/config.json") << R"({"credsStore": "file"})";

  Result login = berth_env(config, {"login", "-u", "berth", "-p", "s3cret", host});
  ASSERT_EQ(login.code, 0) << describe(login);
  EXPECT_EQ(login.err.find("unencrypted"), std::string::npos) << login.err;
  auto kept = nlohmann::json::parse(slurp(dir_ + "/helper-store"));
  EXPECT_EQ(kept["ServerURL"], host);
  EXPECT_EQ(kept["Username"], "berth");
  EXPECT_EQ(kept["Secret"], "s3cret");
  EXPECT_FALSE(nlohmann::json::parse(slurp(config + "/config.json")).contains("auths"));

  std::string ref = host + "/helped/busybox:1";
  ASSERT_EQ(berth({"tag", "busybox", ref}).code, 0);
  Result push = berth_env(config, {"push", ref});
  EXPECT_EQ(push.code, 0) << describe(push);
  Result logout = berth_env(config, {"logout", host});
  EXPECT_EQ(logout.code, 0) << describe(logout);
  EXPECT_FALSE(fs::exists(dir_ + "/helper-store"));
  Result denied = berth_env(config, {"push", ref});
  EXPECT_EQ(denied.code, 1) << describe(denied);
}

// A CA and a server certificate for 127.0.0.1 signed by it, made by openssl(1) in `dir`.
void make_test_pki(const std::string& dir) {
  fs::create_directories(dir);
  std::string script =
      "set -e; cd " + dir + "\n"
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=berth-test-ca 2>/dev/null\n"
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 -subj /CN=other-ca 2>/dev/null\n"
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null\n"
      "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf\n"
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
      "-extfile ext.cnf 2>/dev/null\n";
  Result r = run_command({"/bin/sh", "-c", script}, 60s);
  ASSERT_EQ(r.code, 0) << describe(r);
}

TEST_F(PushTest, TlsRegistryIsVerifiedAgainstTheCaOfItsCertsDirectory) {
  if (!fs::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl missing (scripts/setup installs it)";
  std::string pki = dir_ + "/pki";
  make_test_pki(pki);
  if (HasFatalFailure()) return;
  Registry tls_registry;
  ASSERT_TRUE(tls_registry.start(dir_ + "/tls", "", pki + "/server.crt", pki + "/server.key"));
  std::string host = tls_registry.host();
  std::string ref = host + "/secure/busybox:1";
  push("busybox.oci.tar", ref);  // skopeo, --dest-tls-verify=false
  auto pull = [&](const std::string& certs, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> a = {"pull", "--cert-dir", certs};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(ref);
    Result r = berth(a);
    if (r.code == 0) {
      EXPECT_EQ(berth({"rmi", ref}).code, 0);
    }
    return r;
  };
  // No certs.d entry: a loopback registry is insecure by default, as docker has it.
  EXPECT_EQ(pull(dir_ + "/certs-none").code, 0);
  // An entry whose CA did not sign the server's certificate: refused, one line.
  fs::create_directories(dir_ + "/certs-wrong/" + host);
  fs::copy_file(pki + "/other.crt", dir_ + "/certs-wrong/" + host + "/ca.crt");
  Result wrong = pull(dir_ + "/certs-wrong");
  EXPECT_EQ(wrong.code, 1) << describe(wrong);
  EXPECT_NE(wrong.err.find("certificate"), std::string::npos) << wrong.err;
  EXPECT_EQ(lines_of(wrong.err).size(), 1u) << wrong.err;
  // --tls-verify=false says: do not verify.
  EXPECT_EQ(pull(dir_ + "/certs-wrong", {"--tls-verify=false"}).code, 0);
  // The right CA: verified, and pulled.
  fs::create_directories(dir_ + "/certs-right/" + host);
  fs::copy_file(pki + "/ca.crt", dir_ + "/certs-right/" + host + "/ca.crt");
  Result right = pull(dir_ + "/certs-right");
  EXPECT_EQ(right.code, 0) << describe(right);
  // Push and login go the same way.
  load("busybox.oci.tar");
  std::string pushed = host + "/secure/again:1";
  ASSERT_EQ(berth({"tag", "busybox", pushed}).code, 0);
  EXPECT_EQ(berth({"push", "--cert-dir", dir_ + "/certs-right", pushed}).code, 0);
  Result denied = berth({"push", "--cert-dir", dir_ + "/certs-wrong", pushed});
  EXPECT_EQ(denied.code, 1) << describe(denied);
}

}  // namespace
}  // namespace berth_it
