#include "runtime/uid_map.h"

#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"

namespace berth::runtime {

std::string format_id_map(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

Result<IdMapping> parse_id_mapping(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.size() != 3) return fail("invalid id mapping (want container:host:size)", text);
  IdMapping m;
  auto c = parse_int(parts[0]), h = parse_int(parts[1]), s = parse_int(parts[2]);
  if (!c || !h || !s || *c < 0 || *h < 0 || *s <= 0 || *c > UINT32_MAX || *h > UINT32_MAX ||
      *s > UINT32_MAX)
    return fail("invalid id mapping (want container:host:size)", text);
  m.container_id = static_cast<uint32_t>(*c);
  m.host_id = static_cast<uint32_t>(*h);
  m.size = static_cast<uint32_t>(*s);
  return m;
}

Result<> write_id_maps(pid_t pid, const std::vector<IdMapping>& uids,
                       const std::vector<IdMapping>& gids) {
  std::string base = "/proc/" + std::to_string(pid);
  std::string g = format_id_map(gids), u = format_id_map(uids);
  trace_syscall("write(" + quote(base + "/gid_map") + ", " + quote(trim(g)) + ")  write(" +
                quote(base + "/uid_map") + ", " + quote(trim(u)) + ")");
  if (!gids.empty()) TRY_CTX(write_file(base + "/gid_map", g), "writing gid map");
  if (!uids.empty()) TRY_CTX(write_file(base + "/uid_map", u), "writing uid map");
  return {};
}

}  // namespace berth::runtime
