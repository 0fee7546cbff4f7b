// Base64 (RFC 4648 section 4, with padding): how HTTP Basic auth (RFC 7617) carries
// "user:password", and how docker's config.json stores it under "auths".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not base64 (padding may be left out, as some tools do).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace berth
