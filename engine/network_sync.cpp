#include "engine/network_sync.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/fs.h"
#include "base/lock.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/engine.h"
#include "netns/netlink.h"
#include "netns/nftables.h"

namespace berth::engine {

namespace {
std::string prefix_of(const std::string& cidr) { return cidr.substr(cidr.find('/') + 1); }
}  // namespace

std::vector<std::string> upstreams_of(const std::string& resolv_conf, const std::string& resolved_conf) {
  std::vector<std::string> listed = nameservers_of(resolv_conf);
  bool stub_only = !listed.empty() && std::all_of(listed.begin(), listed.end(), [](const std::string& ns) {
    return ns == "127.0.0.53" || ns == "127.0.0.54";
  });
  if (!stub_only) return listed;
  // A link-local server with its zone (fe80::1%eth0) is one berth-dns cannot name.
  std::vector<std::string> real = nameservers_of(resolved_conf);
  std::erase_if(real, [](const std::string& ns) { return ns.find('%') != std::string::npos; });
  return real.empty() ? listed : real;
}

std::vector<std::string> nameservers_of(const std::string& resolv_conf) {
  std::vector<std::string> out;
  for (const auto& line : split(resolv_conf, '\n')) {
    auto words = split(trim(line), ' ');
    std::erase(words, "");
    if (words.size() >= 2 && words[0] == "nameserver") out.push_back(words[1]);
  }
  return out;
}

Result<> ensure_bridge(netns::Netlink& nl, const NetworkRecord& net) {
  if (!nl.link_exists(net.bridge)) {
    trace_note("network " + net.name + ": creating bridge " + net.bridge + " with gateway " + net.gateway);
    TRY(nl.create_bridge(net.bridge, net.mtu));
    TRY(nl.add_address(net.bridge, net.gateway + "/" + prefix_of(net.subnet)));
    if (net.ipv6 && !net.gateway_v6.empty())
      TRY(nl.add_address(net.bridge, net.gateway_v6 + "/" + prefix_of(net.subnet_v6)));
  }
  return nl.set_up(net.bridge);
}

std::string render_dns_records(const NetworkRecord& net, const std::vector<NetworkRecord>& all,
                               const std::vector<std::string>& upstreams) {
  std::string out = "# berth-dns records for network " + net.name + ", written by berth\n";
  out += std::string("forward ") + (net.internal ? "no" : "yes") + "\n";
  // Only the network's own containers are answered (and the host, whose queries to the
  // gateway come from the gateway's address).
  out += "subnet " + net.subnet + "\n";
  if (net.ipv6 && !net.subnet_v6.empty()) out += "subnet " + net.subnet_v6 + "\n";
  for (const auto& u : upstreams) out += "upstream " + u + "\n";
  auto hosts = [](const NetworkRecord& n, const std::string& cid, const Endpoint& e, const std::string& prefix) {
    std::string lines;
    for (const auto* family : {&n.addresses, &n.addresses_v6})
      if (auto ip = family->find(cid); ip != family->end() && !e.names.empty())
        lines += prefix + ip->second + " " + join(e.names, " ") + "\n";
    return lines;
  };
  for (const auto& [cid, e] : net.endpoints) {
    out += hosts(net, cid, e, "host ");
    auto own = net.addresses.find(cid);
    if (own == net.addresses.end()) continue;
    if (!e.dns.empty()) out += "client " + own->second + " " + join(e.dns, " ") + "\n";
    // A container on several networks asks this one's server (its first network's) for
    // the names of the others too: those answers are for it alone.
    for (const auto& other : all) {
      if (other.id == net.id || !other.endpoints.contains(cid)) continue;
      for (const auto& [peer, pe] : other.endpoints) out += hosts(other, peer, pe, "peer " + own->second + " ");
    }
  }
  return out;
}

std::string nat_table_name(const std::string& storage_root, bool default_root) {
  if (default_root) return "berth";
  uint32_t h = 2166136261u;  // FNV-1a: stable across builds, unlike std::hash
  for (unsigned char c : storage_root) h = (h ^ c) * 16777619u;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return std::string("berth_") + buf;
}

namespace {


// A DNS server holds DIR/lock for its whole life, so a lock we can take means none runs.
bool dns_server_running(const std::string& dir) {
  auto probe = FileLock::try_acquire(path_join(dir, "lock"));
  return !probe && probe.error().errno_value() == EWOULDBLOCK;
}

// Waits (up to 2 s) for the server serving `dir` to exit.
void wait_dns_server_gone(const std::string& dir) {
  for (int i = 0; i < 400 && dns_server_running(dir); i++) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Starts berth-dns for the network, detached (double fork: init reaps it), and waits until
// its sockets are bound, so that the container's first lookup finds it listening.
Result<> spawn_dns_server(const NetworkRecord& net, const std::string& dir) {
  std::string program = path_join(dir_name(self_exe()), "berth-dns");
  std::vector<std::string> args = {program, "--ready-fd", "3", dir, net.gateway};
  if (net.ipv6 && !net.gateway_v6.empty()) args.push_back(net.gateway_v6);
  trace_note("network " + net.name + ": starting its DNS server: " + join(args, " "));
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return sys_error("pipe");
  Fd ready_r(ready[0]), ready_w(ready[1]);
  std::string log = path_join(dir, "log");
  std::vector<char*> argv;  // made before the fork: another thread of ours may hold malloc's lock
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return sys_error("fork");
  if (child == 0) {
    if (::fork() != 0) ::_exit(0);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err >= 0 ? err : null, 2);
    ::dup2(ready_w.get(), 3);  // dup2 clears O_CLOEXEC on the copy
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ready_w.reset();
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  char byte;
  if (::poll(&p, 1, 3000) == 1 && ::read(ready_r.get(), &byte, 1) == 1) return {};
  if (dns_server_running(dir)) return {};  // another berth started one just now
  std::string why = trim(read_file(log).value_or(""));
  if (auto nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);
  return fail("the DNS server of network " + net.name + " did not start" + (why.empty() ? "" : ": " + why), program);
}

}  // namespace

std::string Engine::dns_dir(const NetworkRecord& net) const {
  return path_join(root_.run, "dns/" + net.id.substr(0, 12));
}

Result<> Engine::sync_dns_server(const NetworkRecord& net, const std::vector<NetworkRecord>& all, bool wanted) {
  std::string dir = dns_dir(net);
  std::string records = path_join(dir, "records");
  if (!wanted) {
    if (!path_exists(dir)) return {};
    // The server exits when its records file goes (it watches the directory).
    trace_note("network " + net.name + ": stopping its DNS server");
    if (::unlink(records.c_str()) < 0 && errno != ENOENT) return sys_error("unlink", records);
    wait_dns_server_gone(dir);
    return remove_tree(dir);
  }
  TRY(make_dirs(dir, 0700));
  std::string text = render_dns_records(net, all,
                                        upstreams_of(read_file("/etc/resolv.conf").value_or(""),
                                                     read_file("/run/systemd/resolve/resolv.conf").value_or("")));
  if (read_file(records).value_or("") != text) TRY(write_file_atomic(records, text, 0644, Sync::kNoSync));
  if (dns_server_running(dir)) return {};
  return spawn_dns_server(net, dir);
}

Result<> Engine::sync_nat(const std::vector<NetworkRecord>& all) {
  netns::NatRuleset rules;
  rules.table = nat_table_name(root_.storage, root_.storage == StateRoot::from_flag("").storage);
  bool outbound = false;
  std::vector<std::string> localnet;  // bridges that receive DNAT'ed 127.0.0.1 traffic
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  for (const auto& net : all) {
    if (!nl.link_exists(net.bridge)) continue;  // never used, or removed
    rules.networks.push_back({net.bridge, net.subnet, net.subnet_v6, net.internal});
    outbound |= !net.internal;
    for (const auto& [cid, e] : net.endpoints) {
      auto ip = net.addresses.find(cid);
      if (ip == net.addresses.end()) continue;
      for (const auto& p : e.ports) {
        if (p.proxy) continue;  // the container's shim serves it (runtime/port_proxy.h)
        auto ip6 = net.addresses_v6.find(cid);
        rules.ports.push_back({p.host_ip, p.host_port, ip->second, p.container_port, p.protocol,
                               ip6 == net.addresses_v6.end() ? std::string() : ip6->second});
        if (std::find(localnet.begin(), localnet.end(), net.bridge) == localnet.end()) localnet.push_back(net.bridge);
      }
    }
  }
  std::string cache = path_join(root_.run, "nftables.rules");
  std::string text = rules.networks.empty() ? std::string() : netns::render_ruleset(rules);
  if (read_file(cache).value_or("") == text && (path_exists(cache) || text.empty())) return {};
  if (!netns::nftables_usable()) {
    trace_note("nftables is not usable here: no NAT rules (published ports need the userland proxy)");
    return {};
  }
  if (outbound) TRY(netns::enable_ip_forward());
  for (const auto& b : localnet) TRY(netns::enable_route_localnet(b));
  if (text.empty()) {
    trace_note("nftables: deleting table " + rules.table + " (no bridges left)");
    TRY(netns::delete_table(rules.table));
    (void)::unlink(cache.c_str());
    return {};
  }
  trace_note("nftables: replacing table " + rules.table + " (" + std::to_string(rules.networks.size()) +
             " network(s), " + std::to_string(rules.ports.size()) + " published port(s))");
  TRY(netns::apply_ruleset(rules));
  return write_file_atomic(cache, text, 0600, Sync::kNoSync);
}

Result<> Engine::sync_networks(const std::vector<NetworkRecord>& all) {
  // A network's bridge and DNS server come with its first running container and stay
  // until the network is removed (docker's lifetime), so that later containers pay for
  // neither; the DNS records follow every start and stop.
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  for (const auto& net : all) {
    if (!net.endpoints.empty()) TRY_CTX(ensure_bridge(nl, net), "network " + net.name);
    if (!net.endpoints.empty() || path_exists(dns_dir(net))) TRY_CTX(sync_dns_server(net, all, true), "network " + net.name);
  }
  return sync_nat(all);
}

}  // namespace berth::engine
