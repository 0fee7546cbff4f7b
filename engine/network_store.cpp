// Networks on disk and IPAM: see network_store.h for the layout and the pools.
#include "engine/network_store.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/clock.h"
#include "base/fs.h"
#include "base/lock.h"
#include "base/strings.h"
#include "engine/address_pools.h"

namespace berth::engine {

using u128 = unsigned __int128;

// ---- addresses and subnets ----

Result<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress ip;
  ip.v6 = s.find(':') != std::string::npos;
  unsigned char bytes[16] = {};
  if (s.empty() || ::inet_pton(ip.v6 ? AF_INET6 : AF_INET, s.c_str(), bytes) != 1)
    return fail("invalid IP address", s);
  for (int i = 0; i < (ip.v6 ? 16 : 4); i++) ip.bits = (ip.bits << 8) | bytes[i];
  return ip;
}

std::string IpAddress::to_string() const {
  unsigned char bytes[16];
  int n = v6 ? 16 : 4;
  for (int i = 0; i < n; i++) bytes[i] = static_cast<unsigned char>(bits >> (8 * (n - 1 - i)));
  char out[INET6_ADDRSTRLEN];
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, out, sizeof out);
  return out;
}

namespace {

// The host part of a /prefix: the low (width - prefix) bits set.
u128 host_mask(int width, int prefix) {
  int host_bits = width - prefix;
  return host_bits >= 128 ? ~u128{0} : (u128{1} << host_bits) - 1;
}

}  // namespace

Result<Subnet> Subnet::parse(std::string_view cidr, HostBits host_bits) {
  std::string text(cidr);
  size_t slash = text.find('/');
  if (slash == std::string::npos && host_bits == HostBits::kReject)
    return fail("invalid subnet " + text + ": missing prefix length (as in 10.88.0.0/16)");
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return fail("invalid subnet " + text + ": invalid IP address");
  Subnet s;
  s.prefix = ip->width();
  if (slash != std::string::npos) {
    std::string len = text.substr(slash + 1);
    auto n = parse_int(len);
    bool digits = !len.empty() && std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !n || *n < 0 || *n > ip->width())
      return fail("invalid subnet " + text + ": prefix length must be 0.." + std::to_string(ip->width()));
    s.prefix = static_cast<int>(*n);
  }
  s.network = *ip;
  s.network.bits &= ~host_mask(ip->width(), s.prefix);
  if (s.network != *ip && host_bits == HostBits::kReject)
    return fail("invalid subnet " + text + ": it should be " + s.to_string());
  return s;
}

std::string Subnet::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

bool Subnet::contains(const IpAddress& ip) const {
  return ip.v6 == network.v6 && (ip.bits & ~host_mask(network.width(), prefix)) == network.bits;
}

bool Subnet::overlaps(const Subnet& other) const {
  // Two prefixes overlap exactly when one contains the other's first address.
  return contains(other.network) || other.contains(network);
}

IpAddress Subnet::last() const {
  IpAddress ip = network;
  ip.bits |= host_mask(network.width(), prefix);
  return ip;
}

uint64_t Subnet::host_count() const {
  u128 mask = host_mask(network.width(), prefix);  // the number of addresses, minus one
  u128 n = v6() ? mask : (mask >= 2 ? mask - 1 : 0);
  return n > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(n);
}

std::optional<IpAddress> Subnet::host(uint64_t n) const {
  if (n == 0 || n > host_count()) return std::nullopt;
  IpAddress ip = network;
  ip.bits += n;
  return ip;
}

bool Subnet::is_host(const IpAddress& ip) const {
  if (!contains(ip) || host_count() == 0 || ip == network) return false;
  return v6() || ip != last();
}

namespace {

// One family's subnet or gateway, given once.
Result<> set_once(std::string& field, const std::string& value, const std::string& what) {
  if (!field.empty())
    return fail("more than one " + what + " (" + field + " and " + value +
                "): a network has at most one of each family");
  field = value;
  return {};
}

}  // namespace

Result<> add_subnet(NetworkRecord& wanted, const std::string& cidr) {
  ASSIGN_OR_RETURN(Subnet s, Subnet::parse(cidr));
  return s.v6() ? set_once(wanted.subnet_v6, cidr, "IPv6 subnet") : set_once(wanted.subnet, cidr, "IPv4 subnet");
}

