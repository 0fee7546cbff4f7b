// Docker's credential helpers: programs named docker-credential-NAME that keep registry
// passwords in a keyring (pass, secretservice, osxkeychain, ecr-login, ...) instead of
// config.json. config.json names them: "credsStore": "pass" for every registry,
// "credHelpers": {"HOST": "ecr-login"} for one.
//
// Read: docker/docker-credential-helpers' README ("protocol"): the helper is run with one
// argument, the action, and talks JSON on stdin/stdout:
//   get    stdin: the server URL            stdout: {"ServerURL","Username","Secret"}
//   store  stdin: {"ServerURL","Username","Secret"}
//   erase  stdin: the server URL
// A helper that knows nothing for a server says "credentials not found in native keychain"
// and exits 1: not an error, just no credentials. Running a helper is the protocol itself,
// so it is done with fork and execvp, with no shell in between.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "oci/registry_auth.h"

namespace berth::oci {

// The helper config.json names for `key` (docker_config_key): credHelpers first, then
// credsStore; "" when none.
std::string credential_helper_for(const Json& config, const std::string& key);

Result<std::optional<Credentials>> helper_get(const std::string& helper, const std::string& server);
Result<> helper_store(const std::string& helper, const std::string& server, const Credentials& creds);
Result<> helper_erase(const std::string& helper, const std::string& server);

}  // namespace berth::oci
