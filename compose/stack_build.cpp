// `compose build`, and the builds `up` and `run` start first: each service's `build:`
// section handed to the builder (builder/build.h) as `berth build` would get it.
//
// Read: Compose Specification, build.md (context, dockerfile, dockerfile_inline, args,
// target, labels, no_cache, pull, network, tags) and services.md "pull_policy" (build:
// always build; missing images of services with a build section are built, not pulled).
#include <cstdio>

#include "base/fs.h"
#include "builder/build.h"
#include "compose/run_plan.h"
#include "compose/stack.h"

namespace berth::compose {

namespace {

bool is_remote_context(const std::string& context) {
  return context.find("://") != std::string::npos || context.starts_with("git@") || context.ends_with(".git");
}

}  // namespace

Result<> Stack::build_images(const std::vector<std::string>& services, const BuildRequest& request) {
  for (const auto& name : services) {
    const Service& s = project_.services.at(name);
    if (!s.build) continue;
    const BuildConfig& b = *s.build;
    std::string where = "services." + name + ".build";
    if (is_remote_context(b.context)) return fail(where + ".context: remote build contexts are not supported", b.context);
    builder::BuildOptions o;
    o.context = b.context;
    if (b.dockerfile_inline.empty()) {
      std::string file = b.dockerfile.empty() ? "Dockerfile" : b.dockerfile;
      o.dockerfile = file.starts_with("/") ? file : path_join(b.context, file);
    } else {
      o.dockerfile_inline = b.dockerfile_inline;
    }
    o.build_args = b.args;
    for (const auto& [k, v] : request.args) o.build_args[k] = v;
    o.labels = b.labels;
    o.target = b.target;
    if (!b.network.empty()) o.network = b.network == "default" ? "host" : b.network;
    o.no_cache = request.no_cache || b.no_cache.value_or(false);
    o.pull = request.pull || b.pull.value_or(false);
    o.tags.push_back(service_image(project_, s));
    o.tags.insert(o.tags.end(), b.tags.begin(), b.tags.end());
    emit("Service", name, "Building");
    builder::Progress progress(stderr, request.quiet);
    auto image = builder::build_image(engine_, o, progress);
    if (!image) return std::unexpected(wrap(image.error(), "building service \"" + name + "\""));
    emit("Service", name, "Built");
  }
  return {};
}

Result<> Stack::build_missing(const std::vector<std::string>& services, bool always, bool never) {
  std::vector<std::string> wanted;
  for (const auto& name : services) {
    const Service& s = project_.services.at(name);
    if (!s.build) continue;
    bool have = engine_.images().find_image(service_image(project_, s)).has_value();
    if (never) {
      if (!have)
        return fail("service \"" + name + "\": image " + service_image(project_, s) + " not found and --no-build given");
      continue;
    }
    if (always || s.pull_policy == "build" || !have) wanted.push_back(name);
  }
  if (wanted.empty()) return {};
  return build_images(wanted, BuildRequest{});
}

}  // namespace berth::compose
