// Networks on disk and the addresses handed out on them (IPAM: IP address management).
//
// This is the bookkeeping half of `berth network create|ls|rm|inspect`: which bridge
// networks exist, which subnet each one owns, and which container holds which address.
// Creating the bridge, the veths and the routes is netns/'s job; it reads these records.
//
// Layout:
//   <storage>/networks/<id>.json   one record per network, allocations included
//   <storage>/networks/.lock       flock held by every create, remove, allocate and release
// Records are replaced with write_file_atomic (rename(2)), so readers (ls, inspect, find)
// never need the lock: they see the old record or the new one, never half of one.
//
// Read first: RFC 4632 (CIDR notation: "10.88.0.0/16" is an address and a prefix length),
// RFC 1918 (the private IPv4 ranges the pools come from), RFC 4193 (IPv6 unique local
// addresses, fc00::/7), RFC 4291 section 2.6.1 (why an IPv6 subnet's all-zero host address
// is not handed out either). Afterwards you should know why a bridge network must not
// overlap any route the host already has: the kernel would send that traffic to the bridge,
// and the LAN or VPN behind the old route would become unreachable.
//
// Subnets, when `network create` is given none, come from the address pools
// (engine/address_pools.h): the first one that overlaps neither another berth network nor
// a route of the host. The IPv4 pools can be set in berth's settings file.
// Addresses: the gateway defaults to the first host (.1); containers get the lowest free
// host address after it, skipping the network address and, for IPv4, the broadcast.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "engine/ports.h"

namespace berth::engine {

// An IPv4 or IPv6 address as one number: IPv4 in the low 32 bits. Arithmetic on it is how
// subnets are masked, compared and counted through.
struct IpAddress {
  bool v6 = false;
  unsigned __int128 bits = 0;

  // "10.88.0.2" or "fd00::2" (inet_pton's syntax); the error names the text.
  static Result<IpAddress> parse(std::string_view text);
  std::string to_string() const;  // inet_ntop's canonical form (RFC 5952 for IPv6)
  int width() const { return v6 ? 128 : 32; }
  auto operator<=>(const IpAddress&) const = default;
};

struct Subnet {
  IpAddress network;  // host bits all zero
  int prefix = 0;     // 0..32 or 0..128

  // A route's destination may carry host bits ("192.168.1.7/24" as `ip addr` shows it):
  // kMask clears them, kReject (for a subnet a user typed) makes them an error.
  enum class HostBits { kReject, kMask };
  // "10.88.0.0/16". With kMask, a bare address is a /32 (or /128).
  static Result<Subnet> parse(std::string_view cidr, HostBits host_bits = HostBits::kReject);

  bool v6() const { return network.v6; }
  std::string to_string() const;
  bool contains(const IpAddress& ip) const;
  bool overlaps(const Subnet& other) const;  // false across families
  IpAddress last() const;                    // all host bits set: the IPv4 broadcast
  // Addresses a host may use: all but the network address and, for IPv4, the broadcast.
  // Saturates at UINT64_MAX (an IPv6 /64 has 2^64 - 1).
  uint64_t host_count() const;
  // The n-th host address, counting from 1 (the default gateway); nullopt past the end.
  std::optional<IpAddress> host(uint64_t n) const;
  // Inside the subnet and neither its network address nor (IPv4) its broadcast.
  bool is_host(const IpAddress& ip) const;
  bool operator==(const Subnet&) const = default;
};

// A running container's presence on a network: what the embedded DNS answers for it and
// which host ports lead to it. Exists from its start to its stop (its address lives longer).
struct Endpoint {
  std::vector<std::string> names;  // its name, --network-alias values, its short id
  std::vector<PortBinding> ports;  // -p, with the host ports chosen at start
  std::vector<std::string> dns;    // --dns: the embedded DNS forwards its queries there
  bool operator==(const Endpoint&) const = default;
};

struct NetworkRecord {
  std::string id;  // 64 hex digits
  std::string name;
  std::string driver = "bridge";
  std::string subnet, gateway;        // IPv4, always present once created
  std::string subnet_v6, gateway_v6;  // only with ipv6
  bool internal = false;              // no route out (no NAT to the host's uplink)
  bool ipv6 = false;
  int mtu = 0;                        // 0: the kernel's default (1500)
  std::string created;                // RFC 3339
  // The bridge interface: "br-" + 12 hex digits of the id (15 bytes: IFNAMSIZ is 16 with
  // the terminating NUL); "berth0" for the default network.
  std::string bridge;
  bool is_default = false;  // the "berth" network: never removed, skipped by prune
  std::map<std::string, std::string> options, labels;
  // Allocations: container id -> address (no prefix length).
  std::map<std::string, std::string> addresses, addresses_v6;
  // Running containers: container id -> endpoint.
  std::map<std::string, Endpoint> endpoints;

