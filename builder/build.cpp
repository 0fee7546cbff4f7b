// The build driver: stages, FROM, and the order of work (see build.h).
#include "builder/build.h"

#include <fcntl.h>

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "builder/builder_impl.h"
#include "oci/platform.h"
#include "oci/reference.h"

namespace berth::builder {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The Dockerfile split at each FROM; the ARGs before the first FROM are global.
Result<std::vector<Stage>> split_stages(const Dockerfile& df, std::vector<const Instruction*>& global_args) {
  std::vector<Stage> stages;
  for (const auto& ins : df.instructions) {
    if (ins.keyword == "FROM") {
      Stage s;
      s.index = stages.size();
      s.from = &ins;
      // "FROM image AS name": the name is the last word when the one before it is AS.
      auto words = split_whitespace(ins.text);
      if (words.size() == 3 && lower(words[1]) == "as") s.name = lower(words[2]);
      else if (words.size() != 1)
        return fail(df.path + ":" + std::to_string(ins.line) + ": FROM wants IMAGE [AS NAME]", ins.text);
      stages.push_back(std::move(s));
    } else if (stages.empty()) {
      global_args.push_back(&ins);  // the parser lets only ARG come before the first FROM
    } else {
      stages.back().body.push_back(&ins);
    }
  }
  return stages;
}

bool is_layer_step(const std::string& keyword) {
  return keyword == "RUN" || keyword == "COPY" || keyword == "ADD" || keyword == "WORKDIR";
}

}  // namespace

std::map<std::string, std::string> platform_args() {
  oci::Platform p = oci::host_platform();
  std::string platform = p.str();
  std::map<std::string, std::string> out;
  for (const char* prefix : {"TARGET", "BUILD"}) {
    std::string x = prefix;
    out[x + "PLATFORM"] = platform;
    out[x + "OS"] = p.os;
    out[x + "ARCH"] = p.architecture;
    out[x + "VARIANT"] = p.variant;
  }
  return out;
}

std::string Builder::path_of_cache(engine::Engine& engine) { return build_cache_dir(engine.state_root().storage); }

Result<> Builder::load() {
  std::string text;
  if (!options_.dockerfile_inline.empty()) {
    text = options_.dockerfile_inline;
    dockerfile_name_ = "Dockerfile";
  } else {
    std::string path = options_.dockerfile.empty() ? path_join(options_.context, "Dockerfile") : options_.dockerfile;
    auto read = read_file(path);
    if (!read) return fail("failed to read dockerfile: open " + path + ": no such file or directory");
    text = std::move(*read);
    dockerfile_name_ = base_name(path);
    // BuildKit reads FILE.dockerignore beside the Dockerfile before the context's own.
    if (path_exists(path + ".dockerignore")) {
      ASSIGN_OR_RETURN(ignore_, DockerIgnore::load(path + ".dockerignore"));
    }
  }
  ASSIGN_OR_RETURN(dockerfile_, parse_dockerfile(text, dockerfile_name_));
  if (ignore_.empty()) {
    ASSIGN_OR_RETURN(ignore_, DockerIgnore::load(path_join(options_.context, ".dockerignore")));
  }
  ASSIGN_OR_RETURN_CTX(context_, open_fd(options_.context, O_PATH | O_DIRECTORY), "opening the build context");
  ASSIGN_OR_RETURN(stages_, split_stages(dockerfile_, global_args_));
  if (stages_.empty()) return fail(dockerfile_name_ + ": no FROM instruction");
  // Global ARGs: the --build-arg value, else the default; substituted with the ones before.
  auto platform = platform_args();
  for (const auto& [k, v] : platform) global_values_[k] = v;
  for (const Instruction* ins : global_args_) {
    ASSIGN_OR_RETURN_CTX(auto kvs, parse_key_values(ins->text, global_vars(), dockerfile_.escape, false, true),
                         dockerfile_name_ + ":" + std::to_string(ins->line));
    for (const auto& kv : kvs) {
      auto given = options_.build_args.find(kv.key);
      if (given != options_.build_args.end()) {
        used_args_.insert(kv.key);
        global_values_[kv.key] = given->second ? given->second : kv.value;
      } else {
        global_values_[kv.key] = kv.value;
      }
    }
  }
  return {};
}

VarLookup Builder::global_vars() const {
  return [this](std::string_view name) -> std::optional<std::string> {
    auto it = global_values_.find(std::string(name));
    if (it == global_values_.end()) return std::nullopt;
    return it->second;
  };
}

