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

TEST(EtcFiles, FirstNetworkChangeEditsTheNameserverAndKeepsUserLines) {
  EtcInputs in;
  in.network = "front";
  in.embedded_dns = "10.1.0.1";
  in.host_resolv = "nameserver 192.0.2.53\nsearch corp\n";
  auto r = resolv_conf(in);
  ASSERT_TRUE(r);
  std::string edited = *r + "options ndots:3\n";  // the user's
  std::string moved = with_embedded_dns(edited, "10.2.0.1");
  EXPECT_NE(moved.find("nameserver 10.2.0.1\n"), std::string::npos) << moved;
  EXPECT_EQ(moved.find("10.1.0.1"), std::string::npos) << moved;
  EXPECT_NE(moved.find("options ndots:3\n"), std::string::npos) << moved;
  EXPECT_NE(moved.find("search corp\n"), std::string::npos) << moved;
  // Without berth's comment, the file is the user's own: left alone.
  EXPECT_EQ(with_embedded_dns("nameserver 9.9.9.9\n", "10.2.0.1"), "nameserver 9.9.9.9\n");
}

TEST(EtcFiles, FirstNetworkChangeMovesTheOwnAddressLine) {
  EtcInputs in;
  in.hostname = "web";
  in.ip = "10.1.0.5";
  in.add_hosts = {"db:192.0.2.7"};
  auto h = hosts_file(in);
  ASSERT_TRUE(h);
  std::string moved = with_own_address(*h, "10.1.0.5", "10.2.0.9", "web");
  EXPECT_NE(moved.find("10.2.0.9\tweb\n"), std::string::npos) << moved;
  EXPECT_EQ(moved.find("10.1.0.5"), std::string::npos) << moved;
  EXPECT_NE(moved.find("192.0.2.7\tdb\n"), std::string::npos) << moved;
  // No network left: the line goes; the next network's address comes back after localhost.
  std::string none = with_own_address(moved, "10.2.0.9", "", "web");
  EXPECT_EQ(none.find("web"), std::string::npos) << none;
  std::string back = with_own_address(none, "", "10.3.0.2", "web");
  EXPECT_LT(back.find("ff02::2\tip6-allrouters\n"), back.find("10.3.0.2\tweb\n")) << back;
  EXPECT_LT(back.find("10.3.0.2\tweb\n"), back.find("192.0.2.7\tdb")) << back;
  EXPECT_EQ(back.back(), '\n');
}

}  // namespace
}  // namespace berth::engine
