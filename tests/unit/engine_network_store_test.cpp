// Networks on disk and IPAM: subnet arithmetic, pool choice, allocation, persistence, locking.
#include "engine/network_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>
#include <thread>

#include "base/fs.h"
#include "engine_test_util.h"

namespace berth::engine {
namespace {

using testing::TempDir;

Subnet subnet(const std::string& text) {
  auto s = Subnet::parse(text);
  EXPECT_TRUE(s) << s.error().message();
  return s.value_or(Subnet{});
}

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << a.error().message();
  return a.value_or(IpAddress{});
}

// The settings file is <dir>/config.json: missing (no settings) unless a test writes it, so
// that the host's /etc/berth/config.json cannot change what the tests see.
std::string config_path(const TempDir& dir) { return path_join(dir.path(), "config.json"); }

NetworkStore open_store(const TempDir& dir, const std::vector<std::string>& routes = {}) {
  auto store = NetworkStore::open(dir.path(), routes, false, config_path(dir));
  if (!store) ADD_FAILURE() << store.error().message();
  return std::move(store).value();
}

NetworkRecord named(const std::string& name, const std::string& cidr = "") {
  NetworkRecord r;
  r.name = name;
  r.subnet = cidr;
  return r;
}

// ---- Subnet ----

TEST(Subnet, ParsesIpv4) {
  Subnet s = subnet("10.88.0.0/16");
  EXPECT_FALSE(s.v6());
  EXPECT_EQ(s.prefix, 16);
  EXPECT_EQ(s.to_string(), "10.88.0.0/16");
  EXPECT_EQ(s.host_count(), 65534u);
  EXPECT_EQ(s.host(1)->to_string(), "10.88.0.1");
  EXPECT_EQ(s.host(65534)->to_string(), "10.88.255.254");
  EXPECT_FALSE(s.host(65535));
  EXPECT_FALSE(s.host(0));
  EXPECT_EQ(s.last().to_string(), "10.88.255.255");
}

TEST(Subnet, ErrorsNameTheText) {
  auto host_bits = Subnet::parse("10.88.0.1/16");
  ASSERT_FALSE(host_bits);
  EXPECT_EQ(host_bits.error().message(), "invalid subnet 10.88.0.1/16: it should be 10.88.0.0/16");
  for (const char* bad : {"10.88.0.0/33", "10.88.0.0/x", "10.88.0.0/", "10.88.0.0/-1", "10.88.0/16", "10.88.0.0",
                          "", "/16", "fd00::/129", "fd00::1/64", "10.88.0.0/16/2"}) {
    auto s = Subnet::parse(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().message().find(bad), std::string::npos) << s.error().message();
  }
  auto addr = IpAddress::parse("300.1.1.1");
  ASSERT_FALSE(addr);
  EXPECT_NE(addr.error().message().find("300.1.1.1"), std::string::npos);
}

TEST(Subnet, MaskModeForRoutes) {
  auto s = Subnet::parse("192.168.1.7/24", Subnet::HostBits::kMask);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->to_string(), "192.168.1.0/24");
  auto bare = Subnet::parse("10.1.2.3", Subnet::HostBits::kMask);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->to_string(), "10.1.2.3/32");
  EXPECT_EQ(bare->host_count(), 0u);
}

