// cgroup v1: one directory tree per controller, one function per controller.
//
// Read: Documentation/admin-guide/cgroup-v1/memory.rst (limit_in_bytes, memsw, soft limits,
// oom_control), cgroup-v1/cpusets.rst, cgroup-v1/pids.rst, and scheduler/sched-design-CFS.rst
// plus scheduler/sched-bwc.rst for cpu.shares and the CFS bandwidth files.
//
// In v1, /sys/fs/cgroup/memory is the memory controller's own tree and
// /sys/fs/cgroup/cpu the CPU controller's. A container has a directory in each tree
// (memory/berth/ID, cpu/berth/ID, ...), and its pid must be written into every one of them.
//
// What each limit means:
//   memory.limit_in_bytes      RAM the group may use before the kernel reclaims, then
//                              OOM-kills inside the group.
//   memory.memsw.limit_in_bytes  RAM + swap together (docker's --memory-swap); the file
//                              exists only when the kernel accounts swap (swapaccount=1).
//   memory.soft_limit_in_bytes  where reclaim pushes the group back to under memory pressure.
//   cpu.shares                 relative weight when CPUs are contended (default 1024).
//   cpu.cfs_quota_us / cpu.cfs_period_us  at most quota microseconds of CPU time every
//                              period: --cpus 1.5 is 150000 per 100000.
//   cpuset.cpus / cpuset.mems  which CPUs and NUMA memory nodes the group may use.
//   pids.max                   how many processes and threads may exist in the group.
#include <string>

#include "base/fs.h"
#include "runtime/cgroup.h"

namespace berth::runtime::cgroup_detail {

Result<> apply_v1_memory(const std::string& dir, const Resources& res,
                         std::vector<std::string>& warnings) {
  // memsw must stay >= limit at every moment: the limit goes first, which works from a
  // fresh cgroup where both are unlimited.
  if (res.memory_limit) {
    TRY_CTX(write_value(dir, "memory.limit_in_bytes", std::to_string(*res.memory_limit)),
            "setting memory limit");
  }
  if (res.memory_swap && *res.memory_swap != 0) {
    if (!path_exists(dir + "/memory.memsw.limit_in_bytes")) {
      warnings.push_back(
          "memory+swap limit ignored: the kernel does not account swap "
          "(memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)");
    } else {
      TRY_CTX(write_value(dir, "memory.memsw.limit_in_bytes", std::to_string(*res.memory_swap)),
              "setting memory+swap limit");
    }
  }
  if (res.memory_reservation) {
    TRY_CTX(write_value(dir, "memory.soft_limit_in_bytes",
                        std::to_string(*res.memory_reservation)),
            "setting memory reservation");
  }
  return {};
}

Result<> apply_v1_cpu(const std::string& dir, const Resources& res) {
  if (res.cpu_shares) {
    TRY_CTX(write_value(dir, "cpu.shares", std::to_string(*res.cpu_shares)),
            "setting cpu shares");
  }
  // The period first: the kernel checks quota against the period in force.
  if (res.cpu_period) {
    TRY_CTX(write_value(dir, "cpu.cfs_period_us", std::to_string(*res.cpu_period)),
            "setting cpu period");
  }
  if (res.cpu_quota) {
    std::string quota = *res.cpu_quota > 0 ? std::to_string(*res.cpu_quota) : "-1";
    TRY_CTX(write_value(dir, "cpu.cfs_quota_us", quota), "setting cpu quota");
  }
  return {};
}

// The classic v1 quirk: a new cpuset cgroup starts with *empty* cpuset.cpus and cpuset.mems,
// and the kernel refuses to attach a task to a cpuset with no CPUs or no memory nodes
// (ENOSPC from cgroup.procs). v2 fixed it (empty means "inherit"); in v1 we copy the parent's
// values into each new level, berth/ included, before anything else.
Result<> inherit_v1_cpuset(const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    ASSIGN_OR_RETURN_CTX(std::string mine, read_value(dir, file), "setting cpuset");
    if (!mine.empty()) continue;
    ASSIGN_OR_RETURN_CTX(std::string parents, read_value(dir_name(dir), file), "setting cpuset");
    TRY_CTX(write_value(dir, file, parents), "setting cpuset");
  }
  return {};
}

Result<> apply_v1_cpuset(const std::string& dir, const Resources& res) {
  if (res.cpuset_cpus) { TRY_CTX(write_value(dir, "cpuset.cpus", *res.cpuset_cpus), "setting cpuset"); }
  if (res.cpuset_mems) { TRY_CTX(write_value(dir, "cpuset.mems", *res.cpuset_mems), "setting cpuset"); }
  return {};
}

Result<> apply_v1_pids(const std::string& dir, const Resources& res) {
  if (!res.pids_limit) return {};
  std::string value = *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max";
  TRY_CTX(write_value(dir, "pids.max", value), "setting pids limit");
  return {};
}

}  // namespace berth::runtime::cgroup_detail
