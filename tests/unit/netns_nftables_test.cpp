// netns/nftables: the rendered ruleset (pure), the table in a real kernel, and real
// traffic through it.
//
// The rendering tests run anywhere. The others need root and skip otherwise; each runs
// inside network namespaces of its own (files under a temporary directory, entered with
// InNetns), so the host's ruleset, links and sysctls are never touched, and the fixtures'
// destructors remove the namespaces even when an assertion fails half-way. The traffic
// tests talk only to addresses inside those namespaces. libnftables, called directly,
// lists what the kernel holds as the independent witness (shared/STYLE.md section 7).
#include "netns/nftables.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fd.h"
#include "base/fs.h"
#include "netns/netlink.h"
#include "netns/netns.h"
#include "netns_test_util.h"

namespace berth::netns {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- Rendering ----

NatRuleset example() {
  return NatRuleset{
      .table = "berth_test",
      .networks = {{.bridge = "br-b", .subnet = "172.19.0.0/16", .internal = true},
                   {.bridge = "br-a", .subnet = "172.18.0.0/16", .subnet_v6 = "fd00:a::/64"}},
      .ports = {{"", 8080, "172.18.0.2", 80, "tcp"},
                {"127.0.0.1", 8081, "172.18.0.3", 81, "tcp"},
                {"0.0.0.0", 53, "172.18.0.2", 53, "udp"}},
  };
}

TEST(NftablesRenderTest, Example) {
  ASSERT_OK(check_ruleset(example()));
  EXPECT_EQ(render_ruleset(example()),
            "# berth's NAT and forwarding rules for one state root (netns/nftables.h)\n"
            R"(table inet berth_test
delete table inet berth_test
table inet berth_test {
	# published ports, for connections from outside
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta nfproto ipv4 fib daddr type local jump published
	}
	# published ports, for connections the host makes itself
	chain output {
		type nat hook output priority -100; policy accept;
		meta nfproto ipv4 fib daddr type local jump published
	}
	# host port -> container address and port, except the bridges' own DNS
	chain published {
		iifname "br-b" meta l4proto { tcp, udp } th dport 53 return
		iifname "br-a" meta l4proto { tcp, udp } th dport 53 return
		tcp dport 8080 dnat ip to 172.18.0.2:80
		ip daddr 127.0.0.1 tcp dport 8081 dnat ip to 172.18.0.3:81
		udp dport 53 dnat ip to 172.18.0.2:53
	}
	# source NAT: containers going out, 127.0.0.1 and hairpin coming in
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "br-a" ct status dnat ip saddr 127.0.0.0/8 masquerade
		oifname "br-a" ct status dnat ip saddr 172.18.0.0/16 masquerade
		oifname != "br-a" ip saddr 172.18.0.0/16 masquerade
		oifname "br-a" ct status dnat ip6 saddr fd00:a::/64 masquerade
		oifname != "br-a" ip6 saddr fd00:a::/64 masquerade
	}
	# no container reaches the host's loopback through route_localnet
	chain loopback_guard {
		type filter hook prerouting priority raw; policy accept;
		iifname "br-b" ip daddr 127.0.0.0/8 drop
		iifname "br-a" ip daddr 127.0.0.0/8 drop
	}
	# what may enter each bridge; leaving one is the policy's business
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname "br-b" oifname != "br-b" drop
		oifname "br-b" iifname != "br-b" drop
		oifname "br-a" iifname "br-a" accept
		oifname "br-a" ct status dnat accept
		oifname "br-a" drop
	}
}
)");
}

TEST(NftablesRenderTest, EmptyRulesetOnlyRemovesTheTable) {
  EXPECT_EQ(render_ruleset(NatRuleset{.table = "berth_x"}),
            "# berth's NAT and forwarding rules for one state root (netns/nftables.h)\n"
            "table inet berth_x\n"
            "delete table inet berth_x\n");
}

TEST(NftablesRenderTest, OrderOfInputDoesNotMatterAndDuplicatesGo) {
  NatRuleset shuffled = example();
  std::reverse(shuffled.networks.begin(), shuffled.networks.end());
  std::reverse(shuffled.ports.begin(), shuffled.ports.end());
  shuffled.ports.push_back({"0.0.0.0", 8080, "172.18.0.2", 80, "tcp"});  // same as ""
  shuffled.ports.push_back(shuffled.ports.front());
  ASSERT_OK(check_ruleset(shuffled));
  EXPECT_EQ(render_ruleset(shuffled), render_ruleset(example()));
}

