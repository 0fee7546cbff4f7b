// The last loading step: profiles, defaults, and the checks that span several parts.
//
//  - profiles: a service with `profiles:` runs only when one of them is active (`--profile`,
//    else COMPOSE_PROFILES; "*" activates all) or when it is named on the command line; a
//    service without profiles always runs. Disabled services leave the model.
//  - defaults: a service that names no network (and has no network_mode) joins `default`,
//    the project's network "<project>_default"; networks and volumes get their engine names.
//  - references: every network, named volume, secret, config and depends_on target a
//    service uses must exist (a `required: false` dependency that does not only warns);
//    depends_on must not form a cycle; network_mode excludes networks.
//  - networks, volumes, secrets and configs that no enabled service uses are dropped, as
//    docker compose does, so `up` creates only what runs.
// Errors point into the merged tree (`root`) to name the file and line.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"
#include "compose/node.h"
#include "compose/values.h"

namespace berth::compose {

struct FinalizeOptions {
  std::vector<std::string> profiles;         // active profiles
  std::vector<std::string> enabled_services;  // named on the command line
};

Result<> finalize_project(Project& project, const Node& root, const FinalizeOptions& options,
                          ParseContext& ctx);

}  // namespace berth::compose
