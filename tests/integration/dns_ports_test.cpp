// The embedded DNS, published ports and NAT, with real namespaces: names and aliases,
// forwarding to an upstream resolver in a namespace the test made, masquerade, DNAT from
// the host and from a "remote" client namespace, isolation, internal networks, the
// container: network mode, and cleanup after kill -9.
#include <functional>
#include <map>
#include <sstream>

#include "engine/engine.h"
#include "engine/network_sync.h"
#include "runtime/namespaces.h"
#include "harness.h"
#include "netns_fixture.h"

namespace berth_it {
namespace {

class BridgeTest : public BusyboxTest {
 protected:
  // One request/answer over TCP or UDP to 127.0.0.1:port, retried until `deadline`.
  static std::string ask(int type, uint16_t port, const std::string& msg, std::chrono::milliseconds deadline = 5s) {
    return ask_through([&] { return connect_loopback(type, port, 300ms); }, msg, deadline);
  }

  // The same over TCP to [address]:port.
  static std::string ask6(const char* address, uint16_t port) {
    return ask_through(
        [&] {
          int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
          struct sockaddr_in6 a {};
          a.sin6_family = AF_INET6;
          a.sin6_port = htons(port);
          inet_pton(AF_INET6, address, &a.sin6_addr);
          if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return s;
          close(s);
          return -1;
        },
        "", 5s);
  }

  // Connects with `connect` (a socket, or -1), sends msg, returns the first answer.
  static std::string ask_through(const std::function<int()>& connect, const std::string& msg,
                                 std::chrono::milliseconds deadline) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      std::string got;
      if (int s = connect(); s >= 0) {
        if (!msg.empty()) (void)!write(s, msg.data(), msg.size());
        char buf[512];
        ssize_t n = read(s, buf, sizeof buf);
        if (n > 0) got.assign(buf, static_cast<size_t>(n));
        close(s);
      }
      if (!got.empty()) return got;
      std::this_thread::sleep_for(100ms);
    }
    return "";
  }

  std::string table() const { return berth::engine::nat_table_name(root_, false); }
  bool table_exists() { return run_command({"/usr/sbin/nft", "list", "table", "inet", table()}).code == 0; }
  std::string rules() { return run_command({"/usr/sbin/nft", "list", "table", "inet", table()}).out; }

  std::string bridge_of(const std::string& net) {
    Result r = berth({"network", "inspect", net});
    EXPECT_EQ(r.code, 0) << describe(r);
    return nlohmann::json::parse(r.out)[0].value("Bridge", "");
  }
  static bool link_exists(const std::string& name) { return fs::exists("/sys/class/net/" + name); }

  // A busybox loop that answers every TCP connection on `port` with `text`.
  static std::string serve(const std::string& text, int port) {
    return "while :; do echo " + text + " | nc -l -p " + std::to_string(port) + "; done";
  }
};

TEST_F(BridgeTest, NamesAliasesAndReverseLookupsWithNoStaleAnswer) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.10.0/24", "app"}).code, 0);
  Result web = berth({"run", "-d", "--name", "web", "--hostname", "webhost", "--network", "app", "--network-alias",
                      "www", "busybox", "sh", "-c", serve("hello-web", 7000)});
  ASSERT_EQ(web.code, 0) << describe(web);
  // Each lookup's output on its own, after an "== NAME" line.
  auto lookups = [&](const std::string& names) {
    Result r = berth({"run", "--rm", "--network", "app", "busybox", "sh", "-c",
                      "for n in " + names + "; do echo \"== $n\"; nslookup $n; done"});
    std::map<std::string, std::string> out;
    std::string* at = nullptr;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("== ", 0) == 0) at = &out[line.substr(3)];
      else if (at) *at += line + "\n";
    }
    return out;
  };
  Result client = berth({"run", "--rm", "--network", "app", "busybox", "sh", "-c",
                         "cat /etc/resolv.conf; nslookup 10.231.10.2; nc web 7000"});
  EXPECT_EQ(client.code, 0) << describe(client);
  EXPECT_NE(client.out.find("nameserver 10.231.10.1"), std::string::npos) << client.out;
  EXPECT_NE(client.out.find("name = web"), std::string::npos) << "PTR: " << client.out;
  EXPECT_NE(client.out.find("hello-web"), std::string::npos) << client.out;
  std::string web_id = trim_copy(berth({"inspect", "--format", "{{.Id}}", "web"}).out);
  auto shown = nlohmann::json::parse(berth({"network", "inspect", "app"}).out)[0]["Containers"][web_id];
  EXPECT_EQ(shown.value("Name", ""), "web") << shown.dump();
  auto names = lookups("web www webhost");
  for (const char* n : {"web", "www", "webhost"})
    EXPECT_NE(names[n].find("Address: 10.231.10.2"), std::string::npos) << n << ":\n" << names[n];
  // Renamed while it runs: the new name answers at once, the old one no more.
  ASSERT_EQ(berth({"rename", "web", "site"}).code, 0);
  names = lookups("site web");
  EXPECT_NE(names["site"].find("Address: 10.231.10.2"), std::string::npos) << names["site"];
  EXPECT_NE(names["web"].find("NXDOMAIN"), std::string::npos) << names["web"];
  // An alias equal to the old name is an alias still, as in docker.
  ASSERT_EQ(berth({"run", "-d", "--name", "db", "--network", "app", "--network-alias", "db", "busybox", "sleep", "100"})
                .code,
            0);
  ASSERT_EQ(berth({"rename", "db", "store"}).code, 0);
  names = lookups("store db");
  EXPECT_NE(names["store"].find("Address: 10.231.10."), std::string::npos) << names["store"];
  EXPECT_NE(names["db"].find("Address: 10.231.10."), std::string::npos) << names["db"];
  EXPECT_EQ(berth({"rm", "-f", "site", "store"}).code, 0);
  Result after = berth({"run", "--rm", "--network", "app", "busybox", "sh", "-c", "nslookup site"});
  EXPECT_NE(after.code, 0) << "no answer for a removed container: " << describe(after);
  EXPECT_NE(after.out.find("NXDOMAIN"), std::string::npos) << describe(after);
  EXPECT_EQ(after.out.find("10.231.10.2"), std::string::npos) << after.out;
  std::string br = bridge_of("app");
  EXPECT_TRUE(link_exists(br)) << "the bridge stays with the network";
  EXPECT_FALSE(processes_mentioning(root_ + "/run/dns").empty()) << "and so does its DNS server";
  EXPECT_EQ(berth({"network", "rm", "app"}).code, 0);
  EXPECT_FALSE(link_exists(br));
  EXPECT_TRUE(processes_mentioning(root_ + "/run/dns").empty()) << "the DNS server goes with the network";
}

