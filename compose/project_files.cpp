// Discovery of compose files, project names and the interpolation environment
// (see compose/project_files.h).
#include "compose/project_files.h"

#include <cctype>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::compose {

const char* const kComposeFileNames[4] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                                          "docker-compose.yml"};

namespace {

// compose.yaml -> compose.override.yaml / .yml (either extension, as docker compose does).
std::vector<std::string> override_candidates(const std::string& file) {
  std::string stem = file.substr(0, file.rfind('.'));
  return {stem + ".override.yaml", stem + ".override.yml"};
}

std::vector<std::string> candidates_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const char* name : kComposeFileNames) {
    std::string p = path_join(dir, name);
    if (path_exists(p) && !is_directory(p)) found.push_back(p);
  }
  return found;
}

}  // namespace

Result<std::vector<std::string>> find_compose_files(const std::string& start,
                                                    std::vector<std::string>* warnings) {
  std::string dir = start;
  for (;;) {
    std::vector<std::string> found = candidates_in(dir);
    if (!found.empty()) {
      if (found.size() > 1 && warnings) {
        std::vector<std::string> names;
        for (const auto& f : found) names.push_back(base_name(f));
        warnings->push_back("found multiple config files with supported names: " +
                            join(names, ", ") + "; using " + names[0]);
      }
      std::vector<std::string> files{found[0]};
      for (const std::string& o : override_candidates(found[0])) {
        if (path_exists(o)) {
          files.push_back(o);
          break;
        }
      }
      return files;
    }
    if (dir == "/" || dir.empty()) break;
    dir = dir_name(dir);
  }
  return fail("no configuration file provided: not found (looked for compose.yaml, compose.yml, "
              "docker-compose.yaml, docker-compose.yml in " + start + " and its parents)");
}

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
  }
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? std::string() : out.substr(start);
}

bool is_valid_project_name(std::string_view name) {
  return !name.empty() && normalize_project_name(name) == name;
}

std::optional<std::string> Environment::lookup(std::string_view name) const {
  if (auto it = process_.find(name); it != process_.end()) return it->second;
  if (auto it = files_.find(name); it != files_.end()) return it->second;
  return std::nullopt;
}

Result<> Environment::add_file(const std::string& path, const std::string& display) {
  ASSIGN_OR_RETURN(EnvList vars, read_env_file(path, display, lookup_fn()));
  // Within one file a later line wins; a stronger file added before keeps its values.
  std::map<std::string, std::string> own;
  for (auto& [k, v] : vars) own[k] = v;
  for (auto& [k, v] : own) files_.emplace(k, v);
  return {};
}

std::map<std::string, std::string> Environment::all() const {
  std::map<std::string, std::string> out(files_.begin(), files_.end());
  for (const auto& [k, v] : process_) out[k] = v;
  return out;
}

Result<EnvList> read_env_file(const std::string& path, const std::string& display,
                              const Lookup& lookup, bool raw) {
  auto text = read_file(path);
  if (!text) return std::unexpected(wrap(text.error(), "reading env file " + display));
  if (raw) return parse_dotenv_raw(*text, display);
  return parse_dotenv(*text, display, lookup);
}

std::string display_path(const std::string& path, const std::string& dir) {
  if (!dir.empty() && path.size() > dir.size() && path.starts_with(dir) &&
      (dir.back() == '/' || path[dir.size()] == '/'))
    return path.substr(dir.size() + (dir.back() == '/' ? 0 : 1));
  return path;
}

}  // namespace berth::compose