TEST(Subnet, ContainsAndOverlaps) {
  Subnet ten = subnet("10.0.0.0/8");
  EXPECT_TRUE(ten.overlaps(subnet("10.1.0.0/16")));
  EXPECT_TRUE(subnet("10.1.0.0/16").overlaps(ten));
  EXPECT_FALSE(ten.overlaps(subnet("11.0.0.0/8")));
  EXPECT_TRUE(subnet("0.0.0.0/0").overlaps(ten));
  EXPECT_FALSE(ten.overlaps(subnet("::/0")));  // families never overlap
  EXPECT_TRUE(ten.contains(ip("10.255.255.255")));
  EXPECT_FALSE(ten.contains(ip("11.0.0.0")));
  EXPECT_FALSE(ten.contains(ip("::a00:1")));
  Subnet small = subnet("192.168.7.8/29");
  EXPECT_EQ(small.host_count(), 6u);
  EXPECT_EQ(small.host(6)->to_string(), "192.168.7.14");
  EXPECT_FALSE(small.host(7));
  EXPECT_FALSE(small.is_host(ip("192.168.7.8")));   // network address
  EXPECT_FALSE(small.is_host(ip("192.168.7.15")));  // broadcast
  EXPECT_TRUE(small.is_host(ip("192.168.7.9")));
  EXPECT_FALSE(small.is_host(ip("192.168.7.16")));
  EXPECT_EQ(subnet("10.0.0.0/30").host_count(), 2u);
  EXPECT_EQ(subnet("10.0.0.0/31").host_count(), 0u);
}

TEST(Subnet, Ipv6) {
  Subnet s = subnet("fd00:b3e7::/64");
  EXPECT_TRUE(s.v6());
  EXPECT_EQ(s.to_string(), "fd00:b3e7::/64");
  EXPECT_EQ(s.host_count(), UINT64_MAX);  // 2^64 - 1: all but the subnet-router anycast
  EXPECT_EQ(s.host(1)->to_string(), "fd00:b3e7::1");
  EXPECT_EQ(s.last().to_string(), "fd00:b3e7::ffff:ffff:ffff:ffff");
  EXPECT_TRUE(s.is_host(s.last()));  // no broadcast in IPv6
  EXPECT_TRUE(s.contains(ip("fd00:b3e7:0:0:1::5")));
  EXPECT_FALSE(s.contains(ip("fd00:b3e7:0:1::5")));
  EXPECT_TRUE(subnet("fd00::/8").overlaps(s));
  EXPECT_EQ(subnet("::/0").host_count(), UINT64_MAX);
  EXPECT_EQ(ip("FD00:0:0:0::0001").to_string(), "fd00::1");
}

// ---- NetworkStore: creation ----

TEST(NetworkStore, DefaultNetworkPresentAndProtected) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  auto all = store.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  const NetworkRecord& def = all->front();
  EXPECT_EQ(def.name, "berth");
  EXPECT_TRUE(def.is_default);
  EXPECT_EQ(def.subnet, "172.18.0.0/16");
  EXPECT_EQ(def.gateway, "172.18.0.1");
  EXPECT_EQ(def.bridge, "br-" + def.id.substr(0, 12)) << "berth0 is only the system root's";
  EXPECT_EQ(def.id.size(), 64u);
  TempDir system;
  auto sys = NetworkStore::open(system.path(), {}, true);
  ASSERT_TRUE(sys);
  EXPECT_EQ(sys->find("berth")->bridge, "berth0");

  for (bool force : {false, true}) {
    auto rm = store.remove("berth", force);
    ASSERT_FALSE(rm);
    EXPECT_EQ(rm.error().message(), "berth is a pre-defined network and cannot be removed");
  }
  auto by_docker_name = store.find("bridge");
  ASSERT_TRUE(by_docker_name);
  EXPECT_EQ(by_docker_name->id, def.id);
  auto pruned = store.prune();
  ASSERT_TRUE(pruned);
  EXPECT_TRUE(pruned->empty());

  // A second open does not make another one.
  NetworkStore again = open_store(dir);
  EXPECT_EQ(again.list()->size(), 1u);
}

TEST(NetworkStore, DefaultNetworkAvoidsHostRoutes) {
  TempDir dir;
  NetworkStore store = open_store(dir, {"0.0.0.0/0", "default", "172.18.5.0/24", "fe80::/64"});
  auto def = store.find("berth");
  ASSERT_TRUE(def) << def.error().message();
  EXPECT_EQ(def->subnet, "172.19.0.0/16");
}

