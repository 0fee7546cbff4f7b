// The `berth` command line: one register_* function per group of docker verbs.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "runtime/log_reader.h"

namespace berth::cli {

struct Globals {
  std::string root;
  bool trace = false;
  std::string log_level = "info";
};

// Opens the engine under the chosen state root.
Result<engine::Engine> open_engine(const Globals& g);
// For the shim's `internal` calls: no crash recovery pass (a user command does that).
Result<engine::Engine> open_engine_quietly(const Globals& g);
// Prints "berth: <message>" on stderr and returns the exit code given.
int report(const Error& e, int code = 1);

// Each registers its subcommands; the callback stores the exit code in *exit_code.
void register_image_commands(CLI::App& app, Globals& g, int* exit_code);
void register_run_command(CLI::App& app, Globals& g, int* exit_code);
void register_container_commands(CLI::App& app, Globals& g, int* exit_code);
// start, stop, restart, kill, wait, logs, and the shim's hidden `internal` commands.
void register_lifecycle_commands(CLI::App& app, Globals& g, int* exit_code);
// top, stats.
void register_usage_commands(CLI::App& app, Globals& g, int* exit_code);
void register_network_commands(CLI::App& app, Globals& g, int* exit_code);
// volume create|ls|inspect|rm|prune (cli/cmd_volume.cpp).
void register_volume_commands(CLI::App& app, Globals& g, int* exit_code);
// push, login, logout (cli/cmd_registry.cpp).
void register_registry_commands(CLI::App& app, Globals& g, int* exit_code);
// docker's repeated --label k=v ("k" alone: an empty value), for build, volume and
// network create; an empty key is an error naming the flag.
Result<std::map<std::string, std::string>> parse_label_flags(const std::vector<std::string>& flags);
// --build-arg K=V, or K alone: the value from our environment when it is set there (build
// and compose build).
Result<std::map<std::string, std::optional<std::string>>> parse_build_arg_flags(const std::vector<std::string>& flags);

// build, builder prune (cli/cmd_build.cpp).
void register_build_commands(CLI::App& app, Globals& g, int* exit_code);
// compose (cli/cmd_compose.cpp).
void register_compose_commands(CLI::App& app, Globals& g, int* exit_code);

// logs' --tail N|all, --since and --until as the log reader's options (cli/cmd_lifecycle.cpp);
// also `compose logs`.
Result<runtime::LogReadOptions> log_read_options(const std::string& tail, const std::string& since,
                                                 const std::string& until);

// pull's and push's progress as docker prints it without a TTY: "<layer>: <status>" lines
// (a bare status when there is no layer); nothing with -q.
oci::PullProgress progress_lines(bool quiet, FILE* out = stdout);
// docker run's and create's --pull: "missing" (the default) pulls an image the store
// lacks ("Unable to find image 'x' locally", then pull's lines, on stderr), "always" pulls
// first, "never" refuses a missing one.
Result<> ensure_image(engine::Engine& engine, const std::string& image, const std::string& policy);

// `top CONTAINER`'s table (cli/cmd_inspect_usage.cpp); also `compose top`.
int show_top(const Globals& g, const std::string& name_or_id);

// `push` (and `compose push`, per service): uploads the image NAME[:TAG], printing docker's
// progress and its "TAG: digest: D size: N" line (just the name with `quiet`).
struct PushFlags {
  std::string name, cert_dir;
  bool quiet = false, tls_verify = true;
};
Result<> push_image(engine::Engine& engine, const PushFlags& f);

// docker's exit code for a failure to start a command: 127 not found, 126 not
// executable, else 125 (berth's own failure).
int exit_code_for(const Error& e);

// `run`'s argv after the image name: the container's command, never parsed as flags.
std::vector<std::string>& container_args();
// Index of the image name in args (after `run` at start-1), or args.size().
size_t split_container_args(const CLI::App& run, const std::vector<std::string>& args, size_t start);

int main(int argc, char** argv);

}  // namespace berth::cli
