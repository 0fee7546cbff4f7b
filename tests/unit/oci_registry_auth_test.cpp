// Registry authentication: WWW-Authenticate challenges, the token request and answer,
// and credentials from docker's config.json.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "base/base64.h"
#include "oci/registry_auth.h"

namespace berth::oci {
namespace {

TEST(WwwAuthenticate, DockerHubBearer) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/busybox:pull");
  EXPECT_EQ(c[0].param("error"), "");
}

TEST(WwwAuthenticate, BasicRealm) {
  auto c = parse_www_authenticate(R"(Basic realm="basic-realm")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "basic-realm");
}

TEST(WwwAuthenticate, SpacesCaseTokensEscapesAndSeveralChallenges) {
  auto c = parse_www_authenticate(
      R"(BEARER Realm = "https://r.example/t?x=1" , Service=reg.example, error="insufficient_scope", scope="a:b:pull,push", Basic realm="say \"hi\"")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://r.example/t?x=1");
  EXPECT_EQ(c[0].param("service"), "reg.example");
  EXPECT_EQ(c[0].param("error"), "insufficient_scope");
  EXPECT_EQ(c[0].param("scope"), "a:b:pull,push");  // a comma inside quotes is not a separator
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].param("realm"), "say \"hi\"");
}

TEST(WwwAuthenticate, EmptyAndGarbage) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate("   ").empty());
  auto c = parse_www_authenticate("Bearer");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].params.empty());
}

TEST(TokenRequest, UrlCarriesServiceAndEscapedScope) {
  auto c = parse_www_authenticate(R"(Bearer realm="https://auth.example/token",service="reg example")");
  auto url = token_url(c[0], "repository:library/busybox:pull");
  ASSERT_TRUE(url.has_value()) << url.error().message();
  EXPECT_EQ(*url, "https://auth.example/token?service=reg%20example&scope=repository%3Alibrary%2Fbusybox%3Apull");
  auto with_query = parse_www_authenticate(R"(Bearer realm="http://127.0.0.1:1/token?a=b")");
  EXPECT_EQ(*token_url(with_query[0], "s"), "http://127.0.0.1:1/token?a=b&scope=s");
  auto bad = parse_www_authenticate(R"(Bearer realm="file:///etc/passwd")");
  EXPECT_FALSE(token_url(bad[0], "s").has_value());
}

TEST(TokenRequest, AnswerHasTokenOrAccessToken) {
  EXPECT_EQ(*parse_token_response(R"({"token":"abc","expires_in":300})"), "abc");
  EXPECT_EQ(*parse_token_response(R"({"access_token":"xyz"})"), "xyz");
  EXPECT_EQ(*parse_token_response(R"({"token":"","access_token":"xyz"})"), "xyz");
  EXPECT_FALSE(parse_token_response(R"({"nope":1})").has_value());
  EXPECT_FALSE(parse_token_response("not json").has_value());
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (std::string s : {"", "a", "ab", "abc", "user:pass", "ü:\x01\xff"}) {
    EXPECT_EQ(*base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(*base64_decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(*base64_decode("YQ"), "a");  // padding left out
  EXPECT_FALSE(base64_decode("dXN*").has_value());
  EXPECT_FALSE(base64_decode("a").has_value());
}

TEST(DockerConfig, KeyForDockerHubIsTheV1Index) {
  EXPECT_EQ(docker_config_key("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(docker_config_key("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(DockerConfig, AuthEntriesByHost) {
  Json config = Json::parse(R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
      "127.0.0.1:5000": {"auth": "dXNlcjpwYTpzcw=="},
      "http://reg.example:8080/v2/": {"username": "u2", "password": "p2"},
      "empty.example": {}
    },
    "credsStore": "desktop"
  })");
  auto hub = credentials_from_docker_config(config, "docker.io");
  ASSERT_TRUE(hub.has_value() && hub->has_value());
  EXPECT_EQ((*hub)->username, "hub");
  EXPECT_EQ((*hub)->password, "hubpass");
  auto local = credentials_from_docker_config(config, "127.0.0.1:5000");
  ASSERT_TRUE(local.has_value() && local->has_value());
  EXPECT_EQ((*local)->username, "user");
  EXPECT_EQ((*local)->password, "pa:ss");  // only the first colon separates
  auto old_style = credentials_from_docker_config(config, "reg.example:8080");
  ASSERT_TRUE(old_style.has_value() && old_style->has_value());
  EXPECT_EQ((*old_style)->username, "u2");
  EXPECT_EQ((*old_style)->password, "p2");
  EXPECT_FALSE(credentials_from_docker_config(config, "empty.example")->has_value());
  EXPECT_FALSE(credentials_from_docker_config(config, "127.0.0.1:5001")->has_value());
  EXPECT_FALSE(credentials_from_docker_config(Json::parse("{}"), "docker.io")->has_value());
}

TEST(DockerConfig, InvalidAuthIsAnError) {
  Json config = Json::parse(R"({"auths": {"r.example": {"auth": "bm9jb2xvbg=="}}})");  // "nocolon"
  auto r = credentials_from_docker_config(config, "r.example");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("user:password"), std::string::npos) << r.error().message();
}

TEST(DockerConfig, ReadFromTheDirectoryGivenOrDockerConfig) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("berth-auth-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"auths": {"r.example": {"auth": ")" << base64_encode("me:secret")
                                     << R"("}}})";
  auto creds = read_docker_credentials("r.example", dir.string());
  ASSERT_TRUE(creds.has_value() && creds->has_value());
  EXPECT_EQ((*creds)->username, "me");
  EXPECT_EQ((*creds)->source, (dir / "config.json").string());
  const char* old = ::getenv("DOCKER_CONFIG");
  std::string saved = old ? old : "";
  ::setenv("DOCKER_CONFIG", dir.c_str(), 1);
  EXPECT_EQ(docker_config_dir(), dir.string());
  auto from_env = read_docker_credentials("r.example");
  EXPECT_TRUE(from_env.has_value() && from_env->has_value());
  if (old) ::setenv("DOCKER_CONFIG", saved.c_str(), 1); else ::unsetenv("DOCKER_CONFIG");
  auto none = read_docker_credentials("r.example", (dir / "missing").string());
  EXPECT_TRUE(none.has_value() && !none->has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::oci
