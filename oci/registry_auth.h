// Registry authentication: what the registry asks for, and what we answer with.
//
// Read: RFC 7235 (WWW-Authenticate challenges), RFC 7617 (Basic); the distribution
// project's docs/spec/auth/token.md (the Bearer token flow Docker Hub, GHCR and most
// registries use: a 401 names a token server as realm="...", service="..." and
// scope="repository:NAME:pull"; we GET realm?service=...&scope=... with Basic credentials or
// none, and send the token it returns as "Authorization: Bearer ..."); docker's
// cli/config/configfile (config.json: "auths": {"HOST": {"auth": base64("user:password")}}).
// After this file you know why an anonymous pull from Docker Hub still needs a token.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace berth::oci {

// One challenge of a WWW-Authenticate header: `Bearer realm="...",service="..."`.
struct AuthChallenge {
  std::string scheme;                         // lower-cased: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lower-cased, values unquoted
  std::string param(const std::string& name) const;
};

// Every challenge in one header value (a header may hold several, comma-separated).
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

struct Credentials {
  std::string username, password;
  std::string source;  // the file they came from, for error messages
};

// The key docker uses in config.json for a registry domain: docker.io is
// "https://index.docker.io/v1/", every other registry its host[:port].
std::string docker_config_key(std::string_view domain);
// The "auths" entry of a parsed config.json for a domain. Keys may carry a scheme and a
// path ("https://host/v1/"), as old docker versions wrote them. Entries with "auth"
// (base64 "user:password") or "username" and "password"; nullopt when there is none.
Result<std::optional<Credentials>> credentials_from_docker_config(const Json& config,
                                                                  std::string_view domain);
// The directory holding config.json: `dir` if not empty, else $DOCKER_CONFIG, else ~/.docker.
std::string docker_config_dir(const std::string& dir = "");
// Reads <docker_config_dir(dir)>/config.json when it exists.
Result<std::optional<Credentials>> read_docker_credentials(std::string_view domain,
                                                           const std::string& dir = "");

// The token server's URL for a Bearer challenge: realm?service=...&scope=...
Result<std::string> token_url(const AuthChallenge& challenge, std::string_view scope);
// The token from the token server's JSON answer ("token", or OAuth2's "access_token").
Result<std::string> parse_token_response(std::string_view body);

}  // namespace berth::oci