TEST(NftablesRenderTest, ChainsWithoutRulesAreLeftOut) {
  NatRuleset ports_only{.table = "t", .ports = {{"", 80, "10.0.0.2", 8080, "tcp"}}};
  std::string text = render_ruleset(ports_only);
  EXPECT_TRUE(contains(text, "chain published"));
  EXPECT_FALSE(contains(text, "chain postrouting"));
  EXPECT_FALSE(contains(text, "chain forward"));
  EXPECT_FALSE(contains(text, "chain loopback_guard"));

  NatRuleset internal_only{.table = "t", .networks = {{"br-i", "10.1.0.0/24", "", true}}};
  text = render_ruleset(internal_only);
  EXPECT_FALSE(contains(text, "chain prerouting"));
  EXPECT_FALSE(contains(text, "chain postrouting")) << "internal networks are never NATed";
  EXPECT_TRUE(contains(text, "iifname \"br-i\" oifname != \"br-i\" drop"));
}

TEST(NftablesRenderTest, OneHostAddressComesBeforeAllOfThemOnOtherPorts) {
  NatRuleset r{.table = "t",
               .ports = {{"", 81, "10.0.0.2", 80, "tcp"},
                         {"10.9.0.1", 81, "10.0.0.3", 80, "udp"},
                         {"127.0.0.1", 80, "10.0.0.3", 80, "tcp"},
                         {"10.9.0.1", 80, "10.0.0.4", 80, "tcp"}}};
  ASSERT_OK(check_ruleset(r));
  std::string text = render_ruleset(r);
  auto at = [&](const std::string& rule) { return text.find(rule); };
  EXPECT_LT(at("ip daddr 10.9.0.1 tcp dport 80"), at("ip daddr 127.0.0.1 tcp dport 80"));
  EXPECT_LT(at("ip daddr 127.0.0.1 tcp dport 80"), at("\t\ttcp dport 81"));
  EXPECT_LT(at("\t\ttcp dport 81"), at("ip daddr 10.9.0.1 udp dport 81"));
}

// What check_ruleset refuses, and that the error names the value.
struct BadCase {
  const char* why;
  NatRuleset ruleset;
  const char* named;
};

TEST(NftablesRenderTest, CheckRefusesWhatNftWouldMisread) {
  auto net = [](std::string bridge, std::string subnet, std::string v6 = "") {
    return NatNetwork{std::move(bridge), std::move(subnet), std::move(v6), false};
  };
  auto port = [](std::string host_ip, uint16_t hp, std::string ip, uint16_t cp,
                 std::string proto = "tcp") {
    return PortForward{std::move(host_ip), hp, std::move(ip), cp, std::move(proto)};
  };
  const std::vector<BadCase> cases = {
      {"empty table", {.table = ""}, "invalid nftables table name"},
      {"table with a space", {.table = "a b"}, "\"a b\""},
      {"table with a quote", {.table = "a\"b"}, "invalid nftables table name"},
      {"table starting with a digit", {.table = "9abc"}, "\"9abc\""},
      {"bridge with a quote", {.table = "t", .networks = {net("br\"x", "10.0.0.0/8")}}, "br\"x"},
      {"bridge wildcard", {.table = "t", .networks = {net("br-*", "10.0.0.0/8")}}, "\"br-*\""},
      {"bridge too long", {.table = "t", .networks = {net("sixteen-bytes-xx", "10.0.0.0/8")}},
       "sixteen-bytes-xx"},
      {"bridge twice",
       {.table = "t", .networks = {net("br-a", "10.0.0.0/8"), net("br-a", "10.1.0.0/16")}},
       "bridge listed twice \"br-a\""},
      {"host bits", {.table = "t", .networks = {net("br-a", "172.18.0.1/16")}},
       "network \"br-a\": subnet with host bits set \"172.18.0.1/16\""},
      {"no prefix", {.table = "t", .networks = {net("br-a", "172.18.0.0")}}, "172.18.0.0"},
      {"prefix too long", {.table = "t", .networks = {net("br-a", "172.18.0.0/33")}}, "/33"},
      {"a name, not an address", {.table = "t", .networks = {net("br-a", "db/24")}}, "db/24"},
      {"v6 in the v4 subnet", {.table = "t", .networks = {net("br-a", "fd00::/64")}},
       "invalid IPv4 subnet"},
      {"bad v6 subnet", {.table = "t", .networks = {net("br-a", "10.0.0.0/8", "fd00::1/64")}},
       "fd00::1/64"},
      {"v6 not canonical",
       {.table = "t", .networks = {net("br-a", "10.0.0.0/8", "FD00:0::/64")}}, "FD00:0::/64"},
      {"hostname as container", {.table = "t", .ports = {port("", 80, "db", 80)}},
       "not an IPv4 container address \"db\""},
      {"out-of-range address", {.table = "t", .ports = {port("", 80, "172.18.0.300", 80)}},
       "172.18.0.300"},
      {"leading zero", {.table = "t", .ports = {port("", 80, "172.18.0.02", 80)}},
       "172.18.0.02"},
      {"v6 host address, no v6 container address",
       {.table = "t", .ports = {port("::1", 80, "172.18.0.2", 80)}},
       "an IPv6 host address for a container without an IPv6 address \"::1\""},
      {"a name as the host address", {.table = "t", .ports = {port("localhost", 80, "172.18.0.2", 80)}},
       "not an IP host address \"localhost\""},
      {"v4 in the v6 container address",
       {.table = "t", .ports = {{"", 80, "172.18.0.2", 80, "tcp", "172.18.0.3"}}},
       "not an IPv6 container address \"172.18.0.3\""},
      {"all addresses twice through IPv6",
       {.table = "t",
        .ports = {{"::", 80, "", 80, "tcp", "fd00::2"}, {"", 80, "172.18.0.3", 80, "tcp", "fd00::3"}}},
       "port published twice"},
      {"host port 0", {.table = "t", .ports = {port("", 0, "172.18.0.2", 80)}},
       "published port 0->172.18.0.2:80/tcp: port 0"},
      {"protocol", {.table = "t", .ports = {port("", 80, "172.18.0.2", 80, "icmp")}},
       "unknown protocol \"icmp\""},
      {"same port twice",
       {.table = "t", .ports = {port("", 80, "172.18.0.2", 80), port("", 80, "172.18.0.3", 80)}},
       "port published twice"},
      {"one address and all of them",
       {.table = "t",
        .ports = {port("127.0.0.1", 80, "172.18.0.2", 80), port("", 80, "172.18.0.3", 80)}},
       "127.0.0.1:80->172.18.0.2:80/tcp and 80->172.18.0.3:80/tcp"},
  };
  for (const auto& c : cases) {
    auto r = check_ruleset(c.ruleset);
    ASSERT_FALSE(r) << c.why;
    EXPECT_TRUE(contains(r.error().message(), c.named)) << c.why << ": " << r.error().message();
  }
}

