// rename, container prune, system prune.
#include "base/fs.h"
#include "base/lock.h"
#include "engine/engine.h"

namespace berth::engine {

namespace {
// docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_name(const std::string& n) {
  if (n.size() < 2 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}
}  // namespace

Result<> Engine::rename(const std::string& key, const std::string& new_name) {
  std::string name = new_name[0] == '/' ? new_name.substr(1) : new_name;
  if (!valid_name(name))
    return fail("Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.find(key));
  if (rec.name == name) return fail("Renaming a container with the same name as its current name");
  TRY(containers_.rename(rec.id, name));
  // A running container answers to its new name on its networks at once (as docker's does),
  // and no longer to the old one.
  return rename_endpoints(rec, name);
}

Result<std::vector<std::string>> Engine::prune_containers() {
  ASSIGN_OR_RETURN(auto all, containers_.list());
  std::vector<std::string> removed;
  for (const auto& c : all) {
    if (containers_.is_alive(c) || c.status == "restarting") continue;
    TRY(discard(c.id));
    removed.push_back(c.id);
  }
  return removed;
}

Result<> Engine::reset() {
  ASSIGN_OR_RETURN(auto all, containers_.list());
  std::vector<std::string> ids;
  for (const auto& c : all) ids.push_back(c.id);
  for (auto& r : remove_containers(ids, true)) TRY(r);
  if (path_exists(path_join(root_.storage, "networks"))) {
    ASSIGN_OR_RETURN(auto nets, networks());
    for (const auto& n : nets) TRY(forget_network(n));
  }
  TRY(prune_networks());  // DNS servers of networks whose records went missing
  // Volumes too: every container that used one is gone. remove_tree stays on one
  // filesystem and follows no symlink, so an o=bind volume's device is never touched.
  for (const char* dir : {"images", "containers", "networks", "volumes", "cache", "builder"})
    TRY(remove_tree(path_join(root_.storage, dir)));
  return remove_tree(root_.run);
}

Result<std::vector<std::string>> Engine::prune_images() {
  ASSIGN_OR_RETURN(auto images, images_.list_images());
  ASSIGN_OR_RETURN(auto containers, containers_.list());
  std::vector<std::string> removed;
  for (const auto& img : images) {
    bool used = false;
    for (const auto& c : containers) used |= c.image_id == img.id;
    if (used) continue;
    ASSIGN_OR_RETURN(auto gone, images_.remove_image(img.id, true));
    removed.insert(removed.end(), gone.begin(), gone.end());
  }
  return removed;
}

}  // namespace berth::engine
