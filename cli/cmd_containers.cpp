// Container verbs available so far: ps and rm (the rest arrive with the shim).
#include <cstdio>
#include <ctime>
#include <map>

#include "base/clock.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_view.h"
#include "cli/filters.h"
#include "cli/table.h"

namespace berth::cli {

namespace {

// docker ps --filter KEY=VALUE. Keys: status, name (substring), id (prefix),
// restart-policy, label (KEY or KEY=VALUE).
Result<bool> matches(const std::vector<std::string>& filters, const engine::ContainerRecord& c,
                     const std::string& state) {
  return match_filters(filters, [&](const std::string& key, const std::string& value) -> Result<bool> {
    if (key == "status") return state == value;
    if (key == "name") return c.name.find(value) != std::string::npos;
    if (key == "id") return c.id.rfind(value, 0) == 0;
    if (key == "restart-policy") return c.options.value("RestartPolicy", "no").substr(0, value.size()) == value;
    if (key == "label") return label_matches(engine::RunOptions::labels_from_json(c.options), value);
    return fail("invalid filter", key);
  });
}

int list_containers(const Globals& g, bool all, bool quiet, const std::string& format,
                    const std::vector<std::string>& filters) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto list = eng->containers();
  if (!list) return report(list.error());
  auto nets = eng->networks().value_or(std::vector<engine::NetworkRecord>{});
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *list) {
    bool alive = eng->store().is_alive(c);
    std::vector<std::string> ports;
    if (alive)
      for (const auto& p : engine::published_ports(nets, c.id)) ports.push_back(p.to_string());
    std::string ports_text = join(ports, ", ");
    // docker: a status filter shows non-running containers without -a too.
    bool by_status = std::any_of(filters.begin(), filters.end(),
                                 [](const std::string& f) { return f.rfind("status=", 0) == 0; });
    if (!all && !alive && !by_status) continue;
    auto ok = matches(filters, c, state_of(c, alive));
    if (!ok) return report(ok.error());
    if (!*ok) continue;
    if (quiet) {
      std::puts(c.id.substr(0, 12).c_str());
      continue;
    }
    std::string cmd = command_text(c);
    int64_t age = seconds_since(c.created);
    std::string status = status_text(c, alive);
    if (format == "json") {
      Json j = {{"ID", c.id.substr(0, 12)}, {"Image", c.image}, {"Command", cmd},
                {"CreatedAt", c.created},   {"Status", status},  {"State", state_of(c, alive)},
                {"Names", c.name},          {"Ports", ports_text}};
      std::puts(j.dump().c_str());
      continue;
    }
    rows.push_back({c.id.substr(0, 12), c.image, cmd, human_duration_ago(age < 0 ? 0 : age), status,
                    ports_text, c.name});
  }
  if (!quiet && format != "json")
    print_table({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}, rows);
  return 0;
}

}  // namespace

