// netns/netlink and netns/netns against the real kernel: bridges, veths, addresses,
// routes and persistent network namespaces.
//
// These need root (CAP_SYS_ADMIN for namespaces and mounts, CAP_NET_ADMIN for links) and
// skip otherwise. Every test works inside a fresh network namespace of its own, created
// under a temporary directory in /tmp and entered with InNetns, so the host's links and
// routes are never touched; the fixture's guards remove the namespaces, the directory's
// bind mount and the directory even when an assertion fails half-way. `ip -j` serves as
// an independent witness of what the kernel now holds (shared/STYLE.md section 7).
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/fs.h"
#include "netns/netlink.h"
#include "netns/netns.h"
#include "netns_test_util.h"

namespace berth::netns {
namespace {

constexpr const char* kNeedsRoot =
    "needs root: creates network namespaces, bridges and veths";


// `ip -j ARGS`, run in the calling thread's network namespace (a child inherits it).
nlohmann::json ip_json(const std::string& args) {
  std::string cmd = "ip -j " + args + " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return nlohmann::json();
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return nlohmann::json::parse(out, nullptr, false);
}

// The one link `ip -j -d link show NAME` reports, or null.
nlohmann::json ip_link(const std::string& name) {
  auto links = ip_json("-d link show dev " + name);
  return links.is_array() && links.size() == 1 ? links[0] : nlohmann::json();
}

bool has_flag(const nlohmann::json& link, const std::string& flag) {
  if (!link.contains("flags")) return false;
  for (const auto& f : link["flags"])
    if (f == flag) return true;
  return false;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

bool mounted(const std::string& path) {
  auto info = read_file("/proc/self/mountinfo");
  return info && info->find(" " + path + " ") != std::string::npos;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Each test starts inside its own new namespace "a", with a Netlink socket opened there.
class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
    dir_.emplace();
    ASSERT_FALSE(dir_->path().empty());
    auto ns = dir_->make("a");
    ASSERT_TRUE(ns) << ns.error().message();
    ns_a_ = *ns;
    auto in = InNetns::enter(ns_a_);
    ASSERT_TRUE(in) << in.error().message();
    in_a_.emplace(std::move(*in));
    auto nl = Netlink::open();
    ASSERT_TRUE(nl) << nl.error().message();
    nl_.emplace(std::move(*nl));
  }

  Netlink& nl() { return *nl_; }

  // Destroyed in reverse: the socket, then back to our namespace, then the files.
  std::optional<NetnsDir> dir_;
  std::string ns_a_;
  std::optional<InNetns> in_a_;
  std::optional<Netlink> nl_;
};

TEST(NetnsTest, CreateEnterLeaveRemove) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  NetnsDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string self = "/proc/thread-self/ns/net";
  ino_t before = inode_of(self);

  auto ns = dir.make("one");
  ASSERT_TRUE(ns) << ns.error().message();
  EXPECT_EQ(inode_of(self), before) << "create_netns moved the calling thread";
  EXPECT_TRUE(mounted(*ns));
  ino_t created = inode_of(*ns);  // the namespace's inode, seen through the bind mount
  EXPECT_NE(created, before);

  {
    auto in = InNetns::enter(*ns);
    ASSERT_TRUE(in) << in.error().message();
    EXPECT_EQ(inode_of(self), created);
    // A new namespace holds only a loopback, and it is down.
    auto lo = ip_link("lo");
    EXPECT_FALSE(has_flag(lo, "UP")) << lo.dump();
    ASSERT_OK(bring_up_loopback());
    lo = ip_link("lo");
    EXPECT_TRUE(has_flag(lo, "UP")) << lo.dump();
    Netlink nl = std::move(*Netlink::open());
    auto links = nl.list_links("");
    ASSERT_TRUE(links) << links.error().message();
    EXPECT_EQ(*links, std::vector<std::string>{"lo"});
  }
  EXPECT_EQ(inode_of(self), before) << "InNetns did not return";

  auto again = create_netns(*ns);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), EEXIST);

  ASSERT_OK(remove_netns(*ns));
  EXPECT_FALSE(mounted(*ns));
  EXPECT_FALSE(path_exists(*ns));
  ASSERT_OK(remove_netns(*ns));  // idempotent

  auto gone = InNetns::enter(*ns);
  EXPECT_FALSE(gone);
}