TEST_F(BridgeTest, DefaultNetworkHasDnsToo) {
  Result a = berth({"run", "-d", "--name", "alpha", "busybox", "sh", "-c", serve("on-default", 7000)});
  ASSERT_EQ(a.code, 0) << describe(a);
  Result b = berth({"run", "--rm", "busybox", "sh", "-c", "ip -4 addr show eth0; nc alpha 7000"});
  EXPECT_EQ(b.code, 0) << describe(b);
  EXPECT_NE(b.out.find("on-default"), std::string::npos) << b.out;
  Result inspect = berth({"inspect", "--format", "{{.HostConfig.NetworkMode}}", "alpha"});
  EXPECT_EQ(trim_copy(inspect.out), "berth") << describe(inspect);
  EXPECT_EQ(berth({"rm", "-f", "alpha"}).code, 0);
}

TEST_F(BridgeTest, UpstreamsThroughMasqueradeAndInternalNetworks) {
  TestNetns up("up", "10.231.99.1/24", "10.231.99.2/24");
  ASSERT_TRUE(up.ok()) << up.error();
  // The "internet": a resolver (berth-dns itself, knowing one name) and a TCP service
  // that tells each client which address it came from.
  std::string dns_dir = root_ + "/upstream-dns";
  fs::create_directories(dns_dir);
  std::ofstream(dns_dir + "/records") << "forward no\nhost 10.231.99.2 upstream.example.test\n";
  Process resolver = up.spawn({std::string(BERTH_BUILD_DIR) + "/berth-dns", dns_dir, "10.231.99.2"});
  Process service = up.spawn({kProbe, "tcp-peer", "9000"});
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.12.0/24", "app"}).code, 0);
  Result out = berth({"run", "--rm", "--network", "app", "--dns", "10.231.99.2", "busybox", "sh", "-c",
                      "for i in 1 2 3 4 5; do nslookup upstream.example.test && break; sleep 0.2; done;"
                      "for i in 1 2 3 4 5; do nc 10.231.99.2 9000 && exit 0; sleep 0.2; done; exit 1"});
  EXPECT_EQ(out.code, 0) << describe(out);
  EXPECT_NE(out.out.find("Address: 10.231.99.2"), std::string::npos) << "forwarded to --dns: " << out.out;
  EXPECT_NE(out.out.find("peer 10.231.99.1"), std::string::npos) << "masqueraded: " << out.out;
  // An internal network has no way out.
  ASSERT_EQ(berth({"network", "create", "--internal", "--subnet", "10.231.13.0/24", "closed"}).code, 0);
  Result shut = berth({"run", "--rm", "--network", "closed", "busybox", "sh", "-c",
                       "ip route; nc -w 1 10.231.99.2 9000"});
  EXPECT_NE(shut.code, 0) << describe(shut);
  EXPECT_EQ(shut.out.find("peer"), std::string::npos) << shut.out;
  EXPECT_EQ(shut.out.find("default"), std::string::npos) << "no default route: " << shut.out;
  resolver.signal(SIGKILL);
  service.signal(SIGKILL);
  EXPECT_TRUE(table_exists());
  EXPECT_EQ(berth({"network", "rm", "app", "closed"}).code, 0);
  EXPECT_FALSE(table_exists()) << "no bridges, no rules";
}

