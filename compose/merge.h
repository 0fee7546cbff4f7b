// Merging compose files (`-f compose.yml -f compose.override.yml`) and extended services.
//
// The Compose Specification's rules, applied to the positioned trees before they become a
// model, so an error found later still names the file that set the value:
//   - mappings merge recursively; a scalar of the later file replaces the earlier one;
//   - sequences are appended (dns, cap_add, expose, ports, ...), except
//     command, entrypoint and healthcheck.test, which are replaced;
//   - environment, labels, sysctls, annotations and build.args merge by key, whichever of
//     the list (`- KEY=v`) and mapping (`KEY: v`) forms each file uses;
//   - volumes merge by container path (target), secrets and configs by target (or source),
//     depends_on and networks by name (a list form counts as the default long form);
//   - logging: a different driver replaces the whole block, the same driver merges options;
//   - `!reset` on a value removes what earlier files set; `!override` replaces it whole.
// Short forms that need a shape to merge into (`build: .`, `dns: 1.1.1.1`) are rewritten to
// their long form first, keeping their line numbers.
//
// Read: the Compose Specification's "Merge" page and docker's "Merge Compose files".
#pragma once

#include "compose/node.h"

namespace berth::compose {

// Merges one file's top-level mapping into the result of the files before it. Start from
// an empty mapping so that the first file's `!reset` tags are applied too.
void merge_file(Node& merged, const Node& file);

// Merges a service definition over another (override files and `extends`).
void merge_service(Node& base, const Node& over);

// The key a volume mount merges by (its container path), also used to drop duplicates.
std::string volume_merge_key(const Node& item);

}  // namespace berth::compose
