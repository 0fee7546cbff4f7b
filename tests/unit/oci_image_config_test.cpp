#include <gtest/gtest.h>

#include "oci/image_config.h"

namespace berth::oci {
namespace {

TEST(ImageConfig, ParsesDockerConfig) {
  std::string text = R"({
    "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05.123Z",
    "config": {
      "User": "app", "WorkingDir": "/srv", "StopSignal": "SIGQUIT",
      "Env": ["PATH=/usr/bin", "A=b"], "Entrypoint": ["/init"], "Cmd": ["serve", "-v"],
      "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
      "Labels": {"org.example": "yes"},
      "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000, "Timeout": 5000000000,
                      "StartPeriod": 1000000000, "Retries": 3}
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:)" + std::string(64, '1') + R"("]}
  })";
  auto c = parse_image_config(text, "test");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->created, "2024-01-02T03:04:05.123Z");
  EXPECT_EQ(c->user, "app");
  EXPECT_EQ(c->working_dir, "/srv");
  EXPECT_EQ(c->stop_signal, "SIGQUIT");
  EXPECT_EQ(c->env, (std::vector<std::string>{"PATH=/usr/bin", "A=b"}));
  EXPECT_EQ(c->entrypoint, std::vector<std::string>{"/init"});
  EXPECT_EQ(c->cmd, (std::vector<std::string>{"serve", "-v"}));
  EXPECT_EQ(c->exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c->volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(c->labels.at("org.example"), "yes");
  EXPECT_EQ(c->healthcheck_test, (std::vector<std::string>{"CMD", "true"}));
  EXPECT_EQ(c->health_interval_ns, 30000000000);
  EXPECT_EQ(c->health_timeout_ns, 5000000000);
  EXPECT_EQ(c->health_start_period_ns, 1000000000);
  EXPECT_EQ(c->health_retries, 3);
  ASSERT_EQ(c->diff_ids.size(), 1u);
  EXPECT_EQ(c->raw["os"], "linux");
}

TEST(ImageConfig, NullAndMissingFieldsAreEmpty) {
  auto c = parse_image_config(R"({"config": {"Entrypoint": null, "Cmd": null, "Env": null}})", "t");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->entrypoint.empty());
  EXPECT_TRUE(c->cmd.empty());
  EXPECT_TRUE(c->diff_ids.empty());
  auto bare = parse_image_config("{}", "t");
  ASSERT_TRUE(bare);
}

TEST(ImageConfig, Errors) {
  auto bad = parse_image_config("{not json", "image config x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("image config x"), std::string::npos);
  EXPECT_FALSE(parse_image_config(R"({"config": {"Env": 3}})", "t"));
  EXPECT_FALSE(parse_image_config(R"({"rootfs": {"diff_ids": ["md5:1"]}})", "t"));
  EXPECT_FALSE(parse_image_config("[]", "t"));
}

}  // namespace
}  // namespace berth::oci
