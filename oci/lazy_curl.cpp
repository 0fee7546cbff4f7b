// libcurl, loaded the first time berth talks to a registry (base/lazy_library.h says why):
// libcurl brings some 30 libraries along (TLS, Kerberos, LDAP...), and most commands never
// need them. Each function berth calls is defined here with curl.h's own signature and
// forwards to the library's. A new call elsewhere fails to link until it is added here.

// curl.h's type-checking macros would otherwise rename the two variadic functions below.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <cstdarg>

#include "base/lazy_library.h"

// The library, and the Debian package that has it.
#define REAL(name) LAZY_FORWARD("libcurl.so.4", "libcurl4", name)

extern "C" {

CURLcode curl_global_init(long flags) { return REAL(curl_global_init)(flags); }
CURL* curl_easy_init(void) { return REAL(curl_easy_init)(); }
void curl_easy_cleanup(CURL* curl) { REAL(curl_easy_cleanup)(curl); }
void curl_easy_reset(CURL* curl) { REAL(curl_easy_reset)(curl); }
CURLcode curl_easy_perform(CURL* curl) { return REAL(curl_easy_perform)(curl); }
const char* curl_easy_strerror(CURLcode code) { return REAL(curl_easy_strerror)(code); }
struct curl_slist* curl_slist_append(struct curl_slist* list, const char* s) {
  return REAL(curl_slist_append)(list, s);
}
void curl_slist_free_all(struct curl_slist* list) { REAL(curl_slist_free_all)(list); }

// A variadic function cannot pass its `...` on, so the one argument is read with its real
// type, which curl.h encodes in each option's number (the CURLOPTTYPE_* bases).
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  auto* real = REAL(curl_easy_setopt);
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT)
    rc = real(curl, option, va_arg(ap, long));
  else if (option < CURLOPTTYPE_FUNCTIONPOINT)
    rc = real(curl, option, va_arg(ap, void*));
  else if (option < CURLOPTTYPE_OFF_T)
    rc = real(curl, option, va_arg(ap, void (*)(void)));
  else if (option < CURLOPTTYPE_BLOB)
    rc = real(curl, option, va_arg(ap, curl_off_t));
  else
    rc = real(curl, option, va_arg(ap, void*));
  va_end(ap);
  return rc;
}

// Every CURLINFO_* takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);
  va_end(ap);
  return REAL(curl_easy_getinfo)(curl, info, out);
}

}  // extern "C"
