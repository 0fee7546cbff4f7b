#include "engine/etc_files.h"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

TEST(EtcFiles, HostsHasLocalhostOwnAddressAndAddHosts) {
  EtcInputs in;
  in.hostname = "web";
  in.ip = "10.1.0.5";
  in.gateway = "10.1.0.1";
  in.network = "app";
  in.add_hosts = {"db:10.9.9.9", "gw:host-gateway", "v6=[fd00::1]"};
  auto h = hosts_file(in);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_NE(h->find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(h->find("10.1.0.5\tweb\n"), std::string::npos);
  EXPECT_NE(h->find("10.9.9.9\tdb\n"), std::string::npos);
  EXPECT_NE(h->find("10.1.0.1\tgw\n"), std::string::npos);
  EXPECT_NE(h->find("fd00::1\tv6\n"), std::string::npos);
}

TEST(EtcFiles, BadAddHostIsRefusedByName) {
  EtcInputs in;
  for (const char* bad : {"nocolon", ":1.2.3.4", "x:", "x:not-an-ip"}) {
    in.add_hosts = {bad};
    auto h = hosts_file(in);
    ASSERT_FALSE(h) << bad;
    EXPECT_NE(h.error().message().find(bad), std::string::npos) << h.error().message();
  }
  in.add_hosts = {"gw:host-gateway"};
  in.network = "none";
  EXPECT_FALSE(hosts_file(in)) << "no network, no gateway";
  in.network = "host";
  auto h = hosts_file(in);
  ASSERT_TRUE(h);
  EXPECT_NE(h->find("127.0.0.1\tgw\n"), std::string::npos);
}

TEST(EtcFiles, ResolvDropsTheLoopbackStubForItsUpstreams) {
  EtcInputs in;
  in.network = "none";
  in.host_resolv = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.org\n";
  in.upstream_resolv = "nameserver 192.0.2.1\nsearch example.org\n";
  auto r = resolv_conf(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "nameserver 192.0.2.1\nsearch example.org\n");
  in.upstream_resolv.reset();
  r = resolv_conf(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->find("127.0.0.53"), std::string::npos) << *r;
  in.network = "host";
  r = resolv_conf(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, *in.host_resolv) << "host networking keeps the host's file";
}

TEST(EtcFiles, DnsFlagsReplaceTheHostsLines) {
  EtcInputs in;
  in.host_resolv = "nameserver 192.0.2.53\nsearch corp\noptions ndots:2\n";
  in.dns = {"192.0.2.10", "2001:db8::1"};
  in.dns_search = {"a.example", "b.example"};
  in.dns_options = {"ndots:5"};
  auto r = resolv_conf(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "nameserver 192.0.2.10\nnameserver 2001:db8::1\nsearch a.example b.example\noptions ndots:5\n");
  in.dns = {"not-an-ip"};
  EXPECT_FALSE(resolv_conf(in));
}

}  // namespace
}  // namespace berth::engine
