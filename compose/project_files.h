// Which files make a compose project, where it lives and what it is called.
//
//  - Files: `-f` (repeatable) as given; else COMPOSE_FILE (paths separated by ':', or by
//    COMPOSE_PATH_SEPARATOR); else the first directory, from the working directory upward,
//    holding compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml (in that
//    order of preference), together with its override file (compose.override.yaml, ...).
//  - Project directory: `--project-directory`, else the directory of the first file. Relative
//    paths in the files resolve against it.
//  - Name: `-p`, else COMPOSE_PROJECT_NAME, else the top-level `name:`, else the project
//    directory's base name made valid (lowercased, characters other than [a-z0-9_-] dropped,
//    leading '_' and '-' dropped). An explicit name that is not valid is an error.
//  - Variables: the process environment, over `--env-file` files (later ones winning), or,
//    without --env-file, over `.env` in the working directory and then `.env` in the project
//    directory.
//
// Read: docker's "Pre-defined environment variables" (COMPOSE_FILE, COMPOSE_PROJECT_NAME,
// COMPOSE_PROFILES) and "Specify a project name".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/dotenv.h"

namespace berth::compose {

// The compose file names docker compose looks for, in order of preference.
extern const char* const kComposeFileNames[4];

// Searches `dir` and its parents for a compose file; returns it and its override file if
// present. Several candidates in one directory: the first is used, with a warning.
Result<std::vector<std::string>> find_compose_files(const std::string& dir,
                                                    std::vector<std::string>* warnings);

// A directory name made into a project name; may return "" (then the caller fails).
std::string normalize_project_name(std::string_view name);
bool is_valid_project_name(std::string_view name);

// Variables for interpolation: the process environment, over the env files. Files are added
// strongest first, and a variable a stronger file already set keeps its value.
class Environment {
 public:
  explicit Environment(const std::map<std::string, std::string>& process)
      : process_(process.begin(), process.end()) {}

  std::optional<std::string> lookup(std::string_view name) const;
  Lookup lookup_fn() const {
    return [this](std::string_view n) { return lookup(n); };
  }
  // Adds a dotenv file's variables below those already known. Its values are interpolated
  // with what is known so far.
  Result<> add_file(const std::string& path, const std::string& display);
  // Everything, as one map (process over files).
  std::map<std::string, std::string> all() const;

 private:
  std::map<std::string, std::string, std::less<>> process_;
  std::map<std::string, std::string, std::less<>> files_;
};

// Reads and parses an env file; `display` names it in errors.
Result<EnvList> read_env_file(const std::string& path, const std::string& display,
                              const Lookup& lookup, bool raw = false);

// `path` relative to `dir` when it lies below it, else absolute: how messages name files.
std::string display_path(const std::string& path, const std::string& dir);

}  // namespace berth::compose
