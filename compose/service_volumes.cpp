// services.*.volumes: what is mounted where in the container.
//
// Short syntax: `SOURCE:TARGET[:OPTIONS]` or just `TARGET`.
//   "./data:/data"        a bind mount: SOURCE is a host path when it starts with '.', '/'
//                         or '~'; relative paths resolve against the project directory and
//                         the directory is created if missing (create_host_path)
//   "db:/var/lib/db"      a named volume, which must be declared under top-level volumes
//   "/cache"              an anonymous volume
//   OPTIONS, comma-separated: ro | rw, z | Z (SELinux relabel, binds), nocopy (volumes),
//   a propagation mode (rprivate, shared, ...) for binds, cached | delegated | consistent.
// Long syntax: {type: bind|volume|tmpfs, source, target, read_only, bind: {...},
// volume: {...}, tmpfs: {size, mode}}.
//
// Read: the Compose Specification, services "volumes"; mount(8) on propagation.
#include "base/strings.h"
#include "compose/parse.h"
#include "compose/schema.h"

namespace berth::compose {

namespace {

bool is_host_path(std::string_view s) {
  return s.starts_with(".") || s.starts_with("/") || s.starts_with("~");
}

bool is_propagation(std::string_view s) {
  for (const char* p : {"shared", "slave", "private", "rshared", "rslave", "rprivate"})
    if (s == p) return true;
  return false;
}

Result<> apply_short_option(VolumeMount& m, const std::string& option, const Node& node,
                            const std::string& path) {
  if (option == "ro" || option == "rw") {
    m.read_only = option == "ro";
  } else if ((option == "z" || option == "Z") && m.bind) {
    m.bind->selinux = option;
  } else if (option == "nocopy" && m.volume) {
    m.volume->nocopy = true;
  } else if (is_propagation(option) && m.bind) {
    m.bind->propagation = option;
  } else if (option == "cached" || option == "delegated" || option == "consistent") {
    m.consistency = option;
  } else {
    return fail_at(node, path, "invalid volume option \"" + option + "\" in", node.scalar);
  }
  return {};
}

Result<VolumeMount> parse_short_volume(const Node& node, const std::string& path,
                                       ParseContext& ctx) {
  std::vector<std::string> parts = split(node.scalar, ':');
  if (parts.size() > 3 || node.scalar.empty())
    return fail_at(node, path, "invalid volume", node.scalar);
  VolumeMount m;
  if (parts.size() == 1) {
    m.type = "volume";
    m.target = parts[0];
    m.volume.emplace();
  } else {
    const std::string& source = parts[0];
    m.target = parts[1];
    if (source.empty()) return fail_at(node, path, "invalid volume (empty source)", node.scalar);
    if (is_host_path(source)) {
      m.type = "bind";
      m.source = resolve_path(node, source, ctx.lookup);
      m.bind.emplace();
      m.bind->create_host_path = true;  // implied by the short syntax, for docker-compose v1
    } else {
      m.type = "volume";
      m.source = source;
      m.volume.emplace();
    }
  }
  if (m.target.empty() || m.target[0] != '/')
    return fail_at(node, path, "invalid volume (the target must be an absolute path)", node.scalar);
  m.target = clean_path(m.target);
  if (parts.size() == 3)
    for (const std::string& option : split(parts[2], ','))
      TRY(apply_short_option(m, option, node, path));
  return m;
}

Result<> parse_bind_options(VolumeMount& m, const Node& node, const std::string& path,
                            ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kVolumeBind, {"propagation", "create_host_path", "selinux"},
                 ctx));
  m.bind.emplace();
  if (const Node* p = node.find("propagation"); p && !p->is_null()) {
    ASSIGN_OR_RETURN(m.bind->propagation, get_string(*p, key_path(path, "propagation")));
    if (!is_propagation(m.bind->propagation))
      return fail_at(*p, key_path(path, "propagation"), "invalid propagation", p->scalar);
  }
  if (const Node* c = node.find("create_host_path"); c && !c->is_null()) {
    ASSIGN_OR_RETURN(bool create, get_bool(*c, key_path(path, "create_host_path")));
    m.bind->create_host_path = create;
  }
  if (const Node* s = node.find("selinux"); s && !s->is_null()) {
    ASSIGN_OR_RETURN(m.bind->selinux, get_string(*s, key_path(path, "selinux")));
    if (m.bind->selinux != "z" && m.bind->selinux != "Z")
      return fail_at(*s, key_path(path, "selinux"), "invalid selinux option", s->scalar);
  }
  return {};
}

