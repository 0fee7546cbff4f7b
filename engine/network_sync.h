// What exists in the kernel for a bridge network follows the state files.
//
// The network records (engine/network_store.h) say which containers run on which network
// and which host ports lead to them. From that state alone, under the store's lock, berth
// derives everything else:
//   - the bridge (with the gateway address) exists from `network create` (or, for the
//     default network, its first container) until `network rm`, as docker's do;
//   - the network's embedded DNS server (berth-dns, netns/dns_server.h) starts with the
//     network's first container, stays until `network rm`, and reads its names from a
//     records file berth rewrites on every start and stop;
//   - one nftables table per state root holds the NAT and forwarding rules of every network
//     whose bridge exists and the published ports of running containers, replaced as a
//     whole in one transaction (netns/nftables.h) when that text changes.
// Because each of these is recomputed from the state rather than patched, a command that
// crashed half-way leaves nothing the next change does not put right.
#pragma once

#include <string>
#include <vector>

#include "engine/network_store.h"
#include "netns/netlink.h"

namespace berth::engine {

// The network's bridge with its gateway address(es), up (again, after a reboot).
Result<> ensure_bridge(netns::Netlink& nl, const NetworkRecord& net);

// berth-dns's records file for a network (its format: netns/dns_records.h): the upstreams,
// whether to forward at all (internal networks do not), the network's subnets (only its
// own clients are answered), each running container's addresses and names, and for a
// container also on other networks (`all`), their names as answers for it alone ("peer").
std::string render_dns_records(const NetworkRecord& net, const std::vector<NetworkRecord>& all,
                               const std::vector<std::string>& upstreams);

// The nameservers of a resolv.conf text, in order.
std::vector<std::string> nameservers_of(const std::string& resolv_conf);

// The host's resolvers, for its DNS servers to forward to: the nameservers of
// /etc/resolv.conf (`resolv_conf`), except that systemd-resolved's stub (127.0.0.53, or
// 127.0.0.54) alone is replaced by the servers it forwards to (`resolved_conf`, the text of
// /run/systemd/resolve/resolv.conf), as docker does. The stub would answer too (berth-dns
// runs in the host's namespace, where it is reachable); the real servers give containers
// the resolvers docker's would get, one hop nearer. When resolved lists none there (no
// network configured yet), the stub stays.
std::vector<std::string> upstreams_of(const std::string& resolv_conf, const std::string& resolved_conf);

// The nftables table that holds one state root's rules: "berth" for the default root, else
// "berth_" and 8 hex digits of a hash of its storage path (many roots share the host).
std::string nat_table_name(const std::string& storage_root, bool default_root);

}  // namespace berth::engine
