// WWW-Authenticate parsing, docker's config.json credentials and the token server's
// request and answer (see registry_auth.h).
#include "oci/registry_auth.h"

#include "oci/credential_helper.h"
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "base/base64.h"
#include "base/fs.h"
#include "oci/credential_helper.h"

namespace berth::oci {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// RFC 7230 token characters.
bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/=").find(c) != std::string_view::npos;
}

// A cursor over a header value.
struct Scanner {
  std::string_view s;
  size_t i = 0;
  void skip_space() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++;
  }
  bool at_end() {
    skip_space();
    return i >= s.size();
  }
  std::string token() {
    skip_space();
    size_t start = i;
    while (i < s.size() && is_token_char(s[i]) && s[i] != '=') i++;
    return std::string(s.substr(start, i - start));
  }
  // A parameter value: a quoted-string (with \-escapes) or a token (token68 may end in '=').
  std::string value() {
    skip_space();
    std::string out;
    if (i < s.size() && s[i] == '"') {
      for (i++; i < s.size() && s[i] != '"'; i++) {
        if (s[i] == '\\' && i + 1 < s.size()) i++;
        out += s[i];
      }
      if (i < s.size()) i++;  // the closing quote
      return out;
    }
    while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t') out += s[i++];
    return out;
  }
  bool consume(char c) {
    skip_space();
    if (i < s.size() && s[i] == c) {
      i++;
      return true;
    }
    return false;
  }
};

// "https://index.docker.io/v1/" -> "index.docker.io": docker compares keys by host.
std::string host_of_key(std::string_view key) {
  if (size_t scheme = key.find("://"); scheme != std::string_view::npos) key.remove_prefix(scheme + 3);
  return lower(key.substr(0, key.find('/')));
}

std::string home_dir() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (struct passwd* pw = ::getpwuid(::getuid())) return pw->pw_dir;
  return "/";
}

// Percent-encoding for a query parameter (RFC 3986 unreserved characters stay).
std::string query_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> out;
  Scanner sc{header};
  while (!sc.at_end()) {
    if (sc.consume(',')) continue;
    std::string name = sc.token();
    if (name.empty()) break;  // not a token: give up on the rest, keep what we have
    if (sc.consume('=')) {
      // A parameter of the current challenge.
      std::string value = sc.value();
      if (!out.empty()) out.back().params[lower(name)] = value;
      continue;
    }
    out.push_back(AuthChallenge{lower(name), {}});
  }
  return out;
}

std::string docker_config_key(std::string_view domain) {
  if (domain == "docker.io") return "https://index.docker.io/v1/";
  return std::string(domain);
}

Result<std::optional<Credentials>> credentials_from_docker_config(const Json& config,
                                                                  std::string_view domain) {
  auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return std::nullopt;
  std::string want = host_of_key(docker_config_key(domain));
  for (const auto& [key, entry] : auths->items()) {
    if (host_of_key(key) != want || !entry.is_object()) continue;
    Credentials c;
    if (auto a = entry.find("auth"); a != entry.end() && a->is_string() && !a->get<std::string>().empty()) {
      auto decoded = base64_decode(a->get<std::string>());
      size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return fail("invalid \"auth\" for " + key + " (want base64 of user:password)");
      }
      c.username = decoded->substr(0, colon);
      c.password = decoded->substr(colon + 1);
    } else {
      c.username = entry.value("username", "");
      c.password = entry.value("password", "");
    }
    if (c.username.empty() && c.password.empty()) continue;  // e.g. an entry kept by credsStore
    return c;
  }
  return std::nullopt;
}

std::string docker_config_dir(const std::string& dir) {
  if (!dir.empty()) return dir;
  if (const char* env = std::getenv("DOCKER_CONFIG"); env && *env) return env;
  return path_join(home_dir(), ".docker");
}

Result<std::optional<Credentials>> read_docker_credentials(std::string_view domain,
                                                           const std::string& dir) {
  std::string path = path_join(docker_config_dir(dir), "config.json");
  if (!path_exists(path)) return std::nullopt;
  ASSIGN_OR_RETURN(Json config, read_json_file(path));
  if (!config.is_object()) return fail("invalid docker config (not an object)", path);
  // A credential helper named for this registry (or for all) is asked first.
  std::string key = docker_config_key(domain);
  if (std::string helper = credential_helper_for(config, key); !helper.empty()) {
    ASSIGN_OR_RETURN(auto from_helper, helper_get(helper, key));
    if (from_helper) return from_helper;
  }
  auto creds = credentials_from_docker_config(config, domain);
  if (!creds) return std::unexpected(wrap(creds.error(), "reading \"" + path + "\""));
  if (*creds) (*creds)->source = path;
  return creds;
}

Result<std::string> token_url(const AuthChallenge& challenge, std::string_view scope) {
  std::string realm = challenge.param("realm");
  if (!realm.starts_with("https://") && !realm.starts_with("http://")) {
    return fail("registry's token realm is not an http(s) URL", realm);
  }
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (std::string service = challenge.param("service"); !service.empty()) {
    url += sep + std::string("service=") + query_escape(service);
    sep = '&';
  }
  if (!scope.empty()) url += sep + std::string("scope=") + query_escape(scope);
  return url;
}

Result<std::string> parse_token_response(std::string_view body) {
  ASSIGN_OR_RETURN(Json doc, parse_json(std::string(body), "token server's answer"));
  for (const char* key : {"token", "access_token"}) {
    if (auto it = doc.find(key); it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return fail("the token server's answer has no token");
}

}  // namespace berth::oci
