#include "base/clock.h"

#include <time.h>

#include <cstdio>
#include <ctime>

namespace berth {

std::string rfc3339_now() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", static_cast<long>(ts.tv_nsec));
  return buf;
}

int64_t seconds_since(const std::string& rfc3339) {
  struct tm tm = {};
  if (rfc3339.empty() || !::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<int64_t>(std::time(nullptr) - ::timegm(&tm));
}

}  // namespace berth