TEST_F(BridgeTest, PublishedPortsFromTheHostAndARemoteClient) {
  TestNetns remote("cl", "10.231.98.1/24", "10.231.98.2/24");
  ASSERT_TRUE(remote.ok()) << remote.error();
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.14.0/24", "app"}).code, 0);
  Result srv = berth({"run", "-d", "--name", "srv", "--network", "app", "-v", kProbe + ":/probe:ro", "-p",
                      "18731:7000", "-p", "18732:7001/udp", "-p", "18733-18734:7002-7003", "busybox", "sh", "-c",
                      "/probe tcp-peer 7000 & /probe udp-echo 7001 & /probe tcp-peer 7002 & /probe tcp-peer 7003 & wait"});
  ASSERT_EQ(srv.code, 0) << describe(srv);
  // From the host itself, on 127.0.0.1.
  EXPECT_EQ(ask(SOCK_STREAM, 18731, "").rfind("peer ", 0), 0u);
  std::string echo = ask(SOCK_DGRAM, 18732, "ping");
  EXPECT_TRUE(echo.starts_with("echo ") && echo.ends_with(" ping")) << "UDP: " << echo;
  EXPECT_EQ(ask(SOCK_STREAM, 18733, "").rfind("peer ", 0), 0u);
  EXPECT_EQ(ask(SOCK_STREAM, 18734, "").rfind("peer ", 0), 0u);
  // From a remote client: DNAT keeps its source address, as docker's does.
  Result far = remote.exec({kBusybox, "nc", "-w", "2", "10.231.98.1", "18731"});
  EXPECT_NE(far.out.find("peer 10.231.98.2"), std::string::npos) << describe(far);
  Result far_udp = remote.exec({kProbe, "udp-ask", "10.231.98.1", "18732", "ping"});
  EXPECT_NE(far_udp.out.find(" ping"), std::string::npos) << "UDP from the remote client: " << describe(far_udp);
  // What port, ps and inspect say.
  Result port = berth({"port", "srv"});
  EXPECT_NE(port.out.find("7000/tcp -> 0.0.0.0:18731"), std::string::npos) << describe(port);
  EXPECT_EQ(trim_copy(berth({"port", "srv", "7001/udp"}).out), "0.0.0.0:18732");
  EXPECT_NE(berth({"ps"}).out.find("0.0.0.0:18731->7000/tcp"), std::string::npos);
  auto j = nlohmann::json::parse(berth({"inspect", "srv"}).out);
  EXPECT_EQ(j[0]["NetworkSettings"]["Ports"]["7000/tcp"][0]["HostPort"], "18731") << j[0]["NetworkSettings"].dump();
  // A port in use is refused before anything is made.
  Result clash = berth({"run", "-d", "--network", "app", "-p", "18731:80", "busybox", "sleep", "9"});
  EXPECT_EQ(clash.code, 125) << describe(clash);
  EXPECT_NE(clash.err.find("port is already allocated"), std::string::npos) << describe(clash);
  EXPECT_EQ(container_dirs().size(), 1u);
  // Bound to one host address: reachable there only.
  Result local = berth({"run", "-d", "--name", "local", "--network", "app", "-v", kProbe + ":/probe:ro", "-p",
                        "127.0.0.1:18735:7000", "-p", "7000", "busybox", "/probe", "tcp-peer", "7000"});
  ASSERT_EQ(local.code, 0) << describe(local);
  EXPECT_EQ(ask(SOCK_STREAM, 18735, "").rfind("peer ", 0), 0u);
  Result blocked = remote.exec({kBusybox, "nc", "-w", "1", "10.231.98.1", "18735"});
  EXPECT_EQ(blocked.out.find("peer"), std::string::npos) << describe(blocked);
  EXPECT_EQ(blocked.code, 1) << "nc ran and failed: " << describe(blocked);
  // And the ephemeral one.
  std::string eph = trim_copy(berth({"port", "local", "7000"}).out);
  std::string eph_port = eph.substr(eph.rfind(':') + 1);
  EXPECT_NE(eph_port, "18735") << eph;
  EXPECT_EQ(ask(SOCK_STREAM, static_cast<uint16_t>(std::stoi(eph_port)), "").rfind("peer ", 0), 0u) << eph;
  // -P: the image's EXPOSE and --expose, each on an ephemeral host port.
  Result all = berth({"run", "-d", "--name", "all", "--network", "app", "-v", kProbe + ":/probe:ro", "--expose", "7004",
                      "-P", "busybox", "/probe", "tcp-peer", "7004"});
  ASSERT_EQ(all.code, 0) << describe(all);
  std::string any = trim_copy(berth({"port", "all", "7004"}).out);
  ASSERT_EQ(any.rfind("0.0.0.0:", 0), 0u) << any;
  EXPECT_EQ(ask(SOCK_STREAM, static_cast<uint16_t>(std::stoi(any.substr(8))), "").rfind("peer ", 0), 0u) << any;
  EXPECT_NE(rules().find("18731"), std::string::npos);
  EXPECT_EQ(berth({"rm", "-f", "srv", "local", "all"}).code, 0);
  EXPECT_EQ(rules().find("18731"), std::string::npos) << "rules go with the containers: " << rules();
  EXPECT_EQ(ask(SOCK_STREAM, 18731, "", 300ms), "");
  EXPECT_EQ(berth({"network", "rm", "app"}).code, 0);
  EXPECT_FALSE(table_exists());
}

// On a network made with --ipv6, -p publishes on the host's IPv6 addresses too (DNAT in
// the table's published6 chain), and [ADDR]: binds one of them; an IPv6 host address on
// an IPv4-only network is refused at run.
TEST_F(BridgeTest, PublishedPortsOverIPv6) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.15.0/24", "--ipv6", "--subnet-v6", "fd00:231:15::/64", "app6"}).code, 0);
  Result srv = berth({"run", "-d", "--name", "srv6", "--network", "app6", "-v", kProbe + ":/probe:ro", "-p", "18741:7000",
                      "-p", "[fd00:231:15::1]:18742:7000", "busybox", "/probe", "tcp6-peer", "7000"});
  ASSERT_EQ(srv.code, 0) << describe(srv);
  EXPECT_NE(rules().find("dnat ip6 to [fd00:231:15::2]:7000"), std::string::npos) << rules();
  // From the host to its own address on the bridge (the output hook's DNAT).
  EXPECT_EQ(ask6("fd00:231:15::1", 18741).rfind("peer fd00:231:15:", 0), 0u) << rules();
  EXPECT_EQ(ask6("fd00:231:15::1", 18742).rfind("peer fd00:231:15:", 0), 0u) << rules();
  Result v4only = berth({"network", "create", "--subnet", "10.231.16.0/24", "app4"});
  ASSERT_EQ(v4only.code, 0) << describe(v4only);
  Result refused = berth({"run", "-d", "--network", "app4", "-p", "[::1]:18743:80", "busybox", "sleep", "9"});
  EXPECT_EQ(refused.code, 125) << describe(refused);
  EXPECT_NE(refused.err.find("needs an IPv6 network"), std::string::npos) << describe(refused);
  EXPECT_EQ(berth({"rm", "-f", "srv6"}).code, 0);
  EXPECT_EQ(rules().find("dnat ip6 to"), std::string::npos) << rules();
  EXPECT_EQ(berth({"network", "rm", "app6", "app4"}).code, 0);
  EXPECT_FALSE(table_exists());
}

