#include "compose/stack.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "base/strings.h"
#include "builder/build.h"
#include "compose/run_plan.h"

namespace berth::compose {

namespace {

// How many containers of a wave start at once. Each start mostly waits (fork, exec, the
// network store's lock, the kernel's RCU), so more workers than cores pay off.
constexpr size_t kParallelStarts = 8;

using engine::ContainerRecord;

int number_of(const ContainerRecord& rec) {
  auto labels = container_labels(rec);
  return static_cast<int>(parse_int(labels[kLabelNumber]).value_or(0));
}

std::string service_of(const ContainerRecord& rec) { return container_labels(rec)[kLabelService]; }

bool wants(const std::vector<std::string>& services, const std::string& name) {
  return services.empty() || std::find(services.begin(), services.end(), name) != services.end();
}

}  // namespace

std::map<std::string, std::string> container_labels(const ContainerRecord& rec) {
  return engine::RunOptions::labels_from_json(rec.options);
}

void Stack::emit(const std::string& kind, const std::string& name, const std::string& status) const {
  if (events_) events_({kind, name, status});
}

void Stack::warn(const std::string& text) const {
  if (warnings_) warnings_->push_back(text);
}

Result<std::vector<ContainerRecord>> Stack::containers(const std::vector<std::string>& services, bool oneoff) {
  ASSIGN_OR_RETURN(auto all, engine_.containers());
  std::vector<ContainerRecord> mine;
  for (auto& c : all) {
    auto labels = container_labels(c);
    if (labels[kLabelProject] != project_.name) continue;
    if (!oneoff && labels[kLabelOneoff] == "True") continue;
    if (!wants(services, labels[kLabelService])) continue;
    mine.push_back(std::move(c));
  }
  std::sort(mine.begin(), mine.end(), [](const ContainerRecord& a, const ContainerRecord& b) {
    auto sa = service_of(a), sb = service_of(b);
    if (sa != sb) return sa < sb;
    return number_of(a) < number_of(b);
  });
  return mine;
}

Result<std::vector<ContainerRecord>> Stack::orphans() {
  ASSIGN_OR_RETURN(auto mine, containers({}, true));
  std::vector<ContainerRecord> out;
  for (auto& c : mine) {
    std::string service = service_of(c);
    if (!project_.services.count(service) && !project_.disabled_services.count(service)) out.push_back(c);
  }
  return out;
}

Result<> Stack::ensure_networks(const std::vector<std::string>& services) {
  std::set<std::string> keys;
  for (const auto& name : services) {
    const Service& s = project_.services.at(name);
    if (!s.network_mode.empty()) continue;
    for (const auto& [key, attachment] : s.networks) keys.insert(key);
  }
  for (const auto& key : keys) {
    const Network& n = project_.networks.at(key);
    auto existing = engine_.find_network(n.name);
    if (n.external) {
      if (!existing) return fail("network " + n.name + " declared as external, but could not be found");
      continue;
    }
    if (existing) {
      auto it = existing->labels.find(kLabelProject);
      if (it == existing->labels.end() || it->second != project_.name)
        warn("a network with name " + n.name + " exists but was not created for project \"" + project_.name +
             "\". Set `external: true` to use an existing network");
      continue;
    }
    ASSIGN_OR_RETURN(engine::NetworkRecord wanted, network_to_create(project_, key));
    emit("Network", n.name, "Creating");
    TRY_CTX(engine_.create_network(wanted), "network " + n.name);
    emit("Network", n.name, "Created");
  }
  return {};
}

Result<> Stack::ensure_volumes(const std::vector<std::string>& services) {
  std::set<std::string> keys;
  for (const auto& name : services)
    for (const auto& v : project_.services.at(name).volumes)
      if (v.type == "volume" && !v.source.empty() && project_.volumes.count(v.source)) keys.insert(v.source);
  for (const auto& key : keys) {
    const Volume& v = project_.volumes.at(key);
    auto existing = engine_.find_volume(v.name);
    if (v.external) {
      if (!existing) return fail("external volume \"" + v.name + "\" not found");
      continue;
    }
    if (existing) {
      auto it = existing->labels.find(kLabelProject);
      if (it == existing->labels.end() || it->second != project_.name)
        warn("volume \"" + v.name + "\" already exists but was not created by Docker Compose. Use `external: true` "
             "to use an existing volume");
      continue;
    }
    if (!v.driver.empty() && v.driver != "local")
      return fail("volumes." + key + ".driver: only the local driver is supported", v.driver);
    engine::VolumeRecord wanted;
    wanted.name = v.name;
    wanted.labels = v.labels;
    wanted.labels[kLabelProject] = project_.name;
    wanted.labels[kLabelVolume] = key;
    wanted.options = v.driver_opts;
    emit("Volume", v.name, "Creating");
    TRY_CTX(engine_.create_volume(wanted), "volume " + v.name);
    emit("Volume", v.name, "Created");
  }
  return {};
}

Result<> Stack::pull_images(const std::vector<std::string>& services, const std::string& policy,
                            bool ignore_failures) {
  std::set<std::string> done;
  for (const auto& name : services) {
    const Service& s = project_.services.at(name);
    std::string p = policy.empty() ? s.pull_policy : policy;
    if (p.empty() || p == "if_not_present") p = "missing";
    if (p == "build" || s.build) {
      // docker compose builds these rather than pull them (build_missing, before this), and
      // `compose pull` skips them.
      if (!s.build) return fail("services." + name + ".pull_policy: build, but the service has no build section");
      continue;
    }
    if (p != "always" && p != "missing" && p != "never" && p != "daily" && p != "weekly")
      return fail("services." + name + ".pull_policy: invalid value", p);
    if (s.image.empty() || !done.insert(s.image).second) continue;
    bool have = engine_.images().find_image(s.image).has_value();
    if (p == "never") {
      if (!have) return fail("service \"" + name + "\": image " + s.image + " not found and pull_policy is never");
      continue;
    }
    if (have && p != "always") continue;  // missing, daily, weekly: berth keeps no pull dates yet
    emit("Image", s.image, "Pulling");
    auto pulled = engine_.pull(s.image, oci::PullOptions{});
    if (!pulled) {
      if (ignore_failures) {
        warn("pulling " + s.image + " for service \"" + name + "\": " + pulled.error().message());
        continue;
      }
      return fail("service \"" + name + "\": pulling " + s.image + ": " + pulled.error().message());
    }
    emit("Image", s.image, pulled->up_to_date ? "Up to date" : "Pulled");
  }
  return {};
}

Result<> Stack::prepare(const std::vector<std::string>& services) {
  ASSIGN_OR_RETURN(auto waves, dependency_waves(project_, services, true));
  std::vector<std::string> all;
  for (const auto& w : waves) all.insert(all.end(), w.begin(), w.end());
  TRY(ensure_networks(all));
  return ensure_volumes(all);
}

Result<> Stack::up(const UpOptions& u) {
  for (const auto& [name, n] : u.scale)
    if (!project_.services.count(name)) return fail("no such service: " + name);
  ASSIGN_OR_RETURN(auto waves, dependency_waves(project_, u.services, u.no_deps));
  std::vector<std::string> all;
  for (const auto& w : waves) all.insert(all.end(), w.begin(), w.end());
  ASSIGN_OR_RETURN(auto stray, orphans());
  if (!stray.empty()) {
    if (u.remove_orphans) {
      TRY(stop_in_waves(stray, u.timeout_s, true, false));
    } else {
      std::vector<std::string> names;
      for (const auto& c : stray) names.push_back(c.name);
      warn("Found orphan containers ([" + join(names, " ") + "]) for this project. If you removed or renamed this "
           "service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");
    }
  }
  TRY(build_missing(all, u.build, u.no_build));
  TRY(pull_images(all, u.pull, false));
  TRY(ensure_networks(all));
  TRY(ensure_volumes(all));
  ASSIGN_OR_RETURN(auto existing, containers());
  replaced_.clear();
  for (const auto& wave : waves) {
    if (u.cancelled && u.cancelled()) return fail("interrupted");
    if (!u.no_start)
      for (const auto& name : wave) TRY(wait_for_dependencies(name, u));
    TRY(converge_wave(wave, u, existing));
  }
  if (u.wait && !u.no_start)
    for (const auto& name : all) {
      // A service others wait on with service_completed_successfully is a job: --wait
      // waits for it to complete, as docker compose does, rather than to run.
      std::string condition;
      for (const auto& [other, s] : project_.services) {
        auto d = s.depends_on.find(name);
        if (d != s.depends_on.end() && d->second.condition == "service_completed_successfully")
          condition = d->second.condition;
      }
      TRY(wait_until_ready(name, condition, u.wait_timeout_s, u.cancelled));
    }
  return {};
}

Result<> Stack::converge_wave(const std::vector<std::string>& wave, const UpOptions& u,
                              const std::vector<ContainerRecord>& existing) {
  // What each container of the wave needs: nothing, a start, a (re)creation, a removal.
  struct Action {
    enum Kind { kKeep, kStart, kRestart, kCreate, kRecreate, kRemove } kind;
    const Service* service;
    int number;
    std::optional<ContainerRecord> old;
  };
  std::vector<Action> actions;
  for (const auto& name : wave) {
    const Service& s = project_.services.at(name);
    auto scale = u.scale.find(name);
    int replicas = scale != u.scale.end() ? scale->second : static_cast<int>(s.replicas());
    if (replicas > 1 && !s.container_name.empty())
      return fail("services." + name + ": container_name \"" + s.container_name +
                  "\" cannot be used by several containers (scale " + std::to_string(replicas) + ")");
    std::map<int, ContainerRecord> have;
    for (const auto& c : existing)
      if (service_of(c) == name) have.emplace(number_of(c), c);
    auto image = engine_.images().find_image(service_image(project_, s));
    std::string image_id = image ? image->id : "";
    std::string hash = config_hash(s);
    for (int n = 1; n <= replicas; n++) {
      auto it = have.find(n);
      if (it == have.end()) {
        actions.push_back({Action::kCreate, &s, n, std::nullopt});
        continue;
      }
      auto labels = container_labels(it->second);
      bool changed = labels[kLabelConfigHash] != hash || (!image_id.empty() && labels[kLabelImage] != image_id);
      // A container in another's network namespace (network_mode: service:X) must follow
      // a new X into its new namespace; one that asks for `restart: true` on a dependency
      // is restarted with it (docker compose's rules).
      bool shares_replaced = s.network_mode.rfind("service:", 0) == 0 && replaced_.count(s.network_mode.substr(8));
      bool restart_with_dep = false;
      for (const auto& [dep, d] : s.depends_on)
        if (d.restart && replaced_.count(dep)) restart_with_dep = true;
      bool alive = engine_.store().is_alive(it->second);
      if (((changed || u.force_recreate) && !u.no_recreate) || shares_replaced)
        actions.push_back({Action::kRecreate, &s, n, it->second});
      else if (!alive && !u.no_start)
        actions.push_back({Action::kStart, &s, n, it->second});
      else if (alive && restart_with_dep && !u.no_start)
        actions.push_back({Action::kRestart, &s, n, it->second});
      else
        actions.push_back({Action::kKeep, &s, n, it->second});
    }
    for (const auto& [n, c] : have)
      if (n > replicas) actions.push_back({Action::kRemove, &s, n, c});
  }

  auto run_one = [&](size_t i) -> Result<> {
    const Action& a = actions[i];
    const Service& s = *a.service;
    std::string name = container_name(project_, s, a.number);
    switch (a.kind) {
      case Action::kKeep:
        emit("Container", name, engine_.store().is_alive(*a.old) ? "Running" : "Created");
        return {};
      case Action::kStart:
        emit("Container", name, "Starting");
        TRY(engine_.start(a.old->id));
        emit("Container", name, "Started");
        return {};
      case Action::kRestart:
        emit("Container", name, "Restarting");
        for (auto& r : engine_.stop_containers({a.old->id}, u.timeout_s)) TRY(r);
        TRY(engine_.start(a.old->id));
        emit("Container", name, "Restarted");
        return {};
      case Action::kRemove:
        emit("Container", a.old->name, "Stopping");
        for (auto& r : engine_.stop_containers({a.old->id}, u.timeout_s)) TRY(r);
        TRY(engine_.remove_container(a.old->id, true));
        emit("Container", a.old->name, "Removed");
        return {};
      case Action::kRecreate:
        emit("Container", name, "Recreate");
        for (auto& r : engine_.stop_containers({a.old->id}, u.timeout_s)) TRY(r);
        TRY(engine_.remove_container(a.old->id, true));
        break;
      case Action::kCreate:
        emit("Container", name, "Creating");
        break;
    }
    auto image = engine_.images().find_image(service_image(project_, s));
    if (!image) return fail("service \"" + s.name + "\": image " + service_image(project_, s) + " not found");
    RunContext ctx{engine_.store().root().storage, image->id, false};
    ASSIGN_OR_RETURN(ServiceRun run, service_run_options(project_, s, a.number, ctx));
    if (a.kind == Action::kRecreate) keep_anonymous_volumes(*a.old, run.options);
    for (const auto& [path, content] : run.files) {
      TRY(make_dirs(dir_name(path), 0700));
      TRY(write_file_atomic(path, content, 0444));
    }
    if (u.no_start) {
      TRY_CTX(engine_.create(run.options), "service " + s.name);
      emit("Container", name, a.kind == Action::kRecreate ? "Recreated" : "Created");
      return {};
    }
    TRY_CTX(engine_.run_detached(run.options), "service " + s.name);
    emit("Container", name, a.kind == Action::kRecreate ? "Recreated" : "Started");
    return {};
  };
  // Warnings of the plan (keys berth accepts but ignores), once per service, from here:
  // the workers are other processes.
  for (const auto& name : wave) {
    const Service& s = project_.services.at(name);
    auto image = engine_.images().find_image(service_image(project_, s));
    RunContext ctx{engine_.store().root().storage, image ? image->id : "", false};
    // (An error here is the worker's to report, for a container it must create.)
    if (auto run = service_run_options(project_, s, 1, ctx))
      for (const auto& w : run->warnings) warn(w);
  }
  std::vector<size_t> busy;
  for (size_t i = 0; i < actions.size(); i++)
    if (actions[i].kind != Action::kKeep) busy.push_back(i);
  for (size_t i = 0; i < actions.size(); i++)
    if (actions[i].kind == Action::kKeep) TRY(run_one(i));
  std::vector<Result<>> results;
  if (busy.size() == 1)
    results.push_back(run_one(busy[0]));
  else if (!busy.empty())
    results = run_forked(busy.size(), kParallelStarts, [&](size_t i) { return run_one(busy[i]); });
  for (auto& r : results) TRY(r);
  for (const auto& a : actions)
    if (a.kind == Action::kCreate || a.kind == Action::kRecreate) replaced_.insert(a.service->name);
  return {};
}

void Stack::keep_anonymous_volumes(const ContainerRecord& old, engine::RunOptions& o) {
  // docker compose hands a recreated container its predecessor's anonymous volumes (the
  // data in `volumes: [/var/lib/db]` survives a config change): `-v /path` becomes
  // `-v <the old volume>:/path`.
  if (!old.mounts.is_array()) return;
  for (const Json& m : old.mounts) {
    if (!m.is_object() || m.value("Type", "") != "volume") continue;
    std::string name = m.value("Name", ""), target = m.value("Destination", "");
    auto vol = engine_.find_volume(name);
    if (!vol || !vol->anonymous()) continue;
    for (auto& v : o.volumes)
      if (v == target || v == target + ":ro") v = name + ":" + v;
  }
}

Result<> Stack::wait_for_dependencies(const std::string& name, const UpOptions& u) {
  for (const auto& [dep, d] : project_.services.at(name).depends_on) {
    if (!project_.services.count(dep)) {
      if (d.required) return fail("service \"" + name + "\" depends on undefined service \"" + dep + "\"");
      continue;
    }
    if (d.condition == "service_started") continue;
    auto ready = wait_until_ready(dep, d.condition, u.wait_timeout_s, u.cancelled);
    if (!ready && !d.required && !(u.cancelled && u.cancelled())) {
      warn("optional dependency \"" + dep + "\" of service \"" + name + "\" is not ready: " + ready.error().message());
      continue;
    }
    TRY(ready);
  }
  return {};
}

Result<> Stack::wait_until_ready(const std::string& service, const std::string& condition,
                                 std::optional<int> timeout_s, const std::function<bool()>& cancelled) {
  // condition "": --wait's (healthy when there is a healthcheck, else running).
  ASSIGN_OR_RETURN(auto list, containers({service}));
  auto deadline = timeout_s ? std::chrono::steady_clock::now() + std::chrono::seconds(*timeout_s)
                            : std::chrono::steady_clock::time_point::max();
  for (const auto& c : list) {
    emit("Container", c.name, "Waiting");
    for (;;) {
      ASSIGN_OR_RETURN(ContainerRecord now, engine_.store().load(c.id));
      bool alive = engine_.store().is_alive(now);
      std::string health = now.health.is_object() ? now.health.value("Status", "starting") : "";
      if (condition == "service_completed_successfully") {
        if (!alive && now.status == "exited") {
          if (now.exit_code != 0)
            return fail("service \"" + service + "\" didn't complete successfully: exit " +
                        std::to_string(now.exit_code));
          emit("Container", c.name, "Exited");
          break;
        }
      } else {
        if (!alive && now.status != "restarting")
          return fail("container " + c.name + " exited (" + std::to_string(now.exit_code) + ")");
        if (condition == "service_healthy" && now.healthcheck.is_null())
          return fail("container " + c.name + " has no healthcheck configured");
        if (health == "unhealthy") {
          std::string last;
          auto log = now.health.value("Log", Json::array());
          if (!log.empty()) last = trim(log.back().value("Output", ""));
          return fail("dependency failed to start: container " + c.name + " is unhealthy" +
                      (last.empty() ? "" : " (last health check output: " + last + ")"));
        }
        if (health == "healthy" || (health.empty() && now.status == "running")) {
          emit("Container", c.name, health.empty() ? "Running" : "Healthy");
          break;
        }
      }
      if (cancelled && cancelled()) return fail("interrupted");
      if (std::chrono::steady_clock::now() >= deadline)
        return fail("timeout waiting for container " + c.name + " of service \"" + service + "\"" +
                    (health.empty() ? "" : " (health: " + health + ")"));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return {};
}

Result<> Stack::stop_in_waves(const std::vector<ContainerRecord>& list, std::optional<int> timeout_s, bool remove,
                              bool volumes) {
  // Dependents first: the waves of `up`, reversed; containers of services no longer in
  // the file (orphans) go with the first group.
  std::vector<std::vector<std::string>> waves;
  if (auto w = dependency_waves(project_, {}, false)) waves = *w;
  std::reverse(waves.begin(), waves.end());
  std::map<std::string, size_t> wave_of;
  for (size_t i = 0; i < waves.size(); i++)
    for (const auto& s : waves[i]) wave_of[s] = i;
  std::vector<std::vector<const ContainerRecord*>> groups(waves.size() + 1);
  for (const auto& c : list) {
    auto it = wave_of.find(service_of(c));
    groups[it == wave_of.end() ? 0 : it->second + 1].push_back(&c);
  }
  for (const auto& group : groups) {
    if (group.empty()) continue;
    std::vector<std::string> ids;
    std::vector<std::string> running;
    for (const auto* c : group) {
      ids.push_back(c->id);
      if (engine_.store().is_alive(*c)) {
        running.push_back(c->id);
        emit("Container", c->name, "Stopping");
      }
    }
    // -t 0: no grace period, so no separate stop: rm -f kills them all at once.
    if (!running.empty() && !(remove && timeout_s && *timeout_s == 0)) {
      auto stopped = engine_.stop_containers(running, timeout_s);
      for (size_t i = 0; i < stopped.size(); i++) TRY(stopped[i]);
    }
    for (const auto* c : group)
      if (std::find(running.begin(), running.end(), c->id) != running.end()) emit("Container", c->name, "Stopped");
    if (!remove) continue;
    auto removed = engine_.remove_containers(ids, true, volumes);
    for (size_t i = 0; i < removed.size(); i++) {
      TRY(removed[i]);
      emit("Container", group[i]->name, "Removed");
    }
  }
  return {};
}

Result<> Stack::down(const DownOptions& d) {
  ASSIGN_OR_RETURN(auto list, containers(d.services, true));
  ASSIGN_OR_RETURN(auto stray, orphans());
  if (!d.remove_orphans) {
    std::vector<std::string> names;
    std::erase_if(list, [&](const ContainerRecord& c) {
      bool orphan = std::any_of(stray.begin(), stray.end(), [&](const ContainerRecord& o) { return o.id == c.id; });
      if (orphan) names.push_back(c.name);
      return orphan;
    });
    if (!names.empty())
      warn("Found orphan containers ([" + join(names, " ") + "]) for this project. If you removed or renamed this "
           "service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");
  }
  TRY(stop_in_waves(list, d.timeout_s, true, d.volumes));
  if (!d.services.empty()) return {};
  // The project's networks: those its file declares (not external) and any other network
  // labelled with the project (a key removed from the file since `up`).
  ASSIGN_OR_RETURN(auto nets, engine_.networks());
  for (const auto& n : nets) {
    auto it = n.labels.find(kLabelProject);
    if (it == n.labels.end() || it->second != project_.name) continue;
    emit("Network", n.name, "Removing");
    if (auto r = engine_.remove_network(n.id); !r) {
      warn("network " + n.name + ": " + r.error().message());
      continue;
    }
    emit("Network", n.name, "Removed");
  }
  if (d.volumes) {  // the project's named volumes (external ones carry no project label)
    ASSIGN_OR_RETURN(auto vols, engine_.volumes());
    for (const auto& v : vols) {
      auto it = v.labels.find(kLabelProject);
      if (it == v.labels.end() || it->second != project_.name) continue;
      emit("Volume", v.name, "Removing");
      if (auto r = engine_.remove_volume(v.name, true); !r) {
        warn("volume " + v.name + ": " + r.error().message());
        continue;
      }
      emit("Volume", v.name, "Removed");
    }
  }
  if (d.rmi == "all" || d.rmi == "local") {
    // local: the images compose named itself (built, without an `image:` name).
    std::set<std::string> images;
    for (const auto& [name, s] : project_.services)
      if (d.rmi == "all" || (s.image.empty() && s.build)) images.insert(service_image(project_, s));
    for (const auto& image : images) {
      if (!engine_.images().find_image(image)) continue;
      if (auto r = engine_.remove_image(image, false); !r)
        warn("image " + image + ": " + r.error().message());
      else
        emit("Image", image, "Removed");
    }
  } else if (!d.rmi.empty() && d.rmi != "local") {
    return fail("invalid --rmi value (local or all)", d.rmi);
  }
  TRY(remove_tree(project_state_dir(engine_.store().root().storage, project_.name)));
  return {};
}

Result<> Stack::start(const std::vector<std::string>& services) {
  ASSIGN_OR_RETURN(auto waves, dependency_waves(project_, services, true));
  for (const auto& wave : waves) {
    ASSIGN_OR_RETURN(auto list, containers(wave));
    std::vector<const ContainerRecord*> todo;
    for (const auto& c : list)
      if (!engine_.store().is_alive(c)) todo.push_back(&c);
    auto results = run_forked(todo.size(), kParallelStarts, [&](size_t i) -> Result<> {
      emit("Container", todo[i]->name, "Starting");
      TRY(engine_.start(todo[i]->id));
      emit("Container", todo[i]->name, "Started");
      return {};
    });
    for (auto& r : results) TRY(r);
  }
  return {};
}

Result<> Stack::stop(const std::vector<std::string>& services, std::optional<int> timeout_s) {
  ASSIGN_OR_RETURN(auto list, containers(services));
  return stop_in_waves(list, timeout_s, false, false);
}

Result<> Stack::restart(const std::vector<std::string>& services, std::optional<int> timeout_s) {
  TRY(stop(services, timeout_s));
  return start(services);
}

Result<> Stack::kill(const std::vector<std::string>& services, int signal) {
  ASSIGN_OR_RETURN(auto list, containers(services));
  for (const auto& c : list) {
    if (!engine_.store().is_alive(c)) continue;
    emit("Container", c.name, "Killing");
    TRY(engine_.kill(c.id, signal));
    emit("Container", c.name, "Killed");
  }
  return {};
}

Result<> Stack::pause(const std::vector<std::string>& services, bool paused) {
  ASSIGN_OR_RETURN(auto list, containers(services));
  for (const auto& c : list) {
    if (!engine_.store().is_alive(c) || c.paused == paused) continue;
    emit("Container", c.name, paused ? "Pausing" : "Unpausing");
    TRY(paused ? engine_.pause(c.id) : engine_.unpause(c.id));
    emit("Container", c.name, paused ? "Paused" : "Unpaused");
  }
  return {};
}

Result<> Stack::remove(const std::vector<std::string>& services, bool stop_first, bool volumes) {
  ASSIGN_OR_RETURN(auto list, containers(services));
  if (stop_first) {
    TRY(stop_in_waves(list, std::nullopt, false, false));
    ASSIGN_OR_RETURN(list, containers(services));
  }
  std::vector<ContainerRecord> stopped;
  for (const auto& c : list)
    if (!engine_.store().is_alive(c)) stopped.push_back(c);
  return stop_in_waves(stopped, std::nullopt, true, volumes);
}

Result<std::map<std::string, std::vector<ContainerRecord>>> stacks(engine::Engine& engine) {
  ASSIGN_OR_RETURN(auto all, engine.containers());
  std::map<std::string, std::vector<ContainerRecord>> out;
  for (auto& c : all) {
    auto labels = container_labels(c);
    auto it = labels.find(kLabelProject);
    if (it != labels.end() && !it->second.empty()) out[it->second].push_back(std::move(c));
  }
  return out;
}

}  // namespace berth::compose
