// Environment files: the project's `.env`, `--env-file`, a service's `env_file`.
//
// Docker Compose's dialect, one `KEY=VALUE` a line:
//   # a comment line            blank lines are skipped too
//   export KEY=value            the `export ` prefix of a shell script is accepted
//   KEY = value                 `:` works as the separator too; spaces around it are dropped
//   KEY=value # comment         a ` #` ends an unquoted value;  KEY=a#b keeps the #
//   KEY='literal $X \n'         single quotes: taken as written (only \' is an escape)
//   KEY="a\tb ${X:-y}"          double quotes: \n \r \t \\ \" \$ escapes, interpolation
//   KEY="line one
//   line two"                   quoted values may span lines
//   KEY                         no value: taken from the environment, skipped if unset there
// Unquoted and double-quoted values are interpolated (compose/interpolate.h) with the
// variables defined earlier in the file and, before them, the lookup given (the process
// environment). The `raw` format of env_file takes every `KEY=VALUE` line literally.
//
// Read: Docker's "Syntax for environment files" (compose/how-tos/environment-variables).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "compose/interpolate.h"

namespace berth::compose {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Parses an environment file's text; `display` names it in errors ("web.env:3: ...").
Result<EnvList> parse_dotenv(const std::string& text, const std::string& display,
                             const Lookup& lookup);
// `format: raw`: KEY=VALUE lines taken as written (no quotes, escapes or interpolation).
Result<EnvList> parse_dotenv_raw(const std::string& text, const std::string& display);

}  // namespace berth::compose
