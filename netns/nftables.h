// NAT and forwarding rules for bridge networks, through nftables (libnftables).
//
// A container on a bridge network has a private address (172.18.0.2) that only the host
// can reach. Three kinds of rules make it useful, all in netfilter's tables:
//
// - DNAT publishes a port: a connection to one of the host's own addresses, port 8080,
//   has its destination rewritten to 172.18.0.2:80 before routing, so the kernel forwards
//   it to the container. conntrack remembers the rewrite and undoes it on the replies.
// - Masquerade (source NAT) lets the container out: a packet from 172.18.0.0/16 leaving
//   by another interface takes that interface's address as its source, so the replies
//   come back to the host, which hands them on.
// - A filter on the forward hook keeps bridges apart: nothing enters a bridge unless it
//   belongs to a published port, answers a connection from inside, or comes from the same
//   bridge. Internal networks get nothing in or out at all.
//
// berth never edits rules one by one. It computes the whole desired state of its rules from
// its state files (NatRuleset) and replaces its own table with it in one transaction, each
// time something changes. What a crashed berth left behind is thus gone at the next
// change, and no half-applied state is ever visible. Each state root owns one table, named
// by the caller (several roots, e.g. concurrent tests with their own --root, share the
// host's network namespace); a table is never touched by another root's berth, and other
// software's tables (firewalld, docker's iptables-nft, the host's own) are never touched at
// all. Every base chain has policy accept, so the host's other traffic is left alone.
//
// nftables.cpp shows the table for a small example and says why each rule is there.
//
// Rules alone are not the whole of it. The caller also turns on forwarding
// (enable_ip_forward), route_localnet on bridges whose containers publish ports
// (enable_route_localnet, for 127.0.0.1), and hairpin mode on each container's bridge port
// (a netlink attribute of the veth, IFLA_BRPORT_MODE), without which a container cannot
// reach its own published port through the host's address while br_netfilter is loaded.
//
// Cost, measured on a 2-CPU VM (kernel 6.18, libnftables 1.0.6), 2 networks and 10 ports:
// about 0.8 ms of work (parsing, a few netlink dumps, the commit), then about 12 ms of
// waiting when libnftables closes its socket: after a commit that removed anything (here,
// the old table), the kernel makes the closing of an nf_tables socket wait for the
// deferred destruction of the old objects, i.e. for an RCU grace period. It costs no CPU,
// and a caller that does not re-apply an unchanged ruleset pays it only on changes.
//
// Read: nft(8) (STATEMENTS: NAT; EXPRESSIONS: FIB, CONNTRACK), the nftables wiki pages
// "Performing Network Address Translation (NAT)", "Netfilter hooks", "Atomic rule
// replacement" and "Matching routing information" (fib), conntrack(8), and libnftables(3)
// for the library. Afterwards the reader should know which hook sees a packet when, why
// DNAT happens before routing and masquerade after it, and why 127.0.0.1 needs
// route_localnet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::netns {

// One bridge network, as the rules see it.
struct NatNetwork {
  std::string bridge;          // "br-1a2b3c4d": the link the network's containers hang off
  std::string subnet;          // "172.18.0.0/16": IPv4, no host bits
  std::string subnet_v6 = {};  // "" or "fd00:1::/64": masqueraded outbound like the IPv4 one
  bool internal = false;       // no traffic in or out except within the bridge, and no NAT
};

// One published port. Ranges (-p 8000-8010:8000-8010) are expanded by the caller into one
// PortForward per port: a rule each, which `nft list` shows one per line.
struct PortForward {
  std::string host_ip;           // "": every local address, IPv4 and IPv6 (as docker's -p);
                                 // "0.0.0.0" or "::": every one of that family; else only it
  uint16_t host_port = 0;
  std::string container_ip;      // IPv4 ("" when the container has none)
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // "tcp", "udp" or "sctp"
  std::string container_ip6 = {};  // IPv6, on a network made with --ipv6; "" otherwise
};

// Everything one state root wants: rendered, it replaces the table `table` as a whole.
struct NatRuleset {
  std::string table;  // nft identifier, e.g. "berth_1a2b3c4d"
  std::vector<NatNetwork> networks = {};
  std::vector<PortForward> ports = {};
};

// Checks what render_ruleset would write into nft's language: the table name is an
// identifier, bridge names are link names with no character nft would read as syntax or
// as a wildcard, addresses are literal IPv4/IPv6 addresses (never names nft would resolve
// through DNS), subnets have no host bits, ports are not 0, and no port is published
// twice for overlapping host addresses. The error names the offending value.
Result<> check_ruleset(const NatRuleset& ruleset);

// The nft script that replaces the table with the ruleset, as one transaction. Pure and
// deterministic (networks by bridge name, ports sorted and de-duplicated), so equal
// rulesets give equal text. An empty ruleset renders a script that only removes the table.
// Meaningful only for a ruleset check_ruleset accepts.
std::string render_ruleset(const NatRuleset& ruleset);

// check_ruleset, render_ruleset, then run_nft: the table now holds exactly the ruleset, or,
// on error, exactly what it held before. Works in the calling thread's network namespace.
// The caller serialises calls for one table (e.g. under its state root's lock): two
// berths applying different states at once would each replace the other's.
Result<> apply_ruleset(const NatRuleset& ruleset);

// delete table inet TABLE; a missing table is success, so cleanup can run twice.
Result<> delete_table(const std::string& table);

// Runs nft commands (the language of nft(8)) through libnftables, in the calling thread's
// network namespace, and returns what nft printed. One call is one transaction. Errors
// carry nft's own words, e.g.
//   nft: Could not process rule: No such file or directory, in "jump nosuch"
Result<std::string> run_nft(const std::string& commands);

// Whether nftables works here: the kernel has nf_tables and this process may use it
// (CAP_NET_ADMIN over the current network namespace). When false, published ports need
// the userland proxy and outbound NAT is unavailable.
bool nftables_usable();

// net.ipv4.ip_forward = 1 in the calling thread's network namespace, unless already so:
// without it the kernel forwards nothing between interfaces, so neither published ports
// nor outbound traffic work. IPv6 forwarding is left alone: turning it on makes the host
// ignore router advertisements (accept_ra=1), which can cost it its own IPv6 route.
Result<> enable_ip_forward();

// net.ipv4.conf.BRIDGE.route_localnet = 1: lets packets to or from 127.0.0.0/8 be routed
// through BRIDGE, which publishing to 127.0.0.1 needs (a connection to 127.0.0.1:8080 is
// DNATed to the container and then leaves by the bridge with its 127.0.0.1 source, which
// masquerade rewrites on the way out). The ruleset's guard chain drops what this would
// otherwise let in (see nftables.cpp). The bridge must exist.
Result<> enable_route_localnet(const std::string& bridge);

}  // namespace berth::netns