TEST_F(BridgeTest, UserlandProxyServesPortsFromTheShimAcrossRestartsAndInTheForeground) {
  Result srv = berth({"run", "-d", "--name", "px", "--userland-proxy", "--restart", "always", "-v",
                      kProbe + ":/probe:ro", "-p", "127.0.0.1:18781:7000", "-p", "127.0.0.1:18782:7001/udp", "busybox",
                      "sh", "-c", "/probe tcp-peer 7000 & /probe udp-echo 7001 & sleep 1000"});
  ASSERT_EQ(srv.code, 0) << describe(srv);
  // The proxy connects from the host: the container sees the gateway, not 127.0.0.1.
  std::string tcp = ask(SOCK_STREAM, 18781, "");
  EXPECT_EQ(tcp.rfind("peer 172.", 0), 0u) << tcp;
  std::string udp = ask(SOCK_DGRAM, 18782, "ping");
  EXPECT_NE(udp.find("ping"), std::string::npos) << udp;
  EXPECT_EQ(rules().find("18781"), std::string::npos) << "no DNAT rule: " << rules();
  // The shim keeps its listeners while the restart policy starts the container again.
  std::string pid = trim_copy(berth({"inspect", "--format", "{{.State.Pid}}", "px"}).out);
  ASSERT_FALSE(pid.empty());
  kill(std::stoi(pid), SIGKILL);
  std::string again;
  for (int i = 0; i < 50 && again.empty(); i++) again = ask(SOCK_STREAM, 18781, "", 200ms);
  EXPECT_EQ(again.rfind("peer ", 0), 0u) << "after the restart: " << again;
  // stop frees the port.
  EXPECT_EQ(berth({"stop", "-t", "1", "px"}).code, 0);
  EXPECT_EQ(ask(SOCK_STREAM, 18781, "", 300ms), "");
  EXPECT_EQ(berth({"rm", "-f", "px"}).code, 0);
  // In the foreground berth serves them itself while the container runs, and they close
  // with it.
  Process fg = berth_bg({"run", "--rm", "--userland-proxy", "-v", kProbe + ":/probe:ro", "-p", "127.0.0.1:18783:7000",
                         "-p", "127.0.0.1:18784:7001/udp", "busybox", "sh", "-c",
                         "/probe tcp-peer 7000 & /probe udp-echo 7001 & sleep 3"});
  std::string fg_tcp = ask(SOCK_STREAM, 18783, "");
  EXPECT_EQ(fg_tcp.rfind("peer 172.", 0), 0u) << fg_tcp;
  EXPECT_NE(ask(SOCK_DGRAM, 18784, "pong").find("pong"), std::string::npos);
  EXPECT_EQ(rules().find("18783"), std::string::npos) << "no DNAT rule: " << rules();
  Result done = fg.wait();
  EXPECT_EQ(done.code, 0) << describe(done);
  EXPECT_EQ(ask(SOCK_STREAM, 18783, "", 300ms), "");
  EXPECT_TRUE(container_dirs().empty());
  // A port in use is refused before the container starts.
  int port = 0;
  int held = bind_loopback(&port, 4);
  ASSERT_GE(held, 0);
  Result taken = berth({"run", "--rm", "--userland-proxy", "-p", "127.0.0.1:" + std::to_string(port) + ":80", "busybox",
                        "echo", "ran"});
  close(held);
  EXPECT_EQ(taken.code, 125) << describe(taken);
  EXPECT_EQ(taken.out.find("ran"), std::string::npos) << describe(taken);
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(BridgeTest, NetworksAreIsolatedAndContainerModeSharesOne) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.15.0/24", "a"}).code, 0);
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.16.0/24", "b"}).code, 0);
  ASSERT_EQ(berth({"run", "-d", "--name", "sa", "--network", "a", "--ip", "10.231.15.9", "busybox", "sh", "-c",
                   serve("from-a", 7000)})
                .code,
            0);
  Result same = berth({"run", "--rm", "--network", "a", "busybox", "sh", "-c",
                       "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 2 10.231.15.9 7000 && exit 0; sleep 0.2; done"});
  EXPECT_NE(same.out.find("from-a"), std::string::npos) << describe(same);
  Result other = berth({"run", "--rm", "--network", "b", "busybox", "sh", "-c", "nc -w 1 10.231.15.9 7000; echo rc=$?"});
  EXPECT_EQ(other.out.find("from-a"), std::string::npos) << "isolation: " << describe(other);
  EXPECT_NE(other.out.find("rc=1"), std::string::npos) << "nc ran and failed: " << describe(other);
  Result nsname = berth({"run", "--rm", "--network", "b", "busybox", "sh", "-c", "nslookup sa"});
  EXPECT_NE(nsname.code, 0) << "names of other networks are not answered: " << describe(nsname);
  EXPECT_NE(nsname.out.find("NXDOMAIN"), std::string::npos) << describe(nsname);
  // Not even when asked at a's DNS server directly (its address is the host's, which b's
  // containers reach): it refuses clients outside a's subnet.
  Result asked = berth({"run", "--rm", "--network", "b", "busybox", "sh", "-c", "nslookup sa 10.231.15.1"});
  EXPECT_EQ(asked.out.find("10.231.15.9"), std::string::npos) << describe(asked);
  EXPECT_NE(asked.out.find("REFUSED"), std::string::npos) << describe(asked);
  // container:NAME joins sa's network namespace: its localhost is sa's.
  Result joined = berth({"run", "--rm", "--network", "container:sa", "busybox", "sh", "-c",
                         "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 2 127.0.0.1 7000 && exit 0; sleep 0.2; done"});
  EXPECT_NE(joined.out.find("from-a"), std::string::npos) << describe(joined);
  EXPECT_EQ(berth({"rm", "-f", "sa"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "a", "b"}).code, 0);
}

