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

Result<> run_steps(std::span<const Step> steps, ContainerContext& ctx);

// The steps that run inside the new namespaces, from "wait for the parent" to the last one
// before execve(2). Defined in runtime/container_steps.cpp.
std::span<const Step> container_steps();

}  // namespace berth::runtime
