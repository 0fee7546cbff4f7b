// Variable interpolation: `${TAG:-latest}` in a compose file (or a .env file) replaced by
// the value of TAG from the environment.
//
// The syntax is a small subset of the POSIX shell's parameter expansion:
//   $VAR  ${VAR}         the value, or "" (with a warning) when VAR is not set
//   ${VAR:-default}      default when VAR is unset or empty;  ${VAR-default}: when unset
//   ${VAR:?message}      an error when VAR is unset or empty; ${VAR?message}: when unset
//   ${VAR:+replacement}  replacement when VAR is set and not empty; ${VAR+replacement}: when set
//   $$                   a literal $
// Defaults, messages and replacements are interpolated themselves, so they nest:
// `${A:-${B:-x}}`. A `$` that starts none of these forms is kept as it is.
//
// Interpolation happens after YAML parsing, on scalar values only (never on mapping keys,
// as the spec says), and per file, before files are merged.
//
// Read: the Compose Specification's "Interpolation" page; POSIX sh "Parameter Expansion".
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"
#include "compose/node.h"

namespace berth::compose {

// Looks a variable up: its value, or nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Interpolates one string. Names of variables that were not set and had no default are added
// to `missing` (the caller warns). Errors are bare ("required variable X is missing a value:
// msg"); the caller adds the file, line and key.
Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::set<std::string>* missing);

// Interpolates every scalar value of a tree in place. Errors name the file, line and key
// path: `compose.yml:4: services.web.image: required variable TAG is missing a value`.
// Each variable that was not set is reported once through `warn`.
struct InterpolateOptions {
  Lookup lookup;
  std::function<void(const Node& at, const std::string& variable)> warn_missing;
};
Result<> interpolate_tree(Node& root, const InterpolateOptions& options);

}  // namespace berth::compose
