// Container verbs available so far: ps and rm (the rest arrive with the shim).
#include <cstdio>
#include <ctime>

#include "base/clock.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/table.h"

namespace berth::cli {

namespace {


// A container whose `berth run` holds the lock but has not yet started the command is
// still "created"; it only counts as running once the record says so.
std::string state_of(const engine::ContainerRecord& c, bool alive) {
  if (!alive) return c.status;
  return c.status == "created" ? "created" : "running";
}

std::string status_text(const engine::ContainerRecord& c, bool alive) {
  if (state_of(c, alive) == "running") {
    int64_t up = seconds_since(c.started_at);
    std::string ago = human_duration_ago(up < 0 ? 0 : up);
    std::string text = "Up " + ago.substr(0, ago.size() - 4);  // "Up 3 minutes"
    if (c.health.is_object()) {  // docker: "Up 3 minutes (healthy)", "(health: starting)"
      std::string h = c.health.value("Status", "starting");
      text += h == "starting" ? " (health: starting)" : " (" + h + ")";
    }
    return text;
  }
  if (c.status == "restarting") {
    int64_t ago = seconds_since(c.finished_at);
    return "Restarting (" + std::to_string(c.exit_code) + ") " + human_duration_ago(ago < 0 ? 0 : ago);
  }
  if (c.status == "created") return "Created";
  int64_t ago = seconds_since(c.finished_at);
  return "Exited (" + std::to_string(c.exit_code) + ") " + human_duration_ago(ago < 0 ? 0 : ago);
}

int list_containers(const Globals& g, bool all, bool quiet, const std::string& format) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto list = eng->containers();
  if (!list) return report(list.error());
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *list) {
    bool alive = eng->store().is_alive(c);
    if (!all && !alive) continue;
    if (quiet) {
      std::puts(c.id.substr(0, 12).c_str());
      continue;
    }
    std::string cmd = "\"" + join(c.command, " ") + "\"";
    if (cmd.size() > 22) cmd = cmd.substr(0, 20) + "…\"";
    int64_t age = seconds_since(c.created);
    std::string status = status_text(c, alive);
    if (format == "json") {
      Json j = {{"ID", c.id.substr(0, 12)}, {"Image", c.image}, {"Command", cmd},
                {"CreatedAt", c.created},   {"Status", status},  {"State", state_of(c, alive)},
                {"Names", c.name}};
      std::puts(j.dump().c_str());
      continue;
    }
    rows.push_back({c.id.substr(0, 12), c.image, cmd, human_duration_ago(age < 0 ? 0 : age), status,
                    "", c.name});
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
  ps->add_flag("-a,--all", ps_all, "Show all containers (default shows just running)");
  ps->add_flag("-q,--quiet", ps_quiet, "Only display container IDs");
  ps->add_option("--format", ps_format, "json: one JSON object per line")
      ->check(CLI::IsMember({"", "json", "table"}));
  ps->callback([&g, exit_code] { *exit_code = list_containers(g, ps_all, ps_quiet, ps_format); });

  auto* rm = app.add_subcommand("rm", "Remove one or more containers");
  static std::vector<std::string> rm_names;
  static bool rm_force = false;
  rm->add_option("containers", rm_names, "CONTAINER...")->required();
  rm->add_flag("-f,--force", rm_force, "Force the removal of a running container (uses SIGKILL)");
  rm->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    for (const auto& n : rm_names) {
      if (auto r = eng->remove_container(n, rm_force); !r)
        *exit_code = report(r.error());
      else
        std::puts(n.c_str());
    }
  });
}

}  // namespace berth::cli
