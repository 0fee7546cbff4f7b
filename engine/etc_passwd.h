// Resolving `-u user[:group]` the way docker does: names are looked up in the *image's*
// /etc/passwd and /etc/group (never the host's), numbers are taken as they are, and the
// user's supplementary groups come from /etc/group membership. Read: passwd(5), group(5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::engine {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};

// spec: "", "app", "1000", "app:staff", "1000:50". passwd/group: the files' text, or
// nullopt when the image has none (then only numeric ids work, as in docker).
Result<ResolvedUser> resolve_user(const std::string& spec, const std::optional<std::string>& passwd,
                                  const std::optional<std::string>& group);

}  // namespace berth::engine
