// oci/registry_config.h: docker's registry keys read from berth's settings file
// (base/config_file.h; engine_address_pools_test checks its $BERTH_CONFIG): a missing file
// means no settings.
#include "oci/registry_config.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "oci_test_util.h"

namespace berth::oci {
namespace {

using testing::TempRoot;

TEST(RegistryConfig, ReadsDockersKeys) {
  TempRoot dir;
  std::string path = dir / "config.json";
  ASSERT_TRUE(write_file_atomic(path, R"({"registry-mirrors": ["https://mirror.example.com/"],
                                         "insecure-registries": ["reg.lan:5000", "10.0.0.0/8"],
                                         "default-address-pools": []})"));
  auto c = load_registry_config(path);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->mirrors, (std::vector<std::string>{"https://mirror.example.com"}));
  EXPECT_TRUE(c->is_insecure("reg.lan:5000"));
  EXPECT_TRUE(c->is_insecure("10.1.2.3:443"));
  EXPECT_FALSE(c->is_insecure("docker.io"));
}

TEST(RegistryConfig, MissingFileMeansNoSettingsAndErrorsNameTheFile) {
  TempRoot dir;
  auto none = load_registry_config(dir / "missing.json");
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->mirrors.empty());
  EXPECT_TRUE(none->insecure.empty());

  std::string path = dir / "config.json";
  ASSERT_TRUE(write_file_atomic(path, "[]"));
  auto not_object = load_registry_config(path);
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().message(), path + ": not a JSON object");
  ASSERT_TRUE(write_file_atomic(path, R"({"registry-mirrors": ["mirror.example.com"]})"));
  auto bad = load_registry_config(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), path + ": registry-mirrors: \"mirror.example.com\" is not an http(s) URL");
}

}  // namespace
}  // namespace berth::oci
