// Converting config.json to the Spec structs and back. The reader is strict about types
// (a string where an array belongs is an error naming the key) and lenient about keys it
// does not use, as the runtime spec asks ("MUST ignore unknown properties").
#include "runtime/spec.h"

#include "base/fs.h"

namespace berth::runtime {

namespace {

// A small cursor that names the key path in every error.
struct Reader {
  const std::string& source;

  Result<std::string> str(const Json& obj, const char* key, const std::string& path,
                          const std::string& def = {}) const {
    if (!obj.contains(key) || obj[key].is_null()) return def;
    if (!obj[key].is_string()) return bad(path + "." + key, "must be a string");
    return obj[key].get<std::string>();
  }
  Result<std::vector<std::string>> strings(const Json& obj, const char* key,
                                           const std::string& path) const {
    std::vector<std::string> out;
    if (!obj.contains(key) || obj[key].is_null()) return out;
    const Json& a = obj[key];
    if (!a.is_array()) return bad(path + "." + key, "must be an array of strings");
    for (const auto& v : a) {
      if (!v.is_string()) return bad(path + "." + key, "must be an array of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  template <typename T>
  Result<T> number(const Json& obj, const char* key, const std::string& path, T def) const {
    if (!obj.contains(key) || obj[key].is_null()) return def;
    if (!obj[key].is_number_integer()) return bad(path + "." + key, "must be an integer");
    return obj[key].get<T>();
  }
  std::unexpected<Error> bad(const std::string& key, const std::string& why) const {
    return fail(source + ": " + key + ": " + why);
  }
};

Result<std::vector<IdMapping>> parse_mappings(const Reader& r, const Json& linux, const char* key) {
  std::vector<IdMapping> out;
  if (!linux.contains(key)) return out;
  if (!linux[key].is_array()) return r.bad(std::string("linux.") + key, "must be an array");
  for (const auto& m : linux[key]) {
    IdMapping map;
    std::string p = std::string("linux.") + key + "[]";
    ASSIGN_OR_RETURN(map.container_id, r.number<uint32_t>(m, "containerID", p, 0));
    ASSIGN_OR_RETURN(map.host_id, r.number<uint32_t>(m, "hostID", p, 0));
    ASSIGN_OR_RETURN(map.size, r.number<uint32_t>(m, "size", p, 0));
    if (map.size == 0) return r.bad(p + ".size", "must be greater than 0");
    out.push_back(map);
  }
  return out;
}

Result<Process> parse_process(const Reader& r, const Json& p) {
  Process proc;
  if (!p.is_object()) return r.bad("process", "must be an object");
  proc.terminal = p.value("terminal", false);
  ASSIGN_OR_RETURN(proc.args, r.strings(p, "args", "process"));
  if (proc.args.empty()) return r.bad("process.args", "must be a non-empty array of strings");
  ASSIGN_OR_RETURN(proc.env, r.strings(p, "env", "process"));
  ASSIGN_OR_RETURN(proc.cwd, r.str(p, "cwd", "process", "/"));
  if (proc.cwd.empty() || proc.cwd[0] != '/') return r.bad("process.cwd", "must be an absolute path");
  if (p.contains("user")) {
    ASSIGN_OR_RETURN(proc.uid, r.number<uint32_t>(p["user"], "uid", "process.user", 0));
    ASSIGN_OR_RETURN(proc.gid, r.number<uint32_t>(p["user"], "gid", "process.user", 0));
    if (p["user"].contains("additionalGids"))
      proc.additional_gids = p["user"]["additionalGids"].get<std::vector<uint32_t>>();
  }
  if (p.contains("capabilities")) proc.capabilities = p["capabilities"];
  if (p.contains("rlimits")) {
    for (const auto& l : p["rlimits"]) {
      Rlimit rl;
      ASSIGN_OR_RETURN(rl.type, r.str(l, "type", "process.rlimits[]"));
      ASSIGN_OR_RETURN(rl.hard, r.number<uint64_t>(l, "hard", "process.rlimits[]", 0));
      ASSIGN_OR_RETURN(rl.soft, r.number<uint64_t>(l, "soft", "process.rlimits[]", 0));
      proc.rlimits.push_back(rl);
    }
  }
  proc.no_new_privileges = p.value("noNewPrivileges", false);
  return proc;
}

Result<> parse_linux(const Reader& r, const Json& linux, Spec& spec) {
  if (linux.contains("namespaces")) {
    for (const auto& n : linux["namespaces"]) {
      Namespace ns;
      ASSIGN_OR_RETURN(ns.type, r.str(n, "type", "linux.namespaces[]"));
      ASSIGN_OR_RETURN(ns.path, r.str(n, "path", "linux.namespaces[]"));
      static const char* known[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
      bool ok = false;
      for (const char* k : known) ok |= ns.type == k;
      if (!ok) return r.bad("linux.namespaces[].type", "unknown namespace \"" + ns.type + "\"");
      spec.namespaces.push_back(ns);
    }
  }
  ASSIGN_OR_RETURN(spec.uid_mappings, parse_mappings(r, linux, "uidMappings"));
  ASSIGN_OR_RETURN(spec.gid_mappings, parse_mappings(r, linux, "gidMappings"));
  if (linux.contains("resources")) spec.resources = linux["resources"];
  ASSIGN_OR_RETURN(spec.cgroups_path, r.str(linux, "cgroupsPath", "linux"));
  ASSIGN_OR_RETURN(spec.masked_paths, r.strings(linux, "maskedPaths", "linux"));
  ASSIGN_OR_RETURN(spec.readonly_paths, r.strings(linux, "readonlyPaths", "linux"));
  if (linux.contains("seccomp")) spec.seccomp = linux["seccomp"];
  if (linux.contains("sysctl"))
    spec.sysctl = linux["sysctl"].get<std::map<std::string, std::string>>();
  return {};
}

}  // namespace

bool Spec::has_namespace(const std::string& type) const { return find_namespace(type) != nullptr; }

const Namespace* Spec::find_namespace(const std::string& type) const {
  for (const auto& ns : namespaces)
    if (ns.type == type) return &ns;
  return nullptr;
}

Result<Spec> parse_spec(const Json& doc, const std::string& source) {
  Reader r{source};
  Spec spec;
  if (!doc.is_object()) return r.bad("(top)", "must be an object");
  try {
    ASSIGN_OR_RETURN(spec.oci_version, r.str(doc, "ociVersion", "", "1.0.2"));
    if (!doc.contains("process")) return r.bad("process", "is required");
    ASSIGN_OR_RETURN(spec.process, parse_process(r, doc["process"]));
    if (doc.contains("root")) {
      ASSIGN_OR_RETURN(spec.root_path, r.str(doc["root"], "path", "root", "rootfs"));
      spec.root_readonly = doc["root"].value("readonly", false);
    }
    ASSIGN_OR_RETURN(spec.hostname, r.str(doc, "hostname", ""));
    ASSIGN_OR_RETURN(spec.domainname, r.str(doc, "domainname", ""));
    if (doc.contains("mounts")) {
      for (const auto& m : doc["mounts"]) {
        Mount mnt;
        ASSIGN_OR_RETURN(mnt.destination, r.str(m, "destination", "mounts[]"));
        if (mnt.destination.empty() || mnt.destination[0] != '/')
          return r.bad("mounts[].destination", "must be an absolute path: \"" + mnt.destination + "\"");
        ASSIGN_OR_RETURN(mnt.type, r.str(m, "type", "mounts[]"));
        ASSIGN_OR_RETURN(mnt.source, r.str(m, "source", "mounts[]"));
        ASSIGN_OR_RETURN(mnt.options, r.strings(m, "options", "mounts[]"));
        spec.mounts.push_back(mnt);
      }
    }
    if (doc.contains("linux")) TRY(parse_linux(r, doc["linux"], spec));
    if (doc.contains("annotations"))
      spec.annotations = doc["annotations"].get<std::map<std::string, std::string>>();
  } catch (const Json::exception& e) {
    return r.bad("(document)", e.what());
  }
  return spec;
}

Result<Spec> load_spec(const std::string& bundle_dir) {
  std::string path = path_join(bundle_dir, "config.json");
  ASSIGN_OR_RETURN(Json doc, read_json_file(path));
  return parse_spec(doc, path);
}

namespace {
Json mappings_json(const std::vector<IdMapping>& maps) {
  Json out = Json::array();
  for (const auto& m : maps)
    out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  return out;
}
}  // namespace

Json spec_to_json(const Spec& spec) {
  Json process = {
      {"terminal", spec.process.terminal},
      {"args", spec.process.args},
      {"env", spec.process.env},
      {"cwd", spec.process.cwd},
      {"user", {{"uid", spec.process.uid}, {"gid", spec.process.gid}}},
      {"capabilities", spec.process.capabilities},
      {"noNewPrivileges", spec.process.no_new_privileges},
  };
  if (!spec.process.additional_gids.empty())
    process["user"]["additionalGids"] = spec.process.additional_gids;
  Json rlimits = Json::array();
  for (const auto& l : spec.process.rlimits)
    rlimits.push_back({{"type", l.type}, {"hard", l.hard}, {"soft", l.soft}});
  process["rlimits"] = rlimits;

  Json mounts = Json::array();
  for (const auto& m : spec.mounts)
    mounts.push_back({{"destination", m.destination}, {"type", m.type}, {"source", m.source},
                      {"options", m.options}});
  Json namespaces = Json::array();
  for (const auto& n : spec.namespaces) {
    Json ns = {{"type", n.type}};
    if (!n.path.empty()) ns["path"] = n.path;
    namespaces.push_back(ns);
  }
  Json linux = {
      {"namespaces", namespaces},
      {"resources", spec.resources},
      {"cgroupsPath", spec.cgroups_path},
      {"maskedPaths", spec.masked_paths},
      {"readonlyPaths", spec.readonly_paths},
  };
  if (!spec.uid_mappings.empty()) linux["uidMappings"] = mappings_json(spec.uid_mappings);
  if (!spec.gid_mappings.empty()) linux["gidMappings"] = mappings_json(spec.gid_mappings);
  if (!spec.seccomp.is_null()) linux["seccomp"] = spec.seccomp;
  if (!spec.sysctl.empty()) linux["sysctl"] = spec.sysctl;

  Json doc = {
      {"ociVersion", spec.oci_version},
      {"process", process},
      {"root", {{"path", spec.root_path}, {"readonly", spec.root_readonly}}},
      {"mounts", mounts},
      {"linux", linux},
  };
  if (!spec.hostname.empty()) doc["hostname"] = spec.hostname;
  if (!spec.domainname.empty()) doc["domainname"] = spec.domainname;
  if (!spec.annotations.empty()) doc["annotations"] = spec.annotations;
  return doc;
}

}  // namespace berth::runtime