TEST(NetworkStore, PoolSkipsHostRoutesAndNetworks) {
  TempDir dir;
  NetworkStore store = open_store(dir);  // berth: 172.18.0.0/16
  auto a = store.create(named("a"), {"172.19.0.0/16", "172.20.1.7/24"});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->subnet, "172.21.0.0/16");
  EXPECT_EQ(a->gateway, "172.21.0.1");
  EXPECT_EQ(a->bridge, "br-" + a->id.substr(0, 12));
  EXPECT_EQ(a->bridge.size(), 15u);
  EXPECT_EQ(a->driver, "bridge");

  // A VPN's 172.16.0.0/12 covers every /16 of the first pool.
  auto b = store.create(named("b"), {"172.16.0.0/12"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->subnet, "192.168.0.0/20");
  auto c = store.create(named("c"), {"172.16.0.0/12", "192.168.17.0/24"});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->subnet, "192.168.32.0/20");
  // Without routes the next /16 is free again.
  auto d = store.create(named("d"), {});
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->subnet, "172.19.0.0/16");

  auto none = store.create(named("e"), {"172.16.0.0/12", "192.168.0.0/16"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "all predefined address pools have been fully subnetted");
  auto bad_route = store.create(named("f"), {"not-a-route"});
  ASSERT_FALSE(bad_route);
  EXPECT_NE(bad_route.error().message().find("not-a-route"), std::string::npos);
}

TEST(NetworkStore, UserSubnetOverlapErrorsNameBoth) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  NetworkRecord n1 = named("n1", "10.10.0.0/16");
  n1.gateway = "10.10.0.254";
  auto created = store.create(n1, {});
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->gateway, "10.10.0.254");

  auto inner = store.create(named("n2", "10.10.5.0/24"), {});
  ASSERT_FALSE(inner);
  EXPECT_EQ(inner.error().message(), "subnet 10.10.5.0/24 overlaps with subnet 10.10.0.0/16 of network n1");
  auto outer = store.create(named("n2", "10.0.0.0/8"), {});
  ASSERT_FALSE(outer);
  EXPECT_NE(outer.error().message().find("n1"), std::string::npos);

  auto route = store.create(named("n3", "192.168.50.0/24"), {"192.168.0.0/16"});
  ASSERT_FALSE(route);
  EXPECT_EQ(route.error().message(), "subnet 192.168.50.0/24 overlaps with host route 192.168.0.0/16");

  auto host_bits = store.create(named("n4", "10.20.0.1/16"), {});
  ASSERT_FALSE(host_bits);
  EXPECT_EQ(host_bits.error().message(), "invalid subnet 10.20.0.1/16: it should be 10.20.0.0/16");
  NetworkRecord bad_gw = named("n5", "10.30.0.0/24");
  bad_gw.gateway = "10.30.1.1";
  EXPECT_FALSE(store.create(bad_gw, {}));
  bad_gw.gateway = "10.30.0.255";  // the broadcast
  EXPECT_FALSE(store.create(bad_gw, {}));
  EXPECT_FALSE(store.create(named("n6", "10.40.0.0/31"), {}));
  EXPECT_FALSE(store.create(named("n7", "fd00::/64"), {}));  // IPv6 in the IPv4 field
  EXPECT_EQ(store.list()->size(), 2u);
}

TEST(NetworkStore, NameConflictsAndValidation) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  ASSERT_TRUE(store.create(named("web"), {}));
  auto again = store.create(named("web"), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), EEXIST);
  EXPECT_EQ(again.error().op(), "network with name web already exists");
  auto def = store.create(named("berth"), {});
  ASSERT_FALSE(def);
  EXPECT_EQ(def.error().errno_value(), EEXIST);

  for (const char* bad : {"", "-web", ".web", "_web", "we b", "web/1", "wéb", "web:1"}) {
    auto r = store.create(named(bad), {});
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("invalid network name"), std::string::npos) << r.error().message();
  }
  for (const char* reserved : {"host", "none", "bridge"}) {
    auto r = store.create(named(reserved), {});
    ASSERT_FALSE(r) << reserved;
    EXPECT_NE(r.error().message().find("predefined"), std::string::npos);
  }
  EXPECT_TRUE(store.create(named("Web_1.a-b"), {}));
  NetworkRecord macvlan = named("mv");
  macvlan.driver = "macvlan";
  EXPECT_FALSE(store.create(macvlan, {}));
}

