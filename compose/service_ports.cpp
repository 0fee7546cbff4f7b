// services.*.ports and expose.
//
// Short syntax, as `docker run -p` (docker/go-connections' port specs):
//   [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]    each port part may be a range "a-b"
//   "80"                   container port 80, any free host port
//   "8080:80"              host 8080 -> container 80
//   "127.0.0.1:8080:80"    only on 127.0.0.1; "[::1]:8080:80" for an IPv6 address
//   "8000-8001:80-81"      two mappings, pairwise (the ranges must be the same length)
//   "8000-8010:80"         one mapping: the first free host port of the range
//   "3000-3002"            three container ports, each on a free host port
// Long syntax: {target, published, host_ip, protocol, mode, name, app_protocol}.
//
// Read: the Compose Specification, services "ports" and "expose"; docker-run(1) --publish.
#include <charconv>

#include "base/strings.h"
#include "compose/parse.h"
#include "compose/schema.h"

namespace berth::compose {

namespace {

struct PortRange {
  uint32_t first = 0, last = 0;
  size_t size() const { return last - first + 1; }
};

std::optional<uint32_t> parse_port_number(std::string_view s, bool allow_zero) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 65535) return std::nullopt;
  if (v == 0 && !allow_zero) return std::nullopt;
  return v;
}

std::optional<PortRange> parse_port_range(std::string_view s, bool allow_zero = false) {
  size_t dash = s.find('-');
  auto first = parse_port_number(s.substr(0, dash), allow_zero);
  if (!first) return std::nullopt;
  if (dash == std::string_view::npos) return PortRange{*first, *first};
  auto last = parse_port_number(s.substr(dash + 1), allow_zero);
  if (!last || *last < *first) return std::nullopt;
  return PortRange{*first, *last};
}

bool valid_protocol(std::string_view p) { return p == "tcp" || p == "udp"; }

struct ShortPort {
  std::string host_ip, published, target, protocol = "tcp";
};

// Splits "[ip:][published:]target[/proto]" into its parts (validated by the caller).
std::optional<ShortPort> split_short_port(std::string s) {
  ShortPort out;
  if (size_t slash = s.rfind('/'); slash != std::string::npos) {
    out.protocol = s.substr(slash + 1);
    s.resize(slash);
  }
  if (!s.empty() && s[0] == '[') {  // [ipv6]:published:target
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    out.host_ip = s.substr(1, close - 1);
    s = s.substr(close + 2);
    size_t colon = s.find(':');
    if (colon == std::string::npos) return std::nullopt;
    out.published = s.substr(0, colon);
    out.target = s.substr(colon + 1);
    return out;
  }
  std::vector<std::string> parts = split(s, ':');
  if (parts.size() == 1) {
    out.target = parts[0];
  } else if (parts.size() == 2) {
    out.published = parts[0];
    out.target = parts[1];
  } else if (parts.size() == 3) {
    out.host_ip = parts[0];
    out.published = parts[1];
    out.target = parts[2];
  } else {
    return std::nullopt;
  }
  return out;
}

Result<std::vector<PortMapping>> parse_short_port(const Node& node, const std::string& path) {
  const std::string& text = node.scalar;
  auto parts = split_short_port(text);
  if (!parts) return fail_at(node, path, "invalid port", text);
  if (!valid_protocol(parts->protocol))
    return fail_at(node, path, "invalid protocol \"" + parts->protocol + "\" in port", text);
  auto target = parse_port_range(parts->target);
  if (!target) return fail_at(node, path, "invalid port", text);
  std::optional<PortRange> published;
  if (!parts->published.empty()) {
    published = parse_port_range(parts->published);
    if (!published) return fail_at(node, path, "invalid port", text);
    if (target->size() > 1 && published->size() != target->size())
      return fail_at(node, path, "invalid port (the two ranges differ in length)", text);
  }
  std::vector<PortMapping> out;
  for (uint32_t i = 0; i < target->size(); i++) {
    PortMapping m;
    m.host_ip = parts->host_ip;
    m.target = target->first + i;
    m.protocol = parts->protocol;
    if (published && target->size() > 1) {
      m.published = std::to_string(published->first + i);
    } else if (published) {
      m.published = parts->published;  // one port, or a range to pick a free port from
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<PortMapping> parse_long_port(const Node& node, const std::string& path,
                                    ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kPort,
                 {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"},
                 ctx));
  PortMapping m;
  const Node* target = node.find("target");
  if (!target || target->is_null()) return fail_at(node, path, "missing the target port");
  auto t = target->is_scalar() ? parse_port_number(target->scalar, false) : std::nullopt;
  if (!t) return fail_at(*target, key_path(path, "target"), "invalid port", target->scalar);
  m.target = *t;
  for (const Entry& e : node.entries) {
    if (e.value.is_null() || e.key == "target" || e.key.starts_with("x-")) continue;
    std::string p = key_path(path, e.key);
    ASSIGN_OR_RETURN(std::string v, get_string(e.value, p));
    if (e.key == "published") {
      if (!v.empty() && !parse_port_range(v, true)) return fail_at(e.value, p, "invalid port", v);
      m.published = v;
    } else if (e.key == "host_ip") {
      m.host_ip = v;
    } else if (e.key == "protocol") {
      if (!valid_protocol(v)) return fail_at(e.value, p, "invalid protocol", v);
      m.protocol = v;
    } else if (e.key == "mode") {
      if (v != "host" && v != "ingress") return fail_at(e.value, p, "invalid mode", v);
      m.mode = v;
    } else if (e.key == "name") {
      m.name = v;
    } else if (e.key == "app_protocol") {
      m.app_protocol = v;
    }
  }
  return m;
}

}  // namespace

Result<std::vector<PortMapping>> parse_port(const Node& node, const std::string& path,
                                            ParseContext& ctx) {
  if (node.is_scalar()) return parse_short_port(node, path);
  if (node.is_mapping()) {
    ASSIGN_OR_RETURN(PortMapping m, parse_long_port(node, path, ctx));
    return std::vector<PortMapping>{std::move(m)};
  }
  return fail_at(node, path, "expected a port string or mapping, got " +
                                 std::string(kind_name(node)));
}

Result<std::string> parse_expose(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  std::string port = s;
  if (size_t slash = s.find('/'); slash != std::string::npos) {
    if (!valid_protocol(s.substr(slash + 1))) return fail_at(node, path, "invalid port", s);
    port = s.substr(0, slash);
  }
  if (!parse_port_range(port)) return fail_at(node, path, "invalid port", s);
  return s;
}

}  // namespace berth::compose
