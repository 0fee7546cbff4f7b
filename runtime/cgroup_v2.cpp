// cgroup v2: one tree for every controller, one function per controller.
//
// Read: Documentation/admin-guide/cgroup-v2.rst, sections "Controlling Controllers"
// (cgroup.subtree_control and the top-down constraint), "Memory" (memory.max, memory.low,
// memory.swap.max, memory.events), "CPU" (cpu.weight, cpu.max), "Cpuset" and "PID".
//
// In v2 a container is one directory, /sys/fs/cgroup/berth/ID. Its interface files appear
// only for controllers its parent enabled for its children: berth writes "+memory +pids"
// into /sys/fs/cgroup/cgroup.subtree_control and /sys/fs/cgroup/berth/cgroup.subtree_control
// before creating ID (cgroup.cpp). v2 also renamed and reshaped the v1 knobs:
//   memory.max       hard limit (v1 memory.limit_in_bytes); "max" = none
//   memory.swap.max  swap *alone*, not memory+swap: docker's --memory-swap 64m with
//                    --memory 32m becomes 32m of swap
//   memory.low       best-effort protection, the closest to v1's soft limit (--memory-reservation)
//   cpu.weight       1..10000, default 100 (v1 cpu.shares, converted)
//   cpu.max          "QUOTA PERIOD" in one file, "max PERIOD" for no quota
//   cpuset.cpus/.mems  empty means "as my parent": no copying, unlike v1
//   pids.max         same as v1
#include <algorithm>
#include <string>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/cgroup.h"

namespace berth::runtime::cgroup_detail {

Result<> enable_v2_controllers(const std::string& dir, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return {};
  // Read first so we write only what is missing: the file lists "memory pids" once enabled.
  auto current = read_value(dir, "cgroup.subtree_control");
  std::vector<std::string> enabled;
  if (current) {
    for (const auto& c : split(*current, ' '))
      enabled.push_back(c.starts_with("+") ? c.substr(1) : c);
  }
  std::vector<std::string> add;
  for (const auto& c : wanted)
    if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) add.push_back("+" + c);
  if (add.empty()) return {};
  TRY_CTX(write_value(dir, "cgroup.subtree_control", join(add, " ")),
          "enabling cgroup controllers");
  return {};
}

Result<> apply_v2_memory(const std::string& dir, const Resources& res,
                         std::vector<std::string>& warnings) {
  if (res.memory_limit) {
    std::string value = *res.memory_limit > 0 ? std::to_string(*res.memory_limit) : "max";
    TRY_CTX(write_value(dir, "memory.max", value), "setting memory limit");
  }
  if (res.memory_swap && *res.memory_swap != 0) {
    // OCI and docker give memory+swap; v2 wants swap alone (create() checked swap >= limit).
    std::string value = *res.memory_swap < 0
                            ? "max"
                            : std::to_string(*res.memory_swap - res.memory_limit.value_or(0));
    if (!path_exists(dir + "/memory.swap.max")) {
      warnings.push_back(
          "memory+swap limit ignored: the kernel does not account swap (memory.swap.max is "
          "missing)");
    } else {
      TRY_CTX(write_value(dir, "memory.swap.max", value), "setting memory+swap limit");
    }
  }
  if (res.memory_reservation) {
    TRY_CTX(write_value(dir, "memory.low", std::to_string(*res.memory_reservation)),
            "setting memory reservation");
  }
  return {};
}

Result<> apply_v2_cpu(const std::string& dir, const Resources& res) {
  if (res.cpu_shares) {
    TRY_CTX(write_value(dir, "cpu.weight", std::to_string(cpu_weight_from_shares(*res.cpu_shares))),
            "setting cpu weight");
  }
  if (res.cpu_quota || res.cpu_period) {
    std::string quota =
        res.cpu_quota && *res.cpu_quota > 0 ? std::to_string(*res.cpu_quota) : "max";
    std::string value = quota + " " + std::to_string(res.cpu_period.value_or(100000));
    TRY_CTX(write_value(dir, "cpu.max", value), "setting cpu quota");
  }
  return {};
}

Result<> apply_v2_cpuset(const std::string& dir, const Resources& res) {
  if (res.cpuset_cpus) { TRY_CTX(write_value(dir, "cpuset.cpus", *res.cpuset_cpus), "setting cpuset"); }
  if (res.cpuset_mems) { TRY_CTX(write_value(dir, "cpuset.mems", *res.cpuset_mems), "setting cpuset"); }
  return {};
}

Result<> apply_v2_pids(const std::string& dir, const Resources& res) {
  if (!res.pids_limit) return {};
  std::string value = *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max";
  TRY_CTX(write_value(dir, "pids.max", value), "setting pids limit");
  return {};
}

}  // namespace berth::runtime::cgroup_detail
