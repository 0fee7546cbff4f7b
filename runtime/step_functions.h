// The individual container setup steps. Each is small and named for what it does in the
// kernel's words; runtime/container_steps.cpp puts them in order and says why.
#pragma once

#include "base/result.h"
#include "runtime/context.h"

namespace berth::runtime {

// runtime/rootfs.cpp
Result<> make_mounts_private(ContainerContext& ctx);
Result<> mount_rootfs(ContainerContext& ctx);
Result<> mount_filesystems(ContainerContext& ctx);
Result<> mount_cgroup_filesystem(ContainerContext& ctx);
Result<> pivot_to_rootfs(ContainerContext& ctx);
Result<> mask_paths(ContainerContext& ctx);
Result<> make_paths_readonly(ContainerContext& ctx);
Result<> make_root_readonly(ContainerContext& ctx);

// runtime/devices.cpp
Result<> create_device_nodes(ContainerContext& ctx);

// runtime/console.cpp
Result<> open_console(ContainerContext& ctx);

// runtime/identity.cpp
Result<> wait_for_parent(ContainerContext& ctx);
Result<> wait_for_cgroup(ContainerContext& ctx);
Result<> join_cgroup(ContainerContext& ctx);
// runtime/container_steps.cpp: the last step, execve(2) of the resolved command.
Result<> exec_command(ContainerContext& ctx);
Result<> enter_cgroup_namespace(ContainerContext& ctx);
Result<> become_root_in_user_namespace(ContainerContext& ctx);
Result<> set_hostname(ContainerContext& ctx);
Result<> write_sysctls(ContainerContext& ctx);
Result<> set_rlimits(ContainerContext& ctx);
Result<> change_directory(ContainerContext& ctx);
Result<> find_executable(ContainerContext& ctx);
Result<> switch_user(ContainerContext& ctx);

// runtime/security.cpp
Result<> load_seccomp_filter(ContainerContext& ctx);
Result<> drop_capabilities(ContainerContext& ctx);
Result<> set_no_new_privileges(ContainerContext& ctx);

// runtime/loopback.cpp
Result<> bring_up_loopback(ContainerContext& ctx);

// runtime/init.cpp
Result<> start_init(ContainerContext& ctx);
Result<> close_inherited_fds(ContainerContext& ctx);

}  // namespace berth::runtime
