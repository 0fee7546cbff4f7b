// `berth compose`: docker compose's verbs over a compose project (compose/). So far the
// loader is in place: `compose config` prints the normalized model, and every other verb
// says it is not there yet rather than pretending.
#include <cstdio>

#include "cli/commands.h"
#include "compose/config_output.h"
#include "compose/load.h"

namespace berth::cli {

namespace {

struct ComposeFlags {
  compose::LoadOptions load;
  bool services = false, volumes = false, quiet = false;
  std::string format = "yaml";
};

// Loads the project, printing the loader's warnings as docker compose does.
Result<compose::Project> load(const ComposeFlags& f) {
  std::vector<std::string> warnings;
  auto project = compose::load_project(f.load, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "WARN[0000] %s\n", w.c_str());
  return project;
}

int print_config(const ComposeFlags& f) {
  auto project = load(f);
  if (!project) return report(project.error(), 1);
  if (f.quiet) return 0;
  std::string out;
  if (f.services)
    out = compose::render_service_names(*project);
  else if (f.volumes)
    out = compose::render_volume_names(*project);
  else if (f.format == "json")
    out = compose::render_config_json_text(*project) + "\n";
  else if (f.format == "yaml")
    out = compose::render_config_yaml(*project);
  else
    return report(Error(0, "invalid --format (yaml or json)", f.format), 1);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void register_compose_commands(CLI::App& app, Globals& g, int* exit_code) {
  (void)g;
  static ComposeFlags f;
  auto* compose = app.add_subcommand("compose", "Define and run multi-container applications (compose.yml)");
  compose->require_subcommand(1);
  compose->add_option("-f,--file", f.load.files, "Compose configuration files")->allow_extra_args(false);
  compose->add_option("-p,--project-name", f.load.project_name, "Project name");
  compose->add_option("--project-directory", f.load.project_directory, "Alternate working directory");
  compose->add_option("--env-file", f.load.env_files, "Alternate environment files")->allow_extra_args(false);
  compose->add_option("--profile", f.load.profiles, "Profiles to enable")->allow_extra_args(false);

  auto* config = compose->add_subcommand("config", "Parse, resolve and render the compose file in canonical format");
  config->add_flag("--services", f.services, "Print the service names, one per line");
  config->add_flag("--volumes", f.volumes, "Print the volume names, one per line");
  config->add_flag("-q,--quiet", f.quiet, "Only validate the configuration, don't print anything");
  config->add_option("--format", f.format, "Format the output: yaml or json");
  config->add_option("services", f.load.services, "SERVICE...");
  config->callback([exit_code] { *exit_code = print_config(f); });

  for (const char* verb : {"up", "down", "ps", "logs", "exec", "run", "build", "pull", "create", "start", "stop",
                           "restart", "kill", "rm", "top", "images", "port", "wait", "ls", "version"}) {
    auto* sub = compose->add_subcommand(verb, std::string("(not yet implemented) docker compose ") + verb);
    sub->allow_extras();
    sub->callback([exit_code, verb] {
      *exit_code = report(Error(0, std::string("compose ") + verb + " is not implemented yet (compose config is)"), 1);
    });
  }
}

}  // namespace berth::cli