  // Shaped like `docker network inspect` (Name, Id, IPAM.Config, Containers with
  // "IPv4Address": "172.18.0.2/16", ...) plus berth's Bridge, MTU and Default.
  Json to_json() const;
  static Result<NetworkRecord> from_json(const Json& j, const std::string& source);
};

inline constexpr const char* kDefaultNetworkName = "berth";
inline constexpr const char* kDefaultBridgeName = "berth0";

class NetworkStore {
 public:
  // Creates <storage>/networks and, on the first open, the default network "berth" (its
  // subnet chosen from the pool, avoiding `host_routes` as create() does; the routes are
  // only looked at then).
  // `default_root`: the system's state root, whose default network's bridge is "berth0";
  // other roots' (tests') default networks get "br-<id>" like any other, so they never
  // clash with it.
  // `config_path`: the settings file with the IPv4 pools ("": base/config_file.h's choice),
  // read only when a subnet is taken from the pool.
  static Result<NetworkStore> open(const std::string& storage_root,
                                   const std::vector<std::string>& host_routes = {},
                                   bool default_root = false, const std::string& config_path = "");

  const std::string& dir() const { return dir_; }

  // `wanted` carries name, driver, subnet/gateway (empty: from the pool / first host),
  // ipv6, subnet_v6/gateway_v6, internal, mtu, bridge (empty: "br-<id>"), options, labels.
  // `host_routes` are the destinations of the host's routes as CIDR text ("10.0.0.0/8",
  // "192.168.1.7/24" and a bare address are all fine; default routes are ignored).
  // Name conflicts fail with EEXIST.
  Result<NetworkRecord> create(NetworkRecord wanted, const std::vector<std::string>& host_routes);
  // By name, full id or unique id prefix; "bridge" (docker's name for its default network)
  // finds the default network. Not found: ENOENT.
  Result<NetworkRecord> find(const std::string& name_or_id) const;
  Result<std::vector<NetworkRecord>> list() const;  // sorted by name
  // Refused while containers hold addresses on it, unless `force`; the default network is
  // never removed.
  Result<> remove(const std::string& name_or_id, bool force = false);
  // Removes every network without allocations except the default; returns what it removed
  // (the caller deletes their bridges).
  // `before_removing` runs for each, under the lock, before its record goes (an error
  // stops the prune there).
  Result<std::vector<NetworkRecord>> prune(const std::function<Result<>(const NetworkRecord&)>& before_removing = {});

  // Gives the container an IPv4 address on the network (and an IPv6 one when the network
  // has ipv6; read it from find(network).addresses_v6). `wanted_ip`/`wanted_ip6` empty:
  // the lowest free host address. Idempotent: a container that already holds an address
  // gets it again. Returns the IPv4 address, without prefix length.
  Result<std::string> allocate(const std::string& network, const std::string& container_id,
                               const std::string& wanted_ip = "", const std::string& wanted_ip6 = "");
  // Gives the container's addresses back; nothing to release is not an error.
  Result<> release(const std::string& network, const std::string& container_id);
  // On container removal: releases its addresses on every network; returns the names of
  // the networks it had addresses on.
  Result<std::vector<std::string>> release_all(const std::string& container_id);

  // Endpoints come and go with starts and stops: `change` edits the records (all of them,
  // under the lock); those it changed are saved, then `after` sees the new state, still
  // under the lock, so that what follows the state (nftables rules, the DNS records) is
  // brought up to date in the same order as the state itself.
  using Change = std::function<Result<>(std::vector<NetworkRecord>&)>;
  using After = std::function<Result<>(const std::vector<NetworkRecord>&)>;
  Result<> modify(const Change& change, const After& after);

 private:
  NetworkStore(std::string dir, std::string config_path)
      : dir_(std::move(dir)), config_path_(std::move(config_path)) {}
  Result<> ensure_default(const std::vector<std::string>& host_routes, bool default_root);
  Result<NetworkRecord> create_locked(NetworkRecord wanted, const std::vector<std::string>& host_routes);
  Result<> save(const NetworkRecord& rec) const;
  std::string lock_path() const;
  std::string record_path(const std::string& id) const;
  std::string dir_;
  std::string config_path_;
};

// docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
Result<> validate_network_name(const std::string& name);

// docker's repeatable --subnet and --gateway, and compose's ipam.config entries: each value
// goes to the field of its family (subnet or subnet_v6, gateway or gateway_v6). A network
// has at most one subnet and one gateway of each family; a second one is an error naming
// both.
Result<> add_subnet(NetworkRecord& wanted, const std::string& cidr);
Result<> add_gateway(NetworkRecord& wanted, const std::string& ip);
// docker's -o KEY=VALUE and compose's driver_opts: the MTU (`mtu` or
// com.docker.network.driver.mtu) has a field of its own; the rest are the driver's options.
Result<> add_driver_option(NetworkRecord& wanted, const std::string& key, const std::string& value);

}  // namespace berth::engine
