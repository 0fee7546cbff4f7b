// One service as `docker compose config` prints it (see compose/config_output.h): the
// model's fields turned back into compose keys, long forms only, unset fields omitted.
#include "compose/config_service.h"

#include "compose/config_output.h"

namespace berth::compose {

namespace {

OJson string_list(const std::vector<std::string>& v) {
  OJson out = OJson::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

template <typename Map>
OJson string_map(const Map& m) {
  OJson out = OJson::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

OJson optional_string_map(const OptionalStringMap& m) {
  OJson out = OJson::object();
  for (const auto& [k, v] : m) out[k] = v ? OJson(*v) : OJson(nullptr);
  return out;
}

OJson build_json(const BuildConfig& b) {
  OJson out = OJson::object();
  out["context"] = b.context;
  if (!b.dockerfile.empty()) out["dockerfile"] = b.dockerfile;
  if (!b.dockerfile_inline.empty()) out["dockerfile_inline"] = b.dockerfile_inline;
  if (!b.args.empty()) out["args"] = optional_string_map(b.args);
  if (!b.labels.empty()) out["labels"] = string_map(b.labels);
  if (!b.cache_from.empty()) out["cache_from"] = string_list(b.cache_from);
  if (b.no_cache) out["no_cache"] = *b.no_cache;
  if (b.pull) out["pull"] = *b.pull;
  if (!b.network.empty()) out["network"] = b.network;
  if (!b.target.empty()) out["target"] = b.target;
  if (!b.tags.empty()) out["tags"] = string_list(b.tags);
  return out;
}

OJson file_refs_json(const std::vector<FileReference>& refs) {
  OJson out = OJson::array();
  for (const FileReference& r : refs) {
    OJson o = {{"source", r.source}};
    if (!r.target.empty()) o["target"] = r.target;
    if (!r.uid.empty()) o["uid"] = r.uid;
    if (!r.gid.empty()) o["gid"] = r.gid;
    if (r.mode) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0%o", *r.mode);
      o["mode"] = buf;
    }
    out.push_back(o);
  }
  return out;
}

OJson depends_on_json(const std::map<std::string, Dependency>& deps) {
  OJson out = OJson::object();
  for (const auto& [name, d] : deps) {
    OJson o = {{"condition", d.condition}};
    if (d.restart) o["restart"] = true;
    o["required"] = d.required;
    out[name] = o;
  }
  return out;
}

OJson deploy_json(const Deploy& d) {
  OJson out = OJson::object();
  if (d.replicas) out["replicas"] = *d.replicas;
  if (d.limits) {
    OJson l = OJson::object();
    if (d.limits->cpus) l["cpus"] = *d.limits->cpus;
    if (d.limits->memory) l["memory"] = std::to_string(*d.limits->memory);
    if (d.limits->pids) l["pids"] = *d.limits->pids;
    out["resources"] = {{"limits", l}};
  }
  return out;
}

OJson healthcheck_json(const Healthcheck& h) {
  OJson out = OJson::object();
  if (!h.test.empty()) out["test"] = string_list(h.test);
  if (h.timeout_ns) out["timeout"] = format_go_duration(*h.timeout_ns);
  if (h.interval_ns) out["interval"] = format_go_duration(*h.interval_ns);
  if (h.retries) out["retries"] = *h.retries;
  if (h.start_period_ns) out["start_period"] = format_go_duration(*h.start_period_ns);
  if (h.start_interval_ns) out["start_interval"] = format_go_duration(*h.start_interval_ns);
  if (h.disable) out["disable"] = true;
  return out;
}

OJson networks_json(const std::map<std::string, std::optional<NetworkAttachment>>& nets) {
  OJson out = OJson::object();
  for (const auto& [name, a] : nets) {
    if (!a) {
      out[name] = nullptr;
      continue;
    }
    OJson o = OJson::object();
    if (!a->aliases.empty()) o["aliases"] = string_list(a->aliases);
    if (!a->ipv4_address.empty()) o["ipv4_address"] = a->ipv4_address;
    out[name] = o;
  }
  return out;
}

OJson ports_json(const std::vector<PortMapping>& ports) {
  OJson out = OJson::array();
  for (const PortMapping& p : ports) {
    OJson o = OJson::object();
    if (!p.name.empty()) o["name"] = p.name;
    o["mode"] = p.mode;
    if (!p.host_ip.empty()) o["host_ip"] = p.host_ip;
    o["target"] = p.target;
    if (!p.published.empty()) o["published"] = p.published;
    o["protocol"] = p.protocol;
    if (!p.app_protocol.empty()) o["app_protocol"] = p.app_protocol;
    out.push_back(o);
  }
  return out;
}

OJson volume_json(const VolumeMount& m) {
  OJson o = {{"type", m.type}};
  if (!m.source.empty()) o["source"] = m.source;
  o["target"] = m.target;
  if (m.read_only) o["read_only"] = true;
  if (!m.consistency.empty()) o["consistency"] = m.consistency;
  if (m.bind) {
    OJson b = OJson::object();
    if (!m.bind->propagation.empty()) b["propagation"] = m.bind->propagation;
    if (m.bind->create_host_path) b["create_host_path"] = *m.bind->create_host_path;
    if (!m.bind->selinux.empty()) b["selinux"] = m.bind->selinux;
    o["bind"] = b;
  }
  if (m.volume) {
    OJson v = OJson::object();
    if (m.volume->nocopy) v["nocopy"] = true;
    if (!m.volume->subpath.empty()) v["subpath"] = m.volume->subpath;
    o["volume"] = v;
  }
  if (m.tmpfs) {
    OJson t = OJson::object();
    if (m.tmpfs->size) t["size"] = *m.tmpfs->size;
    if (m.tmpfs->mode) t["mode"] = *m.tmpfs->mode;
    o["tmpfs"] = t;
  }
  return o;
}

OJson ulimits_json(const std::map<std::string, Ulimit>& ulimits) {
  OJson out = OJson::object();
  for (const auto& [name, u] : ulimits) {
    if (u.single)
      out[name] = u.soft;
    else
      out[name] = {{"soft", u.soft}, {"hard", u.hard}};
  }
  return out;
}

// The fields that are plain values; the structured ones are added by service_json.
void add_simple_fields(const Service& s, std::map<std::string, OJson>& f) {
  auto str = [&f](const char* key, const std::string& v) { if (!v.empty()) f[key] = v; };
  auto list = [&f](const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) f[key] = string_list(v);
  };
  auto flag = [&f](const char* key, bool v) { if (v) f[key] = true; };
  auto bytes = [&f](const char* key, const std::optional<int64_t>& v) {
    if (v) f[key] = std::to_string(*v);
  };
  list("cap_add", s.cap_add);
  list("cap_drop", s.cap_drop);
  str("container_name", s.container_name);
  if (s.cpu_shares) f["cpu_shares"] = *s.cpu_shares;
  if (s.cpus) f["cpus"] = *s.cpus;
  list("dns", s.dns);
  list("dns_opt", s.dns_opt);
  list("dns_search", s.dns_search);
  str("domainname", s.domainname);
  list("expose", s.expose);
  str("hostname", s.hostname);
  str("image", s.image);
  if (s.init) f["init"] = *s.init;
  bytes("mem_limit", s.mem_limit);
  bytes("memswap_limit", s.memswap_limit);
  str("network_mode", s.network_mode);
  if (s.pids_limit) f["pids_limit"] = *s.pids_limit;
  flag("privileged", s.privileged);
  list("profiles", s.profiles);
  str("pull_policy", s.pull_policy);
  flag("read_only", s.read_only);
  str("restart", s.restart);
  if (s.scale) f["scale"] = *s.scale;
  list("security_opt", s.security_opt);
  bytes("shm_size", s.shm_size);
  flag("stdin_open", s.stdin_open);
  if (s.stop_grace_period_ns) f["stop_grace_period"] = format_go_duration(*s.stop_grace_period_ns);
  str("stop_signal", s.stop_signal);
  list("tmpfs", s.tmpfs);
  flag("tty", s.tty);
  str("user", s.user);
  str("working_dir", s.working_dir);
}

}  // namespace

OJson service_json(const Service& s) {
  std::map<std::string, OJson> f;  // sorted by key, as docker compose prints them
  add_simple_fields(s, f);
  if (s.build) f["build"] = build_json(*s.build);
  if (s.command) f["command"] = string_list(*s.command);
  if (!s.configs.empty()) f["configs"] = file_refs_json(s.configs);
  if (!s.depends_on.empty()) f["depends_on"] = depends_on_json(s.depends_on);
  if (s.deploy && (s.deploy->replicas || s.deploy->limits)) f["deploy"] = deploy_json(*s.deploy);
  if (s.entrypoint) f["entrypoint"] = string_list(*s.entrypoint);
  if (!s.environment.empty()) f["environment"] = optional_string_map(s.environment);
  if (!s.extra_hosts.empty()) {
    OJson hosts = OJson::array();
    for (const auto& [host, addr] : s.extra_hosts) hosts.push_back(host + "=" + addr);
    f["extra_hosts"] = hosts;
  }
  if (s.healthcheck) f["healthcheck"] = healthcheck_json(*s.healthcheck);
  if (!s.labels.empty()) f["labels"] = string_map(s.labels);
  if (s.logging) {
    OJson l = OJson::object();
    if (!s.logging->driver.empty()) l["driver"] = s.logging->driver;
    if (!s.logging->options.empty()) l["options"] = string_map(s.logging->options);
    f["logging"] = l;
  }
  if (!s.networks.empty()) f["networks"] = networks_json(s.networks);
  if (!s.ports.empty()) f["ports"] = ports_json(s.ports);
  if (!s.secrets.empty()) f["secrets"] = file_refs_json(s.secrets);
  if (!s.sysctls.empty()) f["sysctls"] = string_map(s.sysctls);
  if (!s.ulimits.empty()) f["ulimits"] = ulimits_json(s.ulimits);
  if (!s.volumes.empty()) {
    OJson vols = OJson::array();
    for (const VolumeMount& m : s.volumes) vols.push_back(volume_json(m));
    f["volumes"] = vols;
  }
  OJson out = OJson::object();
  for (auto& [k, v] : f) out[k] = std::move(v);
  return out;
}

}  // namespace berth::compose
