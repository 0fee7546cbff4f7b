// Bridge networks: `network create|ls|inspect|rm|prune`, the network store
// (engine/network_store.h) made real with netlink (netns/) and engine/network_sync.h.
// A container's side of it (addresses, veths, endpoints) is engine/network_attach.cpp.

#include <algorithm>

#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/trace.h"
#include "engine/engine.h"
#include "engine/network_sync.h"
#include "netns/netlink.h"

namespace berth::engine {

namespace {

std::vector<std::string> host_routes() {
  auto nl = netns::Netlink::open();
  if (!nl) return {};
  return nl->routes_v4().value_or(std::vector<std::string>{});
}

}  // namespace

std::string Engine::netns_path(const std::string& id) const { return path_join(root_.run, "netns/" + id); }

Result<NetworkStore*> Engine::network_store() {
  if (!networks_) {
    bool default_root = root_.storage == StateRoot::from_flag("").storage;
    ASSIGN_OR_RETURN(NetworkStore s, NetworkStore::open(root_.storage, host_routes(), default_root));
    networks_.emplace(std::move(s));
  }
  return &*networks_;
}

Result<NetworkRecord> Engine::create_network(NetworkRecord wanted) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(NetworkRecord net, store->create(std::move(wanted), host_routes()));
  // Its bridge and rules now, as docker does (its DNS server comes with its first container).
  auto made = store->modify([](std::vector<NetworkRecord>&) -> Result<> { return {}; },
                            [&](const std::vector<NetworkRecord>& all) -> Result<> {
                              ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
                              TRY(ensure_bridge(nl, net));
                              return sync_nat(all);
                            });
  if (!made) {
    (void)forget_network(net);
    (void)store->remove(net.id, true);
    return std::unexpected(made.error());
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

// What a removed network may still have in the kernel (a crash between the record's
// removal and this): its DNS server and its bridge.
Result<> Engine::forget_network(const NetworkRecord& net) {
  // Deleting a bridge waits out RCU grace periods in the kernel (~30 ms here), and the DNS
  // server takes a moment to notice it must go: both at once, the bridge on a thread of
  // its own (with its own netlink socket; nothing forks meanwhile).
  Meanwhile<> bridge_gone(
      [&]() -> Result<> {
        ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
        if (nl.link_exists(net.bridge)) {
          trace_note("network " + net.name + ": deleting bridge " + net.bridge);
          TRY(nl.delete_link(net.bridge));
        }
        return {};
      },
      "bridge");
  auto dns_gone = sync_dns_server(net, {}, false);
  auto deleted = bridge_gone.wait();
  TRY(dns_gone);
  TRY(deleted);
  // Its rules go with it: the table is rebuilt from the networks that are left.
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->modify([](std::vector<NetworkRecord>&) -> Result<> { return {}; },
                       [&](const std::vector<NetworkRecord>& all) { return sync_nat(all); });
}

Result<> Engine::remove_network(const std::string& key) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(NetworkRecord net, store->find(key));
  TRY(store->remove(net.id));
  return forget_network(net);
}

Result<std::vector<NetworkRecord>> Engine::prune_networks() {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(auto gone, store->prune());
  for (const auto& n : gone) TRY(forget_network(n));
  // DNS servers of networks whose records are gone altogether (a crashed `network rm`).
  ASSIGN_OR_RETURN(auto left, store->list());
  for (const auto& dir : list_dir(path_join(root_.run, "dns")).value_or(std::vector<std::string>{})) {
    bool known = std::any_of(left.begin(), left.end(), [&](const NetworkRecord& n) { return n.id.rfind(dir, 0) == 0; });
    NetworkRecord orphan;
    orphan.id = dir;
    orphan.name = dir;
    if (!known) TRY(sync_dns_server(orphan, {}, false));
  }
  return gone;
}

}  // namespace berth::engine
