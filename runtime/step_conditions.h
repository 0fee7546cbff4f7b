// When a setup step applies: the conditions shared by the container's step table
// (runtime/container_steps.cpp) and exec's (runtime/exec.cpp).
#pragma once

#include "runtime/context.h"

namespace berth::runtime {

inline bool terminal(const ContainerContext& c) { return c.spec.process.terminal; }
inline bool has_rlimits(const ContainerContext& c) { return !c.spec.process.rlimits.empty(); }
inline bool joins_cgroup_late(const ContainerContext& c) { return c.joins_cgroup_late; }
inline bool joins_cgroup_itself(const ContainerContext& c) { return !c.cgroup_task_files.empty(); }
inline bool no_new_privs(const ContainerContext& c) { return c.spec.process.no_new_privileges; }
// Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: load it before the user
// switch drops capabilities. With it, load it last, so it filters as little of berth as
// possible.
inline bool seccomp_before_user_switch(const ContainerContext& c) {
  return c.seccomp && !c.spec.process.no_new_privileges;
}
inline bool seccomp_last(const ContainerContext& c) { return c.seccomp && c.spec.process.no_new_privileges; }

}  // namespace berth::runtime
