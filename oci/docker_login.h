// `berth login` and `berth logout`: where a registry's credentials are kept, by docker's
// rules, so that docker, podman, skopeo and berth share one login.
//
// Read: docker's cli/config/configfile and the credential helpers' protocol
// (credential_helper.h). A credential helper named for the registry (credHelpers) or for
// all (credsStore) keeps them; otherwise config.json's "auths" does, as base64 of
// "user:password" (not encrypted: the file is written 0600, and docker prints the same
// warning). Every other key of config.json is kept as it was.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/registry_auth.h"

namespace berth::oci {

struct SavedLogin {
  std::string where;      // the config.json path, or "docker-credential-NAME"
  bool in_plain = false;  // stored in config.json itself (docker's warning applies)
};

// Stores `creds` for the registry `domain` ("docker.io", "127.0.0.1:5000").
Result<SavedLogin> save_login(const std::string& domain, const Credentials& creds, const std::string& dir = "");
// Removes them; false when there were none.
Result<bool> remove_login(const std::string& domain, const std::string& dir = "");

}  // namespace berth::oci
