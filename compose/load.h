// Loading a compose project: the one call the CLI and the planner make.
//
//   LoadOptions opts;                       // environ defaults to the process environment
//   opts.files = {"compose.yml"};           // -f; empty: COMPOSE_FILE, else discovery
//   opts.profiles = {"debug"};              // --profile; empty: COMPOSE_PROFILES
//   std::vector<std::string> warnings;
//   Result<Project> project = load_project(opts, &warnings);
//
// The steps, each in its own file:
//   project_files  which files, which directory, which name, which .env   (discovery)
//   tree_loader    parse (node) -> interpolate -> extends -> merge -> include
//   parse_*        the merged tree -> the typed model, key by key (schema: which keys exist)
//   validate       profiles, the default network, references, depends_on cycles
// and compose/config_output.h prints the result as `docker compose config` does.
//
// Every error names the file, line and key path: `compose.yml:12: services.web.ports[0]:
// invalid port "80800"`. Warnings (unset variables, keys berth does not implement yet,
// obsolete `version`) are returned in `warnings`, in the same form, for the CLI to print.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"

namespace berth::compose {

// The process environment (environ(7)) as a map.
std::map<std::string, std::string> current_environment();

struct LoadOptions {
  std::vector<std::string> files;      // -f, in order; relative to working_dir
  std::string project_directory;       // --project-directory
  std::string project_name;            // -p
  std::string working_dir;             // "" = the current directory
  std::vector<std::string> env_files;  // --env-file, in order (later files win)
  std::vector<std::string> profiles;   // --profile
  std::vector<std::string> services;   // services named on the command line: enabled
                                       // whatever their profiles
  std::map<std::string, std::string> environ = current_environment();  // injectable for tests
};

Result<Project> load_project(const LoadOptions& options, std::vector<std::string>* warnings);

}  // namespace berth::compose
