// docker's certs.d: the TLS trust and client certificates of one registry.
//
// Read: docker's docs "Verify repository client with certificates" (the layout) and
// curl's CURLOPT_CAINFO_BLOB(3), CURLOPT_SSLCERT(3). For a registry HOST[:PORT], the
// directory <certs.d>/HOST[:PORT]/ may hold:
//   *.crt             CA certificates to trust for it, beside the system's
//   NAME.cert + NAME.key   a client certificate and its key (mutual TLS)
// berth reads /etc/berth/certs.d, then docker's /etc/docker/certs.d (so a host set up for
// docker works as it is), or only the directory --cert-dir names. A registry with such a
// directory is spoken to over verified TLS, even on loopback (where plain HTTP and
// unverified TLS are allowed otherwise): configuring its CA says which one to trust.
#pragma once

#include <string>

#include "base/result.h"

namespace berth::oci {

struct RegistryTls {
  bool configured = false;   // a certs.d directory exists for the registry
  std::string ca_pem;        // its *.crt files, concatenated
  std::string client_cert;   // paths of a NAME.cert / NAME.key pair, or ""
  std::string client_key;
};

// `cert_dir`: --cert-dir (the certs.d directory itself), or "" for the default ones.
Result<RegistryTls> load_registry_tls(const std::string& domain, const std::string& cert_dir = "");

}  // namespace berth::oci
