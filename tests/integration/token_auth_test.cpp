// The Bearer token flow against the real registry: docker-registry configured for token
// auth, and a small token issuer in the test (an HTTP server on 127.0.0.1 that checks Basic
// credentials and signs JWTs with a key the registry trusts, as Docker Hub's auth server
// does). Anonymous and wrong credentials are refused by the issuer; login, pull and push
// with the right ones get tokens for exactly the scopes the registry asked for.
//
// Read: distribution's docs/spec/auth/token.md and jwt.md (the claims: iss, aud, exp, nbf,
// access; the header's x5c chain, verified against the registry's rootcertbundle).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>

#include <atomic>

#include "base/strings.h"
#include "registry_fixture.h"

namespace berth_it {
namespace {

std::string base64url(std::string_view bytes) {
  std::string s = berth::base64_encode(bytes);
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

// RS256 of `data` with the PEM private key at `key_path`.
std::string sign_rs256(const std::string& key_path, const std::string& data) {
  FILE* f = fopen(key_path.c_str(), "r");
  if (!f) return "";
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  fclose(f);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (key && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1) {
    sig.resize(len);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(data.data()), data.size());
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return sig;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The token issuer: GET /token?service=...&scope=... with Basic berth:s3cret gets a JWT
// granting what the scopes ask; anything else a 401.
class TokenIssuer {
 public:
  TokenIssuer(std::string key, std::string cert_der_b64) : key_(std::move(key)), cert_(std::move(cert_der_b64)) {
    listener_ = bind_loopback(&port_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~TokenIssuer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::vector<std::string> scopes() {
    std::lock_guard lock(mu_);
    return scopes_;
  }
  int refused() const { return refused_; }

 private:
  void serve() {
    for (;;) {
      int c = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd p{c, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0) break;
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string reply = answer(req);
      (void)!write(c, reply.data(), reply.size());
      close(c);
    }
  }

  std::string answer(const std::string& req) {
    std::string expected = "Authorization: Basic " + berth::base64_encode("berth:s3cret");
    if (req.find(expected + "\r\n") == std::string::npos) {
      refused_++;
      std::string body = R"({"details":"incorrect username or password"})";
      return "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }
    std::string target = req.substr(4, req.find(' ', 4) - 4);
    nlohmann::json access = nlohmann::json::array();
    std::string query = target.substr(target.find('?') + 1);
    for (const auto& part : berth::split(query, '&')) {
      if (!part.starts_with("scope=")) continue;
      std::string scope = url_decode(part.substr(6));  // repository:NAME:pull,push
      {
        std::lock_guard lock(mu_);
        scopes_.push_back(scope);
      }
      auto first = scope.find(':'), last = scope.rfind(':');
      nlohmann::json grant = {{"type", scope.substr(0, first)},
                              {"name", scope.substr(first + 1, last - first - 1)},
                              {"actions", berth::split(scope.substr(last + 1), ',')}};
      access.push_back(grant);
    }
    long now = static_cast<long>(time(nullptr));
    nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {cert_}}};
    nlohmann::json claims = {{"iss", "berth-test-issuer"}, {"sub", "berth"}, {"aud", "berth-test-registry"},
                             {"exp", now + 300},           {"nbf", now - 10},  {"iat", now},
                             {"jti", std::to_string(now) + std::to_string(jti_++)}, {"access", access}};
    std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
    std::string token = signing_input + "." + base64url(sign_rs256(key_, signing_input));
    std::string body = nlohmann::json{{"token", token}, {"expires_in", 300}}.dump();
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

  std::string key_, cert_;
  int listener_ = -1, port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> scopes_;
  std::atomic<int> refused_{0}, jti_{0};
};

class TokenAuthTest : public RegistryTest {
 protected:
  Result berth_with_config(const std::string& config_dir, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"/usr/bin/env", "DOCKER_CONFIG=" + config_dir};
    for (const auto& x : argv(args)) a.push_back(x);
    return run_command(a);
  }
};

TEST_F(TokenAuthTest, TokensForTheScopesAskedWithTheRightCredentialsOnly) {
  if (!fs::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl missing (scripts/setup installs it)";
  std::string pki = dir_ + "/issuer";
  fs::create_directories(pki);
  Result keys = run_command({"/bin/sh", "-c",
                             "cd " + pki + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout issuer.key "
                             "-out issuer.crt -days 2 -subj /CN=berth-test-issuer 2>/dev/null"});
  ASSERT_EQ(keys.code, 0) << describe(keys);
  // The certificate's DER, base64: the PEM's body.
  std::string der_b64;
  for (const auto& l : lines_of(slurp(pki + "/issuer.crt")))
    if (!l.starts_with("-----")) der_b64 += l;
  TokenIssuer issuer(pki + "/issuer.key", der_b64);
  Registry registry;
  ASSERT_TRUE(registry.start(dir_ + "/token", "", "", "",
                             "auth:\n  token:\n    realm: " + issuer.realm() +
                                 "\n    service: berth-test-registry\n    issuer: berth-test-issuer\n"
                                 "    rootcertbundle: " + pki + "/issuer.crt\n"));
  std::string ref = registry.host() + "/test/busybox:1";
  push("busybox.oci.tar", ref, {"--dest-creds", "berth:s3cret"});

  Result anonymous = berth_with_config(dir_ + "/none", {"pull", ref});
  EXPECT_EQ(anonymous.code, 1) << describe(anonymous);
  EXPECT_EQ(lines_of(anonymous.err).size(), 1u) << anonymous.err;
  EXPECT_NE(anonymous.err.find("unauthorized"), std::string::npos) << anonymous.err;

  std::string config = dir_ + "/config";
  Result wrong = run_command({"/bin/sh", "-c",
                              "echo nope | DOCKER_CONFIG=" + config + " " + kBerth + " --root " + root_ +
                                  " login -u berth --password-stdin " + registry.host()});
  EXPECT_EQ(wrong.code, 1) << describe(wrong);
  EXPECT_FALSE(fs::exists(config + "/config.json"));
  Result login = run_command({"/bin/sh", "-c",
                              "echo s3cret | DOCKER_CONFIG=" + config + " " + kBerth + " --root " + root_ +
                                  " login -u berth --password-stdin " + registry.host()});
  ASSERT_EQ(login.code, 0) << describe(login);
  EXPECT_EQ(login.out, "Login Succeeded\n");

  Result pull = berth_with_config(config, {"pull", ref});
  ASSERT_EQ(pull.code, 0) << describe(pull);
  Result run = berth({"run", "--rm", ref, "echo", "with a token"});
  EXPECT_EQ(run.out, "with a token\n") << describe(run);
  std::string pushed = registry.host() + "/test/again:2";
  ASSERT_EQ(berth({"tag", ref, pushed}).code, 0);
  Result push_r = berth_with_config(config, {"push", pushed});
  EXPECT_EQ(push_r.code, 0) << describe(push_r);

  auto scopes = issuer.scopes();
  auto has = [&](const std::string& s) { return std::find(scopes.begin(), scopes.end(), s) != scopes.end(); };
  EXPECT_TRUE(has("repository:test/busybox:pull")) << nlohmann::json(scopes).dump();
  EXPECT_TRUE(has("repository:test/again:pull,push") || has("repository:test/again:push,pull"))
      << nlohmann::json(scopes).dump();
  EXPECT_GE(issuer.refused(), 2);  // anonymous, and the wrong password
}

}  // namespace
}  // namespace berth_it