TEST_F(BridgeTest, SeveralNetworksConnectAndDisconnect) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.20.0/24", "front"}).code, 0);
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.21.0/24", "back"}).code, 0);
  ASSERT_EQ(berth({"run", "-d", "--name", "db", "--network", "back", "busybox", "sh", "-c", serve("from-db", 7000)}).code,
            0);
  // api is on both: it reaches db by name through its first network's DNS server.
  Result api = berth({"run", "--rm", "--network", "front", "--network", "name=back,alias=api-back", "busybox", "sh",
                      "-c", "ip -4 -o addr; for i in 1 2 3 4 5 6 7 8 9 10; do nc db 7000 && exit 0; sleep 0.2; done"});
  EXPECT_EQ(api.code, 0) << describe(api);
  EXPECT_NE(api.out.find("eth1"), std::string::npos) << api.out;
  EXPECT_NE(api.out.find("from-db"), std::string::npos) << api.out;
  // A container only on front cannot.
  Result lone = berth({"run", "--rm", "--network", "front", "busybox", "sh", "-c", "nslookup db"});
  EXPECT_NE(lone.out.find("NXDOMAIN"), std::string::npos) << describe(lone);
  // connect and disconnect while it runs.
  ASSERT_EQ(berth({"run", "-d", "--name", "web", "--network", "front", "busybox", "sleep", "100"}).code, 0);
  Result c = berth({"network", "connect", "--alias", "www", "back", "web"});
  ASSERT_EQ(c.code, 0) << describe(c);
  Result in = berth({"exec", "web", "sh", "-c", "ip -4 -o addr; nc db 7000"});
  EXPECT_NE(in.out.find("eth1"), std::string::npos) << describe(in);
  EXPECT_NE(in.out.find("from-db"), std::string::npos) << describe(in);
  Result seen = berth({"exec", "db", "sh", "-c", "nslookup www"});
  EXPECT_NE(seen.out.find("10.231.21."), std::string::npos) << "the alias on back: " << describe(seen);
  // inspect gives each network its own aliases.
  auto nets = nlohmann::json::parse(berth({"inspect", "--format", "{{json .NetworkSettings.Networks}}", "web"}).out,
                                    nullptr, false);
  EXPECT_EQ(nets["back"]["Aliases"], nlohmann::json::array({"www"})) << nets.dump();
  EXPECT_EQ(nets["front"]["Aliases"], nlohmann::json::array()) << nets.dump();
  EXPECT_NE(berth({"network", "connect", "back", "web"}).code, 0) << "already connected";
  Result d = berth({"network", "disconnect", "back", "web"});
  ASSERT_EQ(d.code, 0) << describe(d);
  Result out = berth({"exec", "web", "sh", "-c", "ip -4 -o addr"});
  EXPECT_EQ(out.out.find("eth1"), std::string::npos) << describe(out);
  Result gone = berth({"exec", "db", "sh", "-c", "nslookup www"});
  EXPECT_NE(gone.out.find("NXDOMAIN"), std::string::npos) << describe(gone);
  // A disconnect whose veth went before its records' change failed: the next one finishes
  // it, and leaves the first network's veth alone.
  ASSERT_EQ(berth({"network", "connect", "back", "web"}).code, 0);
  std::string id = trim_copy(berth({"inspect", "--format", "{{.Id}}", "web"}).out);
  std::string back_id = nlohmann::json::parse(berth({"network", "inspect", "back"}).out)[0].value("Id", "");
  ASSERT_EQ(run_command({"/usr/sbin/ip", "link", "del", "vx" + id.substr(0, 8) + back_id.substr(0, 4)}).code, 0);
  Result finished = berth({"network", "disconnect", "back", "web"});
  EXPECT_EQ(finished.code, 0) << describe(finished);
  EXPECT_TRUE(link_exists("vb" + id.substr(0, 11))) << "the first network's veth was taken";
  Result still = berth({"exec", "web", "cat", "/sys/class/net/eth0/operstate"});
  EXPECT_EQ(trim_copy(still.out), "up") << describe(still);
  EXPECT_EQ(berth({"rm", "-f", "web", "db"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "front", "back"}).code, 0);
}

