// Bridge networks: create/ls/inspect/rm, containers reaching each other over a bridge,
// fixed addresses, and nothing left behind (links, namespace files, mounts).
#include "harness.h"

namespace berth_it {
namespace {

class NetworkTest : public BusyboxTest {
 protected:
  static bool link_exists(const std::string& name) { return fs::exists("/sys/class/net/" + name); }

  // Every host link whose name starts with "vb" + the first 11 hex digits of an id of ours.
  std::vector<std::string> our_veths() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/sys/class/net", ec)) {
      std::string n = e.path().filename().string();
      for (const auto& id : container_dirs())
        if (n == "vb" + id.substr(0, 11)) out.push_back(n);
    }
    return out;
  }

  std::string bridge_of(const std::string& net) {
    Result r = berth({"network", "inspect", net});
    EXPECT_EQ(r.code, 0) << describe(r);
    auto j = nlohmann::json::parse(r.out);
    return j[0].value("Bridge", "");
  }
};

TEST_F(NetworkTest, CreateListInspectRemove) {
  Result c = berth({"network", "create", "--subnet", "10.231.1.0/24", "n1"});
  ASSERT_EQ(c.code, 0) << describe(c);
  EXPECT_EQ(lines_of(c.out)[0].size(), 64u);
  std::string br = bridge_of("n1");
  EXPECT_TRUE(link_exists(br)) << br;
  Result ls = berth({"network", "ls"});
  EXPECT_NE(ls.out.find("n1"), std::string::npos) << describe(ls);
  EXPECT_NE(ls.out.find("10.231.1.0/24"), std::string::npos) << describe(ls);
  Result dup = berth({"network", "create", "n1"});
  EXPECT_NE(dup.code, 0);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << describe(dup);
  Result overlap = berth({"network", "create", "--subnet", "10.231.1.128/25", "n2"});
  EXPECT_NE(overlap.code, 0);
  EXPECT_NE(overlap.err.find("overlaps"), std::string::npos) << describe(overlap);
  // docker's ls filters and formats, inspect's template.
  ASSERT_EQ(berth({"network", "create", "--internal", "--label", "tier=back", "--subnet", "10.231.3.0/24", "n3"}).code, 0);
  auto names = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"network", "ls", "--format", "{{.Name}} {{.Internal}}"});
    Result r = berth(args);
    EXPECT_EQ(r.code, 0) << describe(r);
    return lines_of(r.out);
  };
  EXPECT_EQ(names({"--filter", "label=tier=back"}), std::vector<std::string>{"n3 true"});
  EXPECT_EQ(names({"--filter", "name=n", "--filter", "type=custom"}), (std::vector<std::string>{"n1 false", "n3 true"}));
  EXPECT_EQ(names({"--filter", "type=builtin"}), std::vector<std::string>{"berth false"});
  EXPECT_EQ(names({"--filter", "dangling=true", "--filter", "name=n3"}), std::vector<std::string>{"n3 true"});
  Result tabled = berth({"network", "ls", "--format", "table {{.Name}}", "--filter", "name=n1"});
  EXPECT_EQ(lines_of(tabled.out), (std::vector<std::string>{"NAME", "n1"})) << describe(tabled);
  Result json = berth({"network", "ls", "--format", "json", "--filter", "name=n1"});
  EXPECT_EQ(nlohmann::json::parse(json.out).value("Name", ""), "n1") << describe(json);
  Result bad = berth({"network", "ls", "--filter", "colour=red"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("invalid filter 'colour'"), std::string::npos) << describe(bad);
  Result tpl = berth({"network", "inspect", "-f", "{{.Name}} {{.Internal}}", "n3", "n1"});
  EXPECT_EQ(lines_of(tpl.out), (std::vector<std::string>{"n3 true", "n1 false"})) << describe(tpl);
  EXPECT_EQ(berth({"network", "remove", "n3"}).code, 0);
  Result rm = berth({"network", "rm", "n1"});
  EXPECT_EQ(rm.code, 0) << describe(rm);
  EXPECT_FALSE(link_exists(br));
  Result gone = berth({"network", "inspect", "n1"});
  EXPECT_NE(gone.code, 0);
}

