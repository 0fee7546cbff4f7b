#include "base/json.h"

#include "base/fs.h"

namespace berth {

Result<Json> parse_json(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return fail(std::string("invalid JSON (") + e.what() + ")", source);
  }
}

Result<Json> read_json_file(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_json(text, path);
}

}  // namespace berth
