// certs.d (see registry_certs.h).
#include "oci/registry_certs.h"

#include <algorithm>

#include "base/fs.h"

namespace berth::oci {

Result<RegistryTls> load_registry_tls(const std::string& domain, const std::string& cert_dir) {
  std::vector<std::string> roots =
      cert_dir.empty() ? std::vector<std::string>{"/etc/berth/certs.d", "/etc/docker/certs.d"} : std::vector{cert_dir};
  RegistryTls tls;
  for (const auto& root : roots) {
    std::string dir = path_join(root, domain);
    if (!is_directory(dir)) continue;
    tls.configured = true;
    ASSIGN_OR_RETURN(auto names, list_dir(dir));
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string path = path_join(dir, n);
      if (n.ends_with(".crt")) {
        ASSIGN_OR_RETURN(std::string pem, read_file(path));
        tls.ca_pem += pem + (pem.ends_with("\n") ? "" : "\n");
      } else if (n.ends_with(".cert")) {
        std::string key = path.substr(0, path.size() - 5) + ".key";
        if (!path_exists(key)) return fail("missing key " + key + " for client certificate " + path);
        tls.client_cert = path;
        tls.client_key = key;
      } else if (n.ends_with(".key")) {
        std::string cert = path.substr(0, path.size() - 4) + ".cert";
        if (!path_exists(cert)) return fail("missing client certificate " + cert + " for key " + path);
      }
    }
    break;  // the first directory found wins, as docker reads one
  }
  return tls;
}

}  // namespace berth::oci
