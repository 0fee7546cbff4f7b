// Address pools: docker's "default-address-pools" read from berth's settings file, the
// defaults without it, and the walk that picks the first free subnet.
#include "engine/address_pools.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"
#include "engine_test_util.h"

namespace berth::engine {
namespace {

using testing::TempDir;

Subnet subnet(const std::string& text) { return Subnet::parse(text).value_or(Subnet{}); }

AddressPool pool(const std::string& base, int size) { return {subnet(base), size}; }

std::string first_free(const std::vector<AddressPool>& pools, const std::vector<std::string>& taken) {
  std::vector<Subnet> t;
  for (const auto& s : taken) t.push_back(subnet(s));
  auto s = first_free_subnet(pools, t);
  return s ? s->to_string() : "none";
}

std::string pools_error(const std::string& json) {
  auto doc = parse_json(json, "test");
  EXPECT_TRUE(doc) << json;
  auto pools = parse_v4_pools(doc.value_or(Json::object()), "/etc/berth/config.json");
  return pools ? "ok" : pools.error().message();
}

TEST(AddressPools, DefaultsAreDockersLessDocker0) {
  auto pools = default_v4_pools();
  ASSERT_EQ(pools.size(), 15u);
  EXPECT_EQ(pools.front(), pool("172.18.0.0/16", 16));
  EXPECT_EQ(pools[13], pool("172.31.0.0/16", 16));
  EXPECT_EQ(pools.back(), pool("192.168.0.0/16", 20));
  EXPECT_EQ(first_free(pools, {}), "172.18.0.0/16");
  EXPECT_EQ(first_free(pools, {"172.16.0.0/12"}), "192.168.0.0/20");
  EXPECT_EQ(first_free(pools, {"172.16.0.0/12", "192.168.0.0/19"}), "192.168.32.0/20");
  EXPECT_EQ(first_free({v6_pool()}, {}), "fd00:b3e7::/64");
  EXPECT_EQ(first_free({v6_pool()}, {"fd00:b3e7::/63"}), "fd00:b3e7:0:2::/64");
}

TEST(AddressPools, BasesAreCutInOrder) {
  std::vector<AddressPool> pools = {pool("10.200.0.0/16", 24), pool("10.201.0.0/24", 26)};
  EXPECT_EQ(first_free(pools, {}), "10.200.0.0/24");
  EXPECT_EQ(first_free(pools, {"10.200.0.0/24", "10.200.1.7/32"}), "10.200.2.0/24");
  EXPECT_EQ(first_free(pools, {"10.200.0.0/17"}), "10.200.128.0/24");
  EXPECT_EQ(first_free(pools, {"10.200.0.0/16"}), "10.201.0.0/26");
  EXPECT_EQ(first_free(pools, {"10.200.0.0/16", "10.201.0.0/25"}), "10.201.0.128/26");
  EXPECT_EQ(first_free(pools, {"10.200.0.0/15"}), "none");
  EXPECT_EQ(first_free(pools, {"fd00::/8"}), "10.200.0.0/24") << "families never overlap";
  // Routes covering most of a big pool are stepped over, not walked /30 by /30.
  EXPECT_EQ(first_free({pool("10.0.0.0/8", 30)}, {"10.0.0.0/9", "10.128.0.0/10"}), "10.192.0.0/30");
}

TEST(AddressPools, ReadsDockersKey) {
  auto doc = parse_json(R"({"default-address-pools": [{"base": "172.30.0.0/16", "size": 24},
                                                      {"base": "10.10.0.0/20", "size": 20}],
                            "registry-mirrors": []})",
                        "test");
  ASSERT_TRUE(doc);
  auto pools = parse_v4_pools(*doc, "config.json");
  ASSERT_TRUE(pools) << pools.error().message();
  EXPECT_EQ(*pools, (std::vector<AddressPool>{pool("172.30.0.0/16", 24), pool("10.10.0.0/20", 20)}));
}

TEST(AddressPools, NoFileOrNoKeyMeansTheDefaults) {
  TempDir dir;
  auto missing = load_v4_pools(path_join(dir.path(), "config.json"));
  ASSERT_TRUE(missing) << missing.error().message();
  EXPECT_EQ(*missing, default_v4_pools());
  auto other_keys = load_v4_pools(dir.file("config.json", R"({"insecure-registries": ["reg.lan:5000"]})"));
  ASSERT_TRUE(other_keys) << other_keys.error().message();
  EXPECT_EQ(*other_keys, default_v4_pools());
}

TEST(AddressPools, FileComesFromBerthConfigByDefault) {
  TempDir dir;
  std::string path = dir.file("settings.json", R"({"default-address-pools": [{"base": "10.77.0.0/16", "size": 24}]})");
  const char* old = ::getenv("BERTH_CONFIG");
  std::string saved = old ? old : "";
  ::setenv("BERTH_CONFIG", path.c_str(), 1);
  auto pools = load_v4_pools();
  if (old) ::setenv("BERTH_CONFIG", saved.c_str(), 1); else ::unsetenv("BERTH_CONFIG");
  ASSERT_TRUE(pools) << pools.error().message();
  EXPECT_EQ(*pools, (std::vector<AddressPool>{pool("10.77.0.0/16", 24)}));
}

TEST(AddressPools, BadValuesNameTheFileAndTheKey) {
  const std::string k = "/etc/berth/config.json: default-address-pools";
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "172.30.0.0/16", "size": 24},
                                                    {"base": "172.31.0.0/16", "size": 33}]})"),
            k + "[1].size: 33 is not a prefix length between 16 and 30");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "172.30.0.0/16", "size": 12}]})"),
            k + "[0].size: 12 is not a prefix length between 16 and 30");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "172.30.0.0/16", "size": "24"}]})"),
            k + "[0].size: missing, or not a whole number");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "172.30.0.0/16"}]})"),
            k + "[0].size: missing, or not a whole number");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "fd00:1::/48", "size": 64}]})"),
            k + "[0].base: fd00:1::/48 is not an IPv4 subnet");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "172.30.0.0", "size": 24}]})"),
            k + "[0].base: invalid subnet 172.30.0.0: missing prefix length (as in 10.88.0.0/16)");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "172.30.0.1/16", "size": 24}]})"),
            k + "[0].base: invalid subnet 172.30.0.1/16: it should be 172.30.0.0/16");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "10.0.0.0/31", "size": 31}]})"),
            k + "[0].base: 10.0.0.0/31 is smaller than a /30, the smallest network");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"size": 24}]})"),
            k + "[0].base: missing, or not a string like \"172.30.0.0/16\"");
  EXPECT_EQ(pools_error(R"({"default-address-pools": ["172.30.0.0/16"]})"),
            k + "[0]: not an object like {\"base\": \"172.30.0.0/16\", \"size\": 24}");
  EXPECT_EQ(pools_error(R"({"default-address-pools": {"base": "172.30.0.0/16", "size": 24}})"),
            k + ": not a list of {\"base\": CIDR, \"size\": N}");
  EXPECT_EQ(pools_error(R"({"default-address-pools": []})"),
            k + ": an empty list leaves no subnet to choose (remove the key for the defaults)");
  EXPECT_EQ(pools_error(R"({"default-address-pools": [{"base": "10.0.0.0/8", "size": 30}]})"), "ok");

  TempDir dir;
  auto not_object = load_v4_pools(dir.file("config.json", "[1]"));
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().message(), path_join(dir.path(), "config.json") + ": not a JSON object");
  EXPECT_FALSE(load_v4_pools(dir.file("broken.json", "{")));
}

}  // namespace
}  // namespace berth::engine