TEST(NftablesRenderTest, CheckAcceptsOnePortOnDistinctAddressesOrProtocols) {
  NatRuleset r{.table = "berth_1a2b",
               .networks = {{"berth0", "10.88.0.0/16", "fd00:88::/64", false}},
               .ports = {{"127.0.0.1", 80, "10.88.0.2", 80, "tcp"},
                         {"10.0.0.1", 80, "10.88.0.3", 80, "tcp"},
                         {"", 80, "10.88.0.4", 80, "udp"},
                         {"", 80, "10.88.0.4", 80, "sctp"}}};
  EXPECT_TRUE(check_ruleset(r));
  r.ports.push_back(r.ports.front());  // an exact duplicate is harmless
  EXPECT_TRUE(check_ruleset(r));
}

// A network made with --ipv6: "-p 8080:80" gets a rule in each family, "[::]:" and
// "[fd00::1]:" only IPv6 ones, "0.0.0.0:" only an IPv4 one; one port may be published on
// an IPv4 and an IPv6 address by different containers.
TEST(NftablesRenderTest, IPv6PortsGetTheirOwnChain) {
  NatRuleset r{.table = "t",
               .networks = {{"br-6", "10.6.0.0/24", "fd00:6::/64", false}},
               .ports = {{"", 8080, "10.6.0.2", 80, "tcp", "fd00:6::2"},
                         {"::", 8081, "10.6.0.2", 81, "tcp", "fd00:6::2"},
                         {"fd00:6::1", 8082, "10.6.0.2", 82, "udp", "fd00:6::2"},
                         {"0.0.0.0", 8083, "10.6.0.2", 83, "tcp", "fd00:6::2"},
                         {"127.0.0.1", 8084, "10.6.0.3", 84, "tcp", "fd00:6::3"},
                         {"::", 8084, "10.6.0.2", 84, "tcp", "fd00:6::2"}}};
  ASSERT_OK(check_ruleset(r));
  std::string text = render_ruleset(r);
  EXPECT_TRUE(contains(text, "meta nfproto ipv4 fib daddr type local jump published\n")) << text;
  EXPECT_TRUE(contains(text, "meta nfproto ipv6 fib daddr type local jump published6\n")) << text;
  for (const char* rule : {"\t\ttcp dport 8080 dnat ip to 10.6.0.2:80\n", "\t\ttcp dport 8080 dnat ip6 to [fd00:6::2]:80\n",
                           "\t\ttcp dport 8081 dnat ip6 to [fd00:6::2]:81\n",
                           "ip6 daddr fd00:6::1 udp dport 8082 dnat ip6 to [fd00:6::2]:82\n",
                           "\t\ttcp dport 8083 dnat ip to 10.6.0.2:83\n",
                           "ip daddr 127.0.0.1 tcp dport 8084 dnat ip to 10.6.0.3:84\n",
                           "\t\ttcp dport 8084 dnat ip6 to [fd00:6::2]:84\n",
                           "oifname \"br-6\" ct status dnat ip6 saddr fd00:6::/64 masquerade\n"})
    EXPECT_TRUE(contains(text, rule)) << rule << " in\n" << text;
  for (const char* absent : {"dport 8081 dnat ip to", "dport 8082 dnat ip to", "dport 8083 dnat ip6"})
    EXPECT_FALSE(contains(text, absent)) << absent << " in\n" << text;
  // Without IPv6 addresses nothing of IPv6 is rendered.
  NatRuleset v4{.table = "t", .ports = {{"", 8080, "10.6.0.2", 80, "tcp"}}};
  EXPECT_FALSE(contains(render_ruleset(v4), "published6"));
}

