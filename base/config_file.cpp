// berth's settings file (see config_file.h).
#include "base/config_file.h"

#include <cstdlib>

#include "base/fs.h"

namespace berth {

std::string config_file_path(const std::string& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("BERTH_CONFIG");
  return env && *env ? env : "/etc/berth/config.json";
}

Result<Json> read_config_file(const std::string& path) {
  if (!path_exists(path)) return Json::object();
  ASSIGN_OR_RETURN(Json doc, read_json_file(path));
  if (!doc.is_object()) return fail(path + ": not a JSON object");
  return doc;
}

}  // namespace berth
