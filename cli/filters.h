// docker's `--filter KEY=VALUE`, as `ps` and `volume ls` read it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::cli {

// One filter's answer for the object at hand; an error for a key the verb does not know.
using FilterTest = std::function<Result<bool>(const std::string& key, const std::string& value)>;

// Values of one key are alternatives (any may match), except `label`, whose filters all
// must match; different keys all must match. A filter without '=' is docker's "bad format".
Result<bool> match_filters(const std::vector<std::string>& filters, const FilterTest& test);

// label=KEY or label=KEY=VALUE against an object's labels.
bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter_value);

}  // namespace berth::cli