TEST_F(NetworkTest, ContainersReachEachOtherOverTheBridge) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.2.0/24", "app"}).code, 0);
  std::string br = bridge_of("app");
  Result srv = berth({"run", "-d", "--name", "srv", "--network", "app", "--ip", "10.231.2.50", "busybox", "sh", "-c",
                      "while :; do echo hello-from-srv | nc -l -p 7000; done"});
  ASSERT_EQ(srv.code, 0) << describe(srv);
  EXPECT_EQ(our_veths().size(), 1u);
  Result client = berth({"run", "--rm", "--network", "app", "busybox", "sh", "-c",
                         "tail -1 /etc/hosts; ip route 2>/dev/null; for i in 1 2 3 4 5; do "
                         "nc 10.231.2.50 7000 && exit 0; sleep 0.2; done; exit 1"});
  EXPECT_EQ(client.code, 0) << describe(client);
  EXPECT_NE(client.out.find("hello-from-srv"), std::string::npos) << describe(client);
  EXPECT_NE(client.out.find("10.231.2."), std::string::npos) << "its own address in /etc/hosts: " << client.out;
  // The host reaches it through the bridge's gateway address.
  Result removing = berth({"network", "rm", "app"});
  EXPECT_NE(removing.code, 0) << "a network with containers is not removed";
  EXPECT_NE(removing.err.find("active endpoints"), std::string::npos) << describe(removing);
  // Stop and start: the same address, wired again.
  EXPECT_EQ(berth({"stop", "-t", "1", "srv"}).code, 0);
  // The kernel removes the veth with the namespace, in the background.
  for (int i = 0; i < 100 && !our_veths().empty(); i++) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(our_veths().empty()) << "a stopped container has no veth";
  EXPECT_EQ(berth({"start", "srv"}).code, 0);
  Result again = berth({"run", "--rm", "--network", "app", "busybox", "sh", "-c",
                        "for i in 1 2 3 4 5 6 7 8 9 10; do nc 10.231.2.50 7000 && exit 0; sleep 0.2; done; exit 1"});
  EXPECT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(berth({"rm", "-f", "srv"}).code, 0);
  for (int i = 0; i < 100 && !our_veths().empty(); i++) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(our_veths().empty());
  EXPECT_TRUE(fs::is_empty(root_ + "/run/netns")) << "namespace files left";
  EXPECT_EQ(berth({"network", "rm", "app"}).code, 0);
  EXPECT_FALSE(link_exists(br));
}

TEST_F(NetworkTest, BadNetworkOrAddressLeavesNothing) {
  Result unknown = berth({"run", "--rm", "--network", "nope", "busybox", "true"});
  EXPECT_EQ(unknown.code, 125) << describe(unknown);
  EXPECT_NE(unknown.err.find("not found"), std::string::npos) << describe(unknown);
  Result empty = berth({"run", "--rm", "--network", "", "busybox", "true"});
  EXPECT_EQ(empty.code, 125) << describe(empty);
  EXPECT_NE(empty.err.find("--network needs a value"), std::string::npos) << describe(empty);
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.3.0/29", "tiny"}).code, 0);
  Result outside = berth({"run", "--rm", "--network", "tiny", "--ip", "10.231.4.9", "busybox", "true"});
  EXPECT_EQ(outside.code, 125) << describe(outside);
  Result no_net = berth({"run", "--rm", "--ip", "10.231.3.2", "busybox", "true"});
  EXPECT_EQ(no_net.code, 125) << describe(no_net);
  Result bad_host = berth({"run", "--rm", "--network", "tiny", "--add-host", "x:nope", "busybox", "true"});
  EXPECT_EQ(bad_host.code, 125) << describe(bad_host);
  EXPECT_NE(bad_host.err.find("--add-host"), std::string::npos) << describe(bad_host);
  Result files = berth({"run", "--rm", "--network", "tiny", "--add-host", "gw:host-gateway", "--dns", "10.231.3.1",
                        "--dns-search", "corp.example", "busybox", "cat", "/etc/hosts", "/etc/resolv.conf"});
  EXPECT_EQ(files.code, 0) << describe(files);
  EXPECT_NE(files.out.find("10.231.3.1\tgw\n"), std::string::npos) << files.out;
  EXPECT_NE(files.out.find("nameserver 10.231.3.1\n"), std::string::npos) << files.out;
  EXPECT_NE(files.out.find("search corp.example\n"), std::string::npos) << files.out;
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_EQ(berth({"network", "rm", "tiny"}).code, 0);
}