TEST(NetworkStore, OptionsBridgeAndMtu) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  NetworkRecord r = named("opts");
  r.options = {{"com.docker.network.bridge.name", "br-opts"}, {"com.docker.network.driver.mtu", "1400"}};
  r.labels = {{"com.docker.compose.project", "demo"}};
  r.internal = true;
  auto made = store.create(r, {});
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(made->bridge, "br-opts");
  EXPECT_EQ(made->mtu, 1400);
  auto found = store.find("opts");
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->internal);
  EXPECT_EQ(found->labels.at("com.docker.compose.project"), "demo");

  NetworkRecord same_bridge = named("other");
  same_bridge.bridge = "br-opts";
  EXPECT_FALSE(store.create(same_bridge, {}));
  NetworkRecord long_bridge = named("long");
  long_bridge.bridge = "a-very-long-bridge";
  EXPECT_FALSE(store.create(long_bridge, {}));
  NetworkRecord bad_mtu = named("mtu");
  bad_mtu.mtu = 20;
  EXPECT_FALSE(store.create(bad_mtu, {}));
}

TEST(NetworkStore, FindByNameIdAndPrefix) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  auto a = store.create(named("alpha"), {});
  ASSERT_TRUE(a);
  auto by_name = store.find("alpha");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, a->id);
  auto by_id = store.find(a->id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->name, "alpha");
  auto by_prefix = store.find(a->id.substr(0, 12));
  ASSERT_TRUE(by_prefix);
  EXPECT_EQ(by_prefix->name, "alpha");
  auto missing = store.find("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  EXPECT_EQ(missing.error().op(), "network nope not found");
  EXPECT_FALSE(store.find(""));
}

TEST(NetworkStore, PoolsFromTheSettingsFile) {
  TempDir dir;
  dir.file("config.json", R"({"default-address-pools": [{"base": "10.200.0.0/16", "size": 24}]})");
  NetworkStore store = open_store(dir, {"10.200.0.0/24"});
  EXPECT_EQ(store.find("berth")->subnet, "10.200.1.0/24") << "the default network comes from the pool too";
  auto a = store.create(named("a"), {"10.200.0.0/24", "10.200.2.0/23"});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->subnet, "10.200.4.0/24");
  EXPECT_EQ(a->gateway, "10.200.4.1");
  auto b = store.create(named("b"), {});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->subnet, "10.200.0.0/24");
  auto full = store.create(named("c"), {"10.200.0.0/16"});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().message(), "all predefined address pools have been fully subnetted");
}

TEST(NetworkStore, SettingsFileReadOnlyForThePool) {
  TempDir dir;
  NetworkStore store = open_store(dir);  // no file yet: the default network from the defaults
  EXPECT_EQ(store.find("berth")->subnet, "172.18.0.0/16");
  dir.file("config.json", R"({"default-address-pools": [{"base": "10.1.0.0/16", "size": 33}]})");
  std::string bad = config_path(dir) + ": default-address-pools[0].size: 33 is not a prefix length between 16 and 30";
  auto given = store.create(named("given", "10.50.0.0/24"), {});
  EXPECT_TRUE(given) << given.error().message();
  auto pooled = store.create(named("pooled"), {});
  ASSERT_FALSE(pooled);
  EXPECT_EQ(pooled.error().message(), bad);
  NetworkRecord v6_only_pooled = named("six", "10.51.0.0/24");  // the IPv6 pool is not in the file
  v6_only_pooled.ipv6 = true;
  EXPECT_TRUE(store.create(v6_only_pooled, {}));

  TempDir fresh;  // a first open creates the default network, so it reads the file
  fresh.file("config.json", R"({"default-address-pools": [{"base": "10.1.0.0/16", "size": 33}]})");
  auto opened = NetworkStore::open(fresh.path(), {}, false, config_path(fresh));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message(),
            "creating the default network: " + config_path(fresh) +
                ": default-address-pools[0].size: 33 is not a prefix length between 16 and 30");
}

