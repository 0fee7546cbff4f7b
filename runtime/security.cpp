// The last locks before execve: seccomp, capabilities, no_new_privs.
//
// Ordering (the way runc does it, for the same reasons):
//  - with no_new_privs: switch user, drop capabilities, set no_new_privs, and load seccomp
//    last, so the filter never has to allow the setup syscalls;
//  - without it: seccomp(2) requires CAP_SYS_ADMIN to install a filter, so the filter is
//    loaded *before* the user switch and the capability drop, while we still have it. The
//    default profile allows setresuid, capset and prctl, which come after.
// Read: seccomp(2), capabilities(7), prctl(2) PR_SET_NO_NEW_PRIVS.
#include <sys/prctl.h>

#include "base/trace.h"
#include "runtime/capabilities.h"
#include "runtime/seccomp.h"
#include "runtime/step_functions.h"

namespace berth::runtime {

Result<> load_seccomp_filter(ContainerContext& ctx) {
  if (!ctx.seccomp) return {};
  return ctx.seccomp->load();
}

Result<> drop_capabilities(ContainerContext& ctx) {
  ASSIGN_OR_RETURN(CapabilitySets sets, parse_capabilities(ctx.spec.process.capabilities));
  return apply_capabilities(sets);
}

Result<> set_no_new_privileges(ContainerContext&) {
  // setuid binaries and file capabilities no longer raise privileges after this.
  trace_syscall("prctl(PR_SET_NO_NEW_PRIVS, 1)");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return sys_error("prctl PR_SET_NO_NEW_PRIVS");
  return {};
}

}  // namespace berth::runtime
