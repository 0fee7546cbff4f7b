// The loading steps of compose/tree_loader.h.
#include "compose/tree_loader.h"

#include <algorithm>

#include "base/fs.h"
#include "compose/extends.h"
#include "compose/merge.h"
#include "compose/project_files.h"
#include "compose/values.h"

namespace berth::compose {

TreeLoader::TreeLoader(Lookup lookup, std::string working_dir, std::vector<std::string>* warnings,
                       std::vector<std::string> including)
    : lookup_(std::move(lookup)),
      working_dir_(std::move(working_dir)),
      warnings_(warnings),
      including_(std::move(including)) {}

void TreeLoader::warn_missing(const Node& at, const std::string& variable) {
  if (std::find(warned_variables_.begin(), warned_variables_.end(), variable) !=
      warned_variables_.end())
    return;
  warned_variables_.push_back(variable);
  if (warnings_)
    warnings_->push_back(at.where() + ": the \"" + variable +
                         "\" variable is not set, defaulting to a blank string");
}

// Steps 1 and 2: parse and interpolate one file.
Result<Node> TreeLoader::read_file_tree(const std::string& path, const std::string& base_dir) {
  auto source = std::make_shared<Source>();
  source->path = path;
  source->display = display_path(path, working_dir_);
  source->base_dir = base_dir;
  auto text = read_file(path);
  if (!text) return std::unexpected(wrap(text.error(), "reading " + source->display));
  ASSIGN_OR_RETURN(Node root, parse_yaml(*text, source));
  if (!root.is_null() && !root.is_mapping())
    return fail(source->display + ": the top level must be a mapping");
  InterpolateOptions opts{lookup_, [this](const Node& at, const std::string& var) {
                            warn_missing(at, var);
                          }};
  TRY(interpolate_tree(root, opts));
  return root;
}

// A file that a service extends: its own directory is its base.
Result<const Node*> TreeLoader::load_for_extends(const std::string& path) {
  auto it = extends_cache_.find(path);
  if (it != extends_cache_.end()) return it->second.get();
  ASSIGN_OR_RETURN(Node root, read_file_tree(path, dir_name(path)));
  auto [pos, _] = extends_cache_.emplace(path, std::make_unique<Node>(std::move(root)));
  return pos->second.get();
}

Result<Node> TreeLoader::load(const std::vector<std::string>& files,
                              const std::string& project_dir) {
  including_.insert(including_.end(), files.begin(), files.end());
  Node merged;
  FileLoader loader = [this](const std::string& p) { return load_for_extends(p); };
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(Node root, read_file_tree(file, project_dir));  // 1, 2
    TRY(resolve_extends(root, file, loader));                        // 3
    merge_file(merged, root);                                        // 4
  }
  if (merged.is_null()) {
    merged.kind = Node::Kind::kMapping;
  }
  TRY(apply_includes(merged));
  return merged;
}

Result<> TreeLoader::apply_includes(Node& root) {
  const Node* includes = root.find("include");
  if (!includes) return {};
  Node list = *includes;
  root.erase("include");
  if (list.is_null()) return {};
  TRY(expect_sequence(list, "include"));
  for (size_t i = 0; i < list.items.size(); i++)
    TRY(include_one(root, list.items[i], index_path("include", i)));
  return {};
}

namespace {

struct IncludeEntry {
  std::vector<std::string> paths, env_files;
  std::string project_directory;
};

Result<IncludeEntry> parse_include(const Node& entry, const std::string& path) {
  IncludeEntry out;
  if (entry.is_scalar()) {
    out.paths.push_back(entry.scalar);
    return out;
  }
  TRY(expect_mapping(entry, path));
  for (const Entry& e : entry.entries) {
    std::string p = key_path(path, e.key);
    if (e.key == "path") {
      ASSIGN_OR_RETURN(out.paths, get_string_or_list(e.value, p));
    } else if (e.key == "env_file") {
      ASSIGN_OR_RETURN(out.env_files, get_string_or_list(e.value, p));
    } else if (e.key == "project_directory") {
      ASSIGN_OR_RETURN(out.project_directory, get_string(e.value, p));
    } else if (!e.key.starts_with("x-")) {
      Node at = Node::make_null(e.value);
      at.line = e.key_line;
      return fail_at(at, p, "unknown key");
    }
  }
  if (out.paths.empty()) return fail_at(entry, path, "missing the path to include");
  return out;
}

}  // namespace

Result<> TreeLoader::include_one(Node& root, const Node& entry, const std::string& path) {
  ASSIGN_OR_RETURN(IncludeEntry inc, parse_include(entry, path));
  // Paths in `include` are relative to the directory of the file that declares it.
  std::string dir = entry.source ? dir_name(entry.source->path) : working_dir_;
  auto absolute = [&dir](const std::string& p) {
    return clean_path(!p.empty() && p[0] == '/' ? p : dir + "/" + p);
  };
  for (std::string& p : inc.paths) {
    p = absolute(p);
    if (std::find(including_.begin(), including_.end(), p) != including_.end())
      return fail_at(entry, path, "include cycle: " + display_path(p, working_dir_) +
                                      " is already being loaded");
  }
  std::string project_dir =
      inc.project_directory.empty() ? dir_name(inc.paths[0]) : absolute(inc.project_directory);
  // The included project's own .env gives defaults; the including project's variables win.
  Environment own({});
  if (inc.env_files.empty() && path_exists(project_dir + "/.env"))
    inc.env_files.push_back(project_dir + "/.env");
  for (auto it = inc.env_files.rbegin(); it != inc.env_files.rend(); ++it) {
    std::string f = absolute(*it);
    TRY(own.add_file(f, display_path(f, working_dir_)));
  }
  auto vars = std::make_shared<std::map<std::string, std::string>>(own.all());
  Lookup parent = lookup_;
  Lookup child_lookup = [parent, vars](std::string_view name) -> std::optional<std::string> {
    if (auto v = parent(name)) return v;
    auto it = vars->find(std::string(name));
    if (it != vars->end()) return it->second;
    return std::nullopt;
  };
  TreeLoader child(child_lookup, working_dir_, warnings_, including_);
  ASSIGN_OR_RETURN(Node included, child.load(inc.paths, project_dir));
  graft(root, included, display_path(inc.paths[0], working_dir_));
  return {};
}

void TreeLoader::graft(Node& root, const Node& included, const std::string& from) {
  for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
    const Node* theirs = included.find(section);
    if (!theirs || !theirs->is_mapping()) continue;
    Node* ours = root.find(section);
    if (!ours || ours->is_null()) {
      root.set(section, Node::make_mapping(*theirs), theirs->line);
      ours = root.find(section);
    }
    if (!ours->is_mapping()) continue;  // the model parser reports the wrong type
    for (const Entry& e : theirs->entries) {
      if (ours->find(e.key)) {
        if (warnings_)
          warnings_->push_back(std::string(section) + "." + e.key + " from " + from +
                               " conflicts with a local definition, which is kept");
        continue;
      }
      ours->entries.push_back(e);
    }
  }
}

}  // namespace berth::compose
