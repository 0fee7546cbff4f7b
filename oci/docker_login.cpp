// login / logout storage (see docker_login.h).
#include "oci/docker_login.h"

#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "oci/credential_helper.h"

namespace berth::oci {

namespace {

Result<Json> read_config(const std::string& path) {
  if (!path_exists(path)) return Json::object();
  ASSIGN_OR_RETURN(Json config, read_json_file(path));
  if (!config.is_object()) return fail("invalid docker config (not an object)", path);
  return config;
}

}  // namespace

Result<SavedLogin> save_login(const std::string& domain, const Credentials& creds, const std::string& dir) {
  std::string config_dir = docker_config_dir(dir);
  std::string path = path_join(config_dir, "config.json");
  ASSIGN_OR_RETURN(Json config, read_config(path));
  std::string key = docker_config_key(domain);
  if (std::string helper = credential_helper_for(config, key); !helper.empty()) {
    TRY(helper_store(helper, key, creds));
    return SavedLogin{"docker-credential-" + helper, false};
  }
  if (!config.contains("auths") || !config["auths"].is_object()) config["auths"] = Json::object();
  config["auths"][key] = {{"auth", base64_encode(creds.username + ":" + creds.password)}};
  TRY(make_dirs(config_dir, 0700));
  TRY(write_file_atomic(path, config.dump(1, '\t') + "\n", 0600));
  return SavedLogin{path, true};
}

Result<bool> remove_login(const std::string& domain, const std::string& dir) {
  std::string path = path_join(docker_config_dir(dir), "config.json");
  ASSIGN_OR_RETURN(Json config, read_config(path));
  std::string key = docker_config_key(domain);
  bool removed = false;
  if (std::string helper = credential_helper_for(config, key); !helper.empty()) {
    TRY(helper_erase(helper, key));
    removed = true;
  }
  if (auto auths = config.find("auths"); auths != config.end() && auths->is_object() && auths->contains(key)) {
    auths->erase(key);
    TRY(write_file_atomic(path, config.dump(1, '\t') + "\n", 0600));
    removed = true;
  }
  return removed;
}

}  // namespace berth::oci
