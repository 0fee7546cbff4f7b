// `berth network create|ls|rm|inspect|prune`: bridge networks (engine/networking.cpp).
#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/filters.h"
#include "cli/network_create.h"
#include "cli/table.h"
#include "cli/template.h"

namespace berth::cli {

namespace {

int create_network(const Globals& g, const std::string& name, const NetworkCreateFlags& f) {
  auto wanted = network_create_request(name, f);
  if (!wanted) return report(wanted.error());
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto net = eng->create_network(std::move(*wanted));
  if (!net) return report(net.error());
  std::puts(net->id.c_str());
  return 0;
}

// docker network ls --filter KEY=VALUE. Keys: name (substring), id (prefix), driver,
// label (KEY or KEY=VALUE), scope (local), type (builtin: the default network; custom),
// dangling (true: no container has an address on it).
Result<bool> matches(const std::vector<std::string>& filters, const engine::NetworkRecord& n) {
  auto boolean = [](const std::string& key, const std::string& value) -> Result<bool> {
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    return fail("invalid filter '" + key + "=" + value + "'");
  };
  return match_filters(filters, [&](const std::string& key, const std::string& value) -> Result<bool> {
    if (key == "name") return n.name.find(value) != std::string::npos;
    if (key == "id") return n.id.rfind(value, 0) == 0;
    if (key == "driver") return n.driver == value;
    if (key == "label") return label_matches(n.labels, value);
    if (key == "scope") return value == "local";
    if (key == "type") {
      if (value != "builtin" && value != "custom") return fail("invalid filter 'type=" + value + "'");
      return n.is_default == (value == "builtin");
    }
    if (key == "dangling") {
      ASSIGN_OR_RETURN(bool dangling, boolean(key, value));
      return (n.addresses.empty() && n.addresses_v6.empty()) == dangling;
    }
    return fail("invalid filter '" + key + "'");
  });
}

// docker's fields for network ls --format.
Json list_fields(const engine::NetworkRecord& n) {
  std::vector<std::string> labels;
  for (const auto& [k, v] : n.labels) labels.push_back(k + "=" + v);
  return {{"ID", n.id.substr(0, 12)}, {"Name", n.name},   {"Driver", n.driver},
          {"Scope", "local"},         {"IPv6", n.ipv6 ? "true" : "false"},
          {"Internal", n.internal ? "true" : "false"},    {"Labels", join(labels, ",")},
          {"CreatedAt", n.created}};
}

int list_networks(const Globals& g, bool quiet, const std::string& format, const std::vector<std::string>& filters) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto all = eng->networks();
  if (!all) return report(all.error());
  bool table = format.empty() || format == "table";
  // "table TEMPLATE": the template's rows under a header of docker's column names.
  std::string row_format = format;
  if (starts_with(format, "table ")) {
    row_format = format.substr(6);
    Json header = {{"ID", "NETWORK ID"}, {"Name", "NAME"},         {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
                   {"IPv6", "IPV6"},     {"Internal", "INTERNAL"}, {"Labels", "LABELS"}, {"CreatedAt", "CREATED AT"}};
    auto line = render_template(row_format, header);
    if (!line) return report(line.error());
    if (!quiet) std::puts(line->c_str());
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : *all) {
    auto ok = matches(filters, n);
    if (!ok) return report(ok.error());
    if (!*ok) continue;
    if (quiet) {
      std::puts(n.id.substr(0, 12).c_str());
      continue;
    }
    if (table) {
      rows.push_back({n.id.substr(0, 12), n.name, n.driver, "local", n.subnet});
      continue;
    }
    Json j = list_fields(n);
    auto text = format == "json" ? Result<std::string>(j.dump()) : render_template(row_format, j);
    if (!text) return report(text.error());
    std::puts(text->c_str());
  }
  if (!quiet && table) print_table({"NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET"}, rows);
  return 0;
}

int inspect_networks(const Globals& g, const std::vector<std::string>& names, const std::string& format) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  int code = 0;
  Json all = Json::array();
  for (const auto& n : names) {
    auto net = eng->find_network(n);
    if (!net) {
      code = report(net.error());
      continue;
    }
    all.push_back(net->to_json());
  }
  if (auto printed = print_inspected(all, format); !printed) return report(printed.error());
  return code;
}

}  // namespace

