// Published ports: docker's `-p` syntax, and the host ports a running container holds.
//
// `-p 8080:80` asks the host to send what arrives on its port 8080 to the container's port
// 80. The container's address lives in a network namespace of its own, behind a bridge, so
// something on the host must translate: a DNAT rule in berth's nftables table
// (netns/nftables.h), or, without nftables, a userland proxy. This file is only the
// bookkeeping: what the user asked for, and which host port each request got.
//
// Syntax (docker run --publish):  [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]
//   -p 80                 container port 80 on an ephemeral host port (the kernel's choice)
//   -p 8080:80            host port 8080 on every host address
//   -p 127.0.0.1:8080:80  only on 127.0.0.1
//   -p 127.0.0.1::80      only on 127.0.0.1, ephemeral host port
//   -p 8000-8002:80-82    three ports, pairwise
//   -p 8000-8010:80       the first free host port of the range
//   -p [::1]:8080:80/udp  an IPv6 host address is written in brackets
//
// Read: docker-run(1) "--publish", ip_local_port_range in ip-sysctl.rst (where the
// ephemeral ports come from), and bind(2)'s EADDRINUSE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::engine {

// One container port as the user asked for it.
struct PortRequest {
  std::string host_ip;              // "" = every address
  uint16_t host_first = 0;          // 0 = ephemeral
  uint16_t host_last = 0;           // == host_first unless a range to choose from
  uint16_t container_port = 0;
  std::string protocol = "tcp";     // tcp | udp
  bool operator==(const PortRequest&) const = default;
};

// One container port as it is published while the container runs.
struct PortBinding {
  std::string host_ip;  // "" = every address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";
  bool proxy = false;   // served by the shim's userland proxy, not by a DNAT rule
  bool operator==(const PortBinding&) const = default;

  // docker inspect's NetworkSettings.Ports value: {"HostIp": "0.0.0.0", "HostPort": "8080"}.
  Json to_json() const;
  static PortBinding from_json(const Json& j);
  // "0.0.0.0:8080->80/tcp", as `docker ps` shows it.
  std::string to_string() const;
};

// Parses one -p value; a range becomes one request per port. The error names the value.
Result<std::vector<PortRequest>> parse_publish(const std::string& spec);

// "80", "80/udp", "8000-8002/tcp" (an image's EXPOSE, or --expose): for -P.
Result<std::vector<PortRequest>> parse_exposed(const std::string& spec);

// Picks the host ports: a fixed one is checked free (a trial bind(2) of that address,
// port and protocol; `taken` lists what other running containers already publish), an
// ephemeral one is the kernel's choice. The error is docker's: "Bind for 0.0.0.0:8080
// failed: port is already allocated".
Result<std::vector<PortBinding>> choose_host_ports(const std::vector<PortRequest>& requests,
                                                   const std::vector<PortBinding>& taken);

}  // namespace berth::engine
