// A container's side of bridge networks: its addresses (allocated at create, released at
// rm), and at each start, per network, an endpoint in the network's record (its DNS names
// and published ports; it brings the bridge, the DNS server and the NAT rules:
// engine/network_sync.h) and a veth pair: one end on the bridge, the other created inside
// the container's network namespace as eth0, eth1, ... with its address. The first network
// also gives the default route. `network connect/disconnect` do the same for one network
// while the container runs.
//
// Read: veth(4), ip-link(8) "bridge_slave", network_namespaces(7).
#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/trace.h"
#include "engine/engine.h"
#include "engine/etc_files.h"
#include "engine/network_sync.h"
#include "netns/netlink.h"
#include "netns/nftables.h"
#include "netns/netns.h"

namespace berth::engine {

namespace {

// Host-side interface names fit IFNAMSIZ (15) and never collide across state roots:
// container ids are random, and 11 hex digits of them are plenty on one host. The first
// network's is "vb" + 11 digits; another network's "vx" + 8 of the container's and 4 of the
// network's id, so that connect and disconnect never renumber the others.
std::string host_veth(const std::string& id) { return "vb" + id.substr(0, 11); }
std::string extra_veth(const std::string& id, const std::string& net_id) {
  return "vx" + id.substr(0, 8) + net_id.substr(0, 4);
}

std::string prefix_of(const std::string& cidr) { return cidr.substr(cidr.find('/') + 1); }

// The bridge networks a container is on: its first network (with --ip and
// --network-alias) and the extra ones, long forms parsed. None when `network disconnect`
// took its last one (o.network is then "").
Result<std::vector<NetworkRequest>> bridge_requests(const RunOptions& o) {
  std::vector<NetworkRequest> out;
  if (!is_bridge_network(o.network) || o.network.empty()) return out;
  out.push_back(NetworkRequest{o.network, o.ip, o.network_aliases});
  for (const auto& text : o.extra_networks) {
    ASSIGN_OR_RETURN(NetworkRequest r, parse_network_request(text));
    out.push_back(std::move(r));
  }
  return out;
}

// The container's address on a network ("" if none).
std::string address_on(const NetworkRecord& net, const std::string& id) {
  auto ip = net.addresses.find(id);
  return ip == net.addresses.end() ? std::string() : ip->second;
}

// Inside the namespace (the calling thread is in it): the way out through the first
// network's gateway(s); an --internal network has none.
Result<> add_default_routes(netns::Netlink& in, const NetworkRecord& net, const std::string& id) {
  if (net.internal) return {};
  TRY(in.add_default_route(net.gateway));
  if (net.addresses_v6.contains(id) && !net.gateway_v6.empty()) TRY(in.add_default_route(net.gateway_v6));
  return {};
}

// Inside the namespace: the interface's address(es), up, and for the first network the
// default route(s).
Result<> configure_inside(netns::Netlink& in, const std::string& ifname, const NetworkRecord& net,
                          const std::string& id, bool first) {
  std::string ip = address_on(net, id);
  if (ip.empty()) return fail("no address on network " + net.name + " for container", id.substr(0, 12));
  TRY(in.add_address(ifname, ip + "/" + prefix_of(net.subnet)));
  TRY(in.set_up(ifname));
  if (auto v6 = net.addresses_v6.find(id); v6 != net.addresses_v6.end())
    TRY(in.add_address(ifname, v6->second + "/" + prefix_of(net.subnet_v6)));
  return first ? add_default_routes(in, net, id) : Result<>{};
}

// One veth pair: `host` on the network's bridge, `inside` in the namespace at `path`.
Result<> plug_veth(netns::Netlink& nl, const std::string& path, const std::string& host, const std::string& inside,
                   const NetworkRecord& net) {
  // The veth of an earlier run, if the kernel has not finished freeing its namespace.
  if (nl.link_exists(host)) TRY(nl.delete_link(host));
  {
    ASSIGN_OR_RETURN(Fd ns, open_fd(path, O_RDONLY));
    TRY(nl.create_veth_into(host, net.bridge, inside, ns.get(), net.mtu));
  }
  TRY(nl.set_hairpin(host, true));  // so it reaches its own published ports
  return nl.set_up(host);
}

// An endpoint's DNS names: the container's name (first: what its address's PTR answer
// names), its aliases on that network, its --hostname and its short id, each once.
std::vector<std::string> endpoint_names(const std::string& name, const std::vector<std::string>& aliases,
                                        const std::string& hostname, const std::string& id) {
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  add(name);
  for (const auto& a : aliases) add(a);
  add(hostname);
  add(id.substr(0, 12));
  return names;
}

}  // namespace

Result<> Engine::resolve_network_options(RunOptions& o, const oci::ImageConfig& image) {
  if (o.network.find('=') != std::string::npos) {  // docker's long form for the first network
    ASSIGN_OR_RETURN(NetworkRequest r, parse_network_request(o.network));
    if (!r.ip.empty() && !o.ip.empty() && r.ip != o.ip) return fail("conflicting options: --ip and ip= in --network");
    o.network = r.name;
    if (!r.ip.empty()) o.ip = r.ip;
    o.network_aliases.insert(o.network_aliases.end(), r.aliases.begin(), r.aliases.end());
  }
  // "" is only ever a record's "on no network" (after `network disconnect`), never asked for.
  if (o.network.empty()) return fail("--network needs a value: none, host, container:NAME or a network's name");
  bool bridge = is_bridge_network(o.network);
  if (bridge) TRY(find_network(o.network));
  if (!o.extra_networks.empty() && !bridge)
    return fail("conflicting options: --network " + o.network + " cannot be combined with other networks");
  std::vector<std::string> seen = {o.network};
  for (auto& text : o.extra_networks) {
    ASSIGN_OR_RETURN(NetworkRequest r, parse_network_request(text));
    if (!is_bridge_network(r.name)) return fail("conflicting options: --network " + r.name + " cannot be an extra network");
    ASSIGN_OR_RETURN(NetworkRecord net, find_network(r.name));
    if (std::find(seen.begin(), seen.end(), net.name) != seen.end())
      return fail("container is connected to network " + net.name + " twice");
    seen.push_back(net.name);
    r.name = net.name;
    text = r.to_string();
  }
  if (o.network.rfind("container:", 0) == 0) {
    ASSIGN_OR_RETURN(ContainerRecord other, containers_.find(o.network.substr(10)));
    if (!containers_.is_alive(other))
      return fail("cannot join the network of a container that is not running", other.name);
    if (!o.publish.empty() || o.publish_all) return fail("conflicting options: port publishing and the container type network mode");
    if (!o.hostname.empty()) return fail("conflicting options: hostname and the network mode");
  }
  if (!bridge && !o.ip.empty()) return fail("--ip needs a user-defined network (--network NAME)");
  if (!bridge && !o.network_aliases.empty()) return fail("--network-alias needs a user-defined network (--network NAME)");
  if (o.network == "host") o.publish.clear();  // docker: "Published ports are discarded when using host network mode"
  if (o.publish_all) {
    std::vector<std::string> exposed = image.exposed_ports;
    exposed.insert(exposed.end(), o.expose.begin(), o.expose.end());
    for (const auto& e : exposed) {
      TRY_CTX(parse_exposed(e), "EXPOSE of the image");
      o.publish.push_back(e);  // "80/tcp": an ephemeral host port
    }
    o.publish_all = false;
  }
  if (!bridge && !o.publish.empty()) return fail("published ports need a bridge network (--network NAME), not " + o.network);
  ASSIGN_OR_RETURN(auto ports, port_requests(o));
  for (const auto& p : ports) {
    if (p.host_ip.find(':') == std::string::npos || !bridge) continue;
    ASSIGN_OR_RETURN(NetworkRecord first, find_network(o.network));
    if (!first.ipv6)
      return fail("publishing on the IPv6 address " + p.host_ip + " needs an IPv6 network (network create --ipv6), not " +
                  first.name);
  }
  if (!o.publish.empty() && !o.userland_proxy && !netns::nftables_usable()) {
    trace_note("nftables is not usable here: the userland proxy (the shim's, or berth's in the foreground) will "
               "serve the published ports");
    o.userland_proxy = true;
  }
  return {};
}

Result<std::string> Engine::allocate_address(const RunOptions& o, const std::string& id) {
  ASSIGN_OR_RETURN(auto requests, bridge_requests(o));
  if (requests.empty()) return std::string();
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  std::string first;
  for (const auto& r : requests) {
    ASSIGN_OR_RETURN(NetworkRecord net, store->find(r.name));
    ASSIGN_OR_RETURN(std::string ip, store->allocate(net.id, id, r.ip));
    if (first.empty()) first = ip;
  }
  return first;
}

Result<> Engine::release_addresses(const std::string& id) {
  if (!networks_used()) return {};
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  TRY(store->release_all(id));
  return {};
}

Result<std::vector<PortRequest>> Engine::port_requests(const RunOptions& o) {
  std::vector<PortRequest> out;
  for (const auto& spec : o.publish) {
    ASSIGN_OR_RETURN(auto r, parse_publish(spec));
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

// Publishes the container on its networks: its DNS names there, and on the first network
// its host ports, chosen under the store's lock so that two containers never get the same
// port; the bridges, DNS servers and NAT rules follow (engine/network_sync.h).
// `ports`: false for a network added by `network connect`.
Result<> Engine::add_endpoints(const ContainerRecord& rec, const RunOptions& o,
                               const std::vector<std::pair<std::string, std::vector<std::string>>>& nets,
                               bool ports) {
  std::vector<PortRequest> requests;
  if (ports) {
    ASSIGN_OR_RETURN(requests, port_requests(o));
  }
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->modify(
      [&](std::vector<NetworkRecord>& all) -> Result<> {
        std::vector<PortBinding> taken;
        for (const auto& n : all)
          for (const auto& [cid, other] : n.endpoints)
            if (cid != rec.id) taken.insert(taken.end(), other.ports.begin(), other.ports.end());
        ASSIGN_OR_RETURN(std::vector<PortBinding> bound, choose_ports(rec, o, requests, taken));
        for (size_t i = 0; i < nets.size(); i++) {
          Endpoint e;
          e.names = endpoint_names(rec.name, nets[i].second, o.hostname, rec.id);
          e.dns = o.dns;
          if (i == 0) e.ports = bound;
          for (auto& n : all)
            if (n.id == nets[i].first) n.endpoints[rec.id] = e;
        }
        return {};
      },
      [&](const std::vector<NetworkRecord>& all) { return sync_networks(all); });
}

// The shim holds the host ports for its whole life, across restarts of the container:
// served by its userland proxy, or held for nftables' DNAT (runtime::hold_port). So the
// ports chosen for its first start are kept in the run directory (host.ports, removed
// when a new shim is spawned) and reused, since a trial bind would now find them taken by
// the shim itself.
Result<std::vector<PortBinding>> Engine::choose_ports(const ContainerRecord& rec, const RunOptions& o,
                                                      const std::vector<PortRequest>& requests,
                                                      const std::vector<PortBinding>& taken) {
  if (requests.empty()) return std::vector<PortBinding>{};
  std::string saved = path_join(containers_.run_dir(rec.id), "host.ports");
  if (auto text = read_file(saved)) {
    std::vector<PortBinding> out;
    auto j = Json::parse(*text, nullptr, false);
    for (const Json& b : j.is_array() ? j : Json::array()) out.push_back(PortBinding::from_json(b));
    if (out.size() == requests.size()) return out;
  }
  ASSIGN_OR_RETURN(std::vector<PortBinding> bound, choose_host_ports(requests, taken));
  Json j = Json::array();
  for (auto& b : bound) {
    b.proxy = o.userland_proxy;
    j.push_back(b.to_json());
  }
  TRY(write_file_atomic(saved, j.dump(), 0600, Sync::kNoSync));
  return bound;
}

Result<Engine::PortRules> Engine::port_rules(const ContainerRecord& rec) {
  PortRules rules;
  ASSIGN_OR_RETURN(auto all, networks());
  for (const auto& net : all) {
    auto ep = net.endpoints.find(rec.id);
    auto ip = net.addresses.find(rec.id);
    if (ep == net.endpoints.end() || ip == net.addresses.end()) continue;
    for (const auto& p : ep->second.ports)
      (p.proxy ? rules.served : rules.held)
          .push_back({p.protocol, p.host_ip.empty() ? "0.0.0.0" : p.host_ip, p.host_port, ip->second,
                      p.container_port});
  }
  return rules;
}

Result<> Engine::rename_endpoints(const ContainerRecord& rec, const std::string& new_name) {
  if (!networks_used()) return {};
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  if (!is_bridge_network(o.network)) return {};
  // Each network's aliases, by id: its names are made again as at the start, so an alias
  // or --hostname equal to the old name stays.
  ASSIGN_OR_RETURN(auto requests, bridge_requests(o));
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  std::map<std::string, std::vector<std::string>> aliases;
  for (size_t i = 0; i < requests.size(); i++)
    if (auto net = store->find(requests[i].name)) aliases[net->id] = i == 0 ? o.network_aliases : requests[i].aliases;
  bool changed = false;
  return store->modify(
      [&](std::vector<NetworkRecord>& all) -> Result<> {
        for (auto& n : all)
          if (auto e = n.endpoints.find(rec.id); e != n.endpoints.end()) {
            e->second.names = endpoint_names(new_name, aliases[n.id], o.hostname, rec.id);
            changed = true;
          }
        return {};
      },
      [&](const std::vector<NetworkRecord>& all) { return changed ? sync_networks(all) : Result<>{}; });
}

Result<> Engine::remove_endpoints(const std::string& id, bool release) {
  if (!networks_used()) return {};
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  bool changed = false;  // an address alone is in no DNS record or NAT rule
  return store->modify(
      [&](std::vector<NetworkRecord>& all) -> Result<> {
        for (auto& n : all) {
          changed |= n.endpoints.erase(id) > 0;
          if (release) {
            n.addresses.erase(id);
            n.addresses_v6.erase(id);
          }
        }
        return {};
      },
      [&](const std::vector<NetworkRecord>& all) { return changed ? sync_networks(all) : Result<>{}; });
}

Result<> Engine::attach_network(const ContainerRecord& rec, std::optional<Meanwhile<Fd>>* made) {
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  if (!is_bridge_network(o.network)) return {};
  ASSIGN_OR_RETURN(auto requests, bridge_requests(o));
  if (requests.empty())
    trace_note("no network (disconnected from its last one): a namespace with only lo, which `network connect` "
               "can plug into");
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  std::vector<NetworkRecord> nets;
  std::vector<std::pair<std::string, std::vector<std::string>>> endpoints;
  for (size_t i = 0; i < requests.size(); i++) {
    ASSIGN_OR_RETURN(NetworkRecord net, store->find(requests[i].name));
    auto ip = net.addresses.find(rec.id);
    if (ip == net.addresses.end()) return fail("no address on network " + net.name + " for container", rec.name);
    trace_note("network " + net.name + ": " + ip->second + " on bridge " + net.bridge + " as eth" + std::to_string(i));
    endpoints.emplace_back(net.id, i == 0 ? o.network_aliases : requests[i].aliases);
    nets.push_back(std::move(net));
  }
  std::string path = netns_path(rec.id);
  if (path_exists(path)) TRY(detach_network(rec.id, true));  // what a crash may have left
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  // The endpoints (the records: DNS names, ports) make the bridges exist and keep them
  // while we are on them. When the bridges are there already, as they are but for a
  // network's first container after a reboot, the records and the kernel's side (below)
  // need nothing from each other: the records go on a helper thread meanwhile.
  bool bridges_up = std::all_of(nets.begin(), nets.end(), [&](const NetworkRecord& n) { return nl.link_exists(n.bridge); });
  std::optional<Meanwhile<>> published;
  if (!endpoints.empty() && bridges_up)
    published.emplace([&] { return add_endpoints(rec, o, endpoints, true); }, "endpoints");
  else if (!endpoints.empty())
    TRY(add_endpoints(rec, o, endpoints, true));
  if (made && *made) {
    ASSIGN_OR_RETURN(Fd ns, (*made)->wait());
    TRY(netns::bind_netns(path, ns.get(), false));
  } else {
    TRY(netns::create_netns(path, false));
  }
  for (size_t i = 0; i < nets.size(); i++)
    TRY(plug_veth(nl, path, i == 0 ? host_veth(rec.id) : extra_veth(rec.id, nets[i].id), "eth" + std::to_string(i),
                  nets[i]));
  // Inside: each ethN with its address, lo, and the way out through the first gateway.
  ASSIGN_OR_RETURN(netns::InNetns inside, netns::InNetns::enter(path));
  ASSIGN_OR_RETURN(netns::Netlink in, netns::Netlink::open());
  TRY(in.set_up("lo"));
  for (size_t i = 0; i < nets.size(); i++) TRY(configure_inside(in, "eth" + std::to_string(i), nets[i], rec.id, i == 0));
  TRY(inside.leave());
  return published ? published->wait() : Result<>{};
}

Result<> Engine::start_dns_servers(const ContainerRecord& rec) {
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  ASSIGN_OR_RETURN(auto requests, bridge_requests(o));
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  for (const auto& r : requests) {
    ASSIGN_OR_RETURN(NetworkRecord net, store->find(r.name));
    if (path_exists(dns_dir(net))) continue;  // running (or being started) already
    TRY(store->modify([](std::vector<NetworkRecord>&) -> Result<> { return {}; },
                      [&](const std::vector<NetworkRecord>& all) { return sync_dns_server(net, all, true); }));
  }
  return {};
}

Result<> Engine::detach_network(const std::string& id, bool now, bool release) {
  std::string path = netns_path(id);
  if (path_exists(path)) {
    // Once its last process is gone, the kernel frees the namespace, and its ethN with the
    // host's ends of the pairs, in the background; deleting the veths here would make berth
    // wait for an RCU grace period (~15 ms here) each. After a crash, something may still
    // hold the namespace: then delete them now.
    if (now) {
      ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
      TRY(nl.delete_link(host_veth(id)));
      for (const auto& l : nl.list_links("vx" + id.substr(0, 8)).value_or(std::vector<std::string>{}))
        TRY(nl.delete_link(l));
    }
    TRY(netns::remove_netns(path));
  }
  return remove_endpoints(id, release);
}

// The first network gives the container its default route, its resolv.conf nameserver
// (that network's DNS server), its /etc/hosts line and its published ports. When it
// changes (`network disconnect` of the first, `network connect` after the last one went),
// the two files are edited in place: they are bind-mounted, and the user's own lines stay.
Result<> Engine::retarget_etc_files(const ContainerRecord& rec, const RunOptions& o, const std::string& old_ip,
                                    const std::string& new_ip, const std::string& new_dns) {
  std::string etc = path_join(containers_.storage_dir(rec.id), "etc");
  std::string hostname = o.hostname.empty() ? rec.id.substr(0, 12) : o.hostname;
  auto edit = [&](const char* name, const auto& change) -> Result<> {
    std::string path = path_join(etc, name);
    ASSIGN_OR_RETURN(std::string text, read_file(path));
    std::string changed = change(text);
    if (changed == text) return {};
    trace_note("rewriting the container's /etc/" + std::string(name) + " in place (it is bind-mounted): " + path);
    return rewrite_in_place(path, changed);
  };
  TRY(edit("hosts", [&](const std::string& t) { return with_own_address(t, old_ip, new_ip, hostname); }));
  if (new_dns.empty()) return {};  // no network left: nothing to ask, the old line is harmless
  return edit("resolv.conf", [&](const std::string& t) { return with_embedded_dns(t, new_dns); });
}

Result<> Engine::connect_network(const std::string& network, const std::string& container, NetworkRequest req) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(container));
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  if (!is_bridge_network(o.network))
    return fail("container sharing a network namespace (--network " + o.network + ") cannot be connected to another network");
  ASSIGN_OR_RETURN(NetworkRecord net, find_network(network));
  ASSIGN_OR_RETURN(auto current, bridge_requests(o));
  for (const auto& r : current) {
    ASSIGN_OR_RETURN(NetworkRecord on, find_network(r.name));
    if (on.id == net.id) return fail("endpoint with name " + rec.name + " already exists in network " + net.name);
  }
  req.name = net.name;
  const bool first = current.empty();  // on no network: this one becomes its first
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(std::string ip, store->allocate(net.id, rec.id, req.ip));
  if (first) {
    o.network = net.name;
    o.ip = req.ip;
    o.network_aliases = req.aliases;
  } else {
    o.extra_networks.push_back(req.to_string());
  }
  auto saved = containers_.update(rec.id, [&](ContainerRecord& r) -> Result<> {
    r.options = o.to_json();
    return {};
  });
  if (!saved) {
    (void)store->release(net.id, rec.id);
    return std::unexpected(saved.error());
  }
  auto wired = [&]() -> Result<> {
    if (first) TRY(retarget_etc_files(rec, o, "", ip, net.gateway));
    if (!containers_.is_alive(rec) || !path_exists(netns_path(rec.id))) return {};  // wired at its next start
    return plug_network_live(rec, o, net.id, req.aliases, first);
  }();
  if (!wired) {
    (void)disconnect_network(net.id, rec.id);  // veth, endpoint, address, options: all undone
    return std::unexpected(wired.error());
  }
  trace_note("network " + net.name + ": " + ip + " for container " + rec.name + (first ? " (its first network)" : ""));
  return {};
}

// `network connect` on a running container: its endpoint, a veth into its namespace as
// the lowest free ethN, and the address there; as its first network, also the default
// route and the published ports.
Result<> Engine::plug_network_live(const ContainerRecord& rec, const RunOptions& o, const std::string& network_id,
                                   const std::vector<std::string>& aliases, bool first) {
  ASSIGN_OR_RETURN(NetworkRecord net, find_network(network_id));  // with the address
  bool ports = first && !o.publish.empty();
  if (ports && o.userland_proxy) {
    trace_note("the published ports are served by the userland proxy, which takes them at the container's next start");
    ports = false;
  }
  TRY(add_endpoints(rec, o, {{net.id, aliases}}, ports));
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  std::string path = netns_path(rec.id);
  std::string ifname;
  {
    ASSIGN_OR_RETURN(netns::InNetns probe, netns::InNetns::enter(path));
    ASSIGN_OR_RETURN(netns::Netlink in, netns::Netlink::open());
    for (int i = 0; ifname.empty(); i++)
      if (!in.link_exists("eth" + std::to_string(i))) ifname = "eth" + std::to_string(i);
    TRY(probe.leave());
  }
  TRY(plug_veth(nl, path, extra_veth(rec.id, net.id), ifname, net));
  ASSIGN_OR_RETURN(netns::InNetns inside, netns::InNetns::enter(path));
  ASSIGN_OR_RETURN(netns::Netlink in, netns::Netlink::open());
  TRY(configure_inside(in, ifname, net, rec.id, first));
  return inside.leave();
}

// docker's `network disconnect`. From an extra network: its veth, endpoint and address go.
// From the first network: the next one (in the order they were given) takes its place,
// with the default route, the published ports, resolv.conf's nameserver and the hosts
// line; with none left, the container keeps a namespace with only lo (o.network "") until
// a `network connect`.
Result<> Engine::disconnect_network(const std::string& network, const std::string& container) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(container));
  ASSIGN_OR_RETURN(RunOptions o, RunOptions::from_json(rec.options));
  ASSIGN_OR_RETURN(NetworkRecord net, find_network(network));
  ASSIGN_OR_RETURN(auto requests, bridge_requests(o));
  size_t at = requests.size();
  for (size_t i = 0; i < requests.size() && at == requests.size(); i++) {
    auto on = find_network(requests[i].name);
    if (on && on->id == net.id) at = i;
  }
  if (at == requests.size()) return fail("container " + rec.name + " is not connected to network " + net.name);
  const bool first = at == 0;
  const bool live = containers_.is_alive(rec) && path_exists(netns_path(rec.id));
  std::optional<NetworkRecord> next;  // the new first network
  if (first && requests.size() > 1) {
    ASSIGN_OR_RETURN(next, find_network(requests[1].name));
  }
  if (first && live)
    if (auto ep = net.endpoints.find(rec.id); ep != net.endpoints.end())
      for (const auto& p : ep->second.ports)
        if (p.proxy)
          return fail("the userland proxy of container " + rec.name + " forwards its published ports to its address on " +
                      net.name + ": stop the container before disconnecting it from that network");

  requests.erase(requests.begin() + static_cast<std::ptrdiff_t>(at));
  if (first) {
    o.network = requests.empty() ? std::string() : requests[0].name;
    o.ip = requests.empty() ? std::string() : requests[0].ip;
    o.network_aliases = requests.empty() ? std::vector<std::string>{} : requests[0].aliases;
    if (!requests.empty()) requests.erase(requests.begin());
  }
  o.extra_networks.clear();
  for (const auto& r : requests) o.extra_networks.push_back(r.to_string());

  if (live) {
    ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
    // Its veth: one of its own when plugged by `network connect` or as a later network at
    // the start, else the container's first one, plugged at the start for its first
    // network. Neither there: deleted already, by a disconnect whose records' change then
    // failed, and which this one finishes (a later network must never take the first's).
    std::string link = extra_veth(rec.id, net.id);
    if (!nl.link_exists(link)) link = first && nl.link_exists(host_veth(rec.id)) ? host_veth(rec.id) : "";
    if (!link.empty()) {
      trace_note("network " + net.name + ": deleting " + link + " (its peer in the container goes with it)");
      TRY(nl.delete_link(link));
    }
  }
  // Its endpoint goes; the published ports move to the new first network's endpoint.
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  TRY(store->modify(
      [&](std::vector<NetworkRecord>& all) -> Result<> {
        std::vector<PortBinding> ports;
        for (auto& n : all)
          if (auto ep = n.endpoints.find(rec.id); n.id == net.id && ep != n.endpoints.end()) {
            ports = ep->second.ports;
            n.endpoints.erase(ep);
          }
        for (auto& n : all)
          if (auto ep = n.endpoints.find(rec.id); next && n.id == next->id && ep != n.endpoints.end())
            ep->second.ports.insert(ep->second.ports.end(), ports.begin(), ports.end());
        return {};
      },
      [&](const std::vector<NetworkRecord>& all) { return sync_networks(all); }));
  if (live && next) {
    trace_note("network " + next->name + " is now the first: the default route goes through " + next->gateway);
    ASSIGN_OR_RETURN(netns::InNetns inside, netns::InNetns::enter(netns_path(rec.id)));
    ASSIGN_OR_RETURN(netns::Netlink in, netns::Netlink::open());
    TRY(add_default_routes(in, *next, rec.id));
    TRY(inside.leave());
  }
  TRY(store->release(net.id, rec.id));
  TRY(containers_.update(rec.id, [&](ContainerRecord& r) -> Result<> {
    r.options = o.to_json();
    return {};
  }));
  if (!first) return {};
  return retarget_etc_files(rec, o, address_on(net, rec.id), next ? address_on(*next, rec.id) : std::string(),
                            next ? next->gateway : std::string());
}

}  // namespace berth::engine
