// Endpoints in the network records, and what is derived from them: berth-dns's records
// file and the nftables table's name.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"
#include "engine/etc_files.h"
#include "engine/network_store.h"
#include "engine/network_sync.h"

namespace berth::engine {
namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/berth-sync-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_tree(path); }
  std::string path;
};

NetworkRecord web_network() {
  NetworkRecord net;
  net.id = std::string(64, 'a');
  net.name = "app";
  net.subnet = "10.5.0.0/24";
  net.gateway = "10.5.0.1";
  net.addresses = {{"c1", "10.5.0.2"}, {"c2", "10.5.0.3"}, {"c3", "10.5.0.4"}};
  net.addresses_v6 = {{"c1", "fd00::2"}};
  net.endpoints["c1"] = Endpoint{{"web", "www", "c1c1c1c1c1c1"}, {}, {}};
  net.endpoints["c2"] = Endpoint{{"web", "c2c2c2c2c2c2"}, {}, {"10.9.0.1", "10.9.0.2"}};
  return net;  // c3 holds an address but is not running: no names
}

TEST(DnsRecords, RunningContainersWithTheirNamesAndUpstreams) {
  std::string r = render_dns_records(web_network(), {}, {"127.0.0.53"});
  EXPECT_NE(r.find("forward yes\n"), std::string::npos) << r;
  EXPECT_NE(r.find("upstream 127.0.0.53\n"), std::string::npos) << r;
  EXPECT_NE(r.find("host 10.5.0.2 web www c1c1c1c1c1c1\n"), std::string::npos) << r;
  EXPECT_NE(r.find("host fd00::2 web www c1c1c1c1c1c1\n"), std::string::npos) << r;
  EXPECT_NE(r.find("host 10.5.0.3 web c2c2c2c2c2c2\n"), std::string::npos) << r;
  EXPECT_NE(r.find("client 10.5.0.3 10.9.0.1 10.9.0.2\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("10.5.0.4"), std::string::npos) << r;
}

TEST(DnsRecords, AContainerOnTwoNetworksSeesBothThroughItsFirst) {
  NetworkRecord front = web_network(), back;
  back.id = std::string(64, 'b');
  back.name = "back";
  back.addresses = {{"c1", "10.6.0.2"}, {"db", "10.6.0.3"}};
  back.endpoints["c1"] = Endpoint{{"web", "c1c1c1c1c1c1"}, {}, {}};
  back.endpoints["db"] = Endpoint{{"db", "dbdbdbdbdbdb"}, {}, {}};
  std::string r = render_dns_records(front, {front, back}, {});
  EXPECT_NE(r.find("peer 10.5.0.2 10.6.0.3 db dbdbdbdbdbdb\n"), std::string::npos) << r;
  EXPECT_NE(r.find("peer 10.5.0.2 10.6.0.2 web c1c1c1c1c1c1\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("peer 10.5.0.3"), std::string::npos) << "c2 is not on back: " << r;
  EXPECT_EQ(r.find("host 10.6.0.3"), std::string::npos) << r;
}

TEST(DnsRecords, InternalNetworksDoNotForward) {
  NetworkRecord net = web_network();
  net.internal = true;
  EXPECT_NE(render_dns_records(net, {}, {}).find("forward no\n"), std::string::npos);
}

TEST(DnsRecords, OnlyTheNetworksOwnSubnetsAreServed) {
  NetworkRecord net = web_network();
  std::string r = render_dns_records(net, {}, {});
  EXPECT_NE(r.find("subnet 10.5.0.0/24\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("subnet fd"), std::string::npos) << r;
  net.ipv6 = true;
  net.subnet_v6 = "fd00:5::/64";
  r = render_dns_records(net, {}, {});
  EXPECT_NE(r.find("subnet fd00:5::/64\n"), std::string::npos) << r;
}

TEST(DnsRecords, ResolvedsStubIsReplacedByItsUpstreams) {
  const std::string stub = "# managed by systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\n";
  const std::string real = "nameserver 192.0.2.53\nnameserver 2001:db8::53\n";
  EXPECT_EQ(upstreams_of(stub, real), (std::vector<std::string>{"192.0.2.53", "2001:db8::53"}));
  EXPECT_EQ(upstreams_of(stub, ""), (std::vector<std::string>{"127.0.0.53"})) << "resolved has none: the stub stays";
  EXPECT_EQ(upstreams_of("nameserver 10.0.0.1\nnameserver 127.0.0.53\n", real),
            (std::vector<std::string>{"10.0.0.1", "127.0.0.53"}))
      << "not resolved's file alone: as written";
  EXPECT_EQ(upstreams_of("nameserver 127.0.0.1\n", real), (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_EQ(upstreams_of(stub, "nameserver fe80::1%eth0\n"), (std::vector<std::string>{"127.0.0.53"}))
      << "a zoned link-local server cannot be forwarded to: the stub stays";
}

TEST(DnsRecords, NameserversOfResolvConf) {
  EXPECT_EQ(nameservers_of("# x\nnameserver 1.1.1.1\nsearch a\nnameserver  fd00::1 \n"),
            (std::vector<std::string>{"1.1.1.1", "fd00::1"}));
}

TEST(DnsRecords, ResolvConfPointsAtTheEmbeddedServer) {
  EtcInputs in;
  in.network = "app";
  in.embedded_dns = "10.5.0.1";
  in.dns = {"10.9.0.1"};
  in.host_resolv = "nameserver 1.1.1.1\nsearch example.org\n";
  auto r = resolv_conf(in);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_NE(r->find("nameserver 10.5.0.1\n"), std::string::npos) << *r;
  EXPECT_NE(r->find("search example.org\n"), std::string::npos) << *r;
  EXPECT_EQ(r->find("nameserver 1.1.1.1"), std::string::npos) << *r;
  EXPECT_EQ(r->find("nameserver 10.9.0.1"), std::string::npos) << *r;  // an upstream of the server
}

TEST(NatTable, OnePerStateRoot) {
  EXPECT_EQ(nat_table_name("/var/lib/berth", true), "berth");
  std::string a = nat_table_name("/tmp/a", false), b = nat_table_name("/tmp/b", false);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, nat_table_name("/tmp/a", false));
  EXPECT_EQ(a.size(), 14u);
}

TEST(Endpoints, ModifySavesChangesAndShowsTheNewStateUnderTheLock) {
  TempDir dir;
  auto store = NetworkStore::open(dir.path);
  ASSERT_TRUE(store) << store.error().message();
  NetworkRecord wanted;
  wanted.name = "app";
  auto net = store->create(wanted, {});
  ASSERT_TRUE(net) << net.error().message();
  ASSERT_TRUE(store->allocate("app", "c1"));
  int seen = 0;
  auto r = store->modify(
      [&](std::vector<NetworkRecord>& all) -> Result<> {
        for (auto& n : all)
          if (n.id == net->id) n.endpoints["c1"] = Endpoint{{"web"}, {PortBinding{"", 8080, 80, "tcp"}}, {}};
        return {};
      },
      [&](const std::vector<NetworkRecord>& all) -> Result<> {
        for (const auto& n : all) seen += static_cast<int>(n.endpoints.size());
        return {};
      });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(seen, 1);
  auto back = store->find("app");
  ASSERT_TRUE(back);
  ASSERT_EQ(back->endpoints.size(), 1u);
  EXPECT_EQ(back->endpoints["c1"].names, std::vector<std::string>{"web"});
  ASSERT_EQ(back->endpoints["c1"].ports.size(), 1u);
  EXPECT_EQ(back->endpoints["c1"].ports[0].host_port, 8080);
}

}  // namespace
}  // namespace berth::engine
