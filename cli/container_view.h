// How a container is shown: its state word, docker's STATUS and COMMAND columns.
// Shared by `ps` and `compose ps`.
#pragma once

#include <string>

#include "engine/container_store.h"

namespace berth::cli {

// "running", "created", "exited", "restarting" (`alive`: ContainerStore::is_alive).
std::string state_of(const engine::ContainerRecord& c, bool alive);
// docker's STATUS: "Up 3 minutes (healthy)", "Exited (0) 2 seconds ago", "Created".
std::string status_text(const engine::ContainerRecord& c, bool alive);
// docker's COMMAND column: the command quoted, cut at 20 characters.
std::string command_text(const engine::ContainerRecord& c);

}  // namespace berth::cli
