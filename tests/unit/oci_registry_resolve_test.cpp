// Where a reference is pulled from: registry host, repository, and whether plain HTTP is
// allowed (docker's insecure defaults for loopback).
#include <gtest/gtest.h>

#include "oci/registry.h"

namespace berth::oci {
namespace {

RegistryEndpoint resolve(const char* name, bool tls_verify = true) {
  auto ref = parse_reference(name);
  EXPECT_TRUE(ref.has_value()) << name;
  return resolve_registry(*ref, tls_verify);
}

TEST(RegistryResolve, DockerHubNamesGoToRegistryOne) {
  auto e = resolve("busybox");
  EXPECT_EQ(e.domain, "docker.io");
  EXPECT_EQ(e.host, "registry-1.docker.io");
  EXPECT_EQ(e.repository, "library/busybox");
  EXPECT_FALSE(e.insecure);
  e = resolve("index.docker.io/user/app:v1");
  EXPECT_EQ(e.host, "registry-1.docker.io");
  EXPECT_EQ(e.repository, "user/app");
  std::string by_digest = "busybox@sha256:" + std::string(64, 'a');
  e = resolve(by_digest.c_str());
  EXPECT_EQ(e.host, "registry-1.docker.io");
  EXPECT_EQ(e.repository, "library/busybox");
}

TEST(RegistryResolve, OtherRegistriesAreTheirOwnHost) {
  auto e = resolve("ghcr.io/owner/image:1.0");
  EXPECT_EQ(e.domain, "ghcr.io");
  EXPECT_EQ(e.host, "ghcr.io");
  EXPECT_EQ(e.repository, "owner/image");
  EXPECT_FALSE(e.insecure);
  e = resolve("registry.example.com:8443/team/app");
  EXPECT_EQ(e.host, "registry.example.com:8443");
  EXPECT_EQ(e.repository, "team/app");
  EXPECT_FALSE(e.insecure);
}

TEST(RegistryResolve, LoopbackIsInsecureByDefault) {
  EXPECT_TRUE(resolve("127.0.0.1:5000/test/busybox:1").insecure);
  EXPECT_TRUE(resolve("127.1.2.3:5000/a").insecure);
  EXPECT_TRUE(resolve("localhost:5000/a").insecure);
  EXPECT_TRUE(resolve("localhost/a").insecure);
  EXPECT_TRUE(resolve("[::1]:5000/a").insecure);
  EXPECT_FALSE(resolve("128.0.0.1:5000/a").insecure);
  EXPECT_FALSE(resolve("10.0.0.1:5000/a").insecure);
  EXPECT_FALSE(resolve("localhost.example.com/a").insecure);
}

TEST(RegistryResolve, TlsVerifyFalseMakesAnyRegistryInsecure) {
  EXPECT_TRUE(resolve("registry.example.com/a", false).insecure);
  EXPECT_TRUE(resolve("busybox", false).insecure);
}

TEST(RegistryResolve, LoopbackDetection) {
  EXPECT_TRUE(is_loopback_registry("127.0.0.1"));
  EXPECT_TRUE(is_loopback_registry("127.255.255.254:1"));
  EXPECT_TRUE(is_loopback_registry("localhost:80"));
  EXPECT_TRUE(is_loopback_registry("[::1]"));
  EXPECT_FALSE(is_loopback_registry("127.example.com"));
  EXPECT_FALSE(is_loopback_registry("1.2.3.4"));
  EXPECT_FALSE(is_loopback_registry("[::2]:5000"));
}

}  // namespace
}  // namespace berth::oci