// A namespace made beforehand (by a thread that unshared, as berth's helper does) is
// bound to a file like a new one, and lives on through it after the fd is closed.
TEST(NetnsTest, BindANamespaceMadeBeforehand) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  NetnsDir dir;
  ASSERT_FALSE(dir.path().empty());
  Fd made;
  std::thread maker([&] {
    if (::unshare(CLONE_NEWNET) == 0) made = Fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  });
  maker.join();
  ASSERT_TRUE(made) << "unshare(CLONE_NEWNET) on a thread";
  struct stat st {};
  ASSERT_EQ(::fstat(made.get(), &st), 0);
  std::string path = dir.path() + "/early";
  ASSERT_OK(bind_netns(path, made.get(), false));
  EXPECT_TRUE(mounted(path));
  EXPECT_EQ(inode_of(path), st.st_ino) << "the file shows the namespace of the fd";
  made.reset();
  {
    auto in = InNetns::enter(path);
    ASSERT_TRUE(in) << in.error().message();
    EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), st.st_ino);
  }
  Fd host(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  auto again = bind_netns(path, host.get(), false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), EEXIST);
  ASSERT_OK(remove_netns(path));
  EXPECT_FALSE(path_exists(path));
}

TEST_F(NetlinkTest, BridgeAndVethWithMasterAndUp) {
  ASSERT_OK(nl().create_bridge("br-test", 1400));
  ASSERT_OK(nl().create_veth("vh-test", "vc-test", 1400));
  ASSERT_OK(nl().set_master("vh-test", "br-test"));
  ASSERT_OK(nl().set_up("br-test"));
  ASSERT_OK(nl().set_up("vh-test"));

  auto bridge = nl().link_index("br-test");
  auto host = nl().link_index("vh-test");
  auto peer = nl().link_index("vc-test");
  ASSERT_TRUE(bridge && host && peer);
  EXPECT_GT(*bridge, 1);
  EXPECT_NE(*host, *peer);

  auto br = ip_link("br-test");
  EXPECT_EQ(br["linkinfo"]["info_kind"], "bridge") << br.dump();
  EXPECT_EQ(br["mtu"], 1400);
  EXPECT_TRUE(has_flag(br, "UP"));
  auto vh = ip_link("vh-test");
  EXPECT_EQ(vh["linkinfo"]["info_kind"], "veth") << vh.dump();
  EXPECT_EQ(vh["master"], "br-test");
  EXPECT_EQ(vh["mtu"], 1400);
  EXPECT_TRUE(has_flag(vh, "UP"));
  auto vc = ip_link("vc-test");
  EXPECT_EQ(vc["mtu"], 1400) << vc.dump();
  EXPECT_FALSE(has_flag(vc, "UP"));
  EXPECT_FALSE(vc.contains("master"));
}

TEST_F(NetlinkTest, AddressesV4AndV6) {
  ASSERT_OK(nl().create_veth("va-host", "va-peer"));
  ASSERT_OK(nl().add_address("va-peer", "10.88.0.2/24"));
  ASSERT_OK(nl().add_address("va-peer", "fd00::2/64"));

  auto addrs = ip_json("addr show dev va-peer");
  ASSERT_TRUE(addrs.is_array() && addrs.size() == 1) << addrs.dump();
  bool v4 = false, v6 = false;
  for (const auto& a : addrs[0]["addr_info"]) {
    if (a["local"] == "10.88.0.2") {
      v4 = true;
      EXPECT_EQ(a["prefixlen"], 24);
      EXPECT_EQ(a["broadcast"], "10.88.0.255");
    }
    if (a["local"] == "fd00::2") {
      v6 = true;
      EXPECT_EQ(a["prefixlen"], 64);
      EXPECT_FALSE(a.contains("tentative")) << "IFA_F_NODAD: usable at once";
    }
  }
  EXPECT_TRUE(v4) << addrs.dump();
  EXPECT_TRUE(v6) << addrs.dump();

  auto dup = nl().add_address("va-peer", "10.88.0.2/24");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errno_value(), EEXIST);
  // With an extended ack the kernel adds its own sentence after the operation.
  EXPECT_EQ(dup.error().message(),
            "netlink RTM_NEWADDR (kernel: ipv4: Address already assigned) "
            "\"10.88.0.2/24 dev va-peer\": File exists");

  for (const char* bad : {"10.88.0.3", "10.88.0.3/33", "fd00::3/129", "nonsense/24", "10.1/8"}) {
    auto r = nl().add_address("va-peer", bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message().find(bad), std::string::npos) << r.error().message();
    }
  }
  auto missing = nl().add_address("va-none", "10.88.0.9/24");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST_F(NetlinkTest, RoutesV4HasTheConnectedRouteOfAnAddress) {
  ASSERT_OK(nl().create_veth("vr-host", "vr-peer"));
  ASSERT_OK(nl().set_up("vr-host"));
  ASSERT_OK(nl().set_up("vr-peer"));
  ASSERT_OK(nl().add_address("vr-peer", "10.88.0.2/24"));
  ASSERT_OK(nl().add_route("10.99.0.0/16", "", "vr-peer"));
  ASSERT_OK(nl().add_route("192.168.77.0/24", "10.88.0.1", ""));

  auto routes = nl().routes_v4();
  ASSERT_TRUE(routes) << routes.error().message();
  EXPECT_EQ(*routes, (std::vector<std::string>{"10.88.0.0/24", "10.99.0.0/16", "192.168.77.0/24"}));

  auto shown = ip_json("route show 10.99.0.0/16");
  ASSERT_TRUE(shown.is_array() && shown.size() == 1) << shown.dump();
  EXPECT_EQ(shown[0]["dev"], "vr-peer");
  EXPECT_EQ(shown[0]["scope"], "link");

  auto host_bits = nl().add_route("10.99.1.0/8", "", "vr-peer");
  ASSERT_FALSE(host_bits);
  EXPECT_NE(host_bits.error().message().find("host bits"), std::string::npos);
  EXPECT_FALSE(nl().add_route("10.98.0.0/16", "", ""));
  EXPECT_FALSE(nl().add_route("10.98.0.0/16", "fd00::1", ""));
}