void register_network_commands(CLI::App& app, Globals& g, int* exit_code) {
  auto* network = app.add_subcommand("network", "Manage networks");
  network->require_subcommand(1);

  auto* create = network->add_subcommand("create", "Create a network");
  static std::string create_name;
  static NetworkCreateFlags cf;
  create->add_option("name", create_name, "NETWORK")->required();
  create->add_option("--subnet", cf.subnets,
                     "Subnet in CIDR format, one per address family (default: the next free one from the pool)")
      ->allow_extra_args(false);
  create->add_option("--gateway", cf.gateways, "Gateway for the subnet of its family (default: its first address)")
      ->allow_extra_args(false);
  create->add_flag("--internal", cf.internal, "Restrict external access to the network");
  create->add_flag("--ipv6", cf.ipv6, "Enable IPv6 networking");
  create->add_option("--subnet-v6", cf.subnets_v6, "IPv6 subnet (with --ipv6; same as --subnet)")
      ->allow_extra_args(false);
  create->add_option("-o,--opt", cf.opts, "Driver options (mtu=N)")->allow_extra_args(false);
  create->add_option("--label", cf.labels, "Set metadata on a network")->allow_extra_args(false);
  create->callback([&g, exit_code] { *exit_code = create_network(g, create_name, cf); });

  auto* ls = network->add_subcommand("ls", "List networks");
  ls->alias("list");
  static bool ls_quiet = false;
  static std::string ls_format;
  static std::vector<std::string> ls_filters;
  ls->add_flag("-q,--quiet", ls_quiet, "Only display network IDs");
  ls->add_option("-f,--filter", ls_filters, "Filter output (name, id, driver, label, scope, type, dangling)")
      ->allow_extra_args(false);
  ls->add_option("--format", ls_format, "table, json (one object per line), or a Go template");
  ls->callback([&g, exit_code] { *exit_code = list_networks(g, ls_quiet, ls_format, ls_filters); });

  auto* rm = network->add_subcommand("rm", "Remove one or more networks");
  static std::vector<std::string> rm_names;
  rm->alias("remove");
  rm->add_option("networks", rm_names, "NETWORK...")->required();
  rm->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    for (const auto& n : rm_names) {
      if (auto r = eng->remove_network(n); !r)
        *exit_code = report(r.error());
      else
        std::puts(n.c_str());
    }
  });

  auto* connect = network->add_subcommand("connect", "Connect a container to a network");
  static std::string connect_net, connect_container;
  static engine::NetworkRequest connect_req;
  connect->add_option("--ip", connect_req.ip, "IPv4 address (e.g., 172.30.100.104)");
  connect->add_option("--alias", connect_req.aliases, "Add network-scoped alias for the container")
      ->allow_extra_args(false);
  connect->add_option("network", connect_net, "NETWORK")->required();
  connect->add_option("container", connect_container, "CONTAINER")->required();
  connect->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    if (auto r = eng->connect_network(connect_net, connect_container, connect_req); !r) *exit_code = report(r.error());
  });

  auto* disconnect = network->add_subcommand("disconnect", "Disconnect a container from a network");
  static std::string disconnect_net, disconnect_container;
  static bool disconnect_force = false;
  disconnect->add_flag("-f,--force", disconnect_force, "Force the container to disconnect from a network");
  disconnect->add_option("network", disconnect_net, "NETWORK")->required();
  disconnect->add_option("container", disconnect_container, "CONTAINER")->required();
  disconnect->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    if (auto r = eng->disconnect_network(disconnect_net, disconnect_container); !r) *exit_code = report(r.error());
  });

  auto* inspect = network->add_subcommand("inspect", "Display detailed information on one or more networks");
  static std::vector<std::string> inspect_names;
  static std::string inspect_format;
  inspect->add_option("networks", inspect_names, "NETWORK...")->required();
  inspect->add_option("-f,--format", inspect_format, "Format the output using a Go template ({{.IPAM.Config}})");
  inspect->callback([&g, exit_code] { *exit_code = inspect_networks(g, inspect_names, inspect_format); });

  auto* prune = network->add_subcommand("prune", "Remove all unused networks");
  static bool prune_force = false;
  prune->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  prune->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto gone = eng->prune_networks();
    if (!gone) return void(*exit_code = report(gone.error()));
    if (!gone->empty()) std::puts("Deleted Networks:");
    for (const auto& n : *gone) std::puts(n.name.c_str());
  });
}

}  // namespace berth::cli
