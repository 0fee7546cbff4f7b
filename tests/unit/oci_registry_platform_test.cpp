// Manifests as registries serve them, and choosing a multi-platform index's entry.
#include <gtest/gtest.h>

#include "oci/manifest.h"

namespace berth::oci {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

TEST(Platform, ParsesDockersPlatformFlag) {
  auto p = parse_platform("linux/arm64");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(*parse_platform("linux/arm/v7"), (Platform{"linux", "arm", "v7"}));
  EXPECT_EQ(*parse_platform("Linux/x86_64"), (Platform{"linux", "amd64", ""}));
  EXPECT_EQ(*parse_platform("linux/aarch64"), (Platform{"linux", "arm64", "v8"}));
  EXPECT_EQ(parse_platform("linux/arm/v7")->str(), "linux/arm/v7");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "linux/arm/v7/x", "linux//v7"}) {
    EXPECT_FALSE(parse_platform(bad).has_value()) << bad;
  }
}

TEST(Platform, NormalisationMakesDefaultVariantsExplicit) {
  EXPECT_EQ(normalize_platform({"linux", "arm64", ""}).variant, "v8");
  EXPECT_EQ(normalize_platform({"linux", "aarch64", ""}).architecture, "arm64");
  EXPECT_EQ(normalize_platform({"linux", "arm", ""}).variant, "v7");
  EXPECT_EQ(normalize_platform({"linux", "amd64", ""}).variant, "v1");
  EXPECT_EQ(normalize_platform({"linux", "s390x", ""}).variant, "");
}

TEST(Platform, HostIsLinuxWithGoArchNames) {
  Platform h = host_platform();
  EXPECT_EQ(h.os, "linux");
  EXPECT_EQ(h.architecture, host_architecture());
  EXPECT_NE(h.architecture, "x86_64");
  EXPECT_NE(h.architecture, "aarch64");
}

TEST(PlatformMatch, ExactOsAndArchitecture) {
  std::vector<Platform> c = {{"linux", "arm64", "v8"}, {"linux", "amd64", ""}, {"windows", "amd64", ""}};
  EXPECT_EQ(best_platform_match(c, {"linux", "amd64", ""}), 1);
  EXPECT_EQ(best_platform_match(c, {"linux", "arm64", ""}), 0);  // "" and v8 are the same
  EXPECT_EQ(best_platform_match(c, {"windows", "amd64", ""}), 2);
  EXPECT_EQ(best_platform_match(c, {"linux", "s390x", ""}), -1);
  EXPECT_EQ(best_platform_match({{"linux", "arm64", ""}}, {"linux", "arm64", "v8"}), 0);
}

TEST(PlatformMatch, VariantsPreferExactThenTheClosestOlder) {
  std::vector<Platform> arm = {{"linux", "arm", "v5"}, {"linux", "arm", "v6"}, {"linux", "arm", "v7"}};
  EXPECT_EQ(best_platform_match(arm, {"linux", "arm", "v7"}), 2);
  EXPECT_EQ(best_platform_match(arm, {"linux", "arm", "v6"}), 1);
  EXPECT_EQ(best_platform_match(arm, {"linux", "arm", ""}), 2);     // arm means v7
  EXPECT_EQ(best_platform_match(arm, {"linux", "arm", "v8"}), 2);   // a v8 CPU runs v7
  std::vector<Platform> old_only = {{"linux", "arm", "v6"}};
  EXPECT_EQ(best_platform_match(old_only, {"linux", "arm", "v7"}), 0);
  EXPECT_EQ(best_platform_match({{"linux", "arm", "v7"}}, {"linux", "arm", "v6"}), -1);  // never newer
  std::vector<Platform> amd = {{"linux", "amd64", "v3"}, {"linux", "amd64", ""}, {"linux", "amd64", "v2"}};
  EXPECT_EQ(best_platform_match(amd, {"linux", "amd64", ""}), 1);
  EXPECT_EQ(best_platform_match(amd, {"linux", "amd64", "v3"}), 0);
  EXPECT_EQ(best_platform_match(amd, {"linux", "amd64", "v4"}), 0);
  EXPECT_EQ(best_platform_match({{"linux", "amd64", "v3"}}, {"linux", "amd64", ""}), -1);
}