// ---- In a real kernel ----

constexpr const char* kNeedsRoot = "needs root: creates network namespaces and nftables tables";


// `nft COMMAND` through libnftables itself, not through the code under test.
struct NftCtxFree {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};

std::optional<std::string> nft_output(const std::string& command) {
  std::unique_ptr<nft_ctx, NftCtxFree> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), command.c_str()) != 0) return std::nullopt;
  return std::string(nft_ctx_get_output_buffer(ctx.get()));
}

std::string list_table(const std::string& table) {
  return nft_output("list table inet " + table).value_or("<no table>");
}

NatRuleset two_ports(const std::string& table) {
  return NatRuleset{.table = table,
                    .networks = {{"br-k", "172.31.0.0/24", "", false}},
                    .ports = {{"", 8080, "172.31.0.2", 80, "tcp"},
                              {"127.0.0.1", 5353, "172.31.0.3", 53, "udp"}}};
}

// Each test starts inside a new, empty network namespace "host".
class NftablesKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
    dir_.emplace();
    ASSERT_TRUE(dir_->ok());
    auto ns = dir_->make("host");
    ASSERT_TRUE(ns) << ns.error().message();
    host_ = *ns;
    auto in = InNetns::enter(host_);
    ASSERT_TRUE(in) << in.error().message();
    in_host_.emplace(std::move(*in));
  }

  // Destroyed in reverse: back to our own namespace first, then the files.
  std::optional<NetnsDir> dir_;
  std::string host_;
  std::optional<InNetns> in_host_;
};

TEST_F(NftablesKernelTest, UsableAsRoot) { EXPECT_TRUE(nftables_usable()); }

TEST_F(NftablesKernelTest, ApplyReplaceDelete) {
  ASSERT_OK(apply_ruleset(two_ports("berth_k")));
  std::string listed = list_table("berth_k");
  for (const char* expected :
       {"chain prerouting {", "type nat hook prerouting priority dstnat; policy accept;",
        "chain output {", "type nat hook output priority -100; policy accept;",
        "meta nfproto ipv4 fib daddr type local jump published",
        "tcp dport 8080 dnat ip to 172.31.0.2:80",
        "ip daddr 127.0.0.1 udp dport 5353 dnat ip to 172.31.0.3:53",
        "iifname \"br-k\" meta l4proto { tcp, udp } th dport 53 return",
        "oifname \"br-k\" ct status dnat ip saddr 127.0.0.0/8 masquerade",
        "oifname != \"br-k\" ip saddr 172.31.0.0/24 masquerade",
        "type filter hook prerouting priority raw; policy accept;",
        "iifname \"br-k\" ip daddr 127.0.0.0/8 drop",
        "type filter hook forward priority filter; policy accept;",
        "ct state established,related accept", "oifname \"br-k\" ct status dnat accept"}) {
    EXPECT_TRUE(contains(listed, expected)) << expected << "\n" << listed;
  }

  // The same state again: the same table (no duplicated rules).
  ASSERT_OK(apply_ruleset(two_ports("berth_k")));
  EXPECT_EQ(list_table("berth_k"), listed);

  // One port fewer: its rule is gone, the other stays.
  NatRuleset fewer = two_ports("berth_k");
  fewer.ports.pop_back();
  ASSERT_OK(apply_ruleset(fewer));
  listed = list_table("berth_k");
  EXPECT_TRUE(contains(listed, "tcp dport 8080 dnat ip to 172.31.0.2:80")) << listed;
  EXPECT_FALSE(contains(listed, "5353")) << listed;

  // Nothing left to publish or route: no table at all.
  ASSERT_OK(apply_ruleset(NatRuleset{.table = "berth_k"}));
  EXPECT_EQ(list_table("berth_k"), "<no table>");

  ASSERT_OK(apply_ruleset(fewer));
  ASSERT_OK(delete_table("berth_k"));
  EXPECT_EQ(list_table("berth_k"), "<no table>");
  ASSERT_OK(delete_table("berth_k"));  // idempotent
  ASSERT_OK(delete_table("berth_never"));
}

