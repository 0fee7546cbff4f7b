// What the `compose` verbs share (cli/cmd_compose.cpp registers them;
// cli/cmd_compose_attach.cpp has the ones that stream: logs, foreground up, exec, run).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "compose/load.h"
#include "compose/stack.h"

namespace berth::cli {

// Every flag of every compose verb (CLI11 binds them to fields).
struct ComposeFlags {
  compose::LoadOptions load;
  std::vector<std::string> args;  // SERVICE... (or SERVICE PORT)
  // config, ps, ls
  bool services = false, volumes = false, quiet = false, all = false;
  std::string format;
  // up, create, down
  compose::UpOptions up;
  bool detach = false, build = false, no_build = false, abort_on_exit = false;
  std::string exit_code_from, pull, rmi;
  compose::BuildRequest build_request;  // compose build
  std::vector<std::string> build_args;  // compose build --build-arg
  std::vector<std::string> scale;
  int timeout = -1, wait_timeout = -1;
  bool volumes_flag = false;
  // logs
  bool follow = false, timestamps = false, no_color = false, no_prefix = false;
  std::string tail = "all", since, until;
  // kill, rm, port, wait
  std::string signal = "SIGKILL", protocol = "tcp";
  bool force = false, stop_first = false, down_project = false;
  int index = 0;
  // exec, run
  engine::ExecOptions exec;
  bool no_tty = false, remove = false, service_ports = false, interactive = false;
  std::vector<std::string> run_env, run_publish;
  std::string run_entrypoint = "\x01unset", run_name;
};

// Loads the project (-f, -p, ...), printing the loader's warnings as docker compose does.
Result<compose::Project> load_compose_project(const ComposeFlags& f);
// Loads the project, opens the engine, runs body on the stack; prints the warnings after.
int with_stack(const Globals& g, ComposeFlags& f, const std::function<int(compose::Stack&)>& body);

// compose logs; the foreground `up` (logs of every container until they all stop, Ctrl-C
// stops the stack); exec; run (cli/cmd_compose_attach.cpp).
int compose_logs(const Globals& g, ComposeFlags& f);
int attach_stack(compose::Stack& stack, const ComposeFlags& f);
int compose_exec(const Globals& g, ComposeFlags& f);
int compose_run(const Globals& g, ComposeFlags& f);

// Ctrl-C (and SIGTERM) while a foreground `up` runs: counted, not fatal (forked workers
// inherit the handler and finish what they started). `stop_after_interrupt` prints docker
// compose's "Gracefully stopping..." and stops the stack; it returns 130.
void catch_interrupts();
bool interrupted();
int stop_after_interrupt(compose::Stack& stack, const ComposeFlags& f);

}  // namespace berth::cli
