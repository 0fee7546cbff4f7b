// cli/network_create.h: docker's repeatable --subnet/--gateway sorted by address family,
// --subnet-v6 as berth's older spelling, and the errors that name the flag.
#include "cli/network_create.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

std::string error_of(const NetworkCreateFlags& f) {
  auto r = network_create_request("net", f);
  return r ? "ok" : r.error().message();
}

engine::NetworkRecord request(const NetworkCreateFlags& f) {
  auto r = network_create_request("net", f);
  EXPECT_TRUE(r) << r.error().message();
  return r.value_or(engine::NetworkRecord{});
}

// A record's subnets and gateways, IPv4 first.
std::vector<std::string> addresses(const engine::NetworkRecord& r) {
  return {r.subnet, r.gateway, r.subnet_v6, r.gateway_v6};
}

TEST(NetworkCreate, DockersDualStackExample) {
  // docker network create --ipv6 --subnet 172.28.0.0/16 --subnet fd00:28::/64
  //     --gateway 172.28.0.1 --gateway fd00:28::1 net
  NetworkCreateFlags f;
  f.ipv6 = true;
  f.subnets = {"172.28.0.0/16", "fd00:28::/64"};
  f.gateways = {"172.28.0.1", "fd00:28::1"};
  engine::NetworkRecord r = request(f);
  EXPECT_EQ(r.name, "net");
  EXPECT_TRUE(r.ipv6);
  const std::vector<std::string> dual = {"172.28.0.0/16", "172.28.0.1", "fd00:28::/64", "fd00:28::1"};
  EXPECT_EQ(addresses(r), dual);

  // The order of the values does not matter: each goes to its family.
  f.subnets = {"fd00:28::/64", "172.28.0.0/16"};
  f.gateways = {"fd00:28::1", "172.28.0.1"};
  EXPECT_EQ(addresses(request(f)), dual);
}

TEST(NetworkCreate, SubnetV6IsAnotherSpellingOfAnIpv6Subnet) {
  NetworkCreateFlags f;
  f.ipv6 = true;
  f.subnets = {"10.231.15.0/24"};
  f.subnets_v6 = {"fd00:231:15::/64"};
  f.gateways = {"fd00:231:15::fe"};
  // The IPv4 gateway is left to the engine: the subnet's first host.
  EXPECT_EQ(addresses(request(f)),
            (std::vector<std::string>{"10.231.15.0/24", "", "fd00:231:15::/64", "fd00:231:15::fe"}));

  f.subnets = {"fd00:1::/64"};
  EXPECT_EQ(error_of(f),
            "--subnet-v6: more than one IPv6 subnet (fd00:1::/64 and fd00:231:15::/64): a network has at most one "
            "of each family");
  f.subnets = {};
  f.subnets_v6 = {"10.0.0.0/16"};
  f.gateways = {};
  EXPECT_EQ(error_of(f), "--subnet-v6: 10.0.0.0/16 is not an IPv6 subnet");
}

TEST(NetworkCreate, Ipv6SubnetNeedsIpv6) {
  NetworkCreateFlags f;
  f.subnets = {"172.28.0.0/16", "fd00:28::/64"};
  EXPECT_EQ(error_of(f), "--subnet: fd00:28::/64 is an IPv6 subnet, which needs --ipv6");
  f.subnets = {};
  f.subnets_v6 = {"fd00:28::/64"};
  EXPECT_EQ(error_of(f), "--subnet-v6: fd00:28::/64 is an IPv6 subnet, which needs --ipv6");
  f.ipv6 = true;
  EXPECT_EQ(error_of(f), "ok");
  f.subnets_v6 = {};
  EXPECT_EQ(error_of(f), "ok") << "--ipv6 alone: the IPv6 subnet comes from the pool";
}

TEST(NetworkCreate, OneSubnetAndGatewayPerFamily) {
  NetworkCreateFlags f;
  f.subnets = {"172.28.0.0/16", "10.1.0.0/16"};
  EXPECT_EQ(error_of(f),
            "--subnet: more than one IPv4 subnet (172.28.0.0/16 and 10.1.0.0/16): a network has at most one of each "
            "family");
  f.subnets = {"172.28.0.0/16"};
  f.gateways = {"172.28.0.1", "172.28.0.2"};
  EXPECT_EQ(error_of(f),
            "--gateway: more than one IPv4 gateway (172.28.0.1 and 172.28.0.2): a network has at most one of each "
            "family");
  f.gateways = {"172.28.0.1", "fd00:28::1"};
  f.ipv6 = true;
  EXPECT_EQ(error_of(f), "--gateway: no matching --subnet for gateway fd00:28::1");
  f.subnets = {};
  f.gateways = {"172.28.0.1"};
  EXPECT_EQ(error_of(f), "--gateway: no matching --subnet for gateway 172.28.0.1");
  f.subnets = {"172.28.0.0/33"};
  EXPECT_EQ(error_of(f), "--subnet: invalid subnet 172.28.0.0/33: prefix length must be 0..32");
  f.subnets = {"172.28.0.0/16"};
  f.gateways = {"gw"};
  EXPECT_EQ(error_of(f), "--gateway: invalid IP address \"gw\"");
}

TEST(NetworkCreate, OptionsAndLabels) {
  NetworkCreateFlags f;
  f.internal = true;
  f.opts = {"mtu=1400", "com.docker.network.bridge.name=br-x"};
  f.labels = {"tier=front", "flag"};
  engine::NetworkRecord r = request(f);
  EXPECT_TRUE(r.internal);
  EXPECT_EQ(r.mtu, 1400);
  EXPECT_EQ(r.options, (std::map<std::string, std::string>{{"com.docker.network.bridge.name", "br-x"}}));
  EXPECT_EQ(r.labels, (std::map<std::string, std::string>{{"flag", ""}, {"tier", "front"}}));
  f.opts = {"mtu"};
  EXPECT_EQ(error_of(f), "invalid --opt (want key=value) \"mtu\"");
  f.opts = {"mtu=big"};
  EXPECT_EQ(error_of(f), "invalid mtu \"big\"");
  f.opts = {};
  f.labels = {"=x"};
  EXPECT_EQ(error_of(f), "invalid --label (want key=value) \"=x\"");
}

}  // namespace
}  // namespace berth::cli
