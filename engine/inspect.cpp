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
          {"PortBindings", o.publish},
          {"PidsLimit", o.pids_limit ? Json(*o.pids_limit) : Json(nullptr)},
          {"Privileged", o.privileged},
          {"ReadonlyRootfs", o.read_only},
          {"RestartPolicy", {{"Name", policy.name}, {"MaximumRetryCount", policy.max_retries}}},
          {"SecurityOpt", o.security_opt},
          {"Tmpfs", o.tmpfs},
          {"Ulimits", o.ulimits}};
}

// docker's NetworkSettings: per network the address, prefix, gateway and aliases; the
// published ports as {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}.
Json network_settings(const ContainerRecord& rec, const RunOptions& o, const std::vector<NetworkRecord>& nets) {
  Json networks = Json::object(), ports = Json::object();
  std::string first_ip;
  for (const auto& net : nets) {
    auto ip = net.addresses.find(rec.id);
    if (ip == net.addresses.end()) continue;
    std::string prefix = net.subnet.substr(net.subnet.find('/') + 1);
    auto ep = net.endpoints.find(rec.id);
    Json aliases = Json::array();  // the ones given for this network
    if (net.name == o.network) aliases = o.network_aliases;
    for (const auto& text : o.extra_networks)
      if (auto r = parse_network_request(text); r && r->name == net.name) aliases = r->aliases;
    Json n = {{"NetworkID", net.id},   {"IPAddress", ip->second}, {"IPPrefixLen", std::stoi(prefix)},
              {"Gateway", net.gateway}, {"Aliases", aliases},      {"MacAddress", ""},
              {"DNSNames", ep == net.endpoints.end() ? Json(nullptr) : Json(ep->second.names)}};
    if (auto v6 = net.addresses_v6.find(rec.id); v6 != net.addresses_v6.end()) n["GlobalIPv6Address"] = v6->second;
    networks[net.name] = n;
    if (first_ip.empty()) first_ip = ip->second;
    if (ep == net.endpoints.end()) continue;
    for (const auto& p : ep->second.ports) {
      Json& list = ports[std::to_string(p.container_port) + "/" + p.protocol];
      if (!list.is_array()) list = Json::array();
      list.push_back({{"HostIp", p.to_json()["HostIp"]}, {"HostPort", std::to_string(p.host_port)}});
    }
  }
  return {{"Networks", networks}, {"IPAddress", first_ip}, {"Ports", ports}};
}

}  // namespace

std::vector<PortBinding> published_ports(const std::vector<NetworkRecord>& nets, const std::string& id) {
  std::vector<PortBinding> out;
  for (const auto& net : nets)
    if (auto ep = net.endpoints.find(id); ep != net.endpoints.end())
      out.insert(out.end(), ep->second.ports.begin(), ep->second.ports.end());
  return out;
}

Json Engine::inspect(const ContainerRecord& rec) {
  auto o = RunOptions::from_json(rec.options).value_or(RunOptions{});
  bool alive = containers_.is_alive(rec);
  std::string status = rec.status;
  if (status == "running" && !alive) status = "exited";
  if (status == "created" && alive) status = "created";
  bool paused = status == "running" && rec.paused;
  Json state = {{"Status", paused ? "paused" : status},
                {"Running", status == "running"},
                {"Paused", paused},
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
                 {"Domainname", o.domainname},
                 {"User", o.user},
                 {"Tty", o.tty},
                 {"OpenStdin", o.interactive},
                 {"Image", rec.image},
                 {"Labels", o.label_map()},
                 {"StopSignal", rec.stop_signal.empty() ? "SIGTERM" : rec.stop_signal}};
  if (o.stop_timeout) config["StopTimeout"] = *o.stop_timeout;
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
  // Resolved at create (volumes by name, engine/volume_mounts.h); older records: binds only.
  Json mounts = rec.mounts.is_array() ? rec.mounts : Json::array();
  for (const auto& v : rec.mounts.is_array() ? std::vector<std::string>{} : o.volumes) {
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
          {"NetworkSettings", network_settings(rec, o, networks().value_or(std::vector<NetworkRecord>{}))}};
}

}  // namespace berth::engine