Result<> parse_volume_options(VolumeMount& m, const Node& node, const std::string& path,
                              ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kVolumeVolume, {"nocopy", "subpath"}, ctx));
  m.volume.emplace();
  if (const Node* n = node.find("nocopy"); n && !n->is_null()) {
    ASSIGN_OR_RETURN(m.volume->nocopy, get_bool(*n, key_path(path, "nocopy")));
  }
  if (const Node* s = node.find("subpath"); s && !s->is_null()) {
    ASSIGN_OR_RETURN(m.volume->subpath, get_string(*s, key_path(path, "subpath")));
  }
  return {};
}

Result<> parse_tmpfs_options(VolumeMount& m, const Node& node, const std::string& path,
                             ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kVolumeTmpfs, {"size", "mode"}, ctx));
  m.tmpfs.emplace();
  if (const Node* s = node.find("size"); s && !s->is_null()) {
    ASSIGN_OR_RETURN(int64_t size, get_bytes(*s, key_path(path, "size")));
    m.tmpfs->size = size;
  }
  if (const Node* mode = node.find("mode"); mode && !mode->is_null()) {
    ASSIGN_OR_RETURN(uint32_t v, get_file_mode(*mode, key_path(path, "mode")));
    m.tmpfs->mode = v;
  }
  return {};
}

Result<> parse_long_volume_fields(VolumeMount& m, const Node& node, const std::string& path,
                                  ParseContext& ctx) {
  for (const Entry& e : node.entries) {
    if (e.value.is_null() || e.key == "type") continue;
    std::string p = key_path(path, e.key);
    if (e.key == "source") {
      ASSIGN_OR_RETURN(m.source, get_string(e.value, p));
    } else if (e.key == "target") {
      ASSIGN_OR_RETURN(m.target, get_string(e.value, p));
    } else if (e.key == "read_only") {
      ASSIGN_OR_RETURN(m.read_only, get_bool(e.value, p));
    } else if (e.key == "consistency") {
      ASSIGN_OR_RETURN(m.consistency, get_string(e.value, p));
    } else if (e.key == "bind") {
      TRY(parse_bind_options(m, e.value, p, ctx));
    } else if (e.key == "volume") {
      TRY(parse_volume_options(m, e.value, p, ctx));
    } else if (e.key == "tmpfs") {
      TRY(parse_tmpfs_options(m, e.value, p, ctx));
    }
  }
  return {};
}

Result<VolumeMount> parse_long_volume(const Node& node, const std::string& path,
                                      ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kVolumeMount,
                 {"type", "source", "target", "read_only", "consistency", "bind", "volume",
                  "tmpfs"},
                 ctx));
  VolumeMount m;
  const Node* type = node.find("type");
  if (!type || type->is_null()) return fail_at(node, path, "missing the mount type");
  ASSIGN_OR_RETURN(m.type, get_string(*type, key_path(path, "type")));
  if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs")
    return fail_at(*type, key_path(path, "type"), "mount type not supported by berth", m.type);
  TRY(parse_long_volume_fields(m, node, path, ctx));
  if (m.target.empty() || m.target[0] != '/')
    return fail_at(node, key_path(path, "target"), "the target must be an absolute path",
                   m.target);
  m.target = clean_path(m.target);
  if (m.type == "bind") {
    if (m.source.empty()) return fail_at(node, key_path(path, "source"), "a bind needs a source");
    m.source = resolve_path(node, m.source, ctx.lookup);
  } else if (m.type == "volume" && !m.volume) {
    m.volume.emplace();
  } else if (m.type == "tmpfs" && !m.source.empty()) {
    return fail_at(node, key_path(path, "source"), "a tmpfs mount takes no source", m.source);
  }
  return m;
}

}  // namespace

Result<VolumeMount> parse_volume_mount(const Node& node, const std::string& path,
                                       ParseContext& ctx) {
  if (node.is_scalar()) return parse_short_volume(node, path, ctx);
  if (node.is_mapping()) return parse_long_volume(node, path, ctx);
  return fail_at(node, path, "expected a volume string or mapping, got " +
                                 std::string(kind_name(node)));
}

}  // namespace berth::compose
