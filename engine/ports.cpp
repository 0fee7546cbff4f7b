#include "engine/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "base/fd.h"
#include "base/strings.h"

namespace berth::engine {

namespace {

struct Range {
  uint16_t first = 0, last = 0;
  size_t size() const { return static_cast<size_t>(last - first) + 1; }
};

// "80" or "8000-8002"; ports 1..65535.
Result<Range> parse_range(const std::string& text, const std::string& spec) {
  auto bad = [&]() { return fail("invalid port \"" + text + "\" in \"" + spec + "\""); };
  auto dash = text.find('-');
  auto a = parse_int(text.substr(0, dash));
  auto b = dash == std::string::npos ? a : parse_int(text.substr(dash + 1));
  if (!a || !b || *a < 1 || *a > 65535 || *b < *a || *b > 65535) return bad();
  return Range{static_cast<uint16_t>(*a), static_cast<uint16_t>(*b)};
}

Result<std::string> parse_protocol(std::string& rest, const std::string& spec) {
  auto slash = rest.rfind('/');
  if (slash == std::string::npos) return std::string("tcp");
  std::string proto = rest.substr(slash + 1);
  rest.resize(slash);
  if (proto == "tcp" || proto == "udp") return proto;
  return fail("invalid protocol \"" + proto + "\" in \"" + spec + "\" (tcp or udp)");
}

// Splits off "IP:" (an IPv6 one in brackets) when the spec has three parts.
Result<std::string> parse_host_ip(std::string& rest, const std::string& spec) {
  std::string ip;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find("]:");
    if (close == std::string::npos) return fail("invalid IPv6 address in \"" + spec + "\"");
    ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
  } else if (std::count(rest.begin(), rest.end(), ':') == 2) {
    ip = rest.substr(0, rest.find(':'));
    rest = rest.substr(rest.find(':') + 1);
  } else {
    return std::string();
  }
  unsigned char buf[16];
  bool v6 = ip.find(':') != std::string::npos;
  if (::inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), buf) != 1)
    return fail("invalid IP address \"" + ip + "\" in \"" + spec + "\"");
  if (ip == "0.0.0.0" || ip == "::") ip.clear();
  return ip;
}

bool is_v6(const std::string& ip) { return ip.find(':') != std::string::npos; }

// Binds a socket of the protocol to ip:port and returns the port bound (the kernel's
// choice for port 0). The socket is closed again: this is a check, not a reservation.
Result<uint16_t> trial_bind(const std::string& ip, uint16_t port, const std::string& protocol) {
  bool v6 = is_v6(ip);
  Fd s(::socket(v6 ? AF_INET6 : AF_INET, (protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("socket");
  struct sockaddr_storage ss = {};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<struct sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<struct sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (!ip.empty()) ::inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  // Listening sockets in TIME_WAIT must not count as taken: SO_REUSEADDR, as servers set.
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.get(), reinterpret_cast<struct sockaddr*>(&ss), len) < 0) return sys_error("bind");
  if (::getsockname(s.get(), reinterpret_cast<struct sockaddr*>(&ss), &len) < 0) return sys_error("getsockname");
  return ntohs(v6 ? reinterpret_cast<struct sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<struct sockaddr_in*>(&ss)->sin_port);
}

// Same address (or either one is "every address"), port and protocol.
bool clashes(const PortBinding& a, const std::string& ip, uint16_t port, const std::string& protocol) {
  return a.host_port == port && a.protocol == protocol &&
         (a.host_ip.empty() || ip.empty() || a.host_ip == ip);
}

std::string shown_ip(const std::string& ip) { return ip.empty() ? "0.0.0.0" : ip; }

}  // namespace

Json PortBinding::to_json() const {
  Json j = {{"HostIp", shown_ip(host_ip)},
            {"HostPort", std::to_string(host_port)},
            {"ContainerPort", std::to_string(container_port) + "/" + protocol}};
  if (proxy) j["Proxy"] = true;
  return j;
}

PortBinding PortBinding::from_json(const Json& j) {
  PortBinding b;
  b.host_ip = j.value("HostIp", "");
  if (b.host_ip == "0.0.0.0") b.host_ip.clear();
  b.host_port = static_cast<uint16_t>(parse_int(j.value("HostPort", "0")).value_or(0));
  std::string cp = j.value("ContainerPort", "0/tcp");
  b.container_port = static_cast<uint16_t>(parse_int(cp.substr(0, cp.find('/'))).value_or(0));
  if (cp.find('/') != std::string::npos) b.protocol = cp.substr(cp.find('/') + 1);
  b.proxy = j.value("Proxy", false);
  return b;
}

