// Writing a JSON-shaped document as block YAML, the way `docker compose config` prints it
// (Go's gopkg.in/yaml.v3 with two-space indentation):
//
//   services:
//     web:
//       command:
//         - sh
//         - -c
//       ports:
//         - mode: ingress
//           target: 80
//           published: "8080"
//
// Keys keep the document's order. A string is written plain unless YAML would read it back
// as something else (a number, a boolean, null, "" or text with YAML punctuation): then it is
// double-quoted, like "8080" above. Strings with line breaks use a literal block (`|-`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::compose {

std::string emit_yaml(const nlohmann::ordered_json& document);

// True when `s` can be written as a plain scalar and read back as the same string.
bool is_plain_safe(const std::string& s);

}  // namespace berth::compose
