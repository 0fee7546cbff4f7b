// `extends`: a service that starts from another service's definition.
//
//   services:
//     web:
//       extends: base                          # a service of the same file
//     api:
//       extends: {file: common.yml, service: api}
//
// The extended service is resolved first (it may extend another in turn; a cycle is an
// error naming it), then the local definition is merged over it with the same rules as an
// override file (compose/merge.h). Everything is inherited, depends_on included, as docker
// compose v2 does. The nodes copied from another file keep that file's directory as their
// base, so its relative paths (bind mounts, build contexts, env_file) stay relative to it.
// `file:` itself is relative to the directory of the file that declares the `extends`.
//
// Read: the Compose Specification, services "extends"; docker's "Extend your Compose file".
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "compose/node.h"

namespace berth::compose {

// Loads (parsed and interpolated, not yet extended) the file at an absolute path.
using FileLoader = std::function<Result<const Node*>(const std::string& path)>;

// Replaces every service of `root` (one file's tree, from `path`) that has `extends` by its
// resolved definition.
Result<> resolve_extends(Node& root, const std::string& path, const FileLoader& load);

}  // namespace berth::compose
