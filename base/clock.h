// Wall-clock times as the OCI specs and docker write them: RFC 3339 in UTC with
// nanoseconds ("2026-11-26T11:37:21.123456789Z"), and "how long ago" for tables.
#pragma once

#include <cstdint>
#include <string>

namespace berth {

std::string rfc3339_now();
// Seconds between an RFC 3339 time and now; -1 when the text is not one.
int64_t seconds_since(const std::string& rfc3339);

}  // namespace berth