TEST_F(BridgeTest, DisconnectFromTheFirstNetworkPromotesTheNextOne) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.22.0/24", "front"}).code, 0);
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.23.0/24", "back"}).code, 0);
  ASSERT_EQ(berth({"run", "-d", "--name", "db", "--network", "back", "busybox", "sh", "-c", serve("from-db", 7000)}).code,
            0);
  Result web = berth({"run", "-d", "--name", "web", "--network", "front", "--network", "back", "-p",
                      "127.0.0.1:18745:7000", "busybox", "sh", "-c", serve("from-web", 7000)});
  ASSERT_EQ(web.code, 0) << describe(web);
  EXPECT_NE(ask(SOCK_STREAM, 18745, "").find("from-web"), std::string::npos);
  // The user's own line in resolv.conf stays through every change below.
  ASSERT_EQ(berth({"exec", "web", "sh", "-c", "echo 'options ndots:3' >> /etc/resolv.conf"}).code, 0);

  // back takes front's place: the default route, the nameserver, the hosts line, the port.
  Result d = berth({"network", "disconnect", "front", "web"});
  ASSERT_EQ(d.code, 0) << describe(d);
  Result in = berth({"exec", "web", "sh", "-c",
                     "ip -4 -o addr; ip route; cat /etc/resolv.conf /etc/hosts; nc db 7000; nslookup web"});
  EXPECT_EQ(in.out.find("10.231.22."), std::string::npos) << "nothing of front left: " << describe(in);
  EXPECT_NE(in.out.find("default via 10.231.23.1"), std::string::npos) << describe(in);
  EXPECT_NE(in.out.find("nameserver 10.231.23.1"), std::string::npos) << describe(in);
  EXPECT_NE(in.out.find("options ndots:3"), std::string::npos) << describe(in);
  EXPECT_NE(in.out.find("from-db"), std::string::npos) << "names through back's DNS server: " << describe(in);
  // Its own name in /etc/hosts now gives its address on back.
  Result own = berth({"exec", "web", "sh", "-c", "grep -w \"$(hostname)\" /etc/hosts"});
  EXPECT_EQ(own.out.rfind("10.231.23.", 0), 0u) << describe(own);
  std::string inspected = berth({"inspect", "--format", "{{json .NetworkSettings.Networks}}", "web"}).out;
  EXPECT_EQ(inspected.find("front"), std::string::npos) << inspected;
  EXPECT_NE(inspected.find("back"), std::string::npos) << inspected;
  EXPECT_NE(ask(SOCK_STREAM, 18745, "").find("from-web"), std::string::npos) << "the port now goes to back: " << rules();
  EXPECT_NE(berth({"port", "web"}).out.find("127.0.0.1:18745"), std::string::npos);

  // No network left: only lo, no port, no hosts line; then a connect makes front first again.
  ASSERT_EQ(berth({"network", "disconnect", "back", "web"}).code, 0);
  Result none = berth({"exec", "web", "sh", "-c", "ip -o link; cat /etc/hosts"});
  EXPECT_EQ(none.out.find("eth"), std::string::npos) << describe(none);
  EXPECT_EQ(none.out.find("10.231."), std::string::npos) << describe(none);
  EXPECT_EQ(rules().find("18745"), std::string::npos) << rules();
  EXPECT_NE(berth({"network", "disconnect", "back", "web"}).code, 0) << "not connected any more";
  Result c = berth({"network", "connect", "front", "web"});
  ASSERT_EQ(c.code, 0) << describe(c);
  Result again = berth({"exec", "web", "sh", "-c", "ip -4 -o addr; ip route; cat /etc/resolv.conf /etc/hosts"});
  EXPECT_NE(again.out.find("eth0"), std::string::npos) << describe(again);
  EXPECT_NE(again.out.find("default via 10.231.22.1"), std::string::npos) << describe(again);
  EXPECT_NE(again.out.find("nameserver 10.231.22.1"), std::string::npos) << describe(again);
  EXPECT_NE(again.out.find("options ndots:3"), std::string::npos) << describe(again);
  Result own_again = berth({"exec", "web", "sh", "-c", "grep -w \"$(hostname)\" /etc/hosts"});
  EXPECT_EQ(own_again.out.rfind("10.231.22.", 0), 0u) << describe(own_again);
  EXPECT_NE(ask(SOCK_STREAM, 18745, "").find("from-web"), std::string::npos) << rules();

  // Stopped, then out of its only network: it starts with lo alone, and connects live.
  ASSERT_EQ(berth({"stop", "-t", "1", "web"}).code, 0);
  ASSERT_EQ(berth({"network", "disconnect", "front", "web"}).code, 0);
  ASSERT_EQ(berth({"start", "web"}).code, 0);
  EXPECT_EQ(berth({"exec", "web", "ip", "-o", "link"}).out.find("eth"), std::string::npos);
  ASSERT_EQ(berth({"network", "connect", "back", "web"}).code, 0);
  Result back = berth({"exec", "web", "sh", "-c", "ip route; nc db 7000"});
  EXPECT_NE(back.out.find("default via 10.231.23.1"), std::string::npos) << describe(back);
  EXPECT_NE(back.out.find("from-db"), std::string::npos) << describe(back);
  // ... and a restart wires it as its first network.
  ASSERT_EQ(berth({"restart", "-t", "1", "web"}).code, 0);
  Result restarted = berth({"exec", "web", "sh", "-c", "ip -4 -o addr; ip route"});
  EXPECT_NE(restarted.out.find("eth0"), std::string::npos) << describe(restarted);
  EXPECT_NE(restarted.out.find("default via 10.231.23.1"), std::string::npos) << describe(restarted);
  EXPECT_NE(ask(SOCK_STREAM, 18745, "").find("from-web"), std::string::npos) << rules();
  EXPECT_EQ(berth({"rm", "-f", "web", "db"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "front", "back"}).code, 0);
  EXPECT_EQ(rules().find("18745"), std::string::npos);
}

