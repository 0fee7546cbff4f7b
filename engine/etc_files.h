// The three files berth writes for each container and bind-mounts into it: /etc/hosts,
// /etc/hostname and /etc/resolv.conf (docker's behaviour, including --add-host, --dns,
// --dns-search and --dns-option).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::engine {

struct EtcInputs {
  std::string hostname;
  std::string ip;                          // its address on a bridge network ("" = none)
  std::string gateway;                     // that network's gateway, for host-gateway
  std::string network = "none";            // none | host | a network's name
  std::vector<std::string> add_hosts;      // --add-host name:ip (or name=ip)
  std::vector<std::string> dns, dns_search, dns_options;
  std::string embedded_dns;                // the network's DNS server (its gateway), if any
  std::optional<std::string> host_hosts;   // the host's /etc/hosts (for --network host)
  std::optional<std::string> host_resolv;  // the host's /etc/resolv.conf
  std::optional<std::string> upstream_resolv;  // /run/systemd/resolve/resolv.conf, if any
};

// /etc/hosts: localhost lines (or the host's, with --network host), the container's own
// address and name, then each --add-host ("host-gateway" = the network's gateway).
// A malformed --add-host is an error naming it.
Result<std::string> hosts_file(const EtcInputs& in);

// /etc/resolv.conf: --dns/--dns-search/--dns-option when given, else the host's. A loopback
// nameserver (systemd-resolved's 127.0.0.53 stub) cannot be reached from a container's own
// network namespace, so it is replaced by resolved's real upstreams when they are known,
// and dropped otherwise; --network host keeps the host's file as it is. On a bridge network
// the only nameserver is the network's embedded DNS server, which forwards to the host's
// nameservers or to --dns (docker's behaviour); search and options stay.
Result<std::string> resolv_conf(const EtcInputs& in);

// When a container's first network changes (`network connect/disconnect`), its files are
// edited rather than written anew, so that what the user changed in them stays:
// resolv.conf's embedded-DNS nameserver (the line after berth's comment) names `dns`;
// without that comment (removed by the user) the text is returned as it is.
std::string with_embedded_dns(const std::string& resolv, const std::string& dns);
// hosts' line for the container's own address: "OLD\tNAME" becomes "NEW\tNAME", is added
// (after the localhost lines) when there was none, or goes when `new_ip` is empty.
std::string with_own_address(const std::string& hosts, const std::string& old_ip, const std::string& new_ip,
                             const std::string& hostname);

}  // namespace berth::engine