std::string index_json() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kA + R"(","size":10,
     "platform":{"os":"linux","architecture":"arm","variant":"v6"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kB + R"(","size":11,
     "platform":{"os":"linux","architecture":"arm64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kA + R"(","size":12,
     "platform":{"os":"unknown","architecture":"unknown"},
     "annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]})";
}

TEST(ManifestSelect, PicksTheIndexEntryForThePlatform) {
  auto m = parse_manifest(index_json(), "", "x");
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->kind, Manifest::Kind::kIndex);
  ASSERT_EQ(m->manifests.size(), 3u);
  auto arm64 = select_manifest(*m, {"linux", "arm64", "v8"});
  ASSERT_TRUE(arm64.has_value());
  EXPECT_EQ(arm64->digest, kB);
  EXPECT_EQ(arm64->size, 11);
  auto arm = select_manifest(*m, {"linux", "arm", "v7"});
  ASSERT_TRUE(arm.has_value());
  EXPECT_EQ(arm->digest, kA);
  auto none = select_manifest(*m, {"linux", "amd64", ""});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().message(), "no matching manifest for linux/amd64 in the manifest list entries");
  EXPECT_FALSE(select_manifest(*m, {"unknown", "unknown", ""}).has_value());
}

TEST(ManifestParse, DockerListByContentType) {
  std::string list = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
     "digest":")" + kA + R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto m = parse_manifest(list, "application/vnd.docker.distribution.manifest.list.v2+json", "x");
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->kind, Manifest::Kind::kIndex);
  EXPECT_EQ(m->media_type, kDockerListType);
}

TEST(ManifestParse, ImageManifestLayersAndForeignLayers) {
  std::string doc = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kA + R"(","size":5},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + kB + R"(","size":7},
              {"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":")" + kA +
                    R"(","size":9,"urls":["https://example.com/x"]}]})";
  auto m = parse_manifest(doc, "application/json", "x");
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->kind, Manifest::Kind::kImage);
  EXPECT_EQ(m->config.digest, kA);
  EXPECT_EQ(m->config.size, 5);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].digest, kB);
  EXPECT_FALSE(is_non_distributable(m->layers[0].media_type));
  EXPECT_TRUE(is_non_distributable(m->layers[1].media_type));
  EXPECT_EQ(m->layers[1].urls, std::vector<std::string>{"https://example.com/x"});
  EXPECT_TRUE(is_non_distributable("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"));
}

TEST(ManifestParse, OciManifestWithoutMediaTypeIsRecognisedByShape) {
  std::string doc = R"({"schemaVersion":2,"config":{"digest":")" + kA + R"(","size":1},"layers":[]})";
  auto m = parse_manifest(doc, "application/octet-stream", "x");
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->kind, Manifest::Kind::kImage);
}

TEST(ManifestParse, SchemaOneIsRefusedClearly) {
  auto m = parse_manifest(R"({"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]})",
                          "application/vnd.docker.distribution.manifest.v1+prettyjws", "r.example/x:1");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().message().rfind("manifest schema 1 is not supported: r.example/x:1", 0), 0u)
      << m.error().message();
}

TEST(ManifestParse, BadDocuments) {
  EXPECT_FALSE(parse_manifest("nope", "", "x").has_value());
  EXPECT_FALSE(parse_manifest("[]", "", "x").has_value());
  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})", "", "x")
                   .has_value());
  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:short"},"layers":[]})", "", "x")
                   .has_value());
  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":2,"mediaType":"application/vnd.example+json"})", "", "x").has_value());
}

TEST(ManifestAccept, AsksForEveryFormatWeRead) {
  std::string a = manifest_accept_header();
  for (auto t : {kOciIndexType, kOciManifestType, kDockerListType, kDockerManifestType}) {
    EXPECT_NE(a.find(t), std::string::npos) << t;
  }
  EXPECT_EQ(a.find("distribution.manifest.v1"), std::string::npos);  // schema 1: never asked for
}

}  // namespace
}  // namespace berth::oci
