// `network create`'s flags to a network record (see network_create.h).
#include "cli/network_create.h"

#include "base/strings.h"
#include "cli/commands.h"

namespace berth::cli {

namespace {

// --subnet, --subnet-v6 and --gateway, each value to the field of its family.
Result<> add_addresses(engine::NetworkRecord& wanted, const NetworkCreateFlags& f) {
  for (const auto& s : f.subnets) TRY_CTX(engine::add_subnet(wanted, s), "--subnet");
  for (const auto& s : f.subnets_v6) {
    ASSIGN_OR_RETURN_CTX(engine::Subnet subnet, engine::Subnet::parse(s), "--subnet-v6");
    if (!subnet.v6()) return fail("--subnet-v6: " + s + " is not an IPv6 subnet");
    TRY_CTX(engine::add_subnet(wanted, s), "--subnet-v6");
  }
  for (const auto& g : f.gateways) TRY_CTX(engine::add_gateway(wanted, g), "--gateway");
  return {};
}

// docker's rules between the flags: an IPv6 subnet only on an IPv6 network, and a gateway
// only with the subnet it belongs to (without one, the pool's subnet is not known yet, and
// the gateway could not be in it but by chance).
Result<> check_families(const engine::NetworkRecord& wanted, const NetworkCreateFlags& f) {
  if (!wanted.subnet_v6.empty() && !f.ipv6) {
    const char* flag = f.subnets_v6.empty() ? "--subnet" : "--subnet-v6";
    return fail(std::string(flag) + ": " + wanted.subnet_v6 + " is an IPv6 subnet, which needs --ipv6");
  }
  for (bool v6 : {false, true}) {
    const std::string& gateway = v6 ? wanted.gateway_v6 : wanted.gateway;
    const std::string& subnet = v6 ? wanted.subnet_v6 : wanted.subnet;
    if (!gateway.empty() && subnet.empty()) return fail("--gateway: no matching --subnet for gateway " + gateway);
  }
  return {};
}

// -o key=value (engine::add_driver_option).
Result<> add_options(engine::NetworkRecord& wanted, const std::vector<std::string>& opts) {
  for (const auto& o : opts) {
    auto eq = o.find('=');
    if (eq == std::string::npos) return fail("invalid --opt (want key=value)", o);
    TRY(engine::add_driver_option(wanted, o.substr(0, eq), o.substr(eq + 1)));
  }
  return {};
}

}  // namespace

Result<engine::NetworkRecord> network_create_request(const std::string& name, const NetworkCreateFlags& f) {
  engine::NetworkRecord wanted;
  wanted.name = name;
  wanted.internal = f.internal;
  wanted.ipv6 = f.ipv6;
  TRY(add_addresses(wanted, f));
  TRY(check_families(wanted, f));
  TRY(add_options(wanted, f.opts));
  ASSIGN_OR_RETURN(wanted.labels, parse_label_flags(f.labels));
  return wanted;
}

}  // namespace berth::cli