TEST(NetworkStore, SubnetsAndGatewaysGoToTheirFamily) {
  NetworkRecord r = named("dual");
  r.ipv6 = true;
  ASSERT_TRUE(add_subnet(r, "fd00:28::/64"));
  ASSERT_TRUE(add_gateway(r, "fd00:28::1"));
  ASSERT_TRUE(add_subnet(r, "172.28.0.0/16"));
  ASSERT_TRUE(add_gateway(r, "172.28.0.254"));
  EXPECT_EQ(r.subnet, "172.28.0.0/16");
  EXPECT_EQ(r.gateway, "172.28.0.254");
  EXPECT_EQ(r.subnet_v6, "fd00:28::/64");
  EXPECT_EQ(r.gateway_v6, "fd00:28::1");

  auto second = add_subnet(r, "10.1.0.0/16");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(),
            "more than one IPv4 subnet (172.28.0.0/16 and 10.1.0.0/16): a network has at most one of each family");
  auto second_gw = add_gateway(r, "fd00:28::2");
  ASSERT_FALSE(second_gw);
  EXPECT_EQ(second_gw.error().message(),
            "more than one IPv6 gateway (fd00:28::1 and fd00:28::2): a network has at most one of each family");
  EXPECT_FALSE(add_subnet(r, "nope"));
  EXPECT_FALSE(add_gateway(r, "172.28.0.300"));
  EXPECT_EQ(r.subnet, "172.28.0.0/16") << "a refused value changes nothing";

  TempDir dir;
  NetworkStore store = open_store(dir);
  auto made = store.create(r, {});
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(made->gateway_v6, "fd00:28::1");
  EXPECT_EQ(made->gateway, "172.28.0.254");
  NetworkRecord outside = named("outside");
  outside.ipv6 = true;
  ASSERT_TRUE(add_subnet(outside, "fd00:29::/64"));
  ASSERT_TRUE(add_gateway(outside, "fd00:30::1"));
  auto refused = store.create(outside, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "gateway fd00:30::1 is not a host address of subnet fd00:29::/64");
}

// ---- IPAM ----

TEST(Ipam, AllocateReleaseAndExhaustion) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  ASSERT_TRUE(store.create(named("tiny", "10.99.0.0/29"), {}));  // hosts .1-.6, .1 the gateway
  for (int i = 2; i <= 6; i++) {
    auto got = store.allocate("tiny", "c" + std::to_string(i));
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, "10.99.0." + std::to_string(i));
  }
  auto full = store.allocate("tiny", "c7");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().message(),
            "no available IPv4 addresses on this network's address pools: tiny (10.99.0.0/29)");
  auto same = store.allocate("tiny", "c3");  // idempotent
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, "10.99.0.3");

  ASSERT_TRUE(store.release("tiny", "c3"));
  ASSERT_TRUE(store.release("tiny", "c3"));  // nothing left to release: fine
  auto reused = store.allocate("tiny", "c7");
  ASSERT_TRUE(reused);
  EXPECT_EQ(*reused, "10.99.0.3");
  EXPECT_FALSE(store.release("nope", "c3"));
  EXPECT_FALSE(store.allocate("nope", "c3"));
}