std::string PortBinding::to_string() const {
  std::string ip = is_v6(host_ip) ? "[" + host_ip + "]" : shown_ip(host_ip);
  return ip + ":" + std::to_string(host_port) + "->" + std::to_string(container_port) + "/" + protocol;
}

Result<std::vector<PortRequest>> parse_publish(const std::string& spec) {
  std::string rest = spec;
  ASSIGN_OR_RETURN(std::string protocol, parse_protocol(rest, spec));
  ASSIGN_OR_RETURN(std::string ip, parse_host_ip(rest, spec));
  std::string host, container = rest;
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    container = rest.substr(colon + 1);
  }
  if (container.empty() || container.find(':') != std::string::npos)
    return fail("invalid publish spec \"" + spec + "\" (want [ip:][hostPort:]containerPort[/protocol])");
  ASSIGN_OR_RETURN(Range c, parse_range(container, spec));
  Range h{0, 0};
  if (!host.empty()) {
    ASSIGN_OR_RETURN(h, parse_range(host, spec));
  }
  std::vector<PortRequest> out;
  for (size_t i = 0; i < c.size(); i++) {
    PortRequest r;
    r.host_ip = ip;
    r.protocol = protocol;
    r.container_port = static_cast<uint16_t>(c.first + i);
    if (host.empty()) {
      // ephemeral
    } else if (h.size() == c.size()) {
      r.host_first = r.host_last = static_cast<uint16_t>(h.first + i);
    } else if (c.size() == 1) {
      r.host_first = h.first;  // the first free one of the range
      r.host_last = h.last;
    } else {
      return fail("invalid ranges in \"" + spec + "\": host and container ranges differ in size");
    }
    out.push_back(r);
  }
  return out;
}

Result<std::vector<PortRequest>> parse_exposed(const std::string& spec) {
  std::string rest = spec;
  ASSIGN_OR_RETURN(std::string protocol, parse_protocol(rest, spec));
  ASSIGN_OR_RETURN(Range c, parse_range(rest, spec));
  std::vector<PortRequest> out;
  for (size_t i = 0; i < c.size(); i++) {
    PortRequest r;
    r.protocol = protocol;
    r.container_port = static_cast<uint16_t>(c.first + i);
    out.push_back(r);
  }
  return out;
}

Result<std::vector<PortBinding>> choose_host_ports(const std::vector<PortRequest>& requests,
                                                   const std::vector<PortBinding>& taken) {
  std::vector<PortBinding> chosen;
  for (const auto& r : requests) {
    PortBinding b{r.host_ip, 0, r.container_port, r.protocol};
    auto is_free = [&](uint16_t port) {
      auto clash = [&](const PortBinding& t) { return clashes(t, r.host_ip, port, r.protocol); };
      if (std::any_of(taken.begin(), taken.end(), clash) || std::any_of(chosen.begin(), chosen.end(), clash))
        return false;
      return trial_bind(r.host_ip, port, r.protocol).has_value();
    };
    if (r.host_first == 0) {
      // The kernel's ephemeral choice; retried if another container publishes it already.
      for (int tries = 0; tries < 16 && b.host_port == 0; tries++) {
        ASSIGN_OR_RETURN(uint16_t port, trial_bind(r.host_ip, 0, r.protocol));
        if (is_free(port)) b.host_port = port;
      }
      if (b.host_port == 0) return fail("no free ephemeral port for " + std::to_string(r.container_port));
    } else {
      for (uint32_t p = r.host_first; p <= r.host_last && b.host_port == 0; p++)
        if (is_free(static_cast<uint16_t>(p))) b.host_port = static_cast<uint16_t>(p);
      if (b.host_port == 0) {
        std::string ports = std::to_string(r.host_first);
        if (r.host_last != r.host_first) ports += "-" + std::to_string(r.host_last);
        std::string ip = is_v6(r.host_ip) ? "[" + r.host_ip + "]" : shown_ip(r.host_ip);
        return fail("Bind for " + ip + ":" + ports + " failed: port is already allocated");
      }
    }
    chosen.push_back(b);
  }
  return chosen;
}

}  // namespace berth::engine
