// `berth build` (docker build's flags, BuildKit's plain progress) and `berth builder
// prune` (builder/build.h).
#include <unistd.h>

#include <cstdio>

#include "builder/build.h"
#include "cli/commands.h"

namespace berth::cli {

namespace {

struct BuildFlags {
  std::string context, file, target, platform, progress = "auto", network = "host";
  std::vector<std::string> tags, build_args, labels;
  bool no_cache = false, pull = false, quiet = false;
};

Result<builder::BuildOptions> build_options(const BuildFlags& f) {
  builder::BuildOptions o;
  o.context = f.context;
  o.dockerfile = f.file == "-" ? "" : f.file;
  if (f.file == "-") {  // docker build -f - : the Dockerfile on stdin
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(STDIN_FILENO, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    o.dockerfile_inline = text;
  }
  o.tags = f.tags;
  o.target = f.target;
  o.platform = f.platform;
  o.network = f.network;
  o.no_cache = f.no_cache;
  o.pull = f.pull;
  ASSIGN_OR_RETURN(o.build_args, parse_build_arg_flags(f.build_args));
  ASSIGN_OR_RETURN(o.labels, parse_label_flags(f.labels));
  return o;
}

int build(const Globals& g, const BuildFlags& f) {
  auto options = build_options(f);
  if (!options) return report(options.error());
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  builder::Progress progress(stderr, f.quiet);
  auto image = builder::build_image(*eng, *options, progress);
  if (!image) {
    std::fprintf(stderr, "ERROR: failed to solve: %s\n", image.error().message().c_str());
    return 1;
  }
  if (f.quiet) std::puts(image->id.c_str());
  return 0;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_label_flags(const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (const auto& l : flags) {
    auto eq = l.find('=');
    if (l.empty() || eq == 0) return fail("invalid --label (want key=value)", l);
    out[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return out;
}

Result<std::map<std::string, std::optional<std::string>>> parse_build_arg_flags(const std::vector<std::string>& flags) {
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& a : flags) {
    auto eq = a.find('=');
    if (a.empty() || eq == 0) return fail("invalid --build-arg (want KEY=VALUE or KEY)", a);
    if (eq != std::string::npos) {
      out[a.substr(0, eq)] = a.substr(eq + 1);
      continue;
    }
    const char* v = ::getenv(a.c_str());
    out[a] = v ? std::optional<std::string>(v) : std::nullopt;
  }
  return out;
}

void register_build_commands(CLI::App& app, Globals& g, int* exit_code) {
  static BuildFlags f;
  auto* build_cmd = app.add_subcommand("build", "Build an image from a Dockerfile");
  build_cmd->add_option("context", f.context, "PATH: the build context")->required();
  build_cmd->add_option("-f,--file", f.file, "Name of the Dockerfile (default: PATH/Dockerfile; - for stdin)");
  build_cmd->add_option("-t,--tag", f.tags, "Name and optionally a tag (name:tag)");
  build_cmd->add_option("--build-arg", f.build_args, "Set build-time variables");
  build_cmd->add_option("--label", f.labels, "Set metadata for an image");
  build_cmd->add_option("--target", f.target, "Set the target build stage to build");
  build_cmd->add_option("--platform", f.platform, "Set platform (the host's only: no emulation)");
  build_cmd->add_option("--network", f.network, "Networking mode for the RUN instructions (host, none, or a network)");
  build_cmd->add_option("--progress", f.progress, "Progress output: auto, plain")
      ->check(CLI::IsMember({"auto", "plain", "tty", "quiet"}));
  build_cmd->add_flag("--no-cache", f.no_cache, "Do not use cache when building the image");
  build_cmd->add_flag("--pull", f.pull, "Always attempt to pull the FROM images");
  build_cmd->add_flag("-q,--quiet", f.quiet, "Suppress the build output and print image ID on success");
  build_cmd->callback([&g, exit_code] {
    if (f.progress == "quiet") f.quiet = true;
    *exit_code = build(g, f);
  });

  auto* builder_cmd = app.add_subcommand("builder", "Manage builds");
  builder_cmd->require_subcommand(1);
  auto* prune = builder_cmd->add_subcommand("prune", "Remove build cache");
  static bool prune_force = false, prune_all = false;
  prune->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  prune->add_flag("-a,--all", prune_all, "Remove all unused build cache (the same here)");
  prune->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto lines = builder::prune_build_cache(*eng);
    if (!lines) return void(*exit_code = report(lines.error()));
    for (const auto& l : *lines) std::puts(l.c_str());
  });
}

}  // namespace berth::cli
