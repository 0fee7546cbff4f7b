// The JSON library berth uses everywhere (nlohmann-json, Debian's nlohmann-json3-dev).
// Parse errors are exceptions there; parse_json() turns them into an Error naming the source.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"

namespace berth {

using Json = nlohmann::json;

// Parses text; the error names `source` (a file path, or "image config sha256:...").
Result<Json> parse_json(const std::string& text, const std::string& source);
Result<Json> read_json_file(const std::string& path);

}  // namespace berth