TEST_F(NftablesKernelTest, FailuresLeaveThePreviousTable) {
  ASSERT_OK(apply_ruleset(two_ports("berth_k")));
  const std::string before = list_table("berth_k");

  // Refused before nft sees it, naming the value.
  NatRuleset bad_address = two_ports("berth_k");
  bad_address.ports[0].container_ip = "172.31.0.256";
  auto r = apply_ruleset(bad_address);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "replacing nftables table inet berth_k: published port "
            "8080->172.31.0.256:80/tcp: not an IPv4 container address \"172.31.0.256\"");
  EXPECT_EQ(list_table("berth_k"), before);

  // Refused by nft's parser: a keyword is no table name. The error carries nft's words.
  auto keyword = apply_ruleset(two_ports("counter"));
  ASSERT_FALSE(keyword);
  EXPECT_TRUE(contains(keyword.error().message(),
                       "replacing nftables table inet counter: nft: syntax error, "
                       "unexpected counter, expecting string, in \"table inet counter\""))
      << keyword.error().message();

  // Refused by the kernel half-way through a replacement: the delete already queued in the
  // same batch is rolled back with the rest.
  auto broken = run_nft("table inet berth_k\ndelete table inet berth_k\n"
                        "table inet berth_k {\n\tchain c {\n\t\tjump nosuch\n\t}\n}\n");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message(),
            "nft: Could not process rule: No such file or directory, in \"jump nosuch\"");
  EXPECT_EQ(list_table("berth_k"), before);
}

TEST_F(NftablesKernelTest, OtherTablesAreLeftAlone) {
  ASSERT_TRUE(nft_output("add table ip hostfw\nadd chain ip hostfw input "
                         "{ type filter hook input priority 0; policy accept; }\n"
                         "add rule ip hostfw input tcp dport 22 accept"));
  ASSERT_OK(apply_ruleset(two_ports("berth_one")));
  NatRuleset other = two_ports("berth_two");
  other.networks[0].bridge = "br-other";
  ASSERT_OK(apply_ruleset(other));
  const std::string one = list_table("berth_one");

  ASSERT_OK(apply_ruleset(NatRuleset{.table = "berth_two"}));
  ASSERT_OK(delete_table("berth_two"));
  EXPECT_EQ(list_table("berth_one"), one);
  auto hostfw = nft_output("list table ip hostfw");
  ASSERT_TRUE(hostfw);
  EXPECT_TRUE(contains(*hostfw, "tcp dport 22 accept")) << *hostfw;
}

// Several state roots (separate berth processes) replacing their own tables at once: each
// ends with exactly its own last state.
TEST_F(NftablesKernelTest, ConcurrentRootsKeepTheirOwnTables) {
  constexpr int kRoots = 4;
  constexpr int kRounds = 25;
  auto state = [](int root, int round) {
    NatRuleset r = two_ports("berth_root" + std::to_string(root));
    r.networks[0].bridge = "br-root" + std::to_string(root);
    r.ports[0].host_port = static_cast<uint16_t>(10000 + root * 100 + round);
    return r;
  };
  std::vector<pid_t> children;
  for (int root = 0; root < kRoots; root++) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // never returns into gtest
      for (int round = 0; round < kRounds; round++)
        if (!apply_ruleset(state(root, round))) ::_exit(1);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  for (int root = 0; root < kRoots; root++) {
    std::string listed = list_table("berth_root" + std::to_string(root));
    std::string last = "tcp dport " + std::to_string(10000 + root * 100 + kRounds - 1) + " ";
    EXPECT_TRUE(contains(listed, last)) << listed;
    EXPECT_EQ(listed.find("dnat ip to 172.31.0.2:80"), listed.rfind("dnat ip to 172.31.0.2:80"))
        << "one rule for the port, not one per round\n"
        << listed;
  }
}

TEST(NftablesSysctlTest, ForwardingAndRouteLocalnetStayInTheirNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  const std::string forward = "/proc/sys/net/ipv4/ip_forward";
  auto host_before = read_file(forward);
  ASSERT_TRUE(host_before);
  NetnsDir dir;
  ASSERT_TRUE(dir.ok());
  auto ns = dir.make("sysctl");
  ASSERT_TRUE(ns) << ns.error().message();
  {
    auto in = InNetns::enter(*ns);
    ASSERT_TRUE(in) << in.error().message();
    auto nl = Netlink::open();
    ASSERT_TRUE(nl);
    ASSERT_OK(nl->create_bridge("br-sys"));
    ASSERT_OK(enable_ip_forward());
    EXPECT_EQ(read_file(forward).value_or(""), "1\n");
    ASSERT_OK(enable_ip_forward());  // already so: nothing to do
    ASSERT_OK(enable_route_localnet("br-sys"));
    EXPECT_EQ(read_file("/proc/sys/net/ipv4/conf/br-sys/route_localnet").value_or(""), "1\n");

    auto missing = enable_route_localnet("br-none");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().errno_value(), ENOENT);
    EXPECT_TRUE(contains(missing.error().message(), "/proc/sys/net/ipv4/conf/br-none/"))
        << missing.error().message();
    EXPECT_FALSE(enable_route_localnet("../all"));
  }
  EXPECT_EQ(read_file(forward).value_or(""), *host_before) << "the host's own setting changed";
}

