// What the engine tells a container's shim, and what the shim and berth say to each other.
//
// The shim (runtime/shim/main.cpp) is a small static program, one per detached container.
// It is started by `berth start` (and `run -d`) with a config file, and calls back into the
// full berth binary for anything that needs the engine:
//
//   berth [--root R] internal start ID      (the "starter", fd 3 = a report socket)
//       starts the container's command and reports "ok PID" (plus the console fd for -t)
//       or "error MESSAGE" on fd 3, then exits; the shim, a subreaper, inherits the
//       container process.
//   berth [--root R] internal exited ID CODE SIGNAL [final]
//       records the exit, removes the cgroup, applies --rm and the restart policy; exits
//       kExitRestart when the shim should start the container again (after a backoff).
//   berth [--root R] internal health ID
//       runs the healthcheck once in the container and records the result.
//
// The config file is key=value lines, one per key, values unescaped except that an
// argument list ("berth_args") uses the unit separator (0x1f) between arguments. "proxy"
// may appear once per published port the shim serves itself (the userland proxy,
// runtime/port_proxy.h), as five space-separated fields:
//   proxy=PROTOCOL HOST_IP HOST_PORT TARGET_IP TARGET_PORT     e.g.  proxy=tcp 0.0.0.0 8080 172.18.0.2 80
// "hold" once per published port that nftables serves, which the shim only holds
// (hold_port) for its whole life, so that nothing else on the host binds it:
//   hold=PROTOCOL HOST_IP HOST_PORT                             e.g.  hold=tcp 0.0.0.0 8080
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/port_proxy.h"

namespace berth::runtime {

inline constexpr int kExitRestart = 10;  // `internal exited`: start it again

struct ShimConfig {
  std::string id;
  std::vector<std::string> berth;  // argv prefix to call berth: {"/usr/bin/berth", "--root", R}
  std::string run_dir;             // <run>/containers/<id>: lock, shim.conf
  std::string log_path;
  uint64_t log_max_size = 0;
  int log_max_files = 1;
  bool tty = false;
  bool interactive = false;  // keep the container's stdin open (a pipe nobody writes yet)
  // Every this many ms while the container runs: `berth internal health ID` (0 = never).
  int64_t health_interval_ms = 0;
  // Published ports served by the shim's userland proxy, open for the shim's whole life
  // (across restarts: the container keeps its address); empty when nftables serves them.
  std::vector<ProxyRule> proxy;
  // Published ports that nftables serves, held by the shim for its whole life (only their
  // protocol, host_ip and host_port are used).
  std::vector<ProxyRule> hold;

  std::string format() const;
  static Result<ShimConfig> parse(const std::string& text);
};

}  // namespace berth::runtime
