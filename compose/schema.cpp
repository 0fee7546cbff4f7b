// The keys of the Compose Specification that berth does not implement yet (see
// compose/schema.h). This is the one list: a key here is accepted with a warning
// "not supported by berth yet, ignored"; a key neither here nor implemented by a parser is
// an error. When berth learns a key, move it from here to its parser's list.
#include "compose/schema.h"

#include <algorithm>
#include <vector>

namespace berth::compose {

namespace {

struct NotImplemented {
  Section section;
  std::vector<std::string_view> keys;
};

// clang-format off
const std::vector<NotImplemented> kNotImplemented = {
    // `models` needs a model runner; `version` is obsolete and handled by the loader.
    NotImplemented{Section::kTopLevel, {"models"}},
    // Swarm-only, Windows-only, Docker Desktop, GPU and lifecycle-hook keys, and the rest of
    // the resource knobs that berth's runtime does not set yet.
    NotImplemented{Section::kService, {
        "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "cpu_count",
        "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpuset",
        "credential_spec", "develop", "device_cgroup_rules", "devices", "external_links",
        "gpus", "group_add", "ipc", "isolation", "label_file", "links", "mac_address",
        "mem_reservation", "mem_swappiness", "models", "oom_kill_disable", "oom_score_adj",
        "pid", "platform", "post_start", "pre_stop", "provider", "pull_refresh_after",
        "runtime", "storage_opt", "use_api_socket", "userns_mode", "uts", "volumes_from"}},
    NotImplemented{Section::kBuild, {
        "additional_contexts", "cache_to", "entitlements", "extra_hosts", "isolation",
        "platforms", "privileged", "secrets", "shm_size", "ssh", "ulimits"}},
    NotImplemented{Section::kDeploy, {
        "endpoint_mode", "labels", "mode", "placement", "restart_policy", "rollback_config",
        "update_config"}},
    NotImplemented{Section::kResources, {"reservations"}},
    NotImplemented{Section::kServiceNetwork, {
        "driver_opts", "gw_priority", "interface_name", "ipv6_address", "link_local_ips",
        "mac_address", "priority"}},
    NotImplemented{Section::kVolumeBind, {"recursive"}},
    NotImplemented{Section::kVolumeMount, {"image"}},
    NotImplemented{Section::kVolumeVolume, {"labels"}},
    NotImplemented{Section::kNetwork, {"attachable", "enable_ipv4"}},
    NotImplemented{Section::kIpam, {"options"}},
    NotImplemented{Section::kIpamPool, {"aux_addresses"}},
    NotImplemented{Section::kSecret, {"driver", "driver_opts", "template_driver"}},
    NotImplemented{Section::kConfig, {"template_driver"}},
};
// clang-format on

}  // namespace

bool is_not_implemented(Section section, std::string_view key) {
  for (const NotImplemented& n : kNotImplemented)
    if (n.section == section && std::find(n.keys.begin(), n.keys.end(), key) != n.keys.end())
      return true;
  return false;
}

Result<> check_key(const Entry& entry, const std::string& path, Section section,
                   bool implemented, ParseContext& ctx) {
  if (implemented || entry.key.starts_with("x-")) return {};
  Node at = Node::make_null(entry.value);
  at.line = entry.key_line;
  if (is_not_implemented(section, entry.key)) {
    ctx.warn(at, key_path(path, entry.key), "not supported by berth yet, ignored");
    return {};
  }
  return fail_at(at, key_path(path, entry.key), "unknown key");
}

Result<> check_keys(const Node& node, const std::string& path, Section section,
                    std::initializer_list<std::string_view> implemented, ParseContext& ctx) {
  TRY(expect_mapping(node, path));
  for (const Entry& e : node.entries) {
    bool known = std::find(implemented.begin(), implemented.end(), e.key) != implemented.end();
    TRY(check_key(e, path, section, known, ctx));
  }
  return {};
}

}  // namespace berth::compose
