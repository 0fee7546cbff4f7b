// Container setup as a table of named steps (shared/STYLE.md section 5).
//
// Each step is one small function with a name and one sentence of why. The runner executes
// them in order, narrates them under --trace, and stops at the first error, naming the step:
//   preparing container: step pivot_root: pivot_root ".": Invalid argument
// `run`, `exec` (later) and `berth oci` share the table and differ only in what they enable.
#pragma once

#include <span>

#include "base/result.h"
#include "runtime/context.h"

namespace berth::runtime {

struct Step {
  const char* name;
  const char* why;
  Result<> (*run)(ContainerContext&);
  // nullptr = always; otherwise the step runs only when this says so.
  bool (*enabled)(const ContainerContext&) = nullptr;
};

// Runs `first`, then `then`, numbering them as one list for --trace.
Result<> run_steps(std::span<const Step> first, std::span<const Step> then, ContainerContext& ctx);

// Defined in runtime/container_steps.cpp. A new container: from "wait for the parent"
// through its mounts and root filesystem (container_steps), then what shapes the process
// itself up to execve(2) (process_steps), which `exec` shares (runtime/exec.cpp).
std::span<const Step> container_steps();
std::span<const Step> process_steps();

}  // namespace berth::runtime