TEST_F(NetlinkTest, DefaultRoutesV4AndV6) {
  ASSERT_OK(nl().create_veth("vg-host", "vg-peer"));
  ASSERT_OK(nl().set_up("vg-host"));
  ASSERT_OK(nl().set_up("vg-peer"));

  // No address yet: the gateway is on no known network, and the kernel refuses.
  auto unreachable = nl().add_default_route("10.88.0.1");
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().errno_value(), ENETUNREACH) << unreachable.error().message();
  EXPECT_NE(unreachable.error().message().find("\"default via 10.88.0.1\""), std::string::npos)
      << unreachable.error().message();

  ASSERT_OK(nl().add_address("vg-peer", "10.88.0.2/24"));
  ASSERT_OK(nl().add_address("vg-peer", "fd00::2/64"));
  ASSERT_OK(nl().add_default_route("10.88.0.1"));
  ASSERT_OK(nl().add_default_route("fd00::1"));

  auto v4 = ip_json("route show default");
  ASSERT_TRUE(v4.is_array() && v4.size() == 1) << v4.dump();
  EXPECT_EQ(v4[0]["gateway"], "10.88.0.1");
  EXPECT_EQ(v4[0]["dev"], "vg-peer");
  auto v6 = ip_json("-6 route show default");
  ASSERT_TRUE(v6.is_array() && v6.size() == 1) << v6.dump();
  EXPECT_EQ(v6[0]["gateway"], "fd00::1");
  EXPECT_EQ(v6[0]["dev"], "vg-peer");

  auto dup = nl().add_default_route("10.88.0.1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errno_value(), EEXIST);
  EXPECT_FALSE(nl().add_default_route("not-an-ip"));

  // The default route is not a subnet to keep clear of.
  auto routes = nl().routes_v4();
  ASSERT_TRUE(routes) << routes.error().message();
  EXPECT_EQ(*routes, std::vector<std::string>{"10.88.0.0/24"});
}

TEST_F(NetlinkTest, MoveVethEndIntoAnotherNetns) {
  auto b = dir_->make("b");
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_OK(nl().create_veth("vm-host", "vm-guest"));
  {
    auto fd = open_fd(*b, O_RDONLY);
    ASSERT_TRUE(fd) << fd.error().message();
    ASSERT_OK(nl().move_to_netns("vm-guest", fd->get()));
  }
  EXPECT_TRUE(nl().link_exists("vm-host"));
  EXPECT_FALSE(nl().link_exists("vm-guest"));

  {
    auto in_b = InNetns::enter(*b);
    ASSERT_TRUE(in_b) << in_b.error().message();
    auto nl_b = Netlink::open();
    ASSERT_TRUE(nl_b) << nl_b.error().message();
    EXPECT_TRUE(nl_b->link_exists("vm-guest"));
    EXPECT_FALSE(nl_b->link_exists("vm-host"));
    ASSERT_OK(nl_b->add_address("vm-guest", "10.88.0.5/24"));
    ASSERT_OK(nl_b->set_up("vm-guest"));
    auto guest = ip_link("vm-guest");
    EXPECT_TRUE(has_flag(guest, "UP")) << guest.dump();
    // The socket opened in "a" still works in "a", though this thread is now in "b".
    EXPECT_TRUE(nl().link_exists("vm-host"));
    EXPECT_FALSE(nl().link_exists("vm-guest"));
  }
  // Deleting one end deletes the other, across namespaces.
  ASSERT_OK(nl().delete_link("vm-host"));
  auto in_b = InNetns::enter(*b);
  ASSERT_TRUE(in_b) << in_b.error().message();
  auto nl_b = Netlink::open();
  ASSERT_TRUE(nl_b);
  EXPECT_FALSE(nl_b->link_exists("vm-guest"));
}