TEST(Ipam, WantedAddress) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  ASSERT_TRUE(store.create(named("net", "10.77.0.0/24"), {}));
  auto wanted = store.allocate("net", "a", "10.77.0.2");
  ASSERT_TRUE(wanted) << wanted.error().message();
  EXPECT_EQ(*wanted, "10.77.0.2");
  auto next = store.allocate("net", "b");  // skips .1 (gateway) and .2 (taken)
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, "10.77.0.3");

  auto taken = store.allocate("net", "c", "10.77.0.3");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().message(), "address 10.77.0.3 is already in use on network net");
  auto outside = store.allocate("net", "c", "10.78.0.3");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message().find("10.78.0.3"), std::string::npos);
  EXPECT_NE(outside.error().message().find("10.77.0.0/24"), std::string::npos);
  EXPECT_FALSE(store.allocate("net", "c", "10.77.0.1"));    // gateway
  EXPECT_FALSE(store.allocate("net", "c", "10.77.0.0"));    // network address
  EXPECT_FALSE(store.allocate("net", "c", "10.77.0.255"));  // broadcast
  EXPECT_FALSE(store.allocate("net", "c", "bogus"));
  EXPECT_FALSE(store.allocate("net", "a", "10.77.0.9"));  // a already holds .2
  auto again = store.allocate("net", "a", "10.77.0.2");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, "10.77.0.2");
  EXPECT_FALSE(store.allocate("net", "c", "", "fd00::5"));  // no IPv6 on this network
  EXPECT_EQ(store.find("net")->addresses.size(), 2u);
}

TEST(Ipam, Ipv6FromThePool) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  NetworkRecord r = named("six");
  r.ipv6 = true;
  auto six = store.create(r, {"::/0", "fe80::/64"});
  ASSERT_TRUE(six) << six.error().message();
  EXPECT_EQ(six->subnet_v6, "fd00:b3e7::/64");
  EXPECT_EQ(six->gateway_v6, "fd00:b3e7::1");
  r.name = "seven";
  auto seven = store.create(r, {});
  ASSERT_TRUE(seven);
  EXPECT_EQ(seven->subnet_v6, "fd00:b3e7:0:1::/64");

  auto v4 = store.allocate("six", "c1");
  ASSERT_TRUE(v4) << v4.error().message();
  auto v4b = store.allocate("six", "c2", "", "fd00:b3e7:0:0::20");
  ASSERT_TRUE(v4b) << v4b.error().message();
  auto rec = store.find("six");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->addresses_v6.at("c1"), "fd00:b3e7::2");
  EXPECT_EQ(rec->addresses_v6.at("c2"), "fd00:b3e7::20");

  NetworkRecord user = named("user6", "10.66.0.0/24");
  user.subnet_v6 = "fd12:3456::/64";  // implies ipv6
  auto u = store.create(user, {});
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_TRUE(u->ipv6);
  EXPECT_EQ(u->gateway_v6, "fd12:3456::1");
  user.name = "clash6";
  user.subnet = "10.67.0.0/24";
  user.subnet_v6 = "fd12:3456::/48";
  auto clash = store.create(user, {});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message().find("user6"), std::string::npos);
}

TEST(Ipam, PersistsAcrossReopening) {
  TempDir dir;
  std::string id;
  {
    NetworkStore store = open_store(dir);
    auto n = store.create(named("keep", "10.55.0.0/24"), {});
    ASSERT_TRUE(n);
    id = n->id;
    ASSERT_TRUE(store.allocate("keep", "c1"));
    ASSERT_TRUE(store.allocate("keep", "c2"));
  }
  NetworkStore store = open_store(dir);
  auto n = store.find("keep");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->id, id);
  EXPECT_EQ(n->addresses, (std::map<std::string, std::string>{{"c1", "10.55.0.2"}, {"c2", "10.55.0.3"}}));
  auto next = store.allocate("keep", "c3");
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, "10.55.0.4");

  // On disk it reads like `docker network inspect`.
  auto j = read_json_file(path_join(dir.path(), "networks/" + id + ".json"));
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["IPAM"]["Config"][0]["Subnet"], "10.55.0.0/24");
  EXPECT_EQ((*j)["Containers"]["c1"]["IPv4Address"], "10.55.0.2/24");
  auto back = NetworkRecord::from_json(*j, "test");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->addresses.at("c1"), "10.55.0.2");
  EXPECT_EQ(back->bridge, n->bridge);
  EXPECT_FALSE(NetworkRecord::from_json(Json::object(), "test"));
}