VarLookup Builder::vars(const StageRun& s) const {
  return [&s](std::string_view name) -> std::optional<std::string> {
    std::string key(name);
    if (auto env = s.state.env_value(key)) return env;  // ENV wins over ARG, as in docker
    auto it = s.args.find(key);
    if (it != s.args.end()) return it->second;
    return std::nullopt;
  };
}

std::optional<size_t> Builder::find_stage(const std::string& name, size_t before) const {
  std::string want = lower(name);
  for (size_t i = 0; i < before && i < stages_.size(); i++)
    if (!stages_[i].name.empty() && stages_[i].name == want) return i;
  if (auto n = parse_int(name); n && *n >= 0 && static_cast<size_t>(*n) < before) return static_cast<size_t>(*n);
  return std::nullopt;
}

std::string Builder::step_name(StageRun& s, const std::string& text) {
  s.step++;
  return "[" + s.label + std::to_string(s.step) + "/" + std::to_string(s.steps) + "] " + text;
}

Result<oci::ImageRecord> Builder::base_image(const std::string& name, const std::string& platform) {
  ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(name));
  auto found = engine_.images().find_image(ref.str());
  if (found && !options_.pull) return found;
  progress_.start("[internal] load metadata for " + ref.str());
  oci::PullOptions po;
  if (!platform.empty()) {
    ASSIGN_OR_RETURN(po.platform, oci::parse_platform(platform));
  }
  auto pulled = engine_.pull(ref.str(), po);
  if (!pulled) {
    progress_.error(pulled.error().message());
    return std::unexpected(pulled.error());
  }
  progress_.done();
  return pulled->image;
}

// FROM: the stage starts from scratch, an earlier stage, or an image.
Result<> Builder::start_stage(StageRun& s) {
  const Instruction& from = *s.stage->from;
  std::string where = dockerfile_name_ + ":" + std::to_string(from.line);
  ASSIGN_OR_RETURN_CTX(auto words, expand_words(from.text, global_vars(), dockerfile_.escape), where);
  std::string base = words.at(0);
  std::string platform;
  for (const auto& [flag, value] : from.flags) {
    if (flag != "platform") return fail(where + ": unknown flag for FROM: --" + flag);
    ASSIGN_OR_RETURN_CTX(platform, expand_word(value, global_vars(), dockerfile_.escape), where);
  }
  oci::Platform host = oci::host_platform();
  if (!platform.empty()) {
    ASSIGN_OR_RETURN_CTX(oci::Platform want, oci::parse_platform(platform), where);
    if (oci::normalize_platform(want).architecture != host.architecture || want.os != host.os)
      return fail(where + ": cannot build for " + platform + " on this " + host.str() + " host (berth does not emulate)");
  }
  std::string shown = base;
  if (lower(base) == "scratch") {
    s.state = ImageState::scratch(host.os, host.architecture, host.variant);
    s.key = chain_key("", "FROM scratch " + host.str());
  } else if (auto prior = find_stage(base, s.stage->index)) {
    ASSIGN_OR_RETURN(StageRun * p, build_stage(*prior));
    s.state = p->state;
    s.shell = p->shell;
    s.key = chain_key(p->key, "FROM stage");
  } else {
    ASSIGN_OR_RETURN_CTX(oci::ImageRecord image, base_image(base, platform), where);
    ASSIGN_OR_RETURN_CTX(s.state, ImageState::from_image(engine_.images(), image), where);
    s.key = chain_key("", "FROM " + image.id);
    // The base image's SHELL stays the shell of shell forms here too.
    const Json& cfg = s.state.config();
    if (auto sh = cfg.find("Shell"); sh != cfg.end() && sh->is_array() && !sh->empty() &&
                                      std::all_of(sh->begin(), sh->end(), [](const Json& j) { return j.is_string(); }))
      s.shell = sh->get<std::vector<std::string>>();
    ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(base));
    shown = ref.str();
  }
  for (const Instruction* ins : s.stage->body)
    if (is_layer_step(ins->keyword)) s.steps++;
  s.steps++;
  progress_.start(step_name(s, "FROM " + shown));
  progress_.done();
  return run_onbuild_triggers(s);
}

// ONBUILD triggers of the base image run first, then are dropped (they are for the
// image built FROM this one, not for images built from that).
Result<> Builder::run_onbuild_triggers(StageRun& s) {
  Json& cfg = s.state.config();
  if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) return {};
  std::vector<std::string> triggers;
  for (const auto& t : cfg["OnBuild"])
    if (t.is_string()) triggers.push_back(t.get<std::string>());
  cfg.erase("OnBuild");
  s.state.changed();
  for (const auto& t : triggers) {
    ASSIGN_OR_RETURN_CTX(Instruction ins, parse_instruction_line(t, dockerfile_name_, s.stage->from->line, dockerfile_.escape),
                         "ONBUILD trigger");
    if (is_layer_step(ins.keyword)) s.steps++;
    TRY(execute(s, ins));
  }
  return {};
}

