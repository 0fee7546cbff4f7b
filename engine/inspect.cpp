// `inspect`: a container as docker shows it (docker's JSON field names and shape), built
// from its record, the options it was created with and its OCI spec.
#include "base/fs.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "runtime/log_writer.h"

namespace berth::engine {

namespace {

Json host_config(const RunOptions& o) {
  auto policy = parse_restart_policy(o.restart).value_or(RestartPolicy{});
  Json log_config = Json::object();
  for (const auto& opt : o.log_opts) {
    auto eq = opt.find('=');
    log_config[opt.substr(0, eq)] = eq == std::string::npos ? "" : opt.substr(eq + 1);
  }
  int64_t memory = 0;
  if (!o.memory.empty()) memory = parse_bytes(o.memory).value_or(0);
  return {{"AutoRemove", o.remove},
          {"Binds", o.volumes},
          {"CapAdd", o.cap_add},
          {"CapDrop", o.cap_drop},
          {"Init", o.init},
          {"LogConfig", {{"Type", "json-file"}, {"Config", log_config}}},
          {"Memory", memory},
          {"NetworkMode", o.network},
          {"PidsLimit", o.pids_limit ? Json(*o.pids_limit) : Json(nullptr)},
          {"Privileged", o.privileged},
          {"ReadonlyRootfs", o.read_only},
          {"RestartPolicy", {{"Name", policy.name}, {"MaximumRetryCount", policy.max_retries}}},
          {"SecurityOpt", o.security_opt},
          {"Tmpfs", o.tmpfs},
          {"Ulimits", o.ulimits}};
}

}  // namespace

Json Engine::inspect(const ContainerRecord& rec) {
  auto o = RunOptions::from_json(rec.options).value_or(RunOptions{});
  bool alive = containers_.is_alive(rec);
  std::string status = rec.status;
  if (status == "running" && !alive) status = "exited";
  if (status == "created" && alive) status = "created";
  Json state = {{"Status", status},
                {"Running", status == "running"},
                {"Paused", false},
                {"Restarting", status == "restarting"},
                {"OOMKilled", rec.oom_killed},
                {"Dead", false},
                {"Pid", status == "running" ? rec.pid : 0},
                {"ExitCode", rec.exit_code},
                {"Error", ""},
                {"StartedAt", rec.started_at.empty() ? "0001-01-01T00:00:00Z" : rec.started_at},
                {"FinishedAt", rec.finished_at.empty() ? "0001-01-01T00:00:00Z" : rec.finished_at}};
  if (!rec.health.is_null()) state["Health"] = rec.health;
  Json config = {{"Hostname", o.hostname.empty() ? rec.id.substr(0, 12) : o.hostname},
                 {"User", o.user},
                 {"Tty", o.tty},
                 {"OpenStdin", o.interactive},
                 {"Image", rec.image},
                 {"Labels", Json::object()},
                 {"StopSignal", rec.stop_signal.empty() ? "SIGTERM" : rec.stop_signal}};
  std::string path;
  Json args = Json::array();
  if (auto spec = runtime::load_spec(containers_.storage_dir(rec.id))) {
    config["Env"] = spec->process.env;
    config["Cmd"] = spec->process.args;
    config["WorkingDir"] = spec->process.cwd;
    if (!spec->process.args.empty()) {
      path = spec->process.args[0];
      args = std::vector<std::string>(spec->process.args.begin() + 1, spec->process.args.end());
    }
  }
  if (!rec.healthcheck.is_null()) config["Healthcheck"] = rec.healthcheck;
  if (o.entrypoint) config["Entrypoint"] = std::vector<std::string>{*o.entrypoint};
  Json mounts = Json::array();
  for (const auto& v : o.volumes) {
    auto parts = split(v, ':');
    mounts.push_back({{"Type", "bind"},
                      {"Source", parts[0]},
                      {"Destination", parts.size() > 1 ? parts[1] : parts[0]},
                      {"RW", !(parts.size() > 2 && parts[2] == "ro")}});
  }
  return {{"Id", rec.id},
          {"Created", rec.created},
          {"Path", path},
          {"Args", args},
          {"State", state},
          {"Image", rec.image_id},
          {"Name", "/" + rec.name},
          {"RestartCount", rec.restart_count},
          {"LogPath", containers_.log_path(rec.id)},
          {"Driver", "overlay"},
          {"HostConfig", host_config(o)},
          {"Config", config},
          {"Mounts", mounts},
          {"NetworkSettings", {{"Networks", Json::object()}, {"IPAddress", ""}, {"Ports", Json::object()}}}};
}

}  // namespace berth::engine
