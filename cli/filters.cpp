#include "cli/filters.h"

namespace berth::cli {

Result<bool> match_filters(const std::vector<std::string>& filters, const FilterTest& test) {
  std::map<std::string, bool> key_matched;
  for (const auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos) return fail("bad format of filter (expected name=value)", f);
    std::string key = f.substr(0, eq);
    ASSIGN_OR_RETURN(bool ok, test(key, f.substr(eq + 1)));
    if (key == "label" && !ok) return false;
    key_matched[key] |= ok;
  }
  for (const auto& [key, ok] : key_matched)
    if (!ok) return false;
  return true;
}

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter_value) {
  auto eq = filter_value.find('=');
  auto it = labels.find(filter_value.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == filter_value.substr(eq + 1));
}

}  // namespace berth::cli