TEST_F(BridgeTest, KillNineLeavesNothingAfterTheNextCommand) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.17.0/24", "app"}).code, 0);
  Result web = berth({"run", "-d", "--name", "web", "--network", "app", "-p", "18741:7000", "busybox", "sh", "-c",
                      serve("x", 7000)});
  ASSERT_EQ(web.code, 0) << describe(web);
  std::string id = trim_copy(berth({"inspect", "--format", "{{.Id}}", "web"}).out);
  std::string veth = "vb" + id.substr(0, 11);
  EXPECT_TRUE(link_exists(veth));
  EXPECT_NE(rules().find("18741"), std::string::npos);
  // Everything of berth's for this root dies at once: shim, container, DNS server.
  std::string pid = trim_copy(berth({"inspect", "--format", "{{.State.Pid}}", "web"}).out);
  for (pid_t p : processes_mentioning(root_)) kill(p, SIGKILL);
  if (pid != "0" && !pid.empty()) kill(std::stoi(pid), SIGKILL);
  std::this_thread::sleep_for(200ms);
  Result ps = berth({"ps", "-a"});  // any command cleans up
  EXPECT_EQ(ps.code, 0) << describe(ps);
  EXPECT_FALSE(link_exists(veth)) << "veth left";
  EXPECT_FALSE(fs::exists(root_ + "/run/netns/" + id)) << "netns file left";
  EXPECT_EQ(rules().find("18741"), std::string::npos) << "published port left: " << rules();
  // The network's DNS server comes back with its next container.
  Result again = berth({"run", "--rm", "--network", "app", "--name", "probe1", "busybox", "sh", "-c", "nslookup probe1"});
  EXPECT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(berth({"rm", "-f", "web"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "app"}).code, 0);
}

TEST_F(BridgeTest, PruneTakesUnusedNetworksAndEditsToEtcFilesSurviveARestart) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.22.0/24", "used"}).code, 0);
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.23.0/24", "unused"}).code, 0);
  std::string used_br = bridge_of("used"), unused_br = bridge_of("unused");
  ASSERT_EQ(berth({"run", "-d", "--name", "keep", "--network", "used", "busybox", "sleep", "1000"}).code, 0);
  Result pruned = berth({"network", "prune", "-f"});
  EXPECT_EQ(pruned.code, 0) << describe(pruned);
  EXPECT_NE(pruned.out.find("unused"), std::string::npos) << pruned.out;
  EXPECT_FALSE(link_exists(unused_br));
  EXPECT_TRUE(link_exists(used_br));
  Result ls = berth({"network", "ls"});
  EXPECT_EQ(ls.out.find("unused"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("used"), std::string::npos) << ls.out;
  // The user's own lines in the bind-mounted /etc/hosts and /etc/resolv.conf stay.
  Result edit = berth({"exec", "keep", "sh", "-c",
                       "echo '10.9.9.9 mine' >> /etc/hosts && echo 'options ndots:3' >> /etc/resolv.conf"});
  ASSERT_EQ(edit.code, 0) << describe(edit);
  ASSERT_EQ(berth({"restart", "-t", "0", "keep"}).code, 0);
  Result seen = berth({"exec", "keep", "cat", "/etc/hosts", "/etc/resolv.conf"});
  EXPECT_NE(seen.out.find("10.9.9.9 mine"), std::string::npos) << describe(seen);
  EXPECT_NE(seen.out.find("options ndots:3"), std::string::npos) << describe(seen);
  EXPECT_NE(seen.out.find("nameserver 10.231.22.1"), std::string::npos) << describe(seen);
  EXPECT_EQ(berth({"rm", "-f", "keep"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "used"}).code, 0);
}

// errno of a bind(2) to 0.0.0.0:port, with SO_REUSEADDR as servers set it (0: it bound).
int bind_errno(int type, uint16_t port) {
  int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  int e = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
  close(s);
  return e;
}

// A DNAT'd port is held by the container's supervisor while it lives, as docker 28 does:
// a host server started afterwards fails at bind rather than losing its traffic. The
// shim holds it across the container's restarts; berth does in the foreground.
TEST_F(BridgeTest, PublishedPortsAreHeldWhileTheContainerLives) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.24.0/24", "app"}).code, 0);
  ASSERT_EQ(berth({"run", "-d", "--name", "flap", "--restart", "always", "--network", "app", "-p", "18791:7000", "-p",
                   "18792:7001/udp", "busybox", "sh", "-c", "sleep 2; exit 3"})
                .code,
            0);
  EXPECT_EQ(bind_errno(SOCK_STREAM, 18791), EADDRINUSE);
  EXPECT_EQ(bind_errno(SOCK_DGRAM, 18792), EADDRINUSE);
  // Restarted by its shim (running again after an exit): the same ports, still held,
  // still published.
  std::string state;
  for (int i = 0; i < 100 && state != "running 1"; i++) {
    std::this_thread::sleep_for(50ms);
    state = trim_copy(berth({"inspect", "--format", "{{.State.Status}} {{.RestartCount}}", "flap"}).out);
  }
  ASSERT_EQ(state, "running 1") << "no restart seen";
  EXPECT_EQ(trim_copy(berth({"port", "flap", "7000"}).out), "0.0.0.0:18791");
  EXPECT_EQ(bind_errno(SOCK_STREAM, 18791), EADDRINUSE);
  EXPECT_NE(rules().find("18791"), std::string::npos) << rules();
  EXPECT_EQ(berth({"rm", "-f", "flap"}).code, 0);
  EXPECT_EQ(bind_errno(SOCK_STREAM, 18791), 0) << "freed with the container";
  EXPECT_EQ(bind_errno(SOCK_DGRAM, 18792), 0);
  // In the foreground, berth holds it.
  Process fg = berth_bg({"run", "--rm", "--network", "app", "-p", "18793:7000", "busybox", "sleep", "2"});
  int e = 0;
  for (int i = 0; i < 50 && (e = bind_errno(SOCK_STREAM, 18793)) == 0; i++) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(e, EADDRINUSE);
  Result done = fg.wait();
  EXPECT_EQ(done.code, 0) << describe(done);
  EXPECT_EQ(bind_errno(SOCK_STREAM, 18793), 0);
  EXPECT_EQ(berth({"network", "rm", "app"}).code, 0);
}

