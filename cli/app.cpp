// berth's entry point: global flags, the subcommands, errors turned into text and exit codes.
#include <algorithm>
#include <cstdio>

#include "base/trace.h"
#include "cli/commands.h"

namespace berth::cli {

Result<engine::Engine> open_engine(const Globals& g) {
  return engine::Engine::open(engine::StateRoot::from_flag(g.root));
}

Result<engine::Engine> open_engine_quietly(const Globals& g) {
  return engine::Engine::open(engine::StateRoot::from_flag(g.root), false);
}

int report(const Error& e, int code) {
  std::fprintf(stderr, "berth: %s\n", e.message().c_str());
  return code;
}

namespace {

// Where the top-level verb is (`network create` is not `create`): the first word that is
// neither a global flag nor a global flag's value. args.size() if there is none.
size_t verb_index(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); i++) {
    if (args[i] == "--root" || args[i] == "--log-level") {
      i++;
      continue;
    }
    if (args[i].rfind("-", 0) != 0) return i;
  }
  return args.size();
}

bool has_subcommand(const CLI::App& app, const std::string& name) {
  return !app.get_subcommands([&name](const CLI::App* sub) { return sub->check_name(name); }).empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"berth: run containers and compose stacks without a daemon"};
  app.name("berth");
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option("--root", g.root, "State root (default /var/lib/berth and /run/berth)");
  app.add_flag("--trace", g.trace, "Narrate every container setup step and its syscalls");
  app.add_option("--log-level", g.log_level, "Log level (debug, info, warn, error)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  int exit_code = 0;
  std::vector<std::string> args(argv + 1, argv + argc);
  // Registering every command's flags with CLI11 takes about a millisecond, a tenth of a
  // whole `berth run`, so the groups are registered in turn only until the one with the
  // verb given (all of them for `--help`, a typo, or no verb).
  const size_t verb_at = verb_index(args);
  const std::string verb_name = verb_at < args.size() ? args[verb_at] : "";
  for (auto* add : {register_run_command, register_lifecycle_commands, register_container_commands,
                    register_image_commands, register_usage_commands, register_network_commands,
                    register_volume_commands, register_build_commands, register_registry_commands,
                    register_compose_commands}) {
    add(app, g, &exit_code);
    if (!verb_name.empty() && has_subcommand(app, verb_name)) break;
  }
  app.parse_complete_callback([&g] { set_trace(g.trace); });
  // The container's command (after `run IMAGE`, `exec CONTAINER`, `compose run SERVICE`)
  // is not berth's to parse: it is split off here, whatever flags it has.
  if (size_t i = verb_index(args); i < args.size()) {
    CLI::App* verb = nullptr;
    size_t from = i + 1;
    if (args[i] == "run" || args[i] == "create" || args[i] == "exec") {
      verb = app.get_subcommand(args[i]);
    } else if (args[i] == "compose") {  // compose [its flags] exec|run SERVICE CMD...
      CLI::App* compose = app.get_subcommand("compose");
      size_t j = split_container_args(*compose, args, i + 1);
      if (j < args.size() && (args[j] == "exec" || args[j] == "run")) {
        verb = compose->get_subcommand(args[j]);
        from = j + 1;
      }
    }
    if (verb) {
      size_t image = split_container_args(*verb, args, from);
      if (image < args.size() && args[image] == "--") image++;
      container_args().assign(args.begin() + static_cast<long>(std::min(image, args.size())), args.end());
      args.resize(std::min(image, args.size()));
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // docker exits 125 for a bad flag to `run`; CLI11 uses 1 and higher.
    return rc == 0 ? 0 : 125;
  }
  return exit_code;
}

}  // namespace berth::cli
