// User namespace id maps: which host uids and gids the container's ids stand for.
//
// "0 100000 65536" in /proc/PID/uid_map means: uid 0 inside is uid 100000 on the host,
// uid 1 is 100001, and so on for 65536 ids. Files owned by unmapped host ids appear as
// the overflow id (65534, "nobody"). Only the parent, from outside, may write the maps,
// once, before the child uses its new identity: that is why the child waits in
// wait_for_parent. Read: user_namespaces(7) "User and group ID mappings".
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace berth::runtime {

// "0 100000 65536\n..." as the kernel wants it (at most 340 lines).
std::string format_id_map(const std::vector<IdMapping>& maps);
// podman's spelling: "0:100000:65536" (container:host:size); repeatable.
Result<IdMapping> parse_id_mapping(const std::string& text);

Result<> write_id_maps(pid_t pid, const std::vector<IdMapping>& uids,
                       const std::vector<IdMapping>& gids);

}  // namespace berth::runtime
