// The project as `docker compose config` prints it (see compose/config_output.h).
#include "compose/config_output.h"

#include <cstdio>

#include "compose/config_service.h"
#include "compose/yaml_emit.h"

namespace berth::compose {

namespace {

OJson labels_json(const StringMap& m) {
  OJson out = OJson::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

OJson network_json(const Network& n) {
  OJson o = {{"name", n.name}};
  if (!n.driver.empty()) o["driver"] = n.driver;
  if (!n.driver_opts.empty()) o["driver_opts"] = labels_json(n.driver_opts);
  if (!n.ipam_driver.empty() || !n.ipam_config.empty()) {
    OJson ipam = OJson::object();
    if (!n.ipam_driver.empty()) ipam["driver"] = n.ipam_driver;
    if (!n.ipam_config.empty()) {
      OJson pools = OJson::array();
      for (const IpamPool& p : n.ipam_config) {
        OJson pool = OJson::object();
        if (!p.subnet.empty()) pool["subnet"] = p.subnet;
        if (!p.gateway.empty()) pool["gateway"] = p.gateway;
        if (!p.ip_range.empty()) pool["ip_range"] = p.ip_range;
        pools.push_back(pool);
      }
      ipam["config"] = pools;
    }
    o["ipam"] = ipam;
  }
  if (n.external) o["external"] = true;
  if (n.internal) o["internal"] = true;
  if (n.enable_ipv6) o["enable_ipv6"] = *n.enable_ipv6;
  if (!n.labels.empty()) o["labels"] = labels_json(n.labels);
  return o;
}

OJson volume_json(const Volume& v) {
  OJson o = {{"name", v.name}};
  if (!v.driver.empty()) o["driver"] = v.driver;
  if (!v.driver_opts.empty()) o["driver_opts"] = labels_json(v.driver_opts);
  if (v.external) o["external"] = true;
  if (!v.labels.empty()) o["labels"] = labels_json(v.labels);
  return o;
}

OJson file_object_json(const FileObject& f) {
  OJson o = {{"name", f.name}};
  if (!f.file.empty()) o["file"] = f.file;
  if (!f.environment.empty()) o["environment"] = f.environment;
  if (!f.content.empty()) o["content"] = f.content;
  if (f.external) o["external"] = true;
  if (!f.labels.empty()) o["labels"] = labels_json(f.labels);
  return o;
}

template <typename Map, typename Fn>
void add_section(OJson& doc, const char* key, const Map& map, Fn to_json) {
  if (map.empty()) return;
  OJson section = OJson::object();
  for (const auto& [name, obj] : map) section[name] = to_json(obj);
  doc[key] = section;
}

OJson config_document(const Project& p) {
  OJson doc = OJson::object();
  doc["name"] = p.name;
  OJson services = OJson::object();
  for (const auto& [name, s] : p.services) services[name] = service_json(s);
  doc["services"] = services;
  add_section(doc, "networks", p.networks, network_json);
  add_section(doc, "volumes", p.volumes, volume_json);
  add_section(doc, "secrets", p.secrets, file_object_json);
  add_section(doc, "configs", p.configs, file_object_json);
  return doc;
}

// The integer and fractional parts of v / unit, fraction without trailing zeros.
std::string with_fraction(uint64_t v, uint64_t unit) {
  std::string out = std::to_string(v / unit);
  uint64_t frac = v % unit;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, std::to_string(unit).size() - 1 - digits.size(), '0');
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

std::string format_go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? -static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (u < 1'000) return sign + std::to_string(u) + "ns";
  if (u < 1'000'000) return sign + with_fraction(u, 1'000) + "\xC2\xB5s";  // µs, as Go
  if (u < 1'000'000'000) return sign + with_fraction(u, 1'000'000) + "ms";
  constexpr uint64_t kSecond = 1'000'000'000, kMinute = 60 * kSecond, kHour = 60 * kMinute;
  std::string out = sign;
  if (u >= kHour) out += std::to_string(u / kHour) + "h";
  if (u >= kMinute) out += std::to_string(u % kHour / kMinute) + "m";
  return out + with_fraction(u % kMinute, kSecond) + "s";
}

std::string render_config_yaml(const Project& project) {
  return emit_yaml(config_document(project));
}

Json render_config_json(const Project& project) { return Json(config_document(project)); }

std::string render_config_json_text(const Project& project) {
  return config_document(project).dump(2) + "\n";
}

std::string render_service_names(const Project& project) {
  std::string out;
  for (const auto& [name, _] : project.services) out += name + "\n";
  return out;
}

std::string render_volume_names(const Project& project) {
  std::string out;
  for (const auto& [name, _] : project.volumes) out += name + "\n";
  return out;
}

}  // namespace berth::compose
