// berth's registry settings (see registry_config.h).
#include "oci/registry_config.h"

#include <arpa/inet.h>

#include "base/config_file.h"
#include "base/json.h"
#include "base/strings.h"

namespace berth::oci {

namespace {

// "10.1.2.3" (with or without a port) inside "10.0.0.0/8".
bool in_cidr(std::string_view domain, const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  std::string host(domain.substr(0, domain.find(':')));
  in_addr addr, net;
  auto bits = parse_int(cidr.substr(slash + 1));
  if (!bits || *bits < 0 || *bits > 32) return false;
  if (::inet_pton(AF_INET, host.c_str(), &addr) != 1 || ::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1)
    return false;
  uint32_t mask = *bits == 0 ? 0 : ~uint32_t{0} << (32 - *bits);
  return (ntohl(addr.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

Result<std::vector<std::string>> string_list(const Json& doc, const char* key, const std::string& path) {
  std::vector<std::string> out;
  auto it = doc.find(key);
  if (it == doc.end()) return out;
  if (!it->is_array()) return fail(path + ": \"" + key + "\" must be a list of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) return fail(path + ": \"" + key + "\" must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

bool RegistryConfig::is_insecure(std::string_view domain) const {
  std::string_view host = domain.substr(0, domain.find(':'));
  for (const auto& i : insecure)
    if (i == domain || i == host || in_cidr(domain, i)) return true;
  return false;
}

Result<RegistryConfig> load_registry_config(const std::string& given) {
  std::string path = config_file_path(given);
  ASSIGN_OR_RETURN(Json doc, read_config_file(path));
  RegistryConfig c;
  ASSIGN_OR_RETURN(c.mirrors, string_list(doc, "registry-mirrors", path));
  ASSIGN_OR_RETURN(c.insecure, string_list(doc, "insecure-registries", path));
  for (auto& m : c.mirrors) {
    if (!m.starts_with("http://") && !m.starts_with("https://"))
      return fail(path + ": registry-mirrors: \"" + m + "\" is not an http(s) URL");
    while (m.ends_with("/")) m.pop_back();
  }
  return c;
}

}  // namespace berth::oci
