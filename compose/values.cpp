// Typed readers over the positioned tree (compose/values.h).
#include "compose/values.h"

#include <charconv>
#include <cmath>

#include "base/strings.h"

namespace berth::compose {

void ParseContext::warn(const Node& at, const std::string& path, const std::string& what) {
  if (warnings) warnings->push_back(at.where() + ": " + path + ": " + what);
}

std::string key_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index_path(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::unexpected<Error> fail_at(const Node& at, const std::string& path, std::string what,
                               std::string object) {
  return fail(at.where() + ": " + path + ": " + what, std::move(object));
}

Result<> expect_mapping(const Node& node, const std::string& path) {
  if (node.is_mapping()) return {};
  return fail_at(node, path, "expected a mapping, got " + std::string(kind_name(node)));
}

Result<> expect_sequence(const Node& node, const std::string& path) {
  if (node.is_sequence()) return {};
  return fail_at(node, path, "expected a list, got " + std::string(kind_name(node)));
}

Result<std::string> get_string(const Node& node, const std::string& path) {
  if (node.is_scalar()) return node.scalar;
  return fail_at(node, path, "expected a string, got " + std::string(kind_name(node)));
}

Result<bool> get_bool(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  // Go's strconv.ParseBool, which compose uses for booleans written as strings.
  for (const char* t : {"true", "True", "TRUE", "1", "t", "T"})
    if (s == t) return true;
  for (const char* f : {"false", "False", "FALSE", "0", "f", "F"})
    if (s == f) return false;
  return fail_at(node, path, "invalid boolean", s);
}

Result<int64_t> get_int(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  auto v = parse_int(trim(s));
  if (!v) return fail_at(node, path, "invalid integer", s);
  return *v;
}

Result<double> get_number(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  std::string t = trim(s);
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v))
    return fail_at(node, path, "invalid number", s);
  return v;
}

Result<int64_t> get_bytes(const Node& node, const std::string& path, bool allow_unlimited) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  std::string t = trim(s);
  if (allow_unlimited && t == "-1") return -1;
  // go-units' RAMInBytes also takes "512 m" and binary suffixes "MiB"; base's parser takes
  // the rest ("512m", "512mb", "1.5g", "100").
  std::string compact;
  for (char c : t)
    if (c != ' ') compact += c;
  if (compact.size() > 2 && (ends_with(compact, "ib") || ends_with(compact, "iB") ||
                             ends_with(compact, "IB") || ends_with(compact, "Ib")))
    compact.erase(compact.size() - 2, 1);
  auto v = parse_bytes(compact);
  if (!v) return fail_at(node, path, "invalid size", s);
  return *v;
}

Result<int64_t> get_duration(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  std::string t = trim(s);
  if (t == "0") return 0;
  auto v = parse_duration_ns(t);
  if (!v) return fail_at(node, path, "invalid duration", s);
  return *v;
}

Result<uint32_t> get_file_mode(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, get_string(node, path));
  std::string t = trim(s);
  int base = 10;
  if (t.starts_with("0o") || t.starts_with("0O")) {
    t = t.substr(2);
    base = 8;
  } else if (t.size() > 1 && t[0] == '0') {
    base = 8;
  }
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v > 07777)
    return fail_at(node, path, "invalid file mode", s);
  return v;
}

Result<std::vector<std::string>> get_string_list(const Node& node, const std::string& path) {
  TRY(expect_sequence(node, path));
  std::vector<std::string> out;
  for (size_t i = 0; i < node.items.size(); i++) {
    ASSIGN_OR_RETURN(std::string s, get_string(node.items[i], index_path(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::string>> get_string_or_list(const Node& node, const std::string& path) {
  if (node.is_scalar()) return std::vector<std::string>{node.scalar};
  return get_string_list(node, path);
}

Result<OptionalStringMap> get_list_or_dict(const Node& node, const std::string& path) {
  OptionalStringMap out;
  if (node.is_mapping()) {
    for (const Entry& e : node.entries) {
      if (e.value.is_null()) {
        out[e.key] = std::nullopt;
        continue;
      }
      ASSIGN_OR_RETURN(std::string v, get_string(e.value, key_path(path, e.key)));
      out[e.key] = std::move(v);
    }
    return out;
  }
  if (!node.is_sequence())
    return fail_at(node, path, "expected a mapping or a list, got " + std::string(kind_name(node)));
  for (size_t i = 0; i < node.items.size(); i++) {
    ASSIGN_OR_RETURN(std::string item, get_string(node.items[i], index_path(path, i)));
    size_t eq = item.find('=');
    if (eq == 0) return fail_at(node.items[i], index_path(path, i), "empty key", item);
    if (eq == std::string::npos)
      out[item] = std::nullopt;
    else
      out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

Result<StringMap> get_string_map(const Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(OptionalStringMap m, get_list_or_dict(node, path));
  StringMap out;
  for (auto& [k, v] : m) out[k] = v.value_or("");
  return out;
}

std::string clean_path(std::string_view path) {
  bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  for (const std::string& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!absolute)
        parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  std::string out = (absolute ? "/" : "") + join(parts, "/");
  return out.empty() ? "." : out;
}

std::string resolve_path(const Node& at, const std::string& path, const Lookup& lookup) {
  std::string p = path;
  if (p == "~" || p.starts_with("~/")) {
    std::optional<std::string> home = lookup ? lookup("HOME") : std::nullopt;
    if (home) p = *home + p.substr(1);
  }
  if (!p.empty() && p[0] != '/') {
    std::string base = at.source ? at.source->base_dir : ".";
    p = base + "/" + p;
  }
  return clean_path(p);
}

}  // namespace berth::compose
