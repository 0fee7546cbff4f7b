// The top level of a compose file: services, networks, volumes, secrets and configs.
//
// Networks and volumes are declared by key; the engine-level name ("<project>_<key>",
// unless `name:` or `external:` says otherwise) is filled in by compose/validate.cpp once
// the project's name is known.
//
// Read: the Compose Specification's "Networks", "Volumes", "Secrets" and "Configs" pages.
#include "compose/parse.h"
#include "compose/schema.h"

namespace berth::compose {

namespace {

// `external: true`, or the deprecated `external: {name: x}` (x becomes the name).
Result<> parse_external(const Node& n, const std::string& p, bool& external, std::string& name,
                        ParseContext& ctx) {
  if (!n.is_mapping()) {
    ASSIGN_OR_RETURN(external, get_bool(n, p));
    return {};
  }
  external = true;
  if (const Node* nm = n.find("name"); nm && !nm->is_null()) {
    ASSIGN_OR_RETURN(name, get_string(*nm, key_path(p, "name")));
    ctx.warn(n, p, "external.name is deprecated, use name");
  }
  return {};
}

Result<std::vector<IpamPool>> parse_ipam_config(const Node& n, const std::string& p,
                                                ParseContext& ctx) {
  TRY(expect_sequence(n, p));
  std::vector<IpamPool> out;
  for (size_t i = 0; i < n.items.size(); i++) {
    std::string ip = index_path(p, i);
    TRY(check_keys(n.items[i], ip, Section::kIpamPool, {"subnet", "gateway", "ip_range"}, ctx));
    IpamPool pool;
    for (const Entry& e : n.items[i].entries) {
      if (e.value.is_null() || e.key.starts_with("x-")) continue;
      if (e.key == "subnet") { ASSIGN_OR_RETURN(pool.subnet, get_string(e.value, key_path(ip, e.key))); }
      else if (e.key == "gateway") { ASSIGN_OR_RETURN(pool.gateway, get_string(e.value, key_path(ip, e.key))); }
      else if (e.key == "ip_range") { ASSIGN_OR_RETURN(pool.ip_range, get_string(e.value, key_path(ip, e.key))); }
    }
    out.push_back(std::move(pool));
  }
  return out;
}

Result<> parse_ipam(Network& net, const Node& n, const std::string& p, ParseContext& ctx) {
  TRY(check_keys(n, p, Section::kIpam, {"driver", "config"}, ctx));
  if (const Node* d = n.find("driver"); d && !d->is_null()) {
    ASSIGN_OR_RETURN(net.ipam_driver, get_string(*d, key_path(p, "driver")));
    if (net.ipam_driver != "default")
      ctx.warn(*d, key_path(p, "driver"), "IPAM driver not supported by berth yet, ignored");
  }
  if (const Node* c = n.find("config"); c && !c->is_null()) {
    ASSIGN_OR_RETURN(net.ipam_config, parse_ipam_config(*c, key_path(p, "config"), ctx));
  }
  return {};
}

}  // namespace

Result<Network> parse_network(const Node& node, const std::string& path, ParseContext& ctx) {
  Network net;
  if (node.is_null()) return net;
  TRY(check_keys(node, path, Section::kNetwork,
                 {"name", "driver", "driver_opts", "ipam", "external", "internal", "enable_ipv6",
                  "labels"},
                 ctx));
  for (const Entry& e : node.entries) {
    if (e.value.is_null() || e.key.starts_with("x-")) continue;
    std::string p = key_path(path, e.key);
    if (e.key == "name") { ASSIGN_OR_RETURN(net.name, get_string(e.value, p)); }
    else if (e.key == "driver") {
      ASSIGN_OR_RETURN(net.driver, get_string(e.value, p));
      if (net.driver != "bridge")
        ctx.warn(e.value, p, "driver \"" + net.driver + "\" not supported by berth yet, bridge is used");
    }
    else if (e.key == "driver_opts") { ASSIGN_OR_RETURN(net.driver_opts, get_string_map(e.value, p)); }
    else if (e.key == "ipam") { TRY(parse_ipam(net, e.value, p, ctx)); }
    else if (e.key == "external") { TRY(parse_external(e.value, p, net.external, net.name, ctx)); }
    else if (e.key == "internal") { ASSIGN_OR_RETURN(net.internal, get_bool(e.value, p)); }
    else if (e.key == "enable_ipv6") { ASSIGN_OR_RETURN(net.enable_ipv6, get_bool(e.value, p)); }
    else if (e.key == "labels") { ASSIGN_OR_RETURN(net.labels, get_string_map(e.value, p)); }
  }
  return net;
}

Result<Volume> parse_volume(const Node& node, const std::string& path, ParseContext& ctx) {
  Volume vol;
  if (node.is_null()) return vol;
  TRY(check_keys(node, path, Section::kVolume,
                 {"name", "driver", "driver_opts", "external", "labels"}, ctx));
  for (const Entry& e : node.entries) {
    if (e.value.is_null() || e.key.starts_with("x-")) continue;
    std::string p = key_path(path, e.key);
    if (e.key == "name") { ASSIGN_OR_RETURN(vol.name, get_string(e.value, p)); }
    else if (e.key == "driver") {
      ASSIGN_OR_RETURN(vol.driver, get_string(e.value, p));
      if (vol.driver != "local")
        ctx.warn(e.value, p, "driver \"" + vol.driver + "\" not supported by berth yet, local is used");
    }
    else if (e.key == "driver_opts") { ASSIGN_OR_RETURN(vol.driver_opts, get_string_map(e.value, p)); }
    else if (e.key == "external") { TRY(parse_external(e.value, p, vol.external, vol.name, ctx)); }
    else if (e.key == "labels") { ASSIGN_OR_RETURN(vol.labels, get_string_map(e.value, p)); }
  }
  return vol;
}

Result<FileObject> parse_file_object(const Node& node, const std::string& path, bool is_config,
                                     ParseContext& ctx) {
  FileObject obj;
  if (is_config)
    TRY(check_keys(node, path, Section::kConfig,
                   {"name", "file", "environment", "content", "external", "labels"}, ctx));
  else
    TRY(check_keys(node, path, Section::kSecret,
                   {"name", "file", "environment", "external", "labels"}, ctx));
  for (const Entry& e : node.entries) {
    if (e.value.is_null() || e.key.starts_with("x-")) continue;
    std::string p = key_path(path, e.key);
    if (e.key == "name") { ASSIGN_OR_RETURN(obj.name, get_string(e.value, p)); }
    else if (e.key == "file") {
      ASSIGN_OR_RETURN(std::string f, get_string(e.value, p));
      obj.file = resolve_path(e.value, f, ctx.lookup);
    }
    else if (e.key == "environment") { ASSIGN_OR_RETURN(obj.environment, get_string(e.value, p)); }
    else if (e.key == "content") { ASSIGN_OR_RETURN(obj.content, get_string(e.value, p)); }
    else if (e.key == "external") { TRY(parse_external(e.value, p, obj.external, obj.name, ctx)); }
    else if (e.key == "labels") { ASSIGN_OR_RETURN(obj.labels, get_string_map(e.value, p)); }
  }
  int sources = !obj.file.empty() + !obj.environment.empty() + !obj.content.empty() + obj.external;
  if (sources != 1) {
    return fail_at(node, path, is_config ? "set exactly one of file, environment, content, external"
                                         : "set exactly one of file, environment, external");
  }
  if (obj.external) ctx.warn(node, path, "external secrets and configs are not supported by berth yet");
  return obj;
}

Result<Project> parse_project(const Node& root, ParseContext& ctx) {
  TRY(check_keys(root, "", Section::kTopLevel,
                 {"version", "name", "services", "networks", "volumes", "secrets", "configs"},
                 ctx));
  Project project;
  if (const Node* v = root.find("version"); v && !v->is_null())
    ctx.warn(*v, "version", "the attribute is obsolete, it will be ignored");
  auto each = [&](const char* section, auto&& parse_one) -> Result<> {
    const Node* n = root.find(section);
    if (!n || n->is_null()) return {};
    TRY(expect_mapping(*n, section));
    for (const Entry& e : n->entries) TRY(parse_one(e));
    return {};
  };
  TRY(each("services", [&](const Entry& e) -> Result<> {
    ASSIGN_OR_RETURN(project.services[e.key], parse_service(e.key, e.value, ctx));
    return {};
  }));
  TRY(each("networks", [&](const Entry& e) -> Result<> {
    ASSIGN_OR_RETURN(project.networks[e.key], parse_network(e.value, "networks." + e.key, ctx));
    return {};
  }));
  TRY(each("volumes", [&](const Entry& e) -> Result<> {
    ASSIGN_OR_RETURN(project.volumes[e.key], parse_volume(e.value, "volumes." + e.key, ctx));
    return {};
  }));
  TRY(each("secrets", [&](const Entry& e) -> Result<> {
    ASSIGN_OR_RETURN(project.secrets[e.key],
                     parse_file_object(e.value, "secrets." + e.key, false, ctx));
    return {};
  }));
  TRY(each("configs", [&](const Entry& e) -> Result<> {
    ASSIGN_OR_RETURN(project.configs[e.key],
                     parse_file_object(e.value, "configs." + e.key, true, ctx));
    return {};
  }));
  return project;
}

}  // namespace berth::compose