Result<> add_gateway(NetworkRecord& wanted, const std::string& ip) {
  ASSIGN_OR_RETURN(IpAddress a, IpAddress::parse(ip));
  return a.v6 ? set_once(wanted.gateway_v6, ip, "IPv6 gateway") : set_once(wanted.gateway, ip, "IPv4 gateway");
}

Result<> add_driver_option(NetworkRecord& wanted, const std::string& key, const std::string& value) {
  if (key != "mtu" && key != "com.docker.network.driver.mtu") {
    wanted.options[key] = value;
    return {};
  }
  auto mtu = parse_int(value);
  if (!mtu) return fail("invalid mtu", value);
  wanted.mtu = static_cast<int>(*mtu);
  return {};
}

Result<> validate_network_name(const std::string& name) {
  auto ok = [](char c, bool first) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (!first && (c == '_' || c == '.' || c == '-'));
  };
  bool valid = !name.empty();
  for (size_t i = 0; valid && i < name.size(); i++) valid = ok(name[i], i == 0);
  if (!valid) return fail("invalid network name \"" + name + "\": it must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  return {};
}

// ---- the record ----

Json NetworkRecord::to_json() const {
  Json config = Json::array();
  config.push_back({{"Subnet", subnet}, {"Gateway", gateway}});
  if (ipv6) config.push_back({{"Subnet", subnet_v6}, {"Gateway", gateway_v6}});
  // docker shows an endpoint's address with its subnet's prefix length.
  auto with_prefix = [](const std::string& ip, const std::string& net) {
    size_t slash = net.find('/');
    return ip.empty() || slash == std::string::npos ? ip : ip + net.substr(slash);
  };
  Json containers = Json::object();
  for (const auto& [cid, ip] : addresses) containers[cid]["IPv4Address"] = with_prefix(ip, subnet);
  for (const auto& [cid, ip] : addresses_v6) containers[cid]["IPv6Address"] = with_prefix(ip, subnet_v6);
  for (const auto& [cid, e] : endpoints) {
    Json ports = Json::array();
    for (const auto& p : e.ports) ports.push_back(p.to_json());
    containers[cid]["Endpoint"] = {{"Names", e.names}, {"Ports", ports}, {"Dns", e.dns}};
    if (!e.names.empty()) containers[cid]["Name"] = e.names.front();  // docker's: the container's name
  }
  for (auto& [cid, c] : containers.items()) {
    if (!c.contains("IPv4Address")) c["IPv4Address"] = "";
    if (!c.contains("IPv6Address")) c["IPv6Address"] = "";
  }
  return {{"Name", name},
          {"Id", id},
          {"Created", created},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv6", ipv6},
          {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", config}}},
          {"Internal", internal},
          {"Attachable", false},
          {"Ingress", false},
          {"Containers", containers},
          {"Options", options},
          {"Labels", labels},
          {"Bridge", bridge},
          {"MTU", mtu},
          {"Default", is_default}};
}

Result<NetworkRecord> NetworkRecord::from_json(const Json& j, const std::string& source) {
  try {
    NetworkRecord r;
    r.id = j.at("Id").get<std::string>();
    r.name = j.at("Name").get<std::string>();
    r.created = j.value("Created", "");
    r.driver = j.value("Driver", "bridge");
    r.ipv6 = j.value("EnableIPv6", false);
    r.internal = j.value("Internal", false);
    r.bridge = j.value("Bridge", "");
    r.mtu = j.value("MTU", 0);
    r.is_default = j.value("Default", false);
    r.options = j.value("Options", std::map<std::string, std::string>{});
    r.labels = j.value("Labels", std::map<std::string, std::string>{});
    for (const Json& c : j.at("IPAM").at("Config")) {
      std::string net = c.at("Subnet").get<std::string>(), gw = c.value("Gateway", "");
      bool v6 = net.find(':') != std::string::npos;
      (v6 ? r.subnet_v6 : r.subnet) = net;
      (v6 ? r.gateway_v6 : r.gateway) = gw;
    }
    auto strip = [](const std::string& ip) { return ip.substr(0, ip.find('/')); };
    const Json containers = j.value("Containers", Json::object());  // items() must not outlive it
    for (const auto& [cid, c] : containers.items()) {
      std::string v4 = strip(c.value("IPv4Address", "")), v6 = strip(c.value("IPv6Address", ""));
      if (!v4.empty()) r.addresses[cid] = v4;
      if (!v6.empty()) r.addresses_v6[cid] = v6;
      if (!c.contains("Endpoint")) continue;
      Endpoint& e = r.endpoints[cid];
      const Json& ej = c["Endpoint"];
      e.names = ej.value("Names", std::vector<std::string>{});
      e.dns = ej.value("Dns", std::vector<std::string>{});
      for (const Json& p : ej.value("Ports", Json::array())) e.ports.push_back(PortBinding::from_json(p));
    }
    return r;
  } catch (const Json::exception& e) {
    return fail(std::string("invalid network record (") + e.what() + ")", source);
  }
}

// ---- choosing subnets ----

namespace {

constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";
constexpr const char* kMtuOption = "com.docker.network.driver.mtu";

// The destinations of the host's routes; default routes say nothing about what is in use.
Result<std::vector<Subnet>> parse_routes(const std::vector<std::string>& routes) {
  std::vector<Subnet> out;
  for (const auto& r : routes) {
    if (r.empty() || r == "default") continue;
    ASSIGN_OR_RETURN_CTX(Subnet s, Subnet::parse(r, Subnet::HostBits::kMask), "reading the host's routes");
    if (s.prefix > 0) out.push_back(s);
  }
  return out;
}

// Why a subnet cannot be used: it overlaps another berth network or a host route.
Result<> check_free(const Subnet& s, const std::vector<NetworkRecord>& networks,
                    const std::vector<Subnet>& routes) {
  for (const auto& n : networks) {
    const std::string& theirs = s.v6() ? n.subnet_v6 : n.subnet;
    if (theirs.empty()) continue;
    ASSIGN_OR_RETURN_CTX(Subnet other, Subnet::parse(theirs), "network " + n.name);
    if (s.overlaps(other))
      return fail("subnet " + s.to_string() + " overlaps with subnet " + theirs + " of network " + n.name);
  }
  for (const auto& r : routes)
    if (s.overlaps(r))
      return fail("subnet " + s.to_string() + " overlaps with host route " + r.to_string());
  return {};
}

// What a subnet from the pool must not overlap: the other networks' subnets of its family
// and the host's routes.
Result<std::vector<Subnet>> taken_subnets(bool v6, const std::vector<NetworkRecord>& networks,
                                          const std::vector<Subnet>& routes) {
  std::vector<Subnet> taken = routes;
  for (const auto& n : networks) {
    const std::string& theirs = v6 ? n.subnet_v6 : n.subnet;
    if (theirs.empty()) continue;
    ASSIGN_OR_RETURN_CTX(Subnet s, Subnet::parse(theirs), "network " + n.name);
    taken.push_back(s);
  }
  return taken;
}

Result<Subnet> pick_subnet(const std::vector<AddressPool>& pools, bool v6, const std::vector<NetworkRecord>& networks,
                           const std::vector<Subnet>& routes) {
  ASSIGN_OR_RETURN(auto taken, taken_subnets(v6, networks, routes));
  if (auto s = first_free_subnet(pools, taken)) return *s;
  if (v6)
    return fail("all predefined IPv6 address pools (" + v6_pool().base.to_string() + ") have been fully subnetted");
  return fail("all predefined address pools have been fully subnetted");
}

// Settles one family's subnet and gateway of a new network: parses what the user gave (or
// takes the next subnet of `pools` and its first host) and checks it.
Result<> settle_family(bool v6, std::string& subnet, std::string& gateway, const std::vector<AddressPool>& pools,
                       const std::vector<NetworkRecord>& networks, const std::vector<Subnet>& routes) {
  const char* family = v6 ? "IPv6" : "IPv4";
  Subnet s;
  if (subnet.empty()) {
    ASSIGN_OR_RETURN(s, pick_subnet(pools, v6, networks, routes));
  } else {
    ASSIGN_OR_RETURN(s, Subnet::parse(subnet));
    if (s.v6() != v6) return fail("subnet " + subnet + " is not an " + family + " subnet");
    if (s.host_count() < 2) return fail("subnet " + subnet + " is too small: it needs a gateway and a container");
    TRY(check_free(s, networks, routes));
  }
  subnet = s.to_string();
  if (gateway.empty()) {
    gateway = s.host(1)->to_string();
    return {};
  }
  ASSIGN_OR_RETURN(IpAddress gw, IpAddress::parse(gateway));
  if (!s.is_host(gw)) return fail("gateway " + gateway + " is not a host address of subnet " + subnet);
  gateway = gw.to_string();
  return {};
}

Result<> settle_bridge(NetworkRecord& rec, const std::vector<NetworkRecord>& networks) {
  if (rec.bridge.empty() && rec.options.contains(kBridgeNameOption)) rec.bridge = rec.options[kBridgeNameOption];
  if (rec.bridge.empty()) rec.bridge = "br-" + rec.id.substr(0, 12);
  // IFNAMSIZ (16) counts the terminating NUL; '/', ':' and whitespace are refused by the
  // kernel's dev_valid_name() or confuse /sys/class/net and alias syntax.
  bool valid = rec.bridge.size() <= 15 && rec.bridge != "." && rec.bridge != "..";
  for (char c : rec.bridge) valid &= c > ' ' && c != '/' && c != ':' && c != 0x7f;
  if (!valid) return fail("invalid bridge name \"" + rec.bridge + "\": at most 15 characters, no '/', ':' or spaces");
  for (const auto& n : networks)
    if (n.bridge == rec.bridge) return fail("bridge " + rec.bridge + " is already used by network " + n.name);
  return {};
}

Result<> settle_mtu(NetworkRecord& rec) {
  if (rec.mtu == 0 && rec.options.contains(kMtuOption)) {
    auto n = parse_int(rec.options[kMtuOption]);
    if (!n) return fail("invalid MTU " + rec.options[kMtuOption]);
    rec.mtu = static_cast<int>(std::clamp<int64_t>(*n, -1, 65536));
  }
  // 68: the smallest MTU IPv4 allows (RFC 791); 65535: the largest an IP packet can be.
  if (rec.mtu != 0 && (rec.mtu < 68 || rec.mtu > 65535))
    return fail("invalid MTU " + std::to_string(rec.mtu) + ": it must be 68..65535");
  return {};
}

}  // namespace

// ---- the store ----

std::string NetworkStore::lock_path() const { return path_join(dir_, ".lock"); }
std::string NetworkStore::record_path(const std::string& id) const { return path_join(dir_, id + ".json"); }

Result<> NetworkStore::save(const NetworkRecord& rec) const {
  // rename(2) makes the update atomic for readers; no fsync: an allocation is written at
  // every container creation, and ext4/xfs order the data before a replacing rename.
  return write_file_atomic(record_path(rec.id), rec.to_json().dump(2), 0644, Sync::kNoSync);
}

Result<NetworkStore> NetworkStore::open(const std::string& storage_root,
                                        const std::vector<std::string>& host_routes, bool default_root,
                                        const std::string& config_path) {
  NetworkStore store(path_join(storage_root, "networks"), config_path);
  TRY(make_dirs(store.dir_, 0755));
  TRY_CTX(store.ensure_default(host_routes, default_root), "creating the default network");
  return store;
}

Result<> NetworkStore::ensure_default(const std::vector<std::string>& host_routes, bool default_root) {
  auto has_default = [](const std::vector<NetworkRecord>& all) {
    return std::any_of(all.begin(), all.end(),
                       [](const NetworkRecord& n) { return n.is_default || n.name == kDefaultNetworkName; });
  };
  ASSIGN_OR_RETURN(auto all, list());
  if (has_default(all)) return {};  // the usual case, without taking the lock
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(all, list());  // someone else may have just created it
  if (has_default(all)) return {};
  NetworkRecord rec;
  rec.name = kDefaultNetworkName;
  if (default_root) rec.bridge = kDefaultBridgeName;
  rec.is_default = true;
  TRY(create_locked(std::move(rec), host_routes));
  return {};
}

Result<NetworkRecord> NetworkStore::create(NetworkRecord wanted, const std::vector<std::string>& host_routes) {
  wanted.is_default = false;
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  return create_locked(std::move(wanted), host_routes);
}

Result<NetworkRecord> NetworkStore::create_locked(NetworkRecord rec, const std::vector<std::string>& host_routes) {
  TRY(validate_network_name(rec.name));
  // docker's predefined networks: "host" and "none" are network modes, "bridge" its default.
  for (const char* reserved : {"bridge", "host", "none"})
    if (rec.name == reserved) return fail("operation is not permitted on predefined " + rec.name + " network");
  if (rec.driver.empty()) rec.driver = "bridge";
  if (rec.driver != "bridge") return fail("network driver \"" + rec.driver + "\" is not supported (only \"bridge\")");
  ASSIGN_OR_RETURN(auto networks, list());
  for (const auto& n : networks)
    if (n.name == rec.name) return fail_errno(EEXIST, "network with name " + rec.name + " already exists");
  ASSIGN_OR_RETURN(auto routes, parse_routes(host_routes));
  rec.id = random_hex(32);
  rec.created = rfc3339_now();
  rec.addresses.clear();
  rec.addresses_v6.clear();
  TRY(settle_mtu(rec));
  TRY(settle_bridge(rec, networks));
  // The settings file is read only when the pool is needed: a broken file must not stand in
  // the way of a network whose subnet is given.
  std::vector<AddressPool> v4_pools;
  if (rec.subnet.empty()) {
    ASSIGN_OR_RETURN(v4_pools, load_v4_pools(config_path_));
  }
  TRY(settle_family(false, rec.subnet, rec.gateway, v4_pools, networks, routes));
  if (!rec.subnet_v6.empty()) rec.ipv6 = true;
  if (rec.ipv6) TRY(settle_family(true, rec.subnet_v6, rec.gateway_v6, {v6_pool()}, networks, routes));
  if (!rec.ipv6) rec.gateway_v6.clear();
  // Durable: unlike an allocation, a lost definition could not be rebuilt.
  TRY(write_file_atomic(record_path(rec.id), rec.to_json().dump(2), 0644, Sync::kDurable));
  return rec;
}

Result<std::vector<NetworkRecord>> NetworkStore::list() const {
  std::vector<NetworkRecord> out;
  ASSIGN_OR_RETURN(auto names, list_dir(dir_));
  for (const auto& name : names) {
    if (name.size() != 64 + 5 || !ends_with(name, ".json")) continue;  // .lock, temporaries
    std::string path = path_join(dir_, name);
    auto j = read_json_file(path);
    if (!j && j.error().errno_value() == ENOENT) continue;  // removed meanwhile
    if (!j) return std::unexpected(j.error());
    ASSIGN_OR_RETURN(NetworkRecord rec, NetworkRecord::from_json(*j, path));
    out.push_back(std::move(rec));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<NetworkRecord> NetworkStore::find(const std::string& key) const {
  ASSIGN_OR_RETURN(auto all, list());
  // docker's order: full id, then name, then id prefix.
  for (const auto& n : all)
    if (n.id == key) return n;
  for (const auto& n : all)
    if (n.name == key || (key == "bridge" && n.is_default)) return n;
  std::vector<const NetworkRecord*> prefix;
  for (const auto& n : all)
    if (!key.empty() && starts_with(n.id, key)) prefix.push_back(&n);
  if (prefix.size() == 1) return *prefix[0];
  if (prefix.size() > 1)
    return fail("network " + key + " is ambiguous (" + std::to_string(prefix.size()) +
                " matches found based on ID prefix)");
  return fail_errno(ENOENT, "network " + key + " not found");
}

Result<> NetworkStore::remove(const std::string& key, bool force) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(NetworkRecord rec, find(key));
  if (rec.is_default) return fail(rec.name + " is a pre-defined network and cannot be removed");
  if (!force && (!rec.addresses.empty() || !rec.addresses_v6.empty()))
    return fail("error while removing network: network " + rec.name + " has active endpoints");
  std::string path = record_path(rec.id);
  if (::unlink(path.c_str()) < 0) return sys_error("unlink", path);
  return {};
}

Result<std::vector<NetworkRecord>> NetworkStore::prune(const std::function<Result<>(const NetworkRecord&)>& before_removing) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(auto all, list());
  std::vector<NetworkRecord> removed;
  for (auto& n : all) {
    if (n.is_default || !n.addresses.empty() || !n.addresses_v6.empty()) continue;
    if (before_removing) TRY(before_removing(n));
    std::string path = record_path(n.id);
    if (::unlink(path.c_str()) < 0) return sys_error("unlink", path);
    removed.push_back(std::move(n));
  }
  return removed;
}

namespace {

// One family's address for a container: the one it holds, the one it asks for, or the
// lowest free host address. Adds it to `taken` and returns it.
Result<std::string> assign_address(const NetworkRecord& net, bool v6, std::map<std::string, std::string>& taken,
                                   const std::string& container_id, const std::string& wanted) {
  const std::string& subnet_text = v6 ? net.subnet_v6 : net.subnet;
  const char* family = v6 ? "IPv6" : "IPv4";
  ASSIGN_OR_RETURN(Subnet subnet, Subnet::parse(subnet_text));
  ASSIGN_OR_RETURN(IpAddress gateway, IpAddress::parse(v6 ? net.gateway_v6 : net.gateway));
  std::optional<IpAddress> want;
  if (!wanted.empty()) {
    ASSIGN_OR_RETURN(want, IpAddress::parse(wanted));
    if (!subnet.is_host(*want))
      return fail("address " + wanted + " is not a host address of subnet " + subnet_text + " of network " + net.name);
    if (*want == gateway) return fail("address " + wanted + " is the gateway of network " + net.name);
  }
  if (auto held = taken.find(container_id); held != taken.end()) {
    if (want && want->to_string() != held->second)
      return fail("container " + container_id + " already has address " + held->second + " on network " + net.name);
    return held->second;
  }
  std::set<IpAddress> used{gateway};
  for (const auto& [cid, ip] : taken) {
    ASSIGN_OR_RETURN_CTX(IpAddress a, IpAddress::parse(ip), "network " + net.name);
    used.insert(a);
  }
  if (want && used.contains(*want)) return fail("address " + wanted + " is already in use on network " + net.name);
  // The walk stops at the first gap: at most used.size() + 1 steps, whatever the subnet size.
  for (uint64_t n = 1; !want; n++) {
    auto candidate = subnet.host(n);
    if (!candidate)
      return fail(std::string("no available ") + family + " addresses on this network's address pools: " +
                  net.name + " (" + subnet_text + ")");
    if (!used.contains(*candidate)) want = candidate;
  }
  std::string ip = want->to_string();
  taken[container_id] = ip;
  return ip;
}

}  // namespace

Result<std::string> NetworkStore::allocate(const std::string& network, const std::string& container_id,
                                           const std::string& wanted_ip, const std::string& wanted_ip6) {
  if (container_id.empty()) return fail("allocating an address: empty container id");
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(NetworkRecord rec, find(network));
  if (!rec.ipv6 && !wanted_ip6.empty()) return fail("network " + rec.name + " does not have IPv6 enabled");
  NetworkRecord before = rec;
  ASSIGN_OR_RETURN(std::string ip, assign_address(rec, false, rec.addresses, container_id, wanted_ip));
  if (rec.ipv6) TRY(assign_address(rec, true, rec.addresses_v6, container_id, wanted_ip6));
  if (rec.addresses != before.addresses || rec.addresses_v6 != before.addresses_v6) TRY(save(rec));
  return ip;
}

Result<> NetworkStore::release(const std::string& network, const std::string& container_id) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(NetworkRecord rec, find(network));
  size_t erased = rec.addresses.erase(container_id) + rec.addresses_v6.erase(container_id);
  if (erased) TRY(save(rec));
  return {};
}

Result<> NetworkStore::modify(const Change& change, const After& after) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(auto all, list());
  auto before = all;
  TRY(change(all));
  for (size_t i = 0; i < all.size() && i < before.size(); i++)
    if (all[i].to_json() != before[i].to_json()) TRY(save(all[i]));
  return after ? after(all) : Result<>{};
}

Result<std::vector<std::string>> NetworkStore::release_all(const std::string& container_id) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path()));
  ASSIGN_OR_RETURN(auto all, list());
  std::vector<std::string> touched;
  for (auto& rec : all) {
    size_t erased = rec.addresses.erase(container_id) + rec.addresses_v6.erase(container_id);
    if (!erased) continue;
    TRY(save(rec));
    touched.push_back(rec.name);
  }
  return touched;
}

}  // namespace berth::engine
