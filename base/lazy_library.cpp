#include "base/lazy_library.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace berth {

namespace {

[[noreturn]] void cannot_load(const char* what, const char* package) {
  std::fprintf(stderr, "berth: %s\nberth: install the Debian package %s\n", what, package);
  std::fflush(stderr);
  ::_exit(125);
}

}  // namespace

void* lazy_symbol(const char* soname, const char* package, const char* name) {
  static std::mutex mu;
  static std::map<std::string, void*> handles;  // never closed: the functions stay in use
  std::lock_guard lock(mu);
  void*& handle = handles[soname];
  if (handle == nullptr) {
    // RTLD_LOCAL: the library's symbols serve only our lookups below, never the resolution
    // of other libraries' symbols.
    handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) cannot_load(::dlerror(), package);
  }
  void* fn = ::dlsym(handle, name);
  if (fn == nullptr) {
    std::string what = std::string(soname) + " has no " + name + " (too old?)";
    cannot_load(what.c_str(), package);
  }
  return fn;
}

}  // namespace berth
