// Address pools: where `network create` takes a subnet from when it is given none.
//
// A pool is a base subnet cut into subnets of one size, handed out in order:
// {"base": "172.30.0.0/16", "size": 24} is 172.30.0.0/24, 172.30.1.0/24, ... 172.30.255.0/24.
// A new network gets the first subnet of the first pool that overlaps neither another berth
// network nor a route of the host (network_store.h says why the routes matter).
//
// The IPv4 pools are docker's daemon.json key, read from berth's settings file
// (base/config_file.h), so that a host whose LAN or VPN sits in 172.16.0.0/12 can move
// berth's networks elsewhere:
//   {"default-address-pools": [{"base": "10.200.0.0/16", "size": 24}]}
// Without the key, docker's own defaults less 172.17.0.0/16 (left to a docker0 that may
// share the host): the /16s 172.18.0.0 .. 172.31.0.0, then the /20s of 192.168.0.0/16.
// The IPv6 pool is fixed: the /64s of the unique local /48 fd00:b3e7::/48 ("b3e7" for
// berth). RFC 4193 asks for a random 40-bit global id; a fixed one is fine here because
// these subnets never leave the host.
//
// Read: docker's dockerd reference, "default-address-pools"; RFC 1918 and RFC 4193.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "engine/network_store.h"

namespace berth::engine {

struct AddressPool {
  Subnet base;
  int size = 0;  // the prefix length of the subnets it is cut into: base.prefix .. 30
  bool operator==(const AddressPool&) const = default;
};

std::vector<AddressPool> default_v4_pools();
AddressPool v6_pool();

// The IPv4 pools of the settings file at `path` ("": base/config_file.h's choice): its
// "default-address-pools", or the defaults when the file or the key is missing. Errors
// name the file and the key:
//   /etc/berth/config.json: default-address-pools[1].size: 33 is not a prefix length between 16 and 30
Result<std::vector<AddressPool>> load_v4_pools(const std::string& path = "");
// The same from the file's parsed content; `path` names it in errors.
Result<std::vector<AddressPool>> parse_v4_pools(const Json& config, const std::string& path);

// The first subnet of `pools`, in order, that overlaps none of `taken`; nullopt when every
// one of them does.
std::optional<Subnet> first_free_subnet(const std::vector<AddressPool>& pools, const std::vector<Subnet>& taken);

}  // namespace berth::engine
