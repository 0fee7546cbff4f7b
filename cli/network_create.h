// `berth network create`'s flags, as docker has them, turned into the record the engine
// creates (engine/network_store.h).
//
//   berth network create --ipv6 --subnet 172.28.0.0/16 --subnet fd00:28::/64
//       --gateway 172.28.0.1 --gateway fd00:28::1 NAME
//
// --subnet and --gateway repeat, and each value goes to its address family: at most one of
// each, a gateway only with a subnet of its family, an IPv6 subnet only with --ipv6 (as in
// docker, where a network without IPv6 has no IPv6 subnet to give). --subnet-v6 is berth's
// older spelling of an IPv6 --subnet, kept because scripts use it.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/network_store.h"

namespace berth::cli {

struct NetworkCreateFlags {
  std::vector<std::string> subnets, gateways, subnets_v6;
  bool internal = false, ipv6 = false;
  std::vector<std::string> opts, labels;  // -o key=value (mtu=N), --label k=v
};

// Errors name the flag: `--subnet: fd00:28::/64 is an IPv6 subnet, which needs --ipv6`.
Result<engine::NetworkRecord> network_create_request(const std::string& name, const NetworkCreateFlags& flags);

}  // namespace berth::cli
