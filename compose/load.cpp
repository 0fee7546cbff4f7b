// load_project: the loading steps in order (see compose/load.h).
#include "compose/load.h"

#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"
#include "compose/parse.h"
#include "compose/project_files.h"
#include "compose/tree_loader.h"
#include "compose/validate.h"

extern char** environ;

namespace berth::compose {

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; e++) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) out.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

namespace {

std::string absolute(const std::string& path, const std::string& dir) {
  return clean_path(!path.empty() && path[0] == '/' ? path : dir + "/" + path);
}

Result<std::string> current_directory() {
  char buf[4096];
  if (!::getcwd(buf, sizeof buf)) return sys_error("getcwd");
  return std::string(buf);
}

// -f, else COMPOSE_FILE, else the files found from the working directory upward.
Result<std::vector<std::string>> choose_files(const LoadOptions& o, const Environment& env,
                                              const std::string& wd,
                                              std::vector<std::string>* warnings) {
  std::vector<std::string> files = o.files;
  if (files.empty()) {
    if (auto compose_file = env.lookup("COMPOSE_FILE"); compose_file && !compose_file->empty()) {
      std::string sep = env.lookup("COMPOSE_PATH_SEPARATOR").value_or(":");
      for (const std::string& f : split(*compose_file, sep.empty() ? ':' : sep[0]))
        if (!f.empty()) files.push_back(f);
    }
  }
  if (files.empty()) return find_compose_files(wd, warnings);
  for (std::string& f : files) {
    if (f == "-") return fail("reading the compose file from standard input is not supported yet");
    f = absolute(f, wd);
    if (!path_exists(f)) return fail("no such compose file", f);
  }
  return files;
}

Result<std::string> check_name(const std::string& name, std::string_view from) {
  if (is_valid_project_name(name)) return name;
  return fail("invalid project name \"" + name + "\" (from " + std::string(from) +
              "): must consist only of lowercase alphanumeric characters, hyphens, and "
              "underscores as well as start with a letter or number");
}

// -p, else COMPOSE_PROJECT_NAME, else `name:`, else the project directory's name.
Result<std::string> choose_name(const LoadOptions& o, const Environment& env, const Node& root,
                                const std::string& project_dir) {
  if (!o.project_name.empty()) return check_name(o.project_name, "-p");
  if (auto n = env.lookup("COMPOSE_PROJECT_NAME"); n && !n->empty())
    return check_name(*n, "COMPOSE_PROJECT_NAME");
  if (const Node* n = root.find("name"); n && !n->is_null()) {
    if (!n->is_scalar()) return fail_at(*n, "name", "expected a string");
    auto name = check_name(n->scalar, "name:");
    if (!name) return fail_at(*n, "name", name.error().op());
    return name;
  }
  std::string name = normalize_project_name(base_name(project_dir));
  if (name.empty())
    return fail("cannot derive a project name from the directory \"" + project_dir +
                "\": set one with -p or name:");
  return name;
}

// --env-file files (later ones win), else the working directory's .env; the project
// directory's .env comes last, below both (added by the caller once the directory is known).
Result<> add_env_files(Environment& env, const LoadOptions& o, const std::string& wd) {
  for (auto it = o.env_files.rbegin(); it != o.env_files.rend(); ++it) {
    std::string f = absolute(*it, wd);
    if (!path_exists(f)) return fail("couldn't find env file", f);
    TRY(env.add_file(f, display_path(f, wd)));
  }
  if (o.env_files.empty() && path_exists(wd + "/.env")) TRY(env.add_file(wd + "/.env", ".env"));
  return {};
}

std::vector<std::string> active_profiles(const LoadOptions& o, const Environment& env) {
  if (!o.profiles.empty()) return o.profiles;
  std::vector<std::string> out;
  for (const std::string& p : split(env.lookup("COMPOSE_PROFILES").value_or(""), ','))
    if (!trim(p).empty()) out.push_back(trim(p));
  return out;
}

}  // namespace

Result<Project> load_project(const LoadOptions& o, std::vector<std::string>* warnings) {
  std::string wd = o.working_dir;
  if (wd.empty()) {
    ASSIGN_OR_RETURN(wd, current_directory());
  }
  wd = clean_path(wd);
  Environment env(o.environ);
  TRY(add_env_files(env, o, wd));
  ASSIGN_OR_RETURN(std::vector<std::string> files, choose_files(o, env, wd, warnings));
  std::string project_dir =
      o.project_directory.empty() ? dir_name(files[0]) : absolute(o.project_directory, wd);
  std::string project_env = project_dir + "/.env";
  if (o.env_files.empty() && project_dir != wd && path_exists(project_env))
    TRY(env.add_file(project_env, display_path(project_env, wd)));

  TreeLoader loader(env.lookup_fn(), wd, warnings);
  ASSIGN_OR_RETURN(Node root, loader.load(files, project_dir));
  ParseContext ctx{env.lookup_fn(), warnings};
  ASSIGN_OR_RETURN(std::string name, choose_name(o, env, root, project_dir));
  ASSIGN_OR_RETURN(Project project, parse_project(root, ctx));
  project.name = name;
  project.working_dir = project_dir;
  project.config_files = files;
  project.environment = env.all();
  TRY(finalize_project(project, root, FinalizeOptions{active_profiles(o, env), o.services}, ctx));
  return project;
}

}  // namespace berth::compose
