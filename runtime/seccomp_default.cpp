// The default seccomp profile, as data: equivalent in effect to Docker's default allowlist.
//
// Read: seccomp(2), seccomp_rule_add(3) for the argument comparisons, OCI runtime-spec
// config-linux.md "Seccomp", capabilities(7) for why each conditional group is tied to the
// capability it names. Docker documents the intent at docs.docker.com/engine/security/seccomp.
//
// How it is organised:
//  1. the default action: fail with EPERM, so a call the profile does not know fails the way
//     a missing permission does, and programs take their usual fallback path;
//  2. the big unconditional allowlist: what ordinary programs (shells, language runtimes,
//     web servers, the dynamic loader) use. Note what is absent: keyctl/add_key/request_key
//     (the kernel keyring is not namespaced), kexec_*, swapon/swapoff, userfaultfd (a tool
//     for winning kernel races), io_uring_* (a large attack surface that seccomp cannot see
//     into), the obsolete calls (uselib, ustat, sysfs, _sysctl, nfsservctl, vm86*);
//  3. argument filters: personality() only with the harmless personas, socket() for every
//     family except AF_VSOCK (the host/guest channel), clone() only without CLONE_NEW*
//     flags, clone3() answered with ENOSYS (its flags live in memory, where a filter cannot
//     look, so libc is told "no such call" and falls back to clone());
//  4. calls allowed only when the container holds the capability that makes them useful
//     (mount needs CAP_SYS_ADMIN anyway; the filter removes the kernel code behind it from
//     reach of everyone else);
//  5. per-architecture calls (arch_prctl on x86_64, cacheflush on arm, ...).
//
// Deliberately stricter than Docker: ptrace, process_vm_readv/writev and kcmp are only
// allowed with CAP_SYS_PTRACE (Docker allows them on kernels >= 4.8).
#include "runtime/seccomp.h"

