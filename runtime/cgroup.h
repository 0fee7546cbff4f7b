// Control groups: how berth limits and accounts a container's memory, CPU, processes and
// devices, on cgroup v1, cgroup v2, or a mix of both ("hybrid"), behind one interface.
//
// Read: Documentation/admin-guide/cgroup-v2.rst (the unified hierarchy), and for v1
// Documentation/admin-guide/cgroup-v1/{cgroups,memory,cpusets,devices,pids}.rst; the OCI
// runtime spec, config-linux.md "Control groups".
//
// A cgroup is a directory in a special filesystem. Moving a process into it means writing its
// pid into the directory's cgroup.procs file; its children are born inside it. Each
// *controller* (memory, cpu, pids, ...) adds files to the directory: writing "33554432" into
// memory.max caps the group's memory at 32 MiB. In v1 every controller has its own directory
// tree (a "hierarchy", mounted at /sys/fs/cgroup/<controller>), so a container has one
// directory per controller. In v2 there is a single tree, and a parent chooses which
// controllers its children get by writing "+memory +pids" into its cgroup.subtree_control.
//
// After reading this header you should know which files berth writes for each limit
// (see cgroup_v1.cpp and cgroup_v2.cpp), and how a runtime uses a Cgroup:
//   1. Cgroup::create(layout, id, resources) before starting the container's process;
//   2. clone3(CLONE_INTO_CGROUP, v2_dir_fd()) on pure v2, or add_process(pid) before the
//      child execs (it waits on a pipe until the parent has done it);
//   3. release() once the container's state file records paths(); later,
//      Cgroup::open(layout, id).destroy() when the container is removed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/json.h"
#include "base/result.h"

namespace berth::runtime {

// Mirrors the OCI runtime spec linux.resources subset berth uses (config-linux.md
// "Control groups").
struct Resources {
  std::optional<int64_t> memory_limit;        // bytes
  std::optional<int64_t> memory_swap;         // memory+swap total (docker/OCI); -1 = unlimited
  std::optional<int64_t> memory_reservation;  // soft limit, bytes
  std::optional<uint64_t> cpu_shares;         // v1 cpu.shares (2..262144); v2 -> cpu.weight
  std::optional<int64_t> cpu_quota;           // microseconds per period; from --cpus
  std::optional<uint64_t> cpu_period;         // microseconds, default 100000
  std::optional<std::string> cpuset_cpus, cpuset_mems;  // "0-2,4"
  std::optional<int64_t> pids_limit;          // <= 0 = unlimited ("max")
  // One line of the device allowlist. type 'a' (all), 'c' (char) or 'b' (block);
  // major/minor -1 = any; access is a subset of "rwm" (read, write, mknod).
  struct DeviceRule {
    bool allow = false;
    char type = 'a';
    int64_t major = -1, minor = -1;
    std::string access = "rwm";
    bool operator==(const DeviceRule&) const = default;
  };
  std::vector<DeviceRule> devices;  // applied in order: a later rule overrides an earlier one
  bool operator==(const Resources&) const = default;
};

// OCI JSON (the value of "linux.resources") -> Resources; errors name the key.
Result<Resources> resources_from_json(const Json& linux_resources);
Json resources_to_json(const Resources& res);

// v2 cpu.weight (1..10000) from v1 cpu.shares (2..262144), the conversion runc and crun use.
uint64_t cpu_weight_from_shares(uint64_t shares);

enum class CgroupVersion { kNone, kV1, kV2 };

// Which controllers this host offers, and where. Build it with detect_cgroup_layout().
struct CgroupLayout {
  // The cgroup2 mount point: "/sys/fs/cgroup" on a pure v2 host, "/sys/fs/cgroup/unified" on
  // a hybrid one; empty when cgroup2 is not mounted.
  std::string unified_mount;
  // What the unified root offers to its children (its cgroup.controllers).
  std::vector<std::string> unified_controllers;
  // v1 controller -> mount point of its hierarchy. Co-mounted controllers ("cpu,cpuacct")
  // map to the same path.
  std::map<std::string, std::string, std::less<>> v1_mounts;
  // Controllers the kernel lists in /proc/self/cgroup that nobody mounted: ignored.
  std::vector<std::string> unmounted;
  // Where containers live below each hierarchy root: <root>/<parent>/<name>. A relative path;
  // rootless mode points it into its delegated subtree.
  std::string parent = "berth";

  // Tests play the kernel's part in a temporary tree: the kernel fills a new cgroup directory
  // with its interface files and lets rmdir remove a directory that still lists them.
  // Unset in production.
  std::function<void(const std::string& dir)> on_mkdir;
  std::function<void(const std::string& dir)> on_rmdir;