// The network is wired on helper threads (the kernel's side, and the records) while the
// runtime prepares the rest, and is whole before the clone: the container's first command
// sees its address. A failure of the runtime's own preparation meanwhile leaves nothing.
TEST_F(NetworkTest, WiredBesideTheRuntimesPreparationAndWholeBeforeTheClone) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.5.0/24", "side"}).code, 0);
  Result t = berth({"--trace", "run", "--rm", "--network", "side", "--ip", "10.231.5.9", "busybox", "cat",
                    "/sys/class/net/eth0/operstate", "/proc/net/fib_trie"});
  ASSERT_EQ(t.code, 0) << describe(t);
  EXPECT_EQ(t.out.rfind("up\n", 0), 0u) << describe(t);
  EXPECT_NE(t.out.find("-- 10.231.5.9\n"), std::string::npos) << "its address, a local route: " << describe(t);
  size_t veth = std::string::npos, records = std::string::npos, clone = std::string::npos;
  auto lines = lines_of(t.err);
  for (size_t i = 0; i < lines.size(); i++) {
    if (lines[i].find("[network]") != std::string::npos && lines[i].find("RTM_NEWLINK veth") != std::string::npos) veth = i;
    if (lines[i].find("[endpoints]") != std::string::npos && records == std::string::npos) records = i;
    if (lines[i].find("clone3(") != std::string::npos && clone == std::string::npos) clone = i;
  }
  ASSERT_NE(clone, std::string::npos) << t.err;
  EXPECT_LT(veth, clone) << "the veth, made by the [network] helper before the clone:\n" << t.err;
  EXPECT_LT(records, clone) << "the records, by the [endpoints] helper before the clone:\n" << t.err;

  // The cgroup cannot be made (no such CPU) while the helpers wire the network.
  Result bad = berth({"run", "--rm", "--network", "side", "--cpuset-cpus", "4095", "busybox", "true"});
  EXPECT_EQ(bad.code, 125) << describe(bad);
  EXPECT_NE(bad.err.find("cpuset"), std::string::npos) << describe(bad);
  // The same failure in a detached start (the shim's own wiring).
  Result bad_detached = berth({"run", "-d", "--network", "side", "--cpuset-cpus", "4095", "busybox", "true"});
  EXPECT_NE(bad_detached.code, 0) << describe(bad_detached);
  EXPECT_NE(bad_detached.err.find("cpuset"), std::string::npos) << describe(bad_detached);
  for (int i = 0; i < 100 && !our_veths().empty(); i++) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(our_veths().empty());
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_TRUE(fs::is_empty(root_ + "/run/netns")) << "namespace files left";
  Result net = berth({"network", "inspect", "side"});
  EXPECT_EQ(nlohmann::json::parse(net.out)[0]["Containers"].size(), 0u) << net.out;
  EXPECT_EQ(berth({"network", "rm", "side"}).code, 0);
}

}  // namespace
}  // namespace berth_it
