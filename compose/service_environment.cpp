// A service's environment (`environment` over `env_file`), and the word splitting of
// `command:`/`entrypoint:` strings.
//
// `environment` is a map or a list of KEY=VALUE; a KEY without a value takes the variable
// from the project's environment (the shell, then .env) and stays null when it is not set
// there. `env_file` is a path, a list of paths, or a list of {path, required, format}; its
// files are read in order (later files win) and `environment` wins over all of them.
//
// Read: the Compose Specification, services "environment" and "env_file"; POSIX sh
// "Token Recognition" and "Quoting" for the splitting (no expansions are done).
#include "base/fs.h"
#include "compose/parse.h"
#include "compose/project_files.h"
#include "compose/schema.h"

namespace berth::compose {

namespace {

struct EnvFileSpec {
  std::string path;
  bool required = true;
  bool raw = false;
};

Result<EnvFileSpec> parse_env_file_entry(const Node& item, const std::string& p,
                                         ParseContext& ctx) {
  EnvFileSpec spec;
  const Node* path_node = &item;
  if (item.is_mapping()) {
    TRY(check_keys(item, p, Section::kEnvFile, {"path", "required", "format"}, ctx));
    path_node = item.find("path");
    if (!path_node || path_node->is_null()) return fail_at(item, p, "missing the path");
    if (const Node* r = item.find("required"); r && !r->is_null()) {
      ASSIGN_OR_RETURN(spec.required, get_bool(*r, key_path(p, "required")));
    }
    if (const Node* f = item.find("format"); f && !f->is_null()) {
      ASSIGN_OR_RETURN(std::string format, get_string(*f, key_path(p, "format")));
      if (format != "raw") return fail_at(*f, key_path(p, "format"), "unknown format", format);
      spec.raw = true;
    }
  }
  ASSIGN_OR_RETURN(std::string file, get_string(*path_node, p));
  spec.path = resolve_path(*path_node, file, ctx.lookup);
  return spec;
}

Result<> read_env_files(const Node& node, const std::string& path, ParseContext& ctx,
                        OptionalStringMap& out) {
  std::vector<const Node*> items;
  if (node.is_sequence()) {
    for (const Node& item : node.items) items.push_back(&item);
  } else {
    items.push_back(&node);
  }
  for (size_t i = 0; i < items.size(); i++) {
    std::string p = node.is_sequence() ? index_path(path, i) : path;
    ASSIGN_OR_RETURN(EnvFileSpec spec, parse_env_file_entry(*items[i], p, ctx));
    if (!path_exists(spec.path)) {
      if (!spec.required) continue;
      return fail_at(*items[i], p, "env file not found", spec.path);
    }
    auto vars = read_env_file(spec.path, spec.path, ctx.lookup, spec.raw);
    if (!vars) return fail_at(*items[i], p, vars.error().message());
    for (auto& [k, v] : *vars) out[k] = v;
  }
  return {};
}

}  // namespace

Result<OptionalStringMap> parse_environment(const Node* environment, const Node* env_file,
                                            const std::string& path, ParseContext& ctx) {
  OptionalStringMap out;
  if (env_file && !env_file->is_null())
    TRY(read_env_files(*env_file, key_path(path, "env_file"), ctx, out));
  if (!environment || environment->is_null()) return out;
  ASSIGN_OR_RETURN(OptionalStringMap env,
                   get_list_or_dict(*environment, key_path(path, "environment")));
  for (auto& [k, v] : env) {
    if (v) {
      out[k] = std::move(v);
    } else if (auto from_env = ctx.lookup ? ctx.lookup(k) : std::nullopt) {
      out[k] = std::move(from_env);
    } else if (!out.contains(k)) {
      out[k] = std::nullopt;
    }
  }
  return out;
}

Result<std::vector<std::string>> split_shell_words(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < s.size()) {
      word += s[++i];
    } else if (c == '\'') {
      size_t close = s.find('\'', i + 1);
      if (close == std::string_view::npos) return fail("unterminated quote in", std::string(s));
      word += s.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      for (i++; i < s.size() && s[i] != '"'; i++) {
        // Inside double quotes a backslash escapes only these (POSIX sh).
        if (s[i] == '\\' && i + 1 < s.size() && std::string_view("\"\\$`\n").find(s[i + 1]) !=
                                                     std::string_view::npos)
          i++;
        word += s[i];
      }
      if (i >= s.size()) return fail("unterminated quote in", std::string(s));
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace berth::compose