  // v2 when the unified root lists the controller, else v1 where it is mounted, else none.
  // "devices" and "freezer" are built into every v2 cgroup (a BPF program, cgroup.freeze);
  // "cpuacct" exists only in v1 (v2's cpu.stat is always there).
  CgroupVersion version_of(std::string_view controller) const;
  // The hierarchy root that serves a controller ("" when unavailable).
  std::string root_of(std::string_view controller) const;
  // Only cgroup2 is mounted: no v1 controller hierarchy at all.
  bool pure_v2() const;
};

// Reads /proc/self/mountinfo, /proc/self/cgroup and the unified root's cgroup.controllers,
// once per process.
CgroupLayout detect_cgroup_layout();
// The same from given texts; cgroup.controllers is read below the cgroup2 mount point the
// mountinfo names (tests write mountinfo lines that point into a temporary directory).
CgroupLayout detect_cgroup_layout(const std::string& mountinfo,
                                  const std::string& proc_self_cgroup);
// "cgroup v2 (memory pids cpu cpuset)", "cgroup v1 (memory pids cpu cpuset devices)",
// "hybrid: v1 memory pids cpu cpuset devices; v2 none".
std::string describe(const CgroupLayout& layout);

// One container's cgroup: <root>/berth/<name> under each hierarchy root it uses. RAII: the
// destructor kills every process still inside and removes the directories, unless released.
class Cgroup {
 public:
  // Creates the directories and writes the limits. Any failure removes what was made.
  // A limit for an unavailable controller fails with
  //   cgroup controller "cpuset" is not available on this host
  // and a value the kernel refuses names the file:
  //   setting memory limit: write "/sys/fs/cgroup/memory/berth/ID/memory.limit_in_bytes" = "4096": Device or resource busy
  static Result<Cgroup> create(const CgroupLayout& layout, const std::string& name,
                               const Resources& res);
  // Reopens an existing cgroup (cleanup after a crash, stats). ENOENT when none of its
  // directories exists. The handle does not own the cgroup (its destructor leaves it alone,
  // so reading stats never kills a container); call destroy() to remove it.
  static Result<Cgroup> open(const CgroupLayout& layout, const std::string& name);

  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&& other) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  // Moves a process (and all its threads) into every directory of this cgroup (or only
  // the v2 one: the child joins the v1 ones itself, see v1_task_files).
  Result<> add_process(pid_t pid, bool v2_only = false);
  // The v1 `tasks` files. Writing "0" into one moves the writing *thread* only, and the
  // kernel then skips the global lock that makes a cgroup.procs write wait for an RCU
  // grace period (~10 ms): a single-threaded child moving itself joins its v1 cgroups
  // in microseconds.
  std::vector<std::string> v1_task_files() const;
  // Some of its directories are on cgroup v2.
  bool has_v2() const;
  // An O_PATH|O_DIRECTORY fd of the v2 directory, for clone3(CLONE_INTO_CGROUP), when this
  // cgroup lives entirely in v2 (nullopt on v1 and hybrid hosts).
  std::optional<int> v2_dir_fd() const;
  // docker pause/unpause: freezes (thaws) every process inside, through the v1 freezer's
  // freezer.state or v2's cgroup.freeze, and waits until the kernel reports it done.
  Result<> set_frozen(bool frozen);
  // SIGKILLs every process inside and waits (briefly) until they have left.
  Result<> kill_all();
  // kill_all, then rmdir every directory (ENOENT is fine; EBUSY is retried briefly).
  Result<> destroy();
  // Hands ownership off: the destructor will leave the cgroup alone.
  void release();

  // The kernel's OOM killer killed a process in this cgroup.
  bool oom_killed() const;
  struct Stats {
    uint64_t memory_usage = 0, memory_limit = 0 /* 0 = unlimited */, pids = 0, cpu_usage_ns = 0;
  };
  Result<Stats> stats() const;
  // The host pids of every process inside (from cgroup.procs).
  std::vector<pid_t> pids_inside() const;
  // Every directory it owns (for the state file and cleanup).
  std::vector<std::string> paths() const;
  const std::string& name() const { return name_; }
  // Requests that could not be honoured on this host and were skipped (e.g. a swap limit
  // when swap accounting is off), in words for the user.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Cgroup() = default;
  struct Dir;
  Result<> create_dir(const Dir& dir);
  Result<> apply(const Resources& res);
  Result<> remove_dirs();
  void freeze(bool frozen);

  struct Dir {
    std::string root;  // the hierarchy's mount point
    std::string path;  // <root>/<parent>/<name>
    CgroupVersion version;
    std::vector<std::string> controllers;  // the ones berth uses from this hierarchy
  };
  const Dir* dir_for(std::string_view controller) const;

