// Profiles, defaults and cross-reference checks (see compose/validate.h).
#include "compose/validate.h"

#include <algorithm>
#include <set>


namespace berth::compose {

namespace {

// The node at a key path of the merged tree, or the closest existing parent: for errors.
const Node& locate(const Node& root, std::initializer_list<std::string_view> keys) {
  const Node* at = &root;
  for (std::string_view k : keys) {
    const Node* next = at->is_mapping() ? at->find(k) : nullptr;
    if (!next) break;
    at = next;
  }
  return *at;
}

// Item `index` of a service's list (the model keeps the tree's order), or the list itself.
const Node& locate_item(const Node& root, const std::string& service, std::string_view key,
                        size_t index) {
  const Node& list = locate(root, {"services", service, key});
  return list.is_sequence() && index < list.items.size() ? list.items[index] : list;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void apply_profiles(Project& project, const FinalizeOptions& options) {
  for (auto it = project.services.begin(); it != project.services.end();) {
    const Service& s = it->second;
    bool enabled = s.profiles.empty() || contains(options.profiles, "*") ||
                   contains(options.enabled_services, s.name) ||
                   std::any_of(s.profiles.begin(), s.profiles.end(),
                               [&](const std::string& p) { return contains(options.profiles, p); });
    if (enabled) {
      ++it;
    } else {
      project.disabled_services[it->first] = s.profiles;
      it = project.services.erase(it);
    }
  }
}

Result<> check_dependencies(Project& project, Service& s, const Node& root, ParseContext& ctx) {
  for (auto it = s.depends_on.begin(); it != s.depends_on.end();) {
    const std::string& dep = it->first;
    if (project.services.contains(dep)) {
      ++it;
      continue;
    }
    const Node& at = locate(root, {"services", s.name, "depends_on", dep});
    std::string path = "services." + s.name + ".depends_on." + dep;
    std::string why = project.disabled_services.contains(dep)
                          ? "service \"" + dep + "\" is not enabled by the active profiles"
                          : "undefined service \"" + dep + "\"";
    if (it->second.required) return fail_at(at, path, why);
    ctx.warn(at, path, why + ", ignored (required: false)");
    it = s.depends_on.erase(it);
  }
  return {};
}

Result<> check_references(Project& project, Service& s, const Node& root) {
  std::string path = "services." + s.name;
  const Node& svc = locate(root, {"services", s.name});
  if (s.image.empty() && !s.build)
    return fail_at(svc, path, "neither an image nor a build context is specified");
  if (!s.network_mode.empty() && !s.networks.empty())
    return fail_at(svc, path, "network_mode and networks cannot be combined");
  if (s.network_mode.starts_with("service:") && !project.services.contains(s.network_mode.substr(8)))
    return fail_at(locate(root, {"services", s.name, "network_mode"}), path + ".network_mode",
                   "undefined service", s.network_mode.substr(8));
  if (s.network_mode.empty() && s.networks.empty()) s.networks["default"] = std::nullopt;
  for (const auto& [net, _] : s.networks)
    if (net != "default" && !project.networks.contains(net))
      return fail_at(locate(root, {"services", s.name, "networks", net}),
                     path + ".networks." + net, "undefined network", net);
  for (size_t i = 0; i < s.volumes.size(); i++) {
    const VolumeMount& m = s.volumes[i];
    if (m.type != "volume" || m.source.empty() || project.volumes.contains(m.source)) continue;
    return fail_at(locate_item(root, s.name, "volumes", i), index_path(path + ".volumes", i),
                   "undefined volume", m.source);
  }
  for (size_t i = 0; i < s.secrets.size(); i++)
    if (!project.secrets.contains(s.secrets[i].source))
      return fail_at(locate_item(root, s.name, "secrets", i), index_path(path + ".secrets", i),
                     "undefined secret", s.secrets[i].source);
  for (size_t i = 0; i < s.configs.size(); i++)
    if (!project.configs.contains(s.configs[i].source))
      return fail_at(locate_item(root, s.name, "configs", i), index_path(path + ".configs", i),
                     "undefined config", s.configs[i].source);
  return {};
}

// Depth-first search for a depends_on cycle; `path` is the current chain.
Result<> find_cycle(const Project& project, const std::string& name,
                    std::vector<std::string>& chain, std::set<std::string>& done,
                    const Node& root) {
  if (done.contains(name)) return {};
  if (auto it = std::find(chain.begin(), chain.end(), name); it != chain.end()) {
    std::string cycle;
    for (; it != chain.end(); ++it) cycle += *it + " -> ";
    return fail_at(locate(root, {"services", chain.back(), "depends_on"}),
                   "services." + chain.back() + ".depends_on",
                   "dependency cycle: " + cycle + name);
  }
  chain.push_back(name);
  for (const auto& [dep, _] : project.services.at(name).depends_on)
    TRY(find_cycle(project, dep, chain, done, root));
  chain.pop_back();
  done.insert(name);
  return {};
}

// Engine names, and only what the enabled services use.
void name_and_prune(Project& project) {
  std::set<std::string> nets, vols, secrets, configs;
  for (const auto& [_, s] : project.services) {
    for (const auto& [n, a] : s.networks) nets.insert(n);
    for (const VolumeMount& m : s.volumes)
      if (m.type == "volume" && !m.source.empty()) vols.insert(m.source);
    for (const FileReference& r : s.secrets) secrets.insert(r.source);
    for (const FileReference& r : s.configs) configs.insert(r.source);
  }
  if (nets.contains("default") && !project.networks.contains("default"))
    project.networks["default"] = Network{};
  auto prune = [](auto& map, const std::set<std::string>& used) {
    std::erase_if(map, [&](const auto& kv) { return !used.contains(kv.first); });
  };
  prune(project.networks, nets);
  prune(project.volumes, vols);
  prune(project.secrets, secrets);
  prune(project.configs, configs);
  auto engine_name = [&](auto& map) {
    for (auto& [key, obj] : map)
      if (obj.name.empty()) obj.name = obj.external ? key : project.name + "_" + key;
  };
  engine_name(project.networks);
  engine_name(project.volumes);
  engine_name(project.secrets);
  engine_name(project.configs);
}

}  // namespace

Result<> finalize_project(Project& project, const Node& root, const FinalizeOptions& options,
                          ParseContext& ctx) {
  for (const std::string& name : options.enabled_services)
    if (!project.services.contains(name)) return fail("no such service", name);
  apply_profiles(project, options);
  for (auto& [_, s] : project.services) {
    TRY(check_dependencies(project, s, root, ctx));
    TRY(check_references(project, s, root));
  }
  std::set<std::string> done;
  for (const auto& [name, _] : project.services) {
    std::vector<std::string> chain;
    TRY(find_cycle(project, name, chain, done, root));
  }
  name_and_prune(project);
  return {};
}

}  // namespace berth::compose
