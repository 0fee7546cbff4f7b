#include "engine/etc_passwd.h"

#include "base/strings.h"

namespace berth::engine {

namespace {

struct Entry {
  std::string name;
  uint32_t id = 0;
  uint32_t gid = 0;             // passwd only
  std::string home;             // passwd only
  std::vector<std::string> members;  // group only
};

std::vector<Entry> parse_db(const std::string& text, bool is_passwd) {
  std::vector<Entry> out;
  for (const auto& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() < (is_passwd ? 7u : 4u)) continue;
    auto id = parse_int(f[2]);
    if (!id || *id < 0) continue;
    Entry e;
    e.name = f[0];
    e.id = static_cast<uint32_t>(*id);
    if (is_passwd) {
      auto gid = parse_int(f[3]);
      e.gid = gid ? static_cast<uint32_t>(*gid) : 0;
      e.home = f[5];
    } else if (!f[3].empty()) {
      e.members = split(f[3], ',');
    }
    out.push_back(std::move(e));
  }
  return out;
}

const Entry* find(const std::vector<Entry>& db, const std::string& key) {
  auto num = parse_int(key);
  for (const auto& e : db)
    if (e.name == key || (num && *num >= 0 && e.id == static_cast<uint32_t>(*num))) return &e;
  return nullptr;
}

}  // namespace

Result<ResolvedUser> resolve_user(const std::string& spec, const std::optional<std::string>& passwd,
                                  const std::optional<std::string>& group) {
  ResolvedUser out;
  auto colon = spec.find(':');
  std::string grp = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  std::string named = spec.substr(0, colon);
  const std::string user = named.empty() ? std::string(1, '0') : named;
  auto users = parse_db(passwd.value_or(""), true);
  auto groups = parse_db(group.value_or(""), false);

  auto num = parse_int(user);
  if (const Entry* e = find(users, user)) {
    out.uid = e->id;
    out.gid = e->gid;
    out.home = e->home.empty() ? "/" : e->home;
  } else if (num && *num >= 0 && *num <= UINT32_MAX) {
    out.uid = static_cast<uint32_t>(*num);
    out.gid = 0;  // docker: a uid with no passwd entry runs with gid 0
  } else {
    return fail("unable to find user " + user + ": no matching entries in passwd file");
  }

  if (!grp.empty()) {
    auto gnum = parse_int(grp);
    if (const Entry* g = find(groups, grp))
      out.gid = g->id;
    else if (gnum && *gnum >= 0 && *gnum <= UINT32_MAX)
      out.gid = static_cast<uint32_t>(*gnum);
    else
      return fail("unable to find group " + grp + ": no matching entries in group file");
  }
  // Supplementary groups: every group that lists the user by name (initgroups(3)).
  const Entry* pw = find(users, user);
  if (pw) {
    for (const auto& g : groups)
      for (const auto& m : g.members)
        if (m == pw->name && g.id != out.gid) out.additional_gids.push_back(g.id);
  }
  return out;
}

}  // namespace berth::engine