TEST_F(NetlinkTest, DeleteIsIdempotent) {
  ASSERT_OK(nl().create_veth("vd-a", "vd-b"));
  ASSERT_OK(nl().delete_link("vd-a"));
  EXPECT_FALSE(nl().link_exists("vd-a"));
  EXPECT_FALSE(nl().link_exists("vd-b")) << "a veth's peer goes with it";
  ASSERT_OK(nl().delete_link("vd-a"));
  ASSERT_OK(nl().delete_link("vd-b"));
  ASSERT_OK(nl().delete_link("never-was"));
}

TEST_F(NetlinkTest, ListLinksByPrefix) {
  ASSERT_OK(nl().create_bridge("bt-one"));
  ASSERT_OK(nl().create_bridge("bt-two"));
  ASSERT_OK(nl().create_veth("bx-1", "bx-2"));
  auto bt = nl().list_links("bt-");
  ASSERT_TRUE(bt) << bt.error().message();
  EXPECT_EQ(sorted(*bt), (std::vector<std::string>{"bt-one", "bt-two"}));
  auto all = nl().list_links("");
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(sorted(*all), (std::vector<std::string>{"bt-one", "bt-two", "bx-1", "bx-2", "lo"}));
  auto none = nl().list_links("zz-");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(NetlinkTest, DuplicateCreateNamesTheLink) {
  ASSERT_OK(nl().create_bridge("br-dup"));
  auto again = nl().create_bridge("br-dup");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), EEXIST);
  EXPECT_EQ(again.error().message(), "netlink RTM_NEWLINK \"br-dup\": File exists");
  auto veth = nl().create_veth("br-dup", "vp-dup");
  ASSERT_FALSE(veth);
  EXPECT_EQ(veth.error().errno_value(), EEXIST);
  EXPECT_FALSE(nl().link_exists("vp-dup"));
}

TEST_F(NetlinkTest, MissingLinks) {
  auto index = nl().link_index("nosuch0");
  ASSERT_FALSE(index);
  EXPECT_EQ(index.error().errno_value(), ENOENT);
  EXPECT_EQ(index.error().message(), "netlink RTM_GETLINK \"nosuch0\": No such file or directory");
  EXPECT_FALSE(nl().link_exists("nosuch0"));
  auto up = nl().set_up("nosuch0");
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().message().find("RTM_SETLINK \"nosuch0\""), std::string::npos)
      << up.error().message();
  auto master = nl().set_master("nosuch0", "nosuch1");
  ASSERT_FALSE(master);
  EXPECT_NE(master.error().message().find("nosuch1"), std::string::npos);
}

TEST_F(NetlinkTest, RenameAndMtu) {
  ASSERT_OK(nl().create_bridge("br-old"));
  ASSERT_OK(nl().set_mtu("br-old", 1280));
  ASSERT_OK(nl().rename_link("br-old", "br-new"));
  EXPECT_FALSE(nl().link_exists("br-old"));
  EXPECT_TRUE(nl().link_exists("br-new"));
  EXPECT_EQ(ip_link("br-new")["mtu"], 1280);
  EXPECT_FALSE(nl().set_mtu("br-new", 0));
}

TEST_F(NetlinkTest, InvalidLinkNames) {
  auto empty = nl().create_bridge("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(), "empty link name");
  for (const char* bad : {"sixteen-bytes-xx", "a/b", "a:b", "a b", "."}) {
    auto r = nl().create_bridge(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message(), std::string("invalid link name \"") + bad + "\"");
  }
  ASSERT_OK(nl().create_bridge("fifteen-bytes-x"));  // IFNAMSIZ - 1: the longest allowed
}

}  // namespace
}  // namespace berth::netns