// ---- Traffic ----
//
//   upstream (10.99.0.2) --- up1|up0 (10.99.0.1) host br-t (172.30.0.1)
//                                                       |-- vh1|vc1 ctr1 (172.30.0.2)
//                                                       |-- vh2|vc2 ctr2 (172.30.0.3)
//
// "host" plays the machine berth runs on, ctr1 and ctr2 two containers on one bridge
// network, "upstream" the rest of the world, which knows no route to 172.30.0.0/24.

// A TCP listener on every address of the calling thread's namespace.
Result<Fd> listen_tcp(uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return sys_error("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return sys_error("bind");
  if (::listen(fd.get(), 16) != 0) return sys_error("listen");
  return fd;
}

// Starts a connection from the calling thread's namespace; the handshake goes on in the
// kernel while the caller waits on the listener.
Fd start_connect(const std::string& ip, uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  (void)::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  return fd;
}

// The source address the listener sees on its next connection, or "" if none comes.
std::string accept_peer(int listener, int timeout_ms) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return "";
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  Fd conn(::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!conn) return "";
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
  return text;
}

class NftablesTrafficTest : public NftablesKernelTest {
 protected:
  static constexpr int kArrives = 3000;  // ms: generous, for a loaded machine
  static constexpr int kBlocked = 700;   // ms: how long "nothing comes" is waited for

  void SetUp() override {
    NftablesKernelTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(build_topology());
    ASSERT_OK(enable_ip_forward());
    ASSERT_OK(enable_route_localnet("br-t"));
    auto in = InNetns::enter(ctr1_);
    ASSERT_TRUE(in);
    auto web = listen_tcp(80);
    ASSERT_TRUE(web) << web.error().message();
    web_ = std::move(*web);
  }

  void build_topology() {
    for (auto* ns : {&ctr1_, &ctr2_, &upstream_}) {
      auto made = dir_->make(ns == &ctr1_ ? "ctr1" : ns == &ctr2_ ? "ctr2" : "upstream");
      ASSERT_TRUE(made) << made.error().message();
      *ns = *made;
    }
    auto nl = Netlink::open();
    ASSERT_TRUE(nl);
    ASSERT_OK(bring_up_loopback());
    ASSERT_OK(nl->create_bridge("br-t"));
    ASSERT_OK(nl->add_address("br-t", "172.30.0.1/24"));
    ASSERT_OK(nl->set_up("br-t"));
    ASSERT_NO_FATAL_FAILURE(plug(*nl, "vh1", "vc1", ctr1_, "172.30.0.2/24", "br-t"));
    ASSERT_NO_FATAL_FAILURE(plug(*nl, "vh2", "vc2", ctr2_, "172.30.0.3/24", "br-t"));
    ASSERT_NO_FATAL_FAILURE(plug(*nl, "up0", "up1", upstream_, "10.99.0.2/24", ""));
    ASSERT_OK(nl->add_address("up0", "10.99.0.1/24"));
  }

  // A veth pair: HOST_END stays here (in BRIDGE if given), PEER goes to NS with CIDR, and,
  // for a container, a default route through the bridge's address.
  void plug(Netlink& nl, const std::string& host_end, const std::string& peer,
            const std::string& ns, const std::string& cidr, const std::string& bridge) {
    ASSERT_OK(nl.create_veth(host_end, peer));
    if (!bridge.empty()) ASSERT_OK(nl.set_master(host_end, bridge));
    ASSERT_OK(nl.set_up(host_end));
    {
      auto fd = open_fd(ns, O_RDONLY);
      ASSERT_TRUE(fd);
      ASSERT_OK(nl.move_to_netns(peer, fd->get()));
    }
    auto in = InNetns::enter(ns);
    ASSERT_TRUE(in);
    auto inner = Netlink::open();
    ASSERT_TRUE(inner);
    ASSERT_OK(bring_up_loopback());
    ASSERT_OK(inner->add_address(peer, cidr));
    ASSERT_OK(inner->set_up(peer));
    if (!bridge.empty()) ASSERT_OK(inner->add_default_route("172.30.0.1"));
  }

  // Connects from namespace `from` ("" for host) to ip:port and returns the source address
  // the listener saw, or "" when no connection arrived within timeout_ms.
  std::string reach(const std::string& from, const std::string& ip, uint16_t port,
                    const Fd& listener, int timeout_ms = kArrives) {
    Fd client;
    if (from.empty()) {
      client = start_connect(ip, port);
    } else {
      auto in = InNetns::enter(from);
      if (!in) return "<cannot enter " + from + ">";
      client = start_connect(ip, port);
    }
    return accept_peer(listener.get(), timeout_ms);
  }

