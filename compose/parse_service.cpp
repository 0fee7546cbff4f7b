// services.NAME -> Service: one handler per key, in a table that is also the list of the
// service keys berth implements (keys of the specification missing from it warn, see
// compose/schema.cpp; any other key is an error).
//
// Read: the Compose Specification, "Services top-level elements".
#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "compose/parse.h"
#include "compose/schema.h"

namespace berth::compose {

namespace {

using Handler = Result<> (*)(Service&, const Node&, const std::string&, ParseContext&);

struct KeyHandler {
  std::string_view key;
  Handler handle;
};

bool valid_name_chars(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [extra](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

Result<std::vector<std::string>> get_command(const Node& n, const std::string& p) {
  if (!n.is_scalar()) return get_string_list(n, p);
  auto words = split_shell_words(n.scalar);
  if (!words) return fail_at(n, p, words.error().op(), n.scalar);
  return words;
}

Result<> check_one_of(const Node& n, const std::string& p, const std::string& v,
                      std::initializer_list<std::string_view> allowed, std::string_view what) {
  for (std::string_view a : allowed)
    if (v == a) return {};
  return fail_at(n, p, "invalid " + std::string(what), v);
}

Result<> check_restart(const Node& n, const std::string& p, const std::string& v) {
  if (v.starts_with("on-failure:") && parse_int(v.substr(11)).value_or(-1) >= 0) return {};
  return check_one_of(n, p, v, {"no", "always", "on-failure", "unless-stopped"}, "restart policy");
}

Result<> check_network_mode(const Node& n, const std::string& p, const std::string& v) {
  if ((v.starts_with("service:") && v.size() > 8) || (v.starts_with("container:") && v.size() > 10))
    return {};
  return check_one_of(n, p, v, {"host", "none", "bridge"}, "network_mode");
}

Result<> check_pull_policy(const Node& n, const std::string& p, const std::string& v) {
  if (v.starts_with("every_") && parse_duration_ns(v.substr(6))) return {};
  return check_one_of(n, p, v,
                      {"always", "never", "missing", "if_not_present", "build", "daily", "weekly",
                       "refresh"},
                      "pull_policy");
}

Result<std::vector<std::pair<std::string, std::string>>> get_extra_hosts(const Node& n,
                                                                          const std::string& p) {
  std::vector<std::pair<std::string, std::string>> out;
  if (n.is_mapping()) {
    for (const Entry& e : n.entries) {
      ASSIGN_OR_RETURN(auto addrs, get_string_or_list(e.value, key_path(p, e.key)));
      for (auto& a : addrs) out.emplace_back(e.key, a);
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<std::string> items, get_string_list(n, p));
    for (size_t i = 0; i < items.size(); i++) {
      // "host=address" or "host:address" (an IPv6 address has colons: split at the first).
      size_t sep = items[i].find('=');
      if (sep == std::string::npos) sep = items[i].find(':');
      if (sep == std::string::npos || sep == 0 || sep + 1 == items[i].size())
        return fail_at(n.items[i], index_path(p, i), "invalid extra host", items[i]);
      out.emplace_back(items[i].substr(0, sep), items[i].substr(sep + 1));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// A handler that sets one field from a reader's result.
#define BERTH_FIELD(field, expr)                                                            \
  [](Service& s, const Node& n, const std::string& p, ParseContext& c) -> Result<> {       \
    (void)c;                                                                                \
    ASSIGN_OR_RETURN(s.field, expr);                                                        \
    return {};                                                                              \
  }

// Checks a string value after setting it.
#define BERTH_CHECKED(field, check)                                                         \
  [](Service& s, const Node& n, const std::string& p, ParseContext&) -> Result<> {         \
    ASSIGN_OR_RETURN(s.field, get_string(n, p));                                            \
    return check(n, p, s.field);                                                            \
  }

Result<> no_op(Service&, const Node&, const std::string&, ParseContext&) { return {}; }

Result<> set_ports(Service& s, const Node& n, const std::string& p, ParseContext& c) {
  TRY(expect_sequence(n, p));
  for (size_t i = 0; i < n.items.size(); i++) {
    ASSIGN_OR_RETURN(std::vector<PortMapping> ports, parse_port(n.items[i], index_path(p, i), c));
    for (PortMapping& m : ports)
      if (std::find(s.ports.begin(), s.ports.end(), m) == s.ports.end()) s.ports.push_back(m);
  }
  return {};
}

Result<> set_volumes(Service& s, const Node& n, const std::string& p, ParseContext& c) {
  TRY(expect_sequence(n, p));
  for (size_t i = 0; i < n.items.size(); i++) {
    ASSIGN_OR_RETURN(VolumeMount m, parse_volume_mount(n.items[i], index_path(p, i), c));
    for (const VolumeMount& other : s.volumes)
      if (other.target == m.target)
        return fail_at(n.items[i], index_path(p, i), "duplicate mount target", m.target);
    s.volumes.push_back(std::move(m));
  }
  return {};
}

Result<> set_expose(Service& s, const Node& n, const std::string& p, ParseContext&) {
  TRY(expect_sequence(n, p));
  for (size_t i = 0; i < n.items.size(); i++) {
    ASSIGN_OR_RETURN(std::string e, parse_expose(n.items[i], index_path(p, i)));
    if (std::find(s.expose.begin(), s.expose.end(), e) == s.expose.end()) s.expose.push_back(e);
  }
  return {};
}

Result<> check_container_name(const Node& n, const std::string& p, const std::string& v) {
  if (!v.empty() && std::isalnum(static_cast<unsigned char>(v[0])) && valid_name_chars(v, "_.-"))
    return {};
  return fail_at(n, p, "invalid container name", v);
}

Result<> check_non_negative(const Node& n, const std::string& p, std::optional<int64_t> v) {
  if (v && *v < 0) return fail_at(n, p, "must not be negative", n.scalar);
  return {};
}

// clang-format off
const KeyHandler kServiceKeys[] = {
    {"build", BERTH_FIELD(build, parse_build(n, p, c))},
    {"cap_add", BERTH_FIELD(cap_add, get_string_list(n, p))},
    {"cap_drop", BERTH_FIELD(cap_drop, get_string_list(n, p))},
    {"command", BERTH_FIELD(command, get_command(n, p))},
    {"configs", BERTH_FIELD(configs, parse_file_references(n, p, c))},
    {"container_name", BERTH_CHECKED(container_name, check_container_name)},
    {"cpu_shares", BERTH_FIELD(cpu_shares, get_int(n, p))},
    {"cpus", [](Service& s, const Node& n, const std::string& p, ParseContext&) -> Result<> {
       ASSIGN_OR_RETURN(s.cpus, get_number(n, p));
       if (*s.cpus < 0) return fail_at(n, p, "invalid number", n.scalar);
       return {};
     }},
    {"depends_on", BERTH_FIELD(depends_on, parse_depends_on(n, p, c))},
    {"deploy", BERTH_FIELD(deploy, parse_deploy(n, p, c))},
    {"dns", BERTH_FIELD(dns, get_string_or_list(n, p))},
    {"dns_opt", BERTH_FIELD(dns_opt, get_string_list(n, p))},
    {"dns_search", BERTH_FIELD(dns_search, get_string_or_list(n, p))},
    {"domainname", BERTH_FIELD(domainname, get_string(n, p))},
    {"entrypoint", BERTH_FIELD(entrypoint, get_command(n, p))},
    {"env_file", no_op},     // read with environment, below
    {"environment", no_op},
    {"expose", set_expose},
    {"extends", no_op},      // resolved while loading (compose/extends.h)
    {"extra_hosts", BERTH_FIELD(extra_hosts, get_extra_hosts(n, p))},
    {"healthcheck", BERTH_FIELD(healthcheck, parse_healthcheck(n, p, c))},
    {"hostname", BERTH_FIELD(hostname, get_string(n, p))},
    {"image", BERTH_FIELD(image, get_string(n, p))},
    {"init", BERTH_FIELD(init, get_bool(n, p))},
    {"labels", BERTH_FIELD(labels, get_string_map(n, p))},
    {"logging", BERTH_FIELD(logging, parse_logging(n, p, c))},
    {"mem_limit", BERTH_FIELD(mem_limit, get_bytes(n, p))},
    {"memswap_limit", BERTH_FIELD(memswap_limit, get_bytes(n, p, true))},
    {"network_mode", BERTH_CHECKED(network_mode, check_network_mode)},
    {"networks", BERTH_FIELD(networks, parse_service_networks(n, p, c))},
    {"pids_limit", BERTH_FIELD(pids_limit, get_int(n, p))},
    {"ports", set_ports},
    {"privileged", BERTH_FIELD(privileged, get_bool(n, p))},
    {"profiles", BERTH_FIELD(profiles, get_string_list(n, p))},
    {"pull_policy", BERTH_CHECKED(pull_policy, check_pull_policy)},
    {"read_only", BERTH_FIELD(read_only, get_bool(n, p))},
    {"restart", BERTH_CHECKED(restart, check_restart)},
    {"scale", [](Service& s, const Node& n, const std::string& p, ParseContext&) -> Result<> {
       ASSIGN_OR_RETURN(s.scale, get_int(n, p));
       return check_non_negative(n, p, s.scale);
     }},
    {"secrets", BERTH_FIELD(secrets, parse_file_references(n, p, c))},
    {"security_opt", BERTH_FIELD(security_opt, get_string_list(n, p))},
    {"shm_size", BERTH_FIELD(shm_size, get_bytes(n, p))},
    {"stdin_open", BERTH_FIELD(stdin_open, get_bool(n, p))},
    {"stop_grace_period", BERTH_FIELD(stop_grace_period_ns, get_duration(n, p))},
    {"stop_signal", BERTH_FIELD(stop_signal, get_string(n, p))},
    {"sysctls", BERTH_FIELD(sysctls, get_string_map(n, p))},
    {"tmpfs", BERTH_FIELD(tmpfs, get_string_or_list(n, p))},
    {"tty", BERTH_FIELD(tty, get_bool(n, p))},
    {"ulimits", BERTH_FIELD(ulimits, parse_ulimits(n, p, c))},
    {"user", BERTH_FIELD(user, get_string(n, p))},
    {"volumes", set_volumes},
    {"working_dir", BERTH_FIELD(working_dir, get_string(n, p))},
};
// clang-format on

const KeyHandler* find_handler(std::string_view key) {
  for (const KeyHandler& h : kServiceKeys)
    if (h.key == key) return &h;
  return nullptr;
}

}  // namespace

Result<Service> parse_service(const std::string& name, const Node& node, ParseContext& ctx) {
  std::string path = "services." + name;
  if (name.empty() || !valid_name_chars(name, "._-"))
    return fail_at(node, path, "invalid service name", name);
  Service s;
  s.name = name;
  if (node.is_null()) return s;
  TRY(expect_mapping(node, path));
  for (const Entry& e : node.entries) {
    const KeyHandler* h = find_handler(e.key);
    TRY(check_key(e, path, Section::kService, h != nullptr, ctx));
    if (h && !e.value.is_null()) TRY(h->handle(s, e.value, key_path(path, e.key), ctx));
  }
  ASSIGN_OR_RETURN(s.environment,
                   parse_environment(node.find("environment"), node.find("env_file"), path, ctx));
  if (s.scale && s.deploy && s.deploy->replicas && *s.scale != *s.deploy->replicas)
    return fail_at(node, path, "scale and deploy.replicas are set to different values");
  return s;
}

}  // namespace berth::compose
