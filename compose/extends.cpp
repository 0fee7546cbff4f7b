// Resolving `extends` (see compose/extends.h): a depth-first walk along the chain of
// extended services, with the chain kept to name a cycle.
#include "compose/extends.h"

#include "base/fs.h"
#include "compose/merge.h"
#include "compose/values.h"

namespace berth::compose {

namespace {

struct Target {
  std::string file;     // absolute path
  std::string service;
};

Result<Target> parse_extends(const Node& ext, const std::string& file, const std::string& path) {
  if (ext.is_scalar()) return Target{file, ext.scalar};
  if (!ext.is_mapping())
    return fail_at(ext, path, "expected a service name or a mapping, got " +
                                  std::string(kind_name(ext)));
  Target t{file, {}};
  for (const Entry& e : ext.entries) {
    if (e.key == "service") {
      ASSIGN_OR_RETURN(t.service, get_string(e.value, key_path(path, "service")));
    } else if (e.key == "file") {
      ASSIGN_OR_RETURN(std::string f, get_string(e.value, key_path(path, "file")));
      std::string dir = ext.source ? dir_name(ext.source->path) : ".";
      t.file = clean_path(!f.empty() && f[0] == '/' ? f : dir + "/" + f);
    } else {
      Node at = Node::make_null(e.value);
      at.line = e.key_line;
      return fail_at(at, key_path(path, e.key), "unknown key");
    }
  }
  if (t.service.empty()) return fail_at(ext, path, "missing the service to extend");
  return t;
}

// "file:service" as "service" when in `file`, else as "base-name-of-file:service".
std::string display(const std::string& id, const std::string& file) {
  if (id.starts_with(file + ":")) return id.substr(file.size() + 1);
  return base_name(id);
}

class Resolver {
 public:
  explicit Resolver(const FileLoader& load) : load_(load) {}

  // The definition of `name` among `services` (of `file`) with its extends chain applied.
  Result<Node> resolve(const std::string& file, const Node& services, const std::string& name,
                       const Node& requested_at, const std::string& requested_path);

 private:
  const FileLoader& load_;
  std::vector<std::string> chain_;  // "file:service" being resolved, outermost first
};

Result<Node> Resolver::resolve(const std::string& file, const Node& services,
                               const std::string& name, const Node& requested_at,
                               const std::string& requested_path) {
  std::string id = file + ":" + name;
  for (size_t i = 0; i < chain_.size(); i++) {
    if (chain_[i] != id) continue;
    std::string cycle;
    for (size_t j = i; j < chain_.size(); j++) cycle += display(chain_[j], file) + " -> ";
    return fail_at(requested_at, requested_path, "circular extends: " + cycle + display(id, file));
  }
  const Node* svc = services.find(name);
  if (!svc) {
    return fail_at(requested_at, requested_path,
                   "service \"" + name + "\" not found in " + base_name(file));
  }
  const Node* ext = svc->is_mapping() ? svc->find("extends") : nullptr;
  if (!ext) return *svc;
  std::string path = "services." + name + ".extends";
  ASSIGN_OR_RETURN(Target target, parse_extends(*ext, file, path));
  const Node* target_services = &services;
  if (target.file != file) {
    ASSIGN_OR_RETURN(const Node* root, load_(target.file));
    target_services = root->is_mapping() ? root->find("services") : nullptr;
    if (!target_services || !target_services->is_mapping())
      return fail_at(*ext, path, "no services in " + target.file);
  }
  chain_.push_back(id);
  auto base = resolve(target.file, *target_services, target.service, *ext, path);
  chain_.pop_back();
  if (!base) return base;
  Node local = *svc;
  local.erase("extends");
  merge_service(*base, local);
  return base;
}

}  // namespace

Result<> resolve_extends(Node& root, const std::string& path, const FileLoader& load) {
  Node* services = root.is_mapping() ? root.find("services") : nullptr;
  if (!services || !services->is_mapping()) return {};
  const Node original = *services;  // what `extends` refers to: the definitions as written
  for (Entry& e : services->entries) {
    if (!e.value.is_mapping() || !e.value.find("extends")) continue;
    Resolver resolver(load);
    ASSIGN_OR_RETURN(e.value, resolver.resolve(path, original, e.key, e.value,
                                               "services." + e.key));
  }
  return {};
}

}  // namespace berth::compose