void register_container_commands(CLI::App& app, Globals& g, int* exit_code) {
  auto* ps = app.add_subcommand("ps", "List containers");
  static bool ps_all = false, ps_quiet = false;
  static std::string ps_format;
  static std::vector<std::string> ps_filters;
  ps->add_option("-f,--filter", ps_filters, "Filter output (status=, name=, id=, restart-policy=)")->allow_extra_args(false);
  ps->add_flag("-a,--all", ps_all, "Show all containers (default shows just running)");
  ps->add_flag("-q,--quiet", ps_quiet, "Only display container IDs");
  ps->add_option("--format", ps_format, "json: one JSON object per line")
      ->check(CLI::IsMember({"", "json", "table"}));
  ps->callback([&g, exit_code] { *exit_code = list_containers(g, ps_all, ps_quiet, ps_format, ps_filters); });

  auto* port = app.add_subcommand("port", "List port mappings or a specific mapping for the container");
  static std::string port_container, port_private;
  port->add_option("container", port_container, "CONTAINER")->required();
  port->add_option("private_port", port_private, "PRIVATE_PORT[/PROTO]");
  port->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto c = eng->find(port_container);
    if (!c) return void(*exit_code = report(c.error()));
    auto nets = eng->networks();
    if (!nets) return void(*exit_code = report(nets.error()));
    std::string want = port_private;
    if (!want.empty() && want.find('/') == std::string::npos) want += "/tcp";
    bool any = false;
    for (const auto& p : engine::published_ports(*nets, c->id)) {
      std::string key = std::to_string(p.container_port) + "/" + p.protocol;
      std::string host = p.to_string().substr(0, p.to_string().find("->"));
      if (want.empty())
        std::printf("%s -> %s\n", key.c_str(), host.c_str());
      else if (key == want)
        std::printf("%s\n", host.c_str());
      any |= want.empty() || key == want;
    }
    if (!any && !want.empty()) {
      std::fprintf(stderr, "Error: No public port '%s' published for %s\n", want.c_str(), port_container.c_str());
      *exit_code = 1;
    }
  });

  auto* rename = app.add_subcommand("rename", "Rename a container");
  static std::string rename_from, rename_to;
  rename->add_option("container", rename_from, "CONTAINER")->required();
  rename->add_option("new_name", rename_to, "NEW_NAME")->required();
  rename->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    if (auto r = eng->rename(rename_from, rename_to); !r) *exit_code = report(r.error());
  });

  // `container prune` and `system prune`: docker asks first unless -f.
  static bool prune_force = false, prune_all = false;
  auto confirm = [](const char* what) {
    if (prune_force) return true;
    std::printf("WARNING! This will remove:\n%sAre you sure you want to continue? [y/N] ", what);
    std::fflush(stdout);
    char answer[16] = "";
    if (!std::fgets(answer, sizeof answer, stdin)) return false;
    return answer[0] == 'y' || answer[0] == 'Y';
  };
  auto* container = app.add_subcommand("container", "Manage containers");
  auto* cprune = container->add_subcommand("prune", "Remove all stopped containers");
  cprune->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  cprune->callback([&g, exit_code, confirm] {
    if (!confirm("  - all stopped containers\n")) return;
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto gone = eng->prune_containers();
    if (!gone) return void(*exit_code = report(gone.error()));
    std::puts("Deleted Containers:");
    for (const auto& id : *gone) std::puts(id.c_str());
  });
  auto* system = app.add_subcommand("system", "Manage berth");
  auto* sprune = system->add_subcommand("prune", "Remove stopped containers and unused images");
  sprune->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  sprune->add_flag("-a,--all", prune_all, "Remove all unused images, not just dangling ones");
  static bool prune_volumes = false;
  sprune->add_flag("--volumes", prune_volumes, "Prune anonymous volumes");
  sprune->callback([&g, exit_code, confirm] {
    std::string what = prune_all ? "  - all stopped containers\n  - all images without at least one container associated to them\n"
                                 : "  - all stopped containers\n  - what crashed berth commands left behind\n";
    if (prune_volumes) what += "  - all anonymous volumes not used by at least one container\n";
    if (!confirm(what.c_str())) return;
    // Opening the engine already removed what crashed commands left (Engine::recover).
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto gone = eng->prune_containers();
    if (!gone) return void(*exit_code = report(gone.error()));
    if (!gone->empty()) std::puts("Deleted Containers:");
    for (const auto& id : *gone) std::puts(id.c_str());
    if (prune_volumes) {  // docker's --volumes: anonymous ones only
      auto vols = eng->prune_volumes(false);
      if (!vols) return void(*exit_code = report(vols.error()));
      if (!vols->names.empty()) std::puts("Deleted Volumes:");
      for (const auto& n : vols->names) std::puts(n.c_str());
    }
    if (!prune_all) return;  // berth's store has no dangling (untagged) images
    auto images = eng->prune_images();
    if (!images) return void(*exit_code = report(images.error()));
    if (!images->empty()) std::puts("Deleted Images:");
    for (const auto& i : *images) std::puts(i.c_str());
  });

  // podman's `system reset`: everything of this state root, gone.
  auto* reset = system->add_subcommand("reset", "Remove all containers, networks, volumes and images, and their state");
  reset->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  reset->callback([&g, exit_code, confirm] {
    if (!confirm("  - all containers (running ones are killed)\n  - all networks, their bridges, DNS servers and "
                 "nftables rules\n  - all volumes\n  - all images\n  - the state under the root directory\n"))
      return;
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    if (auto r = eng->reset(); !r) *exit_code = report(r.error());
  });

  auto* rm = app.add_subcommand("rm", "Remove one or more containers");
  static std::vector<std::string> rm_names;
  static bool rm_force = false;
  rm->add_option("containers", rm_names, "CONTAINER...")->required();
  rm->add_flag("-f,--force", rm_force, "Force the removal of a running container (uses SIGKILL)");
  static bool rm_volumes = false;
  rm->add_flag("-v,--volumes", rm_volumes, "Remove anonymous volumes associated with the container");
  rm->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto results = eng->remove_containers(rm_names, rm_force, rm_volumes);
    for (size_t i = 0; i < rm_names.size(); i++) {
      if (!results[i])
        *exit_code = report(results[i].error());
      else
        std::puts(rm_names[i].c_str());
    }
  });
}

}  // namespace berth::cli
