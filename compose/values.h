// Reading typed values out of the positioned tree, with errors that say where.
//
// Every reader takes the node and its key path and fails with
//   compose.yml:12: services.web.cpus: invalid number "abc"
// so the parsers of the model (compose/parse_*.cpp) never format a location themselves.
// The forms the specification allows are accepted as docker compose accepts them: numbers
// may be written as strings ("0.5"), booleans as true/false in any case, sizes with docker's
// units ("512m", "1gb", "1GiB"), durations in Go's syntax ("1m30s", "250ms").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "compose/interpolate.h"
#include "compose/model.h"
#include "compose/node.h"

namespace berth::compose {

// What the model parsers share: the environment (for `environment: [KEY]` and `~`), and
// where warnings go.
struct ParseContext {
  Lookup lookup;
  std::vector<std::string>* warnings = nullptr;

  // Adds "compose.yml:12: services.web.devices: <what>".
  void warn(const Node& at, const std::string& path, const std::string& what);
};

std::string key_path(const std::string& path, std::string_view key);
std::string index_path(const std::string& path, size_t index);

// The error "<file>:<line>: <path>: <what> "<object>"".
std::unexpected<Error> fail_at(const Node& at, const std::string& path, std::string what,
                               std::string object = {});

Result<> expect_mapping(const Node& node, const std::string& path);
Result<> expect_sequence(const Node& node, const std::string& path);
Result<std::string> get_string(const Node& node, const std::string& path);
Result<bool> get_bool(const Node& node, const std::string& path);
Result<int64_t> get_int(const Node& node, const std::string& path);
Result<double> get_number(const Node& node, const std::string& path);
// Bytes: 536870912, "512m", "1gb", "1.5g"; "-1" only when allow_unlimited.
Result<int64_t> get_bytes(const Node& node, const std::string& path, bool allow_unlimited = false);
// Nanoseconds, from Go's duration syntax; "0" alone is allowed without a unit.
Result<int64_t> get_duration(const Node& node, const std::string& path);
// An octal file mode: 0440, "0o440", 288 as decimal when written without a leading zero.
Result<uint32_t> get_file_mode(const Node& node, const std::string& path);
Result<std::vector<std::string>> get_string_list(const Node& node, const std::string& path);
// A string or a list of strings (dns, tmpfs, env_file's short form).
Result<std::vector<std::string>> get_string_or_list(const Node& node, const std::string& path);
// A mapping {K: V} or a list ["K=V", "K"] (environment, labels, sysctls, build args). A key
// without a value maps to nullopt.
Result<OptionalStringMap> get_list_or_dict(const Node& node, const std::string& path);
// Same, when every key must have a value: a missing one becomes "".
Result<StringMap> get_string_map(const Node& node, const std::string& path);

// A path from the file made absolute: `~` expanded with HOME, relative paths joined to the
// directory of the node's file (Source::base_dir), then cleaned lexically.
std::string resolve_path(const Node& at, const std::string& path, const Lookup& lookup);
// Lexical cleaning as Go's filepath.Clean: "a/./b/../c/" -> "a/c".
std::string clean_path(std::string_view path);

}  // namespace berth::compose
