// Control groups, the version-independent half: which hierarchy serves which controller on
// this host, the OCI "linux.resources" JSON, and the Cgroup object's life (mkdir, limits,
// kill, rmdir). The per-version files are cgroup_v1.cpp and cgroup_v2.cpp.
//
// Read: Documentation/admin-guide/cgroup-v2.rst sections "Basic Operations" and "Controlling
// Controllers", Documentation/admin-guide/cgroup-v1/cgroups.rst, proc(5) on
// /proc/[pid]/mountinfo and /proc/[pid]/cgroup, and the OCI runtime spec config-linux.md
// "Control groups".
//
// Why three layouts exist: cgroup v1 (2008) gave every controller its own tree; v2 (stable
// since Linux 4.5) has one tree. A controller can be bound to only one of them at a time, so
// during the migration distributions booted "hybrid": every controller on v1, plus an empty
// cgroup2 mount at /sys/fs/cgroup/unified that systemd used to track services. Today most
// hosts are pure v2. berth picks, per controller, v2 when the unified root offers it and v1
// otherwise, like runc and crun do.
#include "runtime/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"

namespace berth::runtime {

namespace cd = cgroup_detail;

namespace {

// The controllers berth uses, in the order it creates, writes and describes them.
constexpr std::string_view kControllers[] = {"memory", "pids",    "cpu",    "cpuacct",
                                             "cpuset", "devices", "freezer"};
// Names the v1 "cgroup" filesystem accepts as controllers in its mount options; the other
// options (rw, name=systemd, clone_children, ...) are not controllers.
constexpr std::string_view kV1Controllers[] = {
    "cpu",   "cpuacct", "cpuset",  "memory",  "devices", "freezer", "net_cls", "net_prio",
    "blkio", "io",      "perf_event", "hugetlb", "pids", "rdma",    "misc",    "debug"};

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t j = 1; j <= 3; j++) {
        if (s[i + j] < '0' || s[i + j] > '7') ok = false;
        v = v * 8 + (s[i + j] - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool is_v1_controller(std::string_view s) {
  return std::find(std::begin(kV1Controllers), std::end(kV1Controllers), s) !=
         std::end(kV1Controllers);
}

// ---- OCI JSON helpers: every error names the key as the spec spells it. ----

template <typename T>
Result<std::optional<T>> json_integer(const Json& obj, const char* key, const char* where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<T>{};
  bool ok = std::is_signed_v<T> ? it->is_number_integer() : it->is_number_unsigned();
  if (!ok) {
    return fail(std::string("linux.resources.") + where + "." + key + ": expected " +
                (std::is_signed_v<T> ? "an integer" : "a non-negative integer"));
  }
  return std::optional<T>(it->get<T>());
}

Result<std::optional<std::string>> json_string(const Json& obj, const char* key,
                                               const char* where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string())
    return fail(std::string("linux.resources.") + where + "." + key + ": expected a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<Json> json_section(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Json::object();
  if (!it->is_object()) return fail(std::string("linux.resources.") + key + ": expected an object");
  return *it;
}

Result<Resources::DeviceRule> device_rule_from_json(const Json& j, size_t index) {
  std::string where = "devices[" + std::to_string(index) + "]";
  if (!j.is_object()) return fail("linux.resources." + where + ": expected an object");
  Resources::DeviceRule rule;
  auto allow = j.find("allow");
  if (allow == j.end() || !allow->is_boolean())
    return fail("linux.resources." + where + ".allow: expected true or false");
  rule.allow = allow->get<bool>();
  ASSIGN_OR_RETURN(auto type, json_string(j, "type", where.c_str()));
  if (type) {
    if (*type != "a" && *type != "b" && *type != "c")
      return fail("linux.resources." + where + ".type: expected \"a\", \"b\" or \"c\"");
    rule.type = (*type)[0];
  }
  ASSIGN_OR_RETURN(auto major, json_integer<int64_t>(j, "major", where.c_str()));
  ASSIGN_OR_RETURN(auto minor, json_integer<int64_t>(j, "minor", where.c_str()));
  rule.major = major.value_or(-1);
  rule.minor = minor.value_or(-1);
  ASSIGN_OR_RETURN(auto access, json_string(j, "access", where.c_str()));
  if (access) {
    if (access->empty() || access->find_first_not_of("rwm") != std::string::npos)
      return fail("linux.resources." + where + ".access: expected letters of \"rwm\"");
    rule.access = *access;
  }
  return rule;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// OCI JSON
// ---------------------------------------------------------------------------------------

Result<Resources> resources_from_json(const Json& j) {
  Resources r;
  if (j.is_null()) return r;
  if (!j.is_object()) return fail("linux.resources: expected an object");
  ASSIGN_OR_RETURN(Json memory, json_section(j, "memory"));
  ASSIGN_OR_RETURN(r.memory_limit, json_integer<int64_t>(memory, "limit", "memory"));
  ASSIGN_OR_RETURN(r.memory_swap, json_integer<int64_t>(memory, "swap", "memory"));
  ASSIGN_OR_RETURN(r.memory_reservation, json_integer<int64_t>(memory, "reservation", "memory"));
  ASSIGN_OR_RETURN(Json cpu, json_section(j, "cpu"));
  ASSIGN_OR_RETURN(r.cpu_shares, json_integer<uint64_t>(cpu, "shares", "cpu"));
  ASSIGN_OR_RETURN(r.cpu_quota, json_integer<int64_t>(cpu, "quota", "cpu"));
  ASSIGN_OR_RETURN(r.cpu_period, json_integer<uint64_t>(cpu, "period", "cpu"));
  ASSIGN_OR_RETURN(r.cpuset_cpus, json_string(cpu, "cpus", "cpu"));
  ASSIGN_OR_RETURN(r.cpuset_mems, json_string(cpu, "mems", "cpu"));
  ASSIGN_OR_RETURN(Json pids, json_section(j, "pids"));
  ASSIGN_OR_RETURN(r.pids_limit, json_integer<int64_t>(pids, "limit", "pids"));
  if (auto it = j.find("devices"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return fail("linux.resources.devices: expected an array");
    for (size_t i = 0; i < it->size(); i++) {
      ASSIGN_OR_RETURN(auto rule, device_rule_from_json((*it)[i], i));
      r.devices.push_back(std::move(rule));
    }
  }
  return r;
}

Json resources_to_json(const Resources& r) {
  Json j = Json::object();
  auto put = [](Json& obj, const char* key, const auto& opt) {
    if (opt) obj[key] = *opt;
  };
  Json memory = Json::object(), cpu = Json::object(), pids = Json::object();
  put(memory, "limit", r.memory_limit);
  put(memory, "swap", r.memory_swap);
  put(memory, "reservation", r.memory_reservation);
  put(cpu, "shares", r.cpu_shares);
  put(cpu, "quota", r.cpu_quota);
  put(cpu, "period", r.cpu_period);
  put(cpu, "cpus", r.cpuset_cpus);
  put(cpu, "mems", r.cpuset_mems);
  put(pids, "limit", r.pids_limit);
  if (!memory.empty()) j["memory"] = memory;
  if (!cpu.empty()) j["cpu"] = cpu;
  if (!pids.empty()) j["pids"] = pids;
  if (!r.devices.empty()) {
    Json devices = Json::array();
    for (const auto& d : r.devices) {
      Json e = {{"allow", d.allow}, {"type", std::string(1, d.type)}, {"access", d.access}};
      if (d.major >= 0) e["major"] = d.major;
      if (d.minor >= 0) e["minor"] = d.minor;
      devices.push_back(e);
    }
    j["devices"] = devices;
  }
  return j;
}

// cpu.shares spans 2..262144 (default 1024), cpu.weight 1..10000 (default 100): a linear map
// of one range onto the other. It sends 1024 to 39, not 100; runc and crun agree on it, so
// a container gets the same weight whichever runtime started it.
uint64_t cpu_weight_from_shares(uint64_t shares) {
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

// ---------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------

CgroupVersion CgroupLayout::version_of(std::string_view c) const {
  bool v1 = v1_mounts.find(c) != v1_mounts.end();
  if (c == "devices" || c == "freezer") {
    if (v1) return CgroupVersion::kV1;
    return unified_mount.empty() ? CgroupVersion::kNone : CgroupVersion::kV2;
  }
  if (c == "cpuacct") return v1 ? CgroupVersion::kV1 : CgroupVersion::kNone;
  if (!unified_mount.empty() && contains(unified_controllers, c)) return CgroupVersion::kV2;
  return v1 ? CgroupVersion::kV1 : CgroupVersion::kNone;
}

std::string CgroupLayout::root_of(std::string_view c) const {
  switch (version_of(c)) {
    case CgroupVersion::kV1: return v1_mounts.find(c)->second;
    case CgroupVersion::kV2: return unified_mount;
    case CgroupVersion::kNone: break;
  }
  return {};
}

bool CgroupLayout::pure_v2() const { return !unified_mount.empty() && v1_mounts.empty(); }

CgroupLayout detect_cgroup_layout(const std::string& mountinfo, const std::string& self_cgroup) {
  CgroupLayout layout;
  // mountinfo: "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory"
  // Optional fields end at " - "; then filesystem type, source, super options.
  for (const auto& line : split(mountinfo, '\n')) {
    auto fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (dash == fields.end() || fields.size() < 5 || fields.end() - dash < 4) continue;
    const std::string& fstype = dash[1];
    std::string mount_point = unescape_mountinfo(fields[4]);
    if (fstype == "cgroup2") {
      if (layout.unified_mount.empty()) layout.unified_mount = mount_point;
    } else if (fstype == "cgroup") {
      for (const auto& opt : split(dash[3], ',')) {
        if (is_v1_controller(opt)) layout.v1_mounts.emplace(opt, mount_point);
      }
    }
  }
  // /proc/self/cgroup: "4:memory:/user.slice" (v1), "0::/init.scope" (v2). A v1 hierarchy
  // can live on with nobody mounting it (hugetlb after an umount): we cannot reach it, skip.
  for (const auto& line : split(self_cgroup, '\n')) {
    auto parts = split(line, ':');
    if (parts.size() < 3 || parts[0] == "0") continue;
    for (const auto& c : split(parts[1], ',')) {
      if (!c.empty() && is_v1_controller(c) && !layout.v1_mounts.contains(c) &&
          !contains(layout.unmounted, c))
        layout.unmounted.push_back(c);
    }
  }
  if (!layout.unified_mount.empty()) {
    // What the root can hand to children. A missing file (mount vanished) means nothing.
    auto text = read_file(path_join(layout.unified_mount, "cgroup.controllers"));
    if (text) {
      for (const auto& c : split(trim(*text), ' '))
        if (!c.empty()) layout.unified_controllers.push_back(c);
    }
  }
  return layout;
}

CgroupLayout detect_cgroup_layout() {
  // Once per process: reading /proc/self/cgroup takes the kernel's cgroup_mutex, which a
  // cgroup attach holds for a whole RCU grace period (see AttachWarmup), and a berth
  // command is short-lived enough for the hierarchies not to change under it.
  static const CgroupLayout layout = [] {
    auto mountinfo = read_file("/proc/self/mountinfo");
    auto self_cgroup = read_file("/proc/self/cgroup");
    return detect_cgroup_layout(mountinfo.value_or(""), self_cgroup.value_or(""));
  }();
  return layout;
}

std::string describe(const CgroupLayout& layout) {
  std::vector<std::string> v1, v2;
  for (auto c : {"memory", "pids", "cpu", "cpuset", "devices"}) {
    auto v = layout.version_of(c);
    if (v == CgroupVersion::kV1) v1.emplace_back(c);
    // On v2 "devices" is a BPF program every cgroup can have, not a controller to list.
    if (v == CgroupVersion::kV2 && std::string_view(c) != "devices") v2.emplace_back(c);
  }
  std::string out;
  if (layout.pure_v2()) {
    out = "cgroup v2 (" + (v2.empty() ? std::string("no controllers") : join(v2, " ")) + ")";
  } else if (layout.unified_mount.empty() && !layout.v1_mounts.empty()) {
    out = "cgroup v1 (" + (v1.empty() ? std::string("no controllers") : join(v1, " ")) + ")";
  } else if (!layout.v1_mounts.empty()) {
    out = "hybrid: v1 " + (v1.empty() ? std::string("none") : join(v1, " ")) + "; v2 " +
          (v2.empty() ? std::string("none") : join(v2, " "));
  } else {
    out = "no cgroup filesystem mounted";
  }
  if (!layout.unmounted.empty()) out += " (not mounted: " + join(layout.unmounted, " ") + ")";
  return out;
}

// ---------------------------------------------------------------------------------------
// Interface files
// ---------------------------------------------------------------------------------------

namespace cgroup_detail {

Result<> write_value(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = path_join(dir, file);
  trace_syscall("write(" + quote(path) + ", " + quote(value) + ")");
  // Each write(2) is one command to the kernel, so the value goes out in a single write. No
  // O_CREAT: a missing file means a missing controller. O_TRUNC is ignored by the kernel
  // (like `echo 32M > memory.max`) and keeps a test's stand-in files exact.
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return sys_error("write " + quote(path) + " = " + quote(value));
  Fd owner(fd);
  ssize_t n = ::write(fd, value.data(), value.size());
  if (n < 0) return sys_error("write " + quote(path) + " = " + quote(value));
  if (static_cast<size_t>(n) != value.size())
    return fail("short write " + quote(path) + " = " + quote(value));
  return {};
}

Result<std::string> read_value(const std::string& dir, const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, read_file(path_join(dir, file)));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::optional<uint64_t> find_key(const std::string& text, std::string_view key) {
  for (const auto& line : split(text, '\n')) {
    auto sp = line.find(' ');
    if (sp == std::string::npos || std::string_view(line).substr(0, sp) != key) continue;
    auto v = parse_int(trim(std::string_view(line).substr(sp + 1)));
    if (v && *v >= 0) return static_cast<uint64_t>(*v);
  }
  return std::nullopt;
}

}  // namespace cgroup_detail

// ---------------------------------------------------------------------------------------
// Cgroup: one container's directories
// ---------------------------------------------------------------------------------------

namespace {

// A container id becomes a directory name: one path component, nothing that walks up.
Result<> check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    return fail("invalid cgroup name", name);
  return {};
}

// Docker's rules for --memory-swap, checked before anything is created.
Result<> check_resources(const Resources& res) {
  if (res.memory_swap && *res.memory_swap > 0) {
    if (!res.memory_limit || *res.memory_limit <= 0)
      return fail("a memory+swap limit needs a memory limit too");
    if (*res.memory_swap < *res.memory_limit)
      return fail("the memory+swap limit must be at least the memory limit");
  }
  return {};
}

bool wants(const Resources& r, std::string_view c) {
  if (c == "memory") return r.memory_limit || (r.memory_swap && *r.memory_swap != 0) ||
                            r.memory_reservation;
  if (c == "cpu") return r.cpu_shares || r.cpu_quota || r.cpu_period;
  if (c == "cpuset") return r.cpuset_cpus || r.cpuset_mems;
  if (c == "pids") return r.pids_limit.has_value();
  if (c == "devices") return !r.devices.empty();
  return false;
}

// Joined whenever the host has them, limit or not: memory and pids for stats and OOM
// reports, cpuacct for CPU time (v1), freezer to stop processes before killing them (v1).
bool used_for_accounting(std::string_view c) {
  return c == "memory" || c == "pids" || c == "cpuacct" || c == "freezer";
}

// Real v2 controllers are enabled through cgroup.subtree_control; devices (BPF) and the
// freezer (cgroup.freeze) are part of every v2 cgroup and must not be named there.
std::vector<std::string> subtree_controllers(const std::vector<std::string>& controllers) {
  std::vector<std::string> out;
  for (const auto& c : controllers)
    if (c != "devices" && c != "freezer") out.push_back(c);
  return out;
}

// mkdir(2) in a cgroup filesystem makes a new cgroup; the kernel fills it with files.
// Returns false when it already existed.
Result<bool> make_cgroup_dir(const CgroupLayout& layout, const std::string& path) {
  trace_syscall("mkdir(" + quote(path) + ", 0755)");
  if (::mkdir(path.c_str(), 0755) < 0) {
    if (errno == EEXIST) return false;
    return sys_error("mkdir", path);
  }
  if (layout.on_mkdir) layout.on_mkdir(path);
  return true;
}

// rmdir(2) removes a cgroup whose processes have all exited (its files go with it). The
// kernel says EBUSY while the last ones are still on their way out: retry for about a second.
Result<> remove_cgroup_dir(const CgroupLayout& layout, const std::string& path) {
  for (int attempt = 0;; attempt++) {
    if (layout.on_rmdir) layout.on_rmdir(path);
    trace_syscall("rmdir(" + quote(path) + ")");
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt >= 100) return sys_error("rmdir", path);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// "<root>/berth" and so on, outermost first, for every component of layout.parent.
std::vector<std::string> parent_chain(const std::string& root, const std::string& parent) {
  std::vector<std::string> out;
  std::string cur = root;
  for (const auto& part : split(parent, '/')) {
    if (part.empty()) continue;
    cur = path_join(cur, part);
    out.push_back(cur);
  }
  return out;
}

}  // namespace

Cgroup::Cgroup(Cgroup&& o) noexcept
    : layout_(std::move(o.layout_)),
      name_(std::move(o.name_)),
      dirs_(std::move(o.dirs_)),
      v2_fd_(std::move(o.v2_fd_)),
      warnings_(std::move(o.warnings_)),
      owned_(std::exchange(o.owned_, false)) {}

Cgroup& Cgroup::operator=(Cgroup&& o) noexcept {
  if (this != &o) {
    if (owned_) (void)destroy();
    layout_ = std::move(o.layout_);
    name_ = std::move(o.name_);
    dirs_ = std::move(o.dirs_);
    v2_fd_ = std::move(o.v2_fd_);
    warnings_ = std::move(o.warnings_);
    owned_ = std::exchange(o.owned_, false);
  }
  return *this;
}

Cgroup::~Cgroup() {
  if (owned_) (void)destroy();
}

void Cgroup::release() { owned_ = false; }

const Cgroup::Dir* Cgroup::dir_for(std::string_view controller) const {
  for (const auto& d : dirs_)
    if (contains(d.controllers, controller)) return &d;
  return nullptr;
}

Result<Cgroup> Cgroup::create(const CgroupLayout& layout, const std::string& name,
                              const Resources& res) {
  TRY(check_name(name));
  TRY(check_resources(res));
  // Plan: which hierarchy serves each controller; co-mounted v1 controllers and all of v2
  // share one directory.
  std::vector<Dir> plan;
  for (auto c : kControllers) {
    bool available = layout.version_of(c) != CgroupVersion::kNone;
    if (wants(res, c) && !available)
      return fail("cgroup controller \"" + std::string(c) + "\" is not available on this host");
    if (!available || !(wants(res, c) || used_for_accounting(c))) continue;
    std::string root = layout.root_of(c);
    std::string path = path_join(path_join(root, layout.parent), name);
    auto it = std::find_if(plan.begin(), plan.end(), [&](const Dir& d) { return d.path == path; });
    if (it == plan.end()) {
      plan.push_back(Dir{root, path, layout.version_of(c), {}});
      it = plan.end() - 1;
    }
    it->controllers.emplace_back(c);
  }

  Cgroup cg;
  cg.layout_ = layout;
  cg.name_ = name;
  cg.owned_ = true;  // from here on, an early return removes whatever was made
  for (const auto& d : plan) {
    // A concurrent destroy() may remove an empty <root>/berth between our mkdirs: retry.
    Result<> made;
    for (int attempt = 0; attempt < 3; attempt++) {
      made = cg.create_dir(d);
      if (made || made.error().errno_value() != ENOENT) break;
    }
    if (!made) return std::unexpected(wrap(made.error(), "creating cgroup " + quote(name)));
  }
  TRY_CTX(cg.apply(res), "creating cgroup " + quote(name));
  return cg;
}

Result<> Cgroup::create_dir(const Dir& d) {
  bool v1_cpuset = d.version == CgroupVersion::kV1 && contains(d.controllers, "cpuset");
  auto enable = subtree_controllers(d.controllers);
  // v2: a cgroup can use a controller only if every ancestor enabled it for its children,
  // so enable from the root down to <root>/berth (cgroup-v2.rst "Top-down Constraint").
  if (d.version == CgroupVersion::kV2) { TRY(cd::enable_v2_controllers(d.root, enable)); }
  for (const auto& dir : parent_chain(d.root, layout_.parent)) {
    TRY(make_cgroup_dir(layout_, dir));
    if (v1_cpuset) { TRY(cd::inherit_v1_cpuset(dir)); }
    if (d.version == CgroupVersion::kV2) { TRY(cd::enable_v2_controllers(dir, enable)); }
  }
  ASSIGN_OR_RETURN(bool made, make_cgroup_dir(layout_, d.path));
  // Two containers must never share a cgroup; a leftover one is Engine::recover's job.
  if (!made) return fail_errno(EEXIST, "mkdir", d.path);
  dirs_.push_back(d);
  if (v1_cpuset) { TRY(cd::inherit_v1_cpuset(d.path)); }
  if (d.version == CgroupVersion::kV2) {
    ASSIGN_OR_RETURN(v2_fd_, open_fd(d.path, O_RDONLY | O_DIRECTORY));
  }
  return {};
}

Result<> Cgroup::apply(const Resources& res) {
  for (const auto& d : dirs_) {
    for (const auto& c : d.controllers) {
      if (d.version == CgroupVersion::kV1) {
        if (c == "memory") { TRY(cd::apply_v1_memory(d.path, res, warnings_)); }
        if (c == "cpu") { TRY(cd::apply_v1_cpu(d.path, res)); }
        if (c == "cpuset") { TRY(cd::apply_v1_cpuset(d.path, res)); }
        if (c == "pids") { TRY(cd::apply_v1_pids(d.path, res)); }
        if (c == "devices" && !res.devices.empty()) {
          TRY(cd::apply_v1_devices(d.path, res.devices));
        }
      } else {
        if (c == "memory") { TRY(cd::apply_v2_memory(d.path, res, warnings_)); }
        if (c == "cpu") { TRY(cd::apply_v2_cpu(d.path, res)); }
        if (c == "cpuset") { TRY(cd::apply_v2_cpuset(d.path, res)); }
        if (c == "pids") { TRY(cd::apply_v2_pids(d.path, res)); }
        if (c == "devices" && !res.devices.empty()) {
          TRY(cd::attach_v2_device_filter(v2_fd_.get(), d.path, res.devices));
        }
      }
    }
  }
  return {};
}

Result<Cgroup> Cgroup::open(const CgroupLayout& layout, const std::string& name) {
  TRY(check_name(name));
  Cgroup cg;
  cg.layout_ = layout;
  cg.name_ = name;
  for (auto c : kControllers) {
    if (layout.version_of(c) == CgroupVersion::kNone) continue;
    std::string root = layout.root_of(c);
    std::string path = path_join(path_join(root, layout.parent), name);
    if (!is_directory(path)) continue;
    auto it = std::find_if(cg.dirs_.begin(), cg.dirs_.end(),
                           [&](const Dir& d) { return d.path == path; });
    if (it == cg.dirs_.end()) {
      cg.dirs_.push_back(Dir{root, path, layout.version_of(c), {}});
      it = cg.dirs_.end() - 1;
      if (it->version == CgroupVersion::kV2) {
        ASSIGN_OR_RETURN(cg.v2_fd_, open_fd(path, O_RDONLY | O_DIRECTORY));
      }
    }
    it->controllers.emplace_back(c);
  }
  if (cg.dirs_.empty()) return fail_errno(ENOENT, "open cgroup", name);
  return cg;
}

std::vector<std::string> Cgroup::v1_task_files() const {
  std::vector<std::string> out;
  for (const auto& d : dirs_)
    if (d.version == CgroupVersion::kV1) out.push_back(path_join(d.path, "tasks"));
  return out;
}

Result<> Cgroup::add_process(pid_t pid, bool v2_only) {
  for (const auto& d : dirs_) {
    if (v2_only && d.version != CgroupVersion::kV2) continue;
    TRY_CTX(cd::write_value(d.path, "cgroup.procs", std::to_string(pid)),
            "adding process " + std::to_string(pid) + " to cgroup " + quote(name_));
  }
  return {};
}

bool Cgroup::has_v2() const {
  for (const auto& d : dirs_)
    if (d.version == CgroupVersion::kV2) return true;
  return false;
}

std::optional<int> Cgroup::v2_dir_fd() const {
  if (!v2_fd_.valid()) return std::nullopt;
  for (const auto& d : dirs_)
    if (d.version != CgroupVersion::kV2) return std::nullopt;
  return v2_fd_.get();
}

std::vector<pid_t> Cgroup::pids_inside() const {
  std::set<pid_t> pids;
  for (const auto& d : dirs_) {
    auto text = read_file(path_join(d.path, "cgroup.procs"));
    if (!text) continue;  // ENOENT: already gone
    for (const auto& line : split(*text, '\n'))
      if (auto pid = parse_int(line); pid && *pid > 0) pids.insert(static_cast<pid_t>(*pid));
  }
  return {pids.begin(), pids.end()};
}

// A frozen process cannot fork, so the list we kill from stays complete; SIGKILL is
// delivered when it thaws. Best effort: without a freezer we just loop.
void Cgroup::freeze(bool frozen) {
  if (const Dir* d = dir_for("freezer")) {
    if (d->version == CgroupVersion::kV1)
      (void)cd::write_value(d->path, "freezer.state", frozen ? "FROZEN" : "THAWED");
    else if (path_exists(path_join(d->path, "cgroup.freeze")))
      (void)cd::write_value(d->path, "cgroup.freeze", frozen ? "1" : "0");
  }
}

Result<> Cgroup::set_frozen(bool frozen) {
  const Dir* d = dir_for("freezer");
  if (!d || (d->version == CgroupVersion::kV2 && !path_exists(path_join(d->path, "cgroup.freeze"))))
    return fail("cgroup " + quote(name_) + " has no freezer (the v1 freezer controller or cgroup.freeze)");
  bool v1 = d->version == CgroupVersion::kV1;
  std::string file = v1 ? "freezer.state" : "cgroup.freeze";
  TRY_CTX(cd::write_value(d->path, file, frozen ? (v1 ? "FROZEN" : "1") : (v1 ? "THAWED" : "0")),
          frozen ? "pausing" : "unpausing");
  // Freezing takes a moment (v1 reports FREEZING, v2's cgroup.events "frozen 0" until
  // every task has stopped); thawing is immediate.
  for (int i = 0; frozen && i < 1000; i++) {
    if (v1) {
      auto state = cd::read_value(d->path, "freezer.state");
      if (state && trim(*state) == "FROZEN") return {};
    } else {
      auto events = cd::read_value(d->path, "cgroup.events");
      if (events && cd::find_key(*events, "frozen") == 1u) return {};
    }
    ::usleep(1000);
  }
  if (frozen) return fail("cgroup " + quote(name_) + " did not freeze within a second");
  return {};
}

Result<> Cgroup::kill_all() {
  // v2 since Linux 5.14 has cgroup.kill: one write SIGKILLs the whole subtree, atomically
  // with respect to fork. Elsewhere: freeze, SIGKILL each pid in cgroup.procs, thaw, repeat.
  std::string kill_file;
  for (const auto& d : dirs_)
    if (d.version == CgroupVersion::kV2 && path_exists(path_join(d.path, "cgroup.kill")))
      kill_file = d.path;
  for (int round = 0; round < 200; round++) {
    auto pids = pids_inside();
    if (pids.empty()) return {};
    if (round % 20 == 0) {
      if (!kill_file.empty()) {
        TRY_CTX(cd::write_value(kill_file, "cgroup.kill", "1"), "killing cgroup " + quote(name_));
      } else {
        freeze(true);
        for (pid_t pid : pids) {
          trace_syscall("kill(" + std::to_string(pid) + ", SIGKILL)");
          ::kill(pid, SIGKILL);
        }
        freeze(false);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return fail_errno(EBUSY, "processes survive SIGKILL in cgroup", name_);
}

Result<> Cgroup::remove_dirs() {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it)
    TRY_CTX(remove_cgroup_dir(layout_, it->path), "removing cgroup " + quote(name_));
  // The shared <root>/berth goes too once the last container has left it; ENOTEMPTY or
  // EBUSY just means other containers still live there.
  for (const auto& d : dirs_) {
    auto chain = parent_chain(d.root, layout_.parent);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (layout_.on_rmdir) layout_.on_rmdir(*it);
      if (::rmdir(it->c_str()) < 0 && errno != ENOENT) break;
      trace_syscall("rmdir(" + quote(*it) + ")");
    }
  }
  dirs_.clear();
  v2_fd_.reset();
  return {};
}

Result<> Cgroup::destroy() {
  TRY(kill_all());
  TRY(remove_dirs());
  owned_ = false;
  return {};
}

bool Cgroup::oom_killed() const {
  const Dir* d = dir_for("memory");
  if (!d) return false;
  bool v1 = d->version == CgroupVersion::kV1;
  auto text = cd::read_value(d->path, v1 ? "memory.oom_control" : "memory.events");
  if (!text) return false;
  auto n = cd::find_key(*text, "oom_kill");
  return n && *n > 0;
}

Result<Cgroup::Stats> Cgroup::stats() const {
  Stats s;
  auto number = [](const std::string& dir, const char* file) -> uint64_t {
    auto text = cd::read_value(dir, file);
    if (!text) return 0;
    auto v = parse_int(*text);  // "max" (v2) -> 0 = unlimited
    return v && *v > 0 ? static_cast<uint64_t>(*v) : 0;
  };
  if (const Dir* d = dir_for("memory")) {
    bool v1 = d->version == CgroupVersion::kV1;
    s.memory_usage = number(d->path, v1 ? "memory.usage_in_bytes" : "memory.current");
    s.memory_limit = number(d->path, v1 ? "memory.limit_in_bytes" : "memory.max");
    // v1 reports "no limit" as the largest page-aligned int64.
    if (v1 && s.memory_limit >= (uint64_t{1} << 62)) s.memory_limit = 0;
  }
  if (const Dir* d = dir_for("pids")) s.pids = number(d->path, "pids.current");
  if (const Dir* d = dir_for("cpuacct")) {
    s.cpu_usage_ns = number(d->path, "cpuacct.usage");
  } else {
    for (const auto& d2 : dirs_) {
      if (d2.version != CgroupVersion::kV2) continue;
      auto text = cd::read_value(d2.path, "cpu.stat");
      if (text) s.cpu_usage_ns = cd::find_key(*text, "usage_usec").value_or(0) * 1000;
    }
  }
  return s;
}

std::vector<std::string> Cgroup::paths() const {
  std::vector<std::string> out;
  for (const auto& d : dirs_) out.push_back(d.path);
  return out;
}

}  // namespace berth::runtime