Result<> Builder::execute(StageRun& s, const Instruction& ins) {
  Result<> r;
  if (ins.keyword == "RUN") r = do_run(s, ins);
  else if (ins.keyword == "COPY" || ins.keyword == "ADD") r = do_copy(s, ins);
  else if (ins.keyword == "WORKDIR") r = do_workdir(s, ins);
  else r = apply_metadata(s, ins);
  if (!r) {
    // An error of a stage built on demand (COPY --from) names its own line already.
    std::string where = dockerfile_name_ + ":";
    const auto& ctx = r.error().contexts();
    if (std::any_of(ctx.begin(), ctx.end(), [&](const std::string& c) { return c.starts_with(where); })) return r;
    return std::unexpected(wrap(r.error(), where + std::to_string(ins.line)));
  }
  return {};
}

Result<StageRun*> Builder::build_stage(size_t index) {
  if (auto it = built_.find(index); it != built_.end()) return it->second.get();
  auto run = std::make_unique<StageRun>();
  run->stage = &stages_[index];
  if (stages_.size() > 1) run->label = (run->stage->name.empty() ? "stage-" + std::to_string(index) : run->stage->name) + " ";
  TRY(start_stage(*run));
  for (const Instruction* ins : run->stage->body) TRY(execute(*run, *ins));
  StageRun* done = run.get();
  built_[index] = std::move(run);
  return done;
}

Result<oci::ImageRecord> Builder::run() {
  progress_.start("[internal] load build definition from " +
                  (options_.dockerfile.empty() ? std::string("Dockerfile") : base_name(options_.dockerfile)));
  TRY(load());
  progress_.done();
  if (!options_.platform.empty()) {
    ASSIGN_OR_RETURN(oci::Platform want, oci::parse_platform(options_.platform));
    if (oci::normalize_platform(want).architecture != oci::host_platform().architecture)
      return fail("cannot build for " + options_.platform + " on this " + oci::host_platform().str() +
                  " host (berth does not emulate)");
  }
  size_t target = stages_.size() - 1;
  if (!options_.target.empty()) {
    auto t = find_stage(options_.target, stages_.size());
    if (!t) return fail("target stage \"" + options_.target + "\" could not be found");
    target = *t;
  }
  ASSIGN_OR_RETURN(StageRun * final, build_stage(target));
  for (const auto& [k, v] : options_.labels) final->state.config()["Labels"][k] = v;
  if (!options_.labels.empty()) final->state.changed();

  progress_.start("exporting to image");
  std::vector<std::string> names;
  for (const auto& t : options_.tags) {
    ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(t));
    if (!ref.digest.empty()) return fail("invalid tag: a digest cannot be a tag", t);
    names.push_back(ref.str());
  }
  ASSIGN_OR_RETURN(oci::ImageRecord image, final->state.commit(engine_.images(), names, false));
  progress_.line("writing image " + image.id + " done");
  for (const auto& n : names) progress_.line("naming to " + n + " done");
  progress_.done();
  std::vector<std::string> unused;
  for (const auto& [k, v] : options_.build_args)
    if (!used_args_.contains(k) && !platform_args().contains(k)) unused.push_back(k);
  if (!unused.empty() && !progress_.quiet())
    std::fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n", join(unused, " ").c_str());
  return image;
}

Result<oci::ImageRecord> build_image(engine::Engine& engine, const BuildOptions& options, Progress& progress) {
  Builder b(engine, options, progress);
  return b.run();
}

Result<std::vector<std::string>> prune_build_cache(engine::Engine& engine) {
  std::vector<std::string> lines;
  ASSIGN_OR_RETURN(auto images, engine.images().list_images());
  ASSIGN_OR_RETURN(auto containers, engine.containers());
  for (const auto& img : images) {
    if (!img.build_cache || !img.names.empty()) continue;
    bool used = std::any_of(containers.begin(), containers.end(), [&](const auto& c) { return c.image_id == img.id; });
    if (used) continue;
    ASSIGN_OR_RETURN(auto removed, engine.images().remove_image(img.id, true));
    lines.insert(lines.end(), removed.begin(), removed.end());
  }
  TRY(BuildCache(build_cache_dir(engine.state_root().storage), engine.images()).clear());
  return lines;
}

}  // namespace berth::builder