  CgroupLayout layout_;
  std::string name_;
  std::vector<Dir> dirs_;
  Fd v2_fd_;
  std::vector<std::string> warnings_;
  bool owned_ = false;
};

// ---- Shared by cgroup*.cpp (one file per cgroup version, one function per controller). ----
namespace cgroup_detail {

// Writes one interface file, narrated with --trace; the error names file and value.
Result<> write_value(const std::string& dir, const std::string& file, const std::string& value);
// Reads one interface file, trailing newline removed.
Result<std::string> read_value(const std::string& dir, const std::string& file);
// "key value" lines (memory.events, cpu.stat, memory.oom_control) -> the value of key.
std::optional<uint64_t> find_key(const std::string& text, std::string_view key);

// Writes the limits of one controller into a directory (v1 hierarchy or v2 cgroup).
// The warnings vector collects requests skipped on this host.
Result<> apply_v1_memory(const std::string& dir, const Resources& res,
                         std::vector<std::string>& warnings);
Result<> apply_v1_cpu(const std::string& dir, const Resources& res);
Result<> apply_v1_cpuset(const std::string& dir, const Resources& res);
Result<> apply_v1_pids(const std::string& dir, const Resources& res);
// v1 cpuset quirk: a new cpuset cgroup starts empty; copy the parent's cpus and mems.
Result<> inherit_v1_cpuset(const std::string& dir);

Result<> apply_v2_memory(const std::string& dir, const Resources& res,
                         std::vector<std::string>& warnings);
Result<> apply_v2_cpu(const std::string& dir, const Resources& res);
Result<> apply_v2_cpuset(const std::string& dir, const Resources& res);
Result<> apply_v2_pids(const std::string& dir, const Resources& res);
// Writes "+memory +pids ..." for the controllers not yet enabled in dir/cgroup.subtree_control.
Result<> enable_v2_controllers(const std::string& dir, const std::vector<std::string>& controllers);

// Devices (cgroup_devices.cpp): v1 devices.deny/devices.allow; v2 an eBPF program.
Result<> apply_v1_devices(const std::string& dir, const std::vector<Resources::DeviceRule>& rules);
// One eBPF instruction (struct bpf_insn without the kernel header in this one).
struct BpfInsn {
  uint8_t code;
  uint8_t dst_src;  // dst_reg in the low nibble, src_reg in the high one
  int16_t off;
  int32_t imm;
};
// The BPF_PROG_TYPE_CGROUP_DEVICE program that returns 1 (allow) or 0 (deny) for a request.
std::vector<BpfInsn> compile_device_filter(const std::vector<Resources::DeviceRule>& rules);
// bpf(BPF_PROG_LOAD) the program, then bpf(BPF_PROG_ATTACH) it to the cgroup directory.
Result<> attach_v2_device_filter(int cgroup_dir_fd, const std::string& dir,
                                 const std::vector<Resources::DeviceRule>& rules);

}  // namespace cgroup_detail
// Moving a process into a cgroup (a write to cgroup.procs) takes a global kernel lock
// (cgroup_threadgroup_rwsem), and the first writer after a quiet spell waits for an RCU
// grace period: about 10 ms here, the largest single cost of starting a container on a
// host with v1 hierarchies. Any cgroup.procs write starts that wait, even one moving a
// process into the cgroup it is already in, and the writers that follow within a grace
// period are fast. So `berth run` starts one such write first thing, in a helper
// process, while it prepares the container, and the helper repeats it every 5 ms until
// berth is done: the real move later (by berth, or by the starter the shim runs for
// `run -d`) finds the lock warm. Pure v2 hosts start containers with CLONE_INTO_CGROUP, which does not take the
// lock: there this does nothing. Failures (no permission, rootless) are ignored: it is
// only a head start.
class AttachWarmup {
 public:
  AttachWarmup() = default;
  AttachWarmup(pid_t helper, Fd keep_going) : helper_(helper), keep_going_(std::move(keep_going)) {}
  AttachWarmup(AttachWarmup&& o) noexcept : helper_(o.helper_), keep_going_(std::move(o.keep_going_)) {
    o.helper_ = -1;
  }
  AttachWarmup& operator=(AttachWarmup&&) = delete;
  ~AttachWarmup();  // stops and reaps the helper

 private:
  pid_t helper_ = -1;
  Fd keep_going_;  // the helper runs until this pipe end closes
};
AttachWarmup warm_up_cgroup_attach(const CgroupLayout& layout);

}  // namespace berth::runtime