  // `ip ARGS` in namespace `ns`, for what Netlink does not offer (the child inherits it).
  bool ip_in(const std::string& ns, const std::string& args) {
    auto in = InNetns::enter(ns);
    return in && std::system(("ip " + args + " >/dev/null 2>&1").c_str()) == 0;
  }

  NatRuleset ruleset(bool internal = false) {
    return NatRuleset{.table = "berth_traffic",
                      .networks = {{"br-t", "172.30.0.0/24", "", internal}},
                      .ports = {{"", 8080, "172.30.0.2", 80, "tcp"},
                                {"127.0.0.1", 8081, "172.30.0.2", 80, "tcp"}}};
  }

  std::string ctr1_, ctr2_, upstream_;
  Fd web_;  // ctr1's server on port 80
};

TEST_F(NftablesTrafficTest, NothingWithoutTheRules) {
  EXPECT_EQ(reach(upstream_, "10.99.0.1", 8080, web_, kBlocked), "");
  EXPECT_EQ(reach("", "127.0.0.1", 8080, web_, kBlocked), "");
}

TEST_F(NftablesTrafficTest, PublishedPortFromTheHostItself) {
  ASSERT_OK(apply_ruleset(ruleset()));
  // The output hook: the host's own address keeps its source...
  EXPECT_EQ(reach("", "10.99.0.1", 8080, web_), "10.99.0.1");
  // ...127.0.0.1 needs route_localnet and masquerade, so the container sees the bridge.
  EXPECT_EQ(reach("", "127.0.0.1", 8080, web_), "172.30.0.1");
  // A port published on 127.0.0.1 only.
  EXPECT_EQ(reach("", "127.0.0.1", 8081, web_), "172.30.0.1");
  EXPECT_EQ(reach("", "10.99.0.1", 8081, web_, kBlocked), "");
}

TEST_F(NftablesTrafficTest, PublishedPortFromOutsideButNotTheContainerItself) {
  ASSERT_OK(apply_ruleset(ruleset()));
  // Prerouting DNAT, then forwarding: the container sees the real client.
  EXPECT_EQ(reach(upstream_, "10.99.0.1", 8080, web_), "10.99.0.2");
  EXPECT_EQ(reach(upstream_, "10.99.0.1", 8081, web_, kBlocked), "") << "127.0.0.1 only";
  // A route to the container's own address does not help: only published ports get in.
  ASSERT_TRUE(ip_in(upstream_, "route add 172.30.0.0/24 via 10.99.0.1"));
  EXPECT_EQ(reach(upstream_, "172.30.0.2", 80, web_, kBlocked), "");
}

TEST_F(NftablesTrafficTest, HairpinAndSameBridge) {
  ASSERT_OK(apply_ruleset(ruleset()));
  // Between containers of one bridge nothing is rewritten.
  EXPECT_EQ(reach(ctr2_, "172.30.0.2", 80, web_), "172.30.0.3");
  // Through the host's address: masqueraded, so the answer comes back the same way.
  EXPECT_EQ(reach(ctr2_, "10.99.0.1", 8080, web_), "172.30.0.1");
  // To its own published port: also needs hairpin mode on its bridge port when
  // br_netfilter is active (the bridge then does the DNAT and would not send the frame
  // back out of the port it came in by).
  ASSERT_TRUE(ip_in(host_, "link set vh1 type bridge_slave hairpin on"));
  EXPECT_EQ(reach(ctr1_, "10.99.0.1", 8080, web_), "172.30.0.1");
}

TEST_F(NftablesTrafficTest, MasqueradeOutboundUnlessInternal) {
  Fd outside;
  {
    auto in = InNetns::enter(upstream_);
    ASSERT_TRUE(in);
    auto l = listen_tcp(9000);
    ASSERT_TRUE(l) << l.error().message();
    outside = std::move(*l);
  }
  // upstream has no route back to 172.30.0.0/24: without masquerade, no answer.
  EXPECT_EQ(reach(ctr1_, "10.99.0.2", 9000, outside, kBlocked), "");
  ASSERT_OK(apply_ruleset(ruleset()));
  EXPECT_EQ(reach(ctr1_, "10.99.0.2", 9000, outside), "10.99.0.1");

  ASSERT_OK(apply_ruleset(ruleset(/*internal=*/true)));
  ASSERT_TRUE(ip_in(upstream_, "route add 172.30.0.0/24 via 10.99.0.1"));
  EXPECT_EQ(reach(ctr1_, "10.99.0.2", 9000, outside, kBlocked), "") << "internal: no way out";
  EXPECT_EQ(reach(ctr2_, "172.30.0.2", 80, web_), "172.30.0.3") << "but the bridge works";
}

