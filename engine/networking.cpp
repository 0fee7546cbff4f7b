// Bridge networks: the network store (engine/network_store.h) made real with netlink
// (netns/). Per network a bridge holding the gateway address; per container, at each
// start, a network namespace file, a veth pair (one end on the bridge, the other moved in
// and renamed eth0), its address and default route. All of it is removed when the
// container stops; its address stays allocated until `rm`.
#include <fcntl.h>

#include "base/fs.h"
#include "base/trace.h"
#include "engine/engine.h"
#include "netns/netlink.h"
#include "netns/netns.h"

namespace berth::engine {

namespace {

bool is_bridge_network(const std::string& mode) { return mode != "none" && mode != "host"; }

// Interface names fit IFNAMSIZ (15) and never collide across state roots: container ids
// are random, and 11 hex digits of them are plenty on one host.
std::string host_veth(const std::string& id) { return "vb" + id.substr(0, 11); }
std::string peer_veth(const std::string& id) { return "vp" + id.substr(0, 11); }

std::string prefix_of(const std::string& cidr) { return cidr.substr(cidr.find('/') + 1); }

std::vector<std::string> host_routes() {
  auto nl = netns::Netlink::open();
  if (!nl) return {};
  return nl->routes_v4().value_or(std::vector<std::string>{});
}

// The network's bridge with its gateway address, up (again, after a reboot).
Result<> ensure_bridge(netns::Netlink& nl, const NetworkRecord& net) {
  if (!nl.link_exists(net.bridge)) {
    TRY(nl.create_bridge(net.bridge, net.mtu));
    TRY(nl.add_address(net.bridge, net.gateway + "/" + prefix_of(net.subnet)));
    if (net.ipv6 && !net.gateway_v6.empty())
      TRY(nl.add_address(net.bridge, net.gateway_v6 + "/" + prefix_of(net.subnet_v6)));
  }
  return nl.set_up(net.bridge);
}

}  // namespace

std::string Engine::netns_path(const std::string& id) const { return path_join(root_.run, "netns/" + id); }

Result<NetworkStore*> Engine::network_store() {
  if (!networks_) {
    ASSIGN_OR_RETURN(NetworkStore s, NetworkStore::open(root_.storage, host_routes()));
    networks_.emplace(std::move(s));
  }
  return &*networks_;
}

Result<NetworkRecord> Engine::create_network(NetworkRecord wanted) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(NetworkRecord net, store->create(std::move(wanted), host_routes()));
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  if (auto b = ensure_bridge(nl, net); !b) {
    (void)nl.delete_link(net.bridge);
    (void)store->remove(net.id, true);
    return std::unexpected(b.error());
  }
  return net;
}

Result<std::vector<NetworkRecord>> Engine::networks() {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->list();
}

Result<NetworkRecord> Engine::find_network(const std::string& key) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->find(key);
}

Result<> Engine::remove_network(const std::string& key) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(NetworkRecord net, store->find(key));
  TRY(store->remove(net.id));
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  return nl.delete_link(net.bridge);
}

Result<std::vector<NetworkRecord>> Engine::prune_networks() {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(auto gone, store->prune());
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  for (const auto& n : gone) TRY(nl.delete_link(n.bridge));
  return gone;
}

Result<std::string> Engine::allocate_address(const RunOptions& o, const std::string& id) {
  if (!is_bridge_network(o.network)) return std::string();
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(NetworkRecord net, store->find(o.network));
  return store->allocate(net.id, id, o.ip);
}

Result<> Engine::release_addresses(const std::string& id) {
  if (!networks_ && !path_exists(path_join(root_.storage, "networks"))) return {};  // never used
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  TRY(store->release_all(id));
  return {};
}

Result<> Engine::attach_network(const ContainerRecord& rec) {
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  if (!is_bridge_network(o.network)) return {};
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(NetworkRecord net, store->find(o.network));
  auto ip = net.addresses.find(rec.id);
  if (ip == net.addresses.end()) return fail("no address on network " + net.name + " for container", rec.name);
  trace_note("network " + net.name + ": " + ip->second + " on bridge " + net.bridge);
  TRY(detach_network(rec.id));  // what a crash may have left
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  TRY(ensure_bridge(nl, net));
  std::string path = netns_path(rec.id), host = host_veth(rec.id), peer = peer_veth(rec.id);
  TRY(netns::create_netns(path, false));
  TRY(nl.create_veth(host, peer, net.mtu));
  TRY(nl.set_master(host, net.bridge));
  TRY(nl.set_up(host));
  {
    ASSIGN_OR_RETURN(Fd ns, open_fd(path, O_RDONLY));
    TRY(nl.move_to_netns(peer, ns.get()));
  }
  // Inside: eth0 with its address, lo, and the way out through the gateway.
  ASSIGN_OR_RETURN(netns::InNetns inside, netns::InNetns::enter(path));
  ASSIGN_OR_RETURN(netns::Netlink in, netns::Netlink::open());
  TRY(in.rename_link(peer, "eth0"));
  TRY(in.add_address("eth0", ip->second.substr(0, ip->second.find('/')) + "/" + prefix_of(net.subnet)));
  TRY(in.set_up("eth0"));
  TRY(in.set_up("lo"));
  if (!net.internal) TRY(in.add_default_route(net.gateway));
  return inside.leave();
}

Result<> Engine::detach_network(const std::string& id) {
  std::string path = netns_path(id);
  if (!path_exists(path)) return {};
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  TRY(nl.delete_link(host_veth(id)));  // its peer (eth0 inside) goes with it
  return netns::remove_netns(path);
}

}  // namespace berth::engine