TEST(Ipam, RemoveRefusedWithEndpoints) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  ASSERT_TRUE(store.create(named("busy"), {}));
  ASSERT_TRUE(store.create(named("idle"), {}));
  ASSERT_TRUE(store.allocate("busy", "c1"));
  auto refused = store.remove("busy");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "error while removing network: network busy has active endpoints");
  auto pruned = store.prune();
  ASSERT_TRUE(pruned);
  ASSERT_EQ(pruned->size(), 1u);
  EXPECT_EQ(pruned->front().name, "idle");
  ASSERT_TRUE(store.remove("busy", true));
  EXPECT_EQ(store.find("busy").error().errno_value(), ENOENT);
  EXPECT_FALSE(store.remove("busy"));

  ASSERT_TRUE(store.create(named("again"), {}));
  ASSERT_TRUE(store.allocate("again", "c1"));
  ASSERT_TRUE(store.release("again", "c1"));
  EXPECT_TRUE(store.remove("again"));
}

TEST(Ipam, ReleaseAllOnContainerRemoval) {
  TempDir dir;
  NetworkStore store = open_store(dir);
  ASSERT_TRUE(store.create(named("front"), {}));
  ASSERT_TRUE(store.create(named("back"), {}));
  ASSERT_TRUE(store.allocate("front", "web"));
  ASSERT_TRUE(store.allocate("back", "web"));
  ASSERT_TRUE(store.allocate("back", "db"));
  ASSERT_TRUE(store.allocate("berth", "web"));
  auto touched = store.release_all("web");
  ASSERT_TRUE(touched);
  EXPECT_EQ(*touched, (std::vector<std::string>{"back", "berth", "front"}));
  EXPECT_TRUE(store.find("front")->addresses.empty());
  EXPECT_EQ(store.find("back")->addresses.size(), 1u);
  EXPECT_TRUE(store.release_all("web")->empty());
}

TEST(Ipam, ConcurrentAllocationNeverHandsOutAnAddressTwice) {
  TempDir dir;
  {
    NetworkStore store = open_store(dir);
    ASSERT_TRUE(store.create(named("shared", "10.44.0.0/24"), {}));
  }
  constexpr int kThreads = 8, kEach = 12;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      auto store = NetworkStore::open(dir.path());  // its own object, its own lock fd
      if (!store) {
        errors[t] = store.error().message();
        return;
      }
      for (int i = 0; i < kEach; i++) {
        auto a = store->allocate("shared", "t" + std::to_string(t) + "-" + std::to_string(i));
        if (!a) {
          errors[t] = a.error().message();
          return;
        }
        got[t].push_back(*a);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (int t = 0; t < kThreads; t++) {
    EXPECT_EQ(errors[t], "");
    for (const auto& a : got[t]) EXPECT_TRUE(all.insert(a).second) << a << " handed out twice";
  }
  EXPECT_EQ(all.size(), size_t{kThreads * kEach});
  NetworkStore store = open_store(dir);
  EXPECT_EQ(store.find("shared")->addresses.size(), size_t{kThreads * kEach});
}

TEST(Ipam, ConcurrentCreatesGetDistinctSubnets) {
  TempDir dir;
  constexpr int kThreads = 6;
  std::vector<std::string> subnets(kThreads), errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      auto store = NetworkStore::open(dir.path());  // also races to create the default
      auto n = store ? store->create(named("n" + std::to_string(t)), {}) : std::unexpected(store.error());
      if (n) subnets[t] = n->subnet;
      else errors[t] = n.error().message();
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> distinct;
  for (int t = 0; t < kThreads; t++) {
    EXPECT_EQ(errors[t], "");
    distinct.insert(subnets[t]);
  }
  EXPECT_EQ(distinct.size(), size_t{kThreads});
  NetworkStore store = open_store(dir);
  auto all = store.list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), size_t{kThreads + 1});  // one default network, not several
}

}  // namespace
}  // namespace berth::engine
