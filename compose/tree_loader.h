// From file names to one merged tree: the order of the loading steps.
//
// For each file given (`-f a -f b`), in order:
//   1. parse the YAML into positioned nodes (compose/node.h), resolving anchors and `<<`;
//   2. interpolate `${VAR}` in every scalar value (compose/interpolate.h), per file;
//   3. resolve `extends` (compose/extends.h), loading other files the same way;
//   4. merge it over the files before it (compose/merge.h).
// Then `include` (top-level, in the merged tree): each entry is loaded as a project of its
// own (its own project directory, its own .env below the including project's variables),
// and its services, networks, volumes, secrets and configs are added; a name that is
// already defined keeps the local definition, with a warning.
//
// Read: the Compose Specification's "Include" page.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/interpolate.h"
#include "compose/node.h"

namespace berth::compose {

class TreeLoader {
 public:
  // `lookup` interpolates; `working_dir` shortens file names in messages; `including` are the
  // files whose `include` led here (to refuse a cycle).
  TreeLoader(Lookup lookup, std::string working_dir, std::vector<std::string>* warnings,
             std::vector<std::string> including = {});

  // Loads and merges `files` (absolute paths) whose relative paths resolve against
  // `project_dir`, then applies their `include`s.
  Result<Node> load(const std::vector<std::string>& files, const std::string& project_dir);

 private:
  Result<Node> read_file_tree(const std::string& path, const std::string& base_dir);
  Result<const Node*> load_for_extends(const std::string& path);
  Result<> apply_includes(Node& root);
  Result<> include_one(Node& root, const Node& entry, const std::string& path);
  void graft(Node& root, const Node& included, const std::string& from);
  void warn_missing(const Node& at, const std::string& variable);

  Lookup lookup_;
  std::string working_dir_;
  std::vector<std::string>* warnings_;
  std::vector<std::string> including_;
  std::map<std::string, std::unique_ptr<Node>> extends_cache_;
  std::vector<std::string> warned_variables_;
};

}  // namespace berth::compose