// Each network's DNS server answers on its gateway address, one of the host's own: a
// container publishing port 53 must not receive the other containers' lookups.
TEST_F(NftablesTrafficTest, PublishedPort53LeavesTheGatewayAlone) {
  Fd dns;
  {
    auto in = InNetns::enter(ctr1_);
    ASSERT_TRUE(in);
    auto l = listen_tcp(53);
    ASSERT_TRUE(l) << l.error().message();
    dns = std::move(*l);
  }
  NatRuleset r = ruleset();
  r.ports.push_back({"", 53, "172.30.0.2", 53, "tcp"});
  ASSERT_OK(apply_ruleset(r));
  EXPECT_EQ(reach(upstream_, "10.99.0.1", 53, dns), "10.99.0.2") << "published all the same";
  EXPECT_EQ(reach(ctr2_, "172.30.0.1", 53, dns, kBlocked), "") << "a lookup was captured";
}

// route_localnet on the bridge would let a container reach services listening on the
// host's 127.0.0.1 (CVE-2020-8558). The container here routes 127.0.0.2 to its gateway,
// as a hostile one could.
TEST_F(NftablesTrafficTest, LoopbackGuard) {
  auto host_service = listen_tcp(7000);  // in "host", on 127.0.0.2 among others
  ASSERT_TRUE(host_service);
  {
    auto in = InNetns::enter(ctr1_);
    ASSERT_TRUE(in);
    ASSERT_OK(enable_route_localnet("vc1"));
  }
  ASSERT_TRUE(ip_in(ctr1_, "route del 127.0.0.0/8 table local"));
  ASSERT_TRUE(ip_in(ctr1_, "route add 127.0.0.2/32 via 172.30.0.1"));
  EXPECT_EQ(reach(ctr1_, "127.0.0.2", 7000, *host_service), "172.30.0.2")
      << "the hole the guard closes (else this test proves nothing)";
  ASSERT_OK(apply_ruleset(ruleset()));
  EXPECT_EQ(reach(ctr1_, "127.0.0.2", 7000, *host_service, kBlocked), "");
  // The guard does not break what route_localnet is for.
  EXPECT_EQ(reach("", "127.0.0.1", 8080, web_), "172.30.0.1");
}

// ---- Cost ----
//
// A measurement for humans, not a check (a loaded machine would make any bound flaky):
//   unit_netns --gtest_also_run_disabled_tests --gtest_filter='*ApplyCost*'
TEST_F(NftablesKernelTest, DISABLED_ApplyCost) {
  NatRuleset r{.table = "berth_cost",
               .networks = {{"br-c1", "172.40.0.0/16", "", false},
                            {"br-c2", "172.41.0.0/16", "", false}}};
  for (uint16_t i = 0; i < 10; i++)
    r.ports.push_back({"", static_cast<uint16_t>(8000 + i), "172.40.0.2",
                       static_cast<uint16_t>(80 + i), i % 2 ? "udp" : "tcp"});
  auto median_us = [](auto&& fn, int runs) {
    std::vector<double> us;
    for (int i = 0; i < runs; i++) {
      auto t0 = std::chrono::steady_clock::now();
      fn();
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                       .count());
    }
    std::sort(us.begin(), us.end());
    return std::make_pair(us[us.size() / 2], us[us.size() * 9 / 10]);
  };
  auto print = [](const char* what, std::pair<double, double> t) {
    std::printf("%-44s median %6.0f us, p90 %6.0f us\n", what, t.first, t.second);
  };
  print("nft_ctx_new + nft_ctx_free, nothing run", median_us([] {
          nft_ctx_free(nft_ctx_new(NFT_CTX_DEFAULT));
        }, 200));
  print("render_ruleset", median_us([&] { (void)render_ruleset(r); }, 200));
  print("apply_ruleset (2 networks, 10 ports)", median_us([&] {
          ASSERT_TRUE(apply_ruleset(r));
        }, 200));
  print("delete_table", median_us([&] { ASSERT_TRUE(delete_table("berth_cost")); }, 200));

  // The same transaction, timed apart from the closing of libnftables' socket: closing a
  // netfilter socket after a commit that removed anything waits for nf_tables' deferred
  // destruction of the old objects, i.e. for an RCU grace period.
  const std::string script = render_ruleset(r);
  std::vector<double> run_us, free_us;
  for (int i = 0; i < 200; i++) {
    nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(nft_run_cmd_from_buffer(ctx, script.c_str()), 0);
    auto t1 = std::chrono::steady_clock::now();
    nft_ctx_free(ctx);
    auto t2 = std::chrono::steady_clock::now();
    run_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    free_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  std::sort(run_us.begin(), run_us.end());
  std::sort(free_us.begin(), free_us.end());
  print("  of which nft_run_cmd (parse, cache, commit)", {run_us[100], run_us[180]});
  print("  of which nft_ctx_free (socket close)", {free_us[100], free_us[180]});
}

}  // namespace
}  // namespace berth::netns
