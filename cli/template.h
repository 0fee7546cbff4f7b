// The part of Go's text/template that `inspect --format` and `ps --format` use in
// practice: literal text, {{.Field.Sub}} and {{json .Field}} (also {{json .}}).
// A string prints as itself, anything else as JSON; a missing field prints "<no value>".
#pragma once

#include <string>

#include "base/json.h"
#include "base/result.h"

namespace berth::cli {

Result<std::string> render_template(const std::string& tpl, const Json& value);

// What an `inspect` prints for `all`, an array of objects: the array as indented JSON, or
// with a `format`, each object through it, one line each.
Result<> print_inspected(const Json& all, const std::string& format);

}  // namespace berth::cli
