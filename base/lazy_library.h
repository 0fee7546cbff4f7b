// Shared libraries loaded on first use, not at start.
//
// Every berth command pays for each shared library it is linked against before main()
// runs: the loader maps it and its own dependencies and resolves their symbols. libcurl
// alone brings 30 more (gnutls, krb5, ldap, ...), about 6 ms of every `berth run` that
// never talks to a registry. So the heavy libraries that only some commands need
// (libcurl, libarchive, libnftables) are not linked at all: their functions are defined in
// berth under their own names (oci/lazy_curl.cpp, oci/lazy_archive.cpp,
// netns/lazy_nftables.cpp), each forwarding to the real one, which lazy_symbol() finds
// with dlopen(3)/dlsym(3) the first time it is called. The callers include the library's
// own header and cannot tell the difference.
#pragma once

namespace berth {

// The address of `name` in the shared library `soname` (e.g. "libcurl.so.4"), loading the
// library on the first call for it. Thread-safe. A library or symbol that cannot be found
// is an installation fault, like a missing library at start: berth prints which and what
// to install, then exits with 125 (docker's exit code for its own failure).
void* lazy_symbol(const char* soname, const char* package, const char* name);

// The forwarder for `name`: the real function, looked up once and cached. Used as
//   LAZY_FORWARD(kLib, kPackage, archive_read_new)(...arguments...)
// inside a definition of archive_read_new with the header's exact signature (the compiler
// checks it against the header's declaration).
#define LAZY_FORWARD(soname, package, name)                                              \
  ([]() {                                                                                \
    static auto* const fn =                                                              \
        reinterpret_cast<decltype(&name)>(::berth::lazy_symbol(soname, package, #name)); \
    return fn;                                                                           \
  }())

}  // namespace berth