// What a berth killed half-way through a start leaves, made here deterministically: the
// first half of `run` (create, with the network wired on its helpers) done in this
// process, whose hold on the container ends with the scope, as a kill -9 would end it.
TEST_F(BridgeTest, AStartKilledBeforeTheCloneIsUnwiredByTheNextCommand) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.18.0/24", "app"}).code, 0);
  std::string id;
  {
    auto eng = berth::engine::Engine::open(berth::engine::StateRoot::from_flag(root_));
    ASSERT_TRUE(eng) << eng.error().message();
    berth::engine::RunOptions o;
    o.image = "busybox";
    o.command = {"true"};
    o.name = "half";
    o.network = "app";
    o.publish = {"18742:7000"};
    berth::engine::NetworkHelpers helpers;
    helpers.netns.emplace(berth::runtime::make_netns_with_loopback, "netns");
    auto made = eng->create(o, false, &helpers);
    ASSERT_TRUE(made) << made.error().message();
    auto wired = helpers.join();
    ASSERT_TRUE(wired) << wired.error().message();
    id = made->rec.id;
  }
  std::string veth = "vb" + id.substr(0, 11);
  ASSERT_TRUE(link_exists(veth));
  ASSERT_TRUE(fs::exists(root_ + "/run/netns/" + id));
  ASSERT_NE(rules().find("18742"), std::string::npos) << rules();
  Result ps = berth({"ps", "-a"});  // any command cleans up
  EXPECT_EQ(ps.code, 0) << describe(ps);
  EXPECT_FALSE(link_exists(veth)) << "veth left";
  EXPECT_FALSE(fs::exists(root_ + "/run/netns/" + id)) << "netns file left";
  EXPECT_EQ(rules().find("18742"), std::string::npos) << "published port left: " << rules();
  Result inspect = berth({"network", "inspect", "app"});
  auto entry = nlohmann::json::parse(inspect.out)[0]["Containers"].value(id, nlohmann::json::object());
  EXPECT_FALSE(entry.contains("Endpoint")) << "endpoint left (its address stays): " << entry.dump();
  EXPECT_EQ(entry.value("IPv4Address", ""), "10.231.18.2/24") << entry.dump();
  // The container stays, created, and starts like any other.
  EXPECT_NE(ps.out.find("Created"), std::string::npos) << describe(ps);
  Result started = berth({"start", "-a", "half"});
  EXPECT_EQ(started.code, 0) << describe(started);
  EXPECT_EQ(berth({"rm", "-f", "half"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "app"}).code, 0);
}

// A `network rm` killed between the record's removal and the kernel side's: the note it
// left (its record, kept aside) is made here by hand, as the crash would leave it.
TEST_F(BridgeTest, ANetworkRemovalKilledHalfWayIsFinishedByTheNextCommand) {
  ASSERT_EQ(berth({"network", "create", "--subnet", "10.231.19.0/24", "gone"}).code, 0);
  std::string br = bridge_of("gone");
  ASSERT_TRUE(link_exists(br));
  ASSERT_EQ(berth({"run", "--rm", "--network", "gone", "busybox", "true"}).code, 0);
  ASSERT_FALSE(processes_mentioning(root_ + "/run/dns").empty()) << "its DNS server stays with the network";
  std::string id = nlohmann::json::parse(berth({"network", "inspect", "gone"}).out)[0].value("Id", "");
  ASSERT_EQ(id.size(), 64u) << id;
  fs::create_directories(root_ + "/networks-removing");
  fs::rename(root_ + "/networks/" + id + ".json", root_ + "/networks-removing/" + id + ".json");
  Result ls = berth({"network", "ls"});
  EXPECT_EQ(ls.code, 0) << describe(ls);
  EXPECT_EQ(ls.out.find("gone"), std::string::npos) << ls.out;
  EXPECT_FALSE(link_exists(br)) << "the bridge of a removed network stays";
  EXPECT_FALSE(fs::exists(root_ + "/networks-removing/" + id + ".json")) << "the note stays";
  EXPECT_TRUE(processes_mentioning(root_ + "/run/dns").empty()) << "its DNS server stays";
  // Its subnet is free again (a bridge left behind would hold its route).
  EXPECT_EQ(berth({"network", "create", "--subnet", "10.231.19.0/24", "again"}).code, 0);
  EXPECT_EQ(berth({"network", "rm", "again"}).code, 0);
}

}  // namespace
}  // namespace berth_it
