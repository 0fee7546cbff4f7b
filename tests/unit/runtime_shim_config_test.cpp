// The shim's config file (runtime/shim_config.h): what the engine formats, the shim parses
// back unchanged, including the userland proxy's published ports.
#include <gtest/gtest.h>

#include "runtime/shim_config.h"

namespace berth::runtime {
namespace {

ShimConfig sample() {
  ShimConfig c;
  c.id = "0123456789abcdef";
  c.berth = {"/usr/bin/berth", "--root", "/tmp/a root"};
  c.run_dir = "/run/berth/containers/0123456789abcdef";
  c.log_path = "/var/lib/berth/containers/0123456789abcdef/json.log";
  c.log_max_size = 10 << 20;
  c.log_max_files = 3;
  c.tty = true;
  c.interactive = true;
  c.health_interval_ms = 30000;
  c.proxy = {{"tcp", "0.0.0.0", 8080, "172.18.0.2", 80},
             {"udp", "127.0.0.1", 5353, "172.18.0.2", 53},
             {"tcp", "::", 0, "fd00::2", 65535}};
  return c;
}

TEST(ShimConfigTest, FormatThenParseGivesTheSameConfig) {
  ShimConfig c = sample();
  auto back = ShimConfig::parse(c.format());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->berth, c.berth);
  EXPECT_EQ(back->run_dir, c.run_dir);
  EXPECT_EQ(back->log_path, c.log_path);
  EXPECT_EQ(back->log_max_size, c.log_max_size);
  EXPECT_EQ(back->log_max_files, c.log_max_files);
  EXPECT_EQ(back->tty, c.tty);
  EXPECT_EQ(back->interactive, c.interactive);
  EXPECT_EQ(back->health_interval_ms, c.health_interval_ms);
  EXPECT_EQ(back->proxy, c.proxy);
  EXPECT_EQ(back->format(), c.format());
}

TEST(ShimConfigTest, ProxyLinesAreOnePerRule) {
  std::string text = sample().format();
  EXPECT_NE(text.find("\nproxy=tcp 0.0.0.0 8080 172.18.0.2 80\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nproxy=udp 127.0.0.1 5353 172.18.0.2 53\n"), std::string::npos) << text;
  ShimConfig none = sample();
  none.proxy.clear();
  EXPECT_EQ(none.format().find("proxy="), std::string::npos);
  EXPECT_TRUE(ShimConfig::parse(none.format())->proxy.empty());
}

TEST(ShimConfigTest, BadProxyLinesAreRejectedWithTheirLine) {
  std::string base = sample().format();
  for (const char* bad : {"tcp 0.0.0.0 8080 172.18.0.2", "sctp 0.0.0.0 8080 172.18.0.2 80",
                          "tcp 0.0.0.0 65536 172.18.0.2 80", "tcp 0.0.0.0 8080 172.18.0.2 0",
                          "tcp 0.0.0.0 -1 172.18.0.2 80", "tcp  8080 172.18.0.2 80",
                          "tcp 0.0.0.0 80x 172.18.0.2 80", "tcp 0.0.0.0 8080 172.18.0.2 80 extra"}) {
    auto c = ShimConfig::parse(base + "proxy=" + bad + "\n");
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message().find("shim config line 13"), std::string::npos) << c.error().message();
  }
}

TEST(ShimConfigTest, HeldPortsRoundTripAndBadOnesAreRejected) {
  ShimConfig c = sample();
  c.hold = {{"tcp", "0.0.0.0", 8081, "", 0}, {"udp", "::", 5354, "", 0}};
  std::string text = c.format();
  EXPECT_NE(text.find("\nhold=tcp 0.0.0.0 8081\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhold=udp :: 5354\n"), std::string::npos) << text;
  auto back = ShimConfig::parse(text);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->hold.size(), 2u);
  EXPECT_EQ(back->hold[1].protocol, "udp");
  EXPECT_EQ(back->hold[1].host_ip, "::");
  EXPECT_EQ(back->hold[1].host_port, 5354);
  for (const char* bad : {"tcp 0.0.0.0", "sctp 0.0.0.0 80", "tcp 0.0.0.0 65536", "tcp 0.0.0.0 80 172.18.0.2 80"})
    EXPECT_FALSE(ShimConfig::parse(sample().format() + "hold=" + bad + "\n")) << bad;
}

}  // namespace
}  // namespace berth::runtime
