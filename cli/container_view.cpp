#include "cli/container_view.h"

#include "base/clock.h"
#include "base/strings.h"

namespace berth::cli {

// A container whose `berth run` holds the lock but has not yet started the command is
// still "created"; it only counts as running once the record says so.
std::string state_of(const engine::ContainerRecord& c, bool alive) {
  if (!alive) return c.status;
  if (c.status == "created") return "created";
  return c.paused ? "paused" : "running";
}

std::string status_text(const engine::ContainerRecord& c, bool alive) {
  std::string state = state_of(c, alive);
  if (state == "running" || state == "paused") {
    int64_t up = seconds_since(c.started_at);
    std::string ago = human_duration_ago(up < 0 ? 0 : up);
    std::string text = "Up " + ago.substr(0, ago.size() - 4);  // "Up 3 minutes"
    if (state == "paused") return text + " (Paused)";  // docker: "Up 3 minutes (Paused)"
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

std::string command_text(const engine::ContainerRecord& c) {
  std::string cmd = "\"" + join(c.command, " ") + "\"";
  if (cmd.size() > 22) cmd = cmd.substr(0, 20) + "…\"";
  return cmd;
}

}  // namespace berth::cli