namespace berth::runtime {

namespace {

// Compact constructors for the table below.
SeccompRuleGroup allow(std::vector<std::string> names) {
  SeccompRuleGroup g;
  g.names = std::move(names);
  g.action = "SCMP_ACT_ALLOW";
  return g;
}
SeccompArg arg(unsigned index, const char* op, uint64_t value, uint64_t value_two = 0) {
  SeccompArg a;
  a.index = index;
  a.op = op;
  a.value = value;
  a.value_two = value_two;
  return a;
}
SeccompRuleGroup allow_with_cap(std::string cap, std::vector<std::string> names) {
  SeccompRuleGroup g = allow(std::move(names));
  g.includes.caps = {std::move(cap)};
  return g;
}
SeccompRuleGroup allow_on_arches(std::vector<std::string> arches, std::vector<std::string> names) {
  SeccompRuleGroup g = allow(std::move(names));
  g.includes.arches = std::move(arches);
  return g;
}
SeccompRuleGroup allow_if_arg(std::string name, SeccompArg a) {
  SeccompRuleGroup g = allow({std::move(name)});
  g.args = {std::move(a)};
  return g;
}

// personality(2) personas that change nothing dangerous: PER_LINUX, PER_LINUX32, UNAME26,
// UNAME26|PER_LINUX32, and 0xffffffff (the query). ADDR_NO_RANDOMIZE and friends, which
// switch off ASLR or make page 0 mappable, stay blocked.
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|
// CLONE_NEWNET: creating any namespace needs CAP_SYS_ADMIN (user namespaces excepted, and
// those are exactly the ones to keep away from a container: CVE-2022-0185 and many more
// were reached through an unprivileged user namespace). CLONE_NEWTIME (0x80) cannot be
// tested in clone()'s flags: those bits carry the exit signal there.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

constexpr unsigned kAfVsock = 40;

DockerSeccompProfile build() {
  DockerSeccompProfile p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = EPERM;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_PPC64LE", {}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };

  auto& s = p.syscalls;
  // 2. The unconditional allowlist, alphabetical. The *32/*64 variants are the 32-bit
  // ABIs' names for the same calls (x86 and arm run under an x86_64/aarch64 kernel).
  // clang-format off
  s.push_back(allow({
      "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
      "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
      "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
      "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
      "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
      "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
      "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
      "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
      "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
      "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
      "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
      "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
      "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
      "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
      "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
      "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
      "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday",
      "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
      "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
      "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
      "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
      "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
      "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
      "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
      "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
      "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
      "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
      "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
      "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
      "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
      "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
      "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
      "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
      "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
      "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
      "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
      "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
      "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
      "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
      "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
      "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
      "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
      "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
      "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
      "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
      "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
      "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64",
      "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
      "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
      "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
      "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
      "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
      "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
      "waitpid", "write", "writev",
  }));
  // clang-format on

  // 3. Argument filters.
  for (uint64_t persona : kPersonalities)
    s.push_back(allow_if_arg("personality", arg(0, "SCMP_CMP_EQ", persona)));
  s.push_back(allow_if_arg("socket", arg(0, "SCMP_CMP_NE", kAfVsock)));
  {
    // clone(flags, ...) without namespace flags; s390 swaps the first two arguments.
    SeccompRuleGroup g =
        allow_if_arg("clone", arg(0, "SCMP_CMP_MASKED_EQ", kCloneNamespaceFlags, 0));
    g.excludes.caps = {"CAP_SYS_ADMIN"};
    g.excludes.arches = {"s390", "s390x"};
    s.push_back(std::move(g));
    SeccompRuleGroup s390 =
        allow_if_arg("clone", arg(1, "SCMP_CMP_MASKED_EQ", kCloneNamespaceFlags, 0));
    s390.includes.arches = {"s390", "s390x"};
    s390.excludes.caps = {"CAP_SYS_ADMIN"};
    s.push_back(std::move(s390));
    SeccompRuleGroup clone3;
    clone3.names = {"clone3"};
    clone3.action = "SCMP_ACT_ERRNO";
    clone3.errno_ret = ENOSYS;
    clone3.excludes.caps = {"CAP_SYS_ADMIN"};
    s.push_back(std::move(clone3));
  }

  // 4. Calls that only make sense with a capability, each group behind the one it needs.
  s.push_back(allow_with_cap("CAP_DAC_READ_SEARCH", {"open_by_handle_at"}));
  s.push_back(allow_with_cap(
      "CAP_SYS_ADMIN",
      {"bpf",           "clone",       "clone3",        "fanotify_init",   "fsconfig",
       "fsmount",       "fsopen",      "fspick",        "lookup_dcookie",  "mount",
       "mount_setattr", "move_mount",  "open_tree",     "perf_event_open", "pivot_root",
       "quotactl",      "quotactl_fd", "setdomainname", "sethostname",     "setns",
       "syslog",        "umount",      "umount2",       "unshare"}));
  s.push_back(allow_with_cap("CAP_SYS_BOOT", {"reboot"}));
  s.push_back(allow_with_cap("CAP_SYS_CHROOT", {"chroot"}));
  s.push_back(allow_with_cap("CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}));
  s.push_back(allow_with_cap("CAP_SYS_PACCT", {"acct"}));
  s.push_back(allow_with_cap("CAP_SYS_PTRACE",
                             {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                              "process_vm_writev", "ptrace", "userfaultfd"}));
  s.push_back(allow_with_cap("CAP_SYS_RAWIO", {"iopl", "ioperm"}));
  s.push_back(allow_with_cap("CAP_SYS_TIME",
                             {"settimeofday", "stime", "clock_settime", "clock_settime64"}));
  s.push_back(allow_with_cap("CAP_SYS_TTY_CONFIG", {"vhangup"}));
  s.push_back(allow_with_cap(
      "CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}));
  s.push_back(allow_with_cap("CAP_SYSLOG", {"syslog"}));
  s.push_back(allow_with_cap("CAP_BPF", {"bpf"}));
  s.push_back(allow_with_cap("CAP_PERFMON", {"perf_event_open"}));

  // 5. Architecture-specific calls (Go arch names, as Docker's format uses).
  s.push_back(allow_on_arches({"amd64", "x32"}, {"arch_prctl"}));
  s.push_back(allow_on_arches({"amd64", "x32", "386"}, {"modify_ldt"}));
  s.push_back(allow_on_arches({"arm", "arm64"},
                              {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                               "breakpoint", "cacheflush", "set_tls"}));
  s.push_back(allow_on_arches({"ppc64le"}, {"sync_file_range2", "swapcontext"}));
  s.push_back(allow_on_arches({"s390", "s390x"},
                              {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}));
  s.push_back(allow_on_arches({"riscv64"}, {"riscv_flush_icache"}));
  return p;
}

}  // namespace

const DockerSeccompProfile& docker_default_profile() {
  static const DockerSeccompProfile profile = build();
  return profile;
}

}  // namespace berth::runtime
