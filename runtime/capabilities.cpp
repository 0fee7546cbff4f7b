// Capabilities: names, Docker's default set and its --cap-add/--cap-drop rules, the OCI
// spec's five sets, and applying them in the container's init process.
//
// Read: capabilities(7), prctl(2) (PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_SET_KEEPCAPS,
// PR_CAP_AMBIENT), cap_set_proc(3), cap_max_bits(3), OCI runtime-spec config.md
// "process.capabilities". The order of the steps is explained in capabilities.h.
#include "runtime/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "base/trace.h"

namespace berth::runtime {

namespace {

// Index = capability value (linux/capability.h). Written out here rather than asked of
// libcap's cap_to_name() so that the names are the spec's ("CAP_SYS_ADMIN", upper case)
// and so the child can name caps without libcap allocating.
constexpr std::array<std::string_view, kLastKnownCapability + 1> kNames = {
    "CAP_CHOWN",               // 0
    "CAP_DAC_OVERRIDE",        // 1
    "CAP_DAC_READ_SEARCH",     // 2
    "CAP_FOWNER",              // 3
    "CAP_FSETID",              // 4
    "CAP_KILL",                // 5
    "CAP_SETGID",              // 6
    "CAP_SETUID",              // 7
    "CAP_SETPCAP",             // 8
    "CAP_LINUX_IMMUTABLE",     // 9
    "CAP_NET_BIND_SERVICE",    // 10
    "CAP_NET_BROADCAST",       // 11
    "CAP_NET_ADMIN",           // 12
    "CAP_NET_RAW",             // 13
    "CAP_IPC_LOCK",            // 14
    "CAP_IPC_OWNER",           // 15
    "CAP_SYS_MODULE",          // 16
    "CAP_SYS_RAWIO",           // 17
    "CAP_SYS_CHROOT",          // 18
    "CAP_SYS_PTRACE",          // 19
    "CAP_SYS_PACCT",           // 20
    "CAP_SYS_ADMIN",           // 21
    "CAP_SYS_BOOT",            // 22
    "CAP_SYS_NICE",            // 23
    "CAP_SYS_RESOURCE",        // 24
    "CAP_SYS_TIME",            // 25
    "CAP_SYS_TTY_CONFIG",      // 26
    "CAP_MKNOD",               // 27
    "CAP_LEASE",               // 28
    "CAP_AUDIT_WRITE",         // 29
    "CAP_AUDIT_CONTROL",       // 30
    "CAP_SETFCAP",             // 31
    "CAP_MAC_OVERRIDE",        // 32
    "CAP_MAC_ADMIN",           // 33
    "CAP_SYSLOG",              // 34
    "CAP_WAKE_ALARM",          // 35
    "CAP_BLOCK_SUSPEND",       // 36
    "CAP_AUDIT_READ",          // 37 (Linux 3.16)
    "CAP_PERFMON",             // 38 (Linux 5.8)
    "CAP_BPF",                 // 39 (Linux 5.8)
    "CAP_CHECKPOINT_RESTORE",  // 40 (Linux 5.9)
};

// Docker's default set, in value order (moby's oci/caps/defaults.go lists the same 14).
constexpr std::array<int, 14> kDefaultCaps = {
    CAP_CHOWN,      CAP_DAC_OVERRIDE, CAP_FOWNER,      CAP_FSETID,           CAP_KILL,
    CAP_SETGID,     CAP_SETUID,       CAP_SETPCAP,     CAP_NET_BIND_SERVICE, CAP_NET_RAW,
    CAP_SYS_CHROOT, CAP_MKNOD,        CAP_AUDIT_WRITE, CAP_SETFCAP,
};

// The number of capabilities the running kernel has (cap_last_cap + 1). libcap reads
// /proc/sys/kernel/cap_last_cap once; never more than berth can name.
int supported_count() {
  int n = static_cast<int>(cap_max_bits());
  return std::clamp(n, 0, kLastKnownCapability + 1);
}

// Known to berth, whatever the running kernel supports.
std::optional<int> known_capability(std::string_view name) {
  std::string upper;
  upper.reserve(name.size() + 4);
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!upper.starts_with("CAP_")) upper.insert(0, "CAP_");
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == upper) return static_cast<int>(i);
  return std::nullopt;
}

bool is_all(std::string_view name) {
  return name.size() == 3 && std::toupper(static_cast<unsigned char>(name[0])) == 'A' &&
         std::toupper(static_cast<unsigned char>(name[1])) == 'L' &&
         std::toupper(static_cast<unsigned char>(name[2])) == 'L';
}

// Resolves a --cap-add/--cap-drop list: values, plus whether "ALL" was in it.
struct CapList {
  std::vector<int> caps;
  bool all = false;
};

Result<CapList> resolve_list(const std::vector<std::string>& names, const char* flag) {
  CapList out;
  for (const auto& name : names) {
    if (is_all(name)) {
      out.all = true;
      continue;
    }
    auto cap = capability_from_name(name);
    if (!cap) return fail(std::string("unknown capability in ") + flag, name);
    out.caps.push_back(*cap);
  }
  return out;
}

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::string> names_of(std::vector<int> caps) {
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  std::vector<std::string> out;
  out.reserve(caps.size());
  for (int c : caps) out.push_back(capability_name(c));
  return out;
}

std::string hex_mask(uint64_t mask) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(mask));
  return buf;
}

// "CAP_A CAP_B ..." for trace lines.
std::string names_line(const std::vector<int>& caps) {
  std::string out;
  for (int c : caps) {
    if (!out.empty()) out += ' ';
    out += capability_name(c);
  }
  return out;
}

// Owner of a libcap cap_t (cap_free on destruction).
class CapState {
 public:
  explicit CapState(cap_t c) : c_(c) {}
  CapState(const CapState&) = delete;
  CapState& operator=(const CapState&) = delete;
  ~CapState() {
    if (c_ != nullptr) cap_free(c_);
  }
  cap_t get() const { return c_; }

 private:
  cap_t c_;
};

// After setresuid() away from uid 0 the effective set is empty even though PR_SET_KEEPCAPS
// kept the permitted set (capabilities(7), "Effect of user ID changes on capabilities").
// Raise effective to permitted so that CAP_SETPCAP works for the bounding-set drops.
Result<> raise_effective_to_permitted() {
  CapState now(cap_get_proc());
  if (now.get() == nullptr) return sys_error("cap_get_proc");
  std::vector<cap_value_t> permitted;
  for (int c = 0; c < supported_count(); ++c) {
    cap_flag_value_t v = CAP_CLEAR;
    if (cap_get_flag(now.get(), c, CAP_PERMITTED, &v) == 0 && v == CAP_SET) permitted.push_back(c);
  }
  if (!permitted.empty() &&
      cap_set_flag(now.get(), CAP_EFFECTIVE, static_cast<int>(permitted.size()), permitted.data(),
                   CAP_SET) != 0)
    return sys_error("cap_set_flag", "effective");
  trace_syscall("capset(effective=permitted)");
  if (cap_set_proc(now.get()) != 0) return sys_error("cap_set_proc", "effective=permitted");
  return {};
}

// PR_CAPBSET_DROP everything the container must never regain. Caps already outside the
// bounding set are left alone: dropping them again would still require CAP_SETPCAP.
Result<> drop_bounding(const std::vector<int>& keep) {
  std::vector<int> dropped;
  for (int c = 0; c < supported_count(); ++c) {
    if (contains(keep, c)) continue;
    int in_set = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (in_set < 0) return sys_error("prctl(PR_CAPBSET_READ)", capability_name(c));
    if (in_set == 0) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
      return sys_error("prctl(PR_CAPBSET_DROP)", capability_name(c));
    dropped.push_back(c);
  }
  if (!dropped.empty())
    trace_syscall("prctl(PR_CAPBSET_DROP, " + names_line(dropped) +
                  "): " + std::to_string(dropped.size()) + " caps");
  return {};
}

// capset(2) through libcap: the three sets at once.
Result<> set_process_sets(const CapabilitySets& caps) {
  CapState want(cap_init());  // all sets empty
  if (want.get() == nullptr) return sys_error("cap_init");
  struct Flag {
    cap_flag_t flag;
    const std::vector<int>* caps;
  };
  for (const Flag& f : {Flag{CAP_EFFECTIVE, &caps.effective}, Flag{CAP_PERMITTED, &caps.permitted},
                        Flag{CAP_INHERITABLE, &caps.inheritable}}) {
    std::vector<cap_value_t> values(f.caps->begin(), f.caps->end());
    if (!values.empty() && cap_set_flag(want.get(), f.flag, static_cast<int>(values.size()),
                                        values.data(), CAP_SET) != 0)
      return sys_error("cap_set_flag");
  }
  trace_syscall("capset(effective=" + hex_mask(capability_mask(caps.effective)) +
                ", permitted=" + hex_mask(capability_mask(caps.permitted)) +
                ", inheritable=" + hex_mask(capability_mask(caps.inheritable)) + ")");
  // EPERM here usually means effective is not a subset of permitted, or inheritable holds
  // a cap outside the bounding set (capabilities(7), "Programmatically adjusting ...").
  if (cap_set_proc(want.get()) != 0) return sys_error("cap_set_proc");
  return {};
}

// Ambient caps survive execve() of a non-root user without file capabilities. Clear any
// inherited ones first so the spec's list is exact. Each needs to be both permitted and
// inheritable already, hence last.
Result<> set_ambient(const std::vector<int>& ambient) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    // Kernels before 4.3 have no ambient set: fine as long as none was asked for.
    if (errno == EINVAL && ambient.empty()) return {};
    return sys_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  }
  trace_syscall("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
  for (int c : ambient)
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
      return sys_error("prctl(PR_CAP_AMBIENT_RAISE)", capability_name(c));
  if (!ambient.empty())
    trace_syscall("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, " + names_line(ambient) + ")");
  return {};
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  auto cap = known_capability(name);
  if (!cap || *cap >= supported_count()) return std::nullopt;
  return cap;
}

std::string capability_name(int cap) {
  if (cap >= 0 && cap <= kLastKnownCapability) return std::string(kNames[cap]);
  return "CAP_" + std::to_string(cap);
}

std::vector<std::string> all_capabilities() {
  std::vector<std::string> out;
  for (int c = 0; c < supported_count(); ++c) out.push_back(capability_name(c));
  return out;
}

std::vector<std::string> default_capabilities() {
  return names_of(std::vector<int>(kDefaultCaps.begin(), kDefaultCaps.end()));
}

Result<std::vector<std::string>> compute_capabilities(const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop,
                                                      bool privileged) {
  // Validate both lists even when privileged: a typo should not pass silently.
  ASSIGN_OR_RETURN(CapList adds, resolve_list(add, "--cap-add"));
  ASSIGN_OR_RETURN(CapList drops, resolve_list(drop, "--cap-drop"));
  std::vector<int> all;
  for (int c = 0; c < supported_count(); ++c) all.push_back(c);
  if (privileged) {
    // "Every capability" can only mean every one we hold: a capability missing from our
    // own bounding set (CAP_SYS_RESOURCE on some hosts) can never be granted, and asking
    // for it would fail the whole container in capset(2).
    std::vector<int> held;
    for (int c : all)
      if (::prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) held.push_back(c);
    return names_of(held);
  }

  std::vector<int> caps;
  if (adds.all) {
    for (int c : all)
      if (!contains(drops.caps, c)) caps.push_back(c);
  } else if (drops.all) {
    caps = adds.caps;
  } else {
    for (int c : kDefaultCaps)
      if (!contains(drops.caps, c)) caps.push_back(c);
    caps.insert(caps.end(), adds.caps.begin(), adds.caps.end());
  }
  return names_of(caps);
}

Result<CapabilitySets> parse_capabilities(const Json& process_capabilities) {
  CapabilitySets sets;
  if (process_capabilities.is_null()) return sets;
  if (!process_capabilities.is_object()) return fail("process.capabilities must be an object");
  struct Entry {
    const char* key;
    std::vector<int>* out;
  };
  for (const Entry& e : {Entry{"bounding", &sets.bounding}, Entry{"effective", &sets.effective},
                         Entry{"inheritable", &sets.inheritable},
                         Entry{"permitted", &sets.permitted}, Entry{"ambient", &sets.ambient}}) {
    auto it = process_capabilities.find(e.key);
    if (it == process_capabilities.end() || it->is_null()) continue;
    std::string where = std::string("process.capabilities.") + e.key;
    if (!it->is_array()) return fail(where + " must be an array of names");
    for (const auto& item : *it) {
      if (!item.is_string()) return fail(where + ": capability names must be strings");
      const auto& name = item.get_ref<const std::string&>();
      auto cap = known_capability(name);
      if (!cap) return fail(where + ": unknown capability", name);
      if (*cap >= supported_count()) {
        trace_note("skipping " + name + " in " + where + ": the running kernel lacks it");
        continue;
      }
      if (!contains(*e.out, *cap)) e.out->push_back(*cap);
    }
  }
  for (const auto& [key, _] : process_capabilities.items())
    if (key != "bounding" && key != "effective" && key != "inheritable" && key != "permitted" &&
        key != "ambient")
      return fail("process.capabilities: unknown key", key);
  return sets;
}

CapabilitySets default_capability_sets() {
  std::vector<int> caps(kDefaultCaps.begin(), kDefaultCaps.end());
  return CapabilitySets{
      .bounding = caps, .effective = caps, .inheritable = {}, .permitted = caps, .ambient = {}};
}

uint64_t capability_mask(const std::vector<int>& caps) {
  uint64_t mask = 0;
  for (int c : caps)
    if (c >= 0 && c < 64) mask |= uint64_t{1} << c;
  return mask;
}

Result<> keep_capabilities_across_setuid() {
  trace_syscall("prctl(PR_SET_KEEPCAPS, 1)");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_KEEPCAPS)");
  return {};
}

Result<> apply_capabilities(const CapabilitySets& caps) {
  TRY_CTX(raise_effective_to_permitted(), "applying capabilities");
  // Bounding first: it limits what inheritable may hold and what execve() can grant.
  TRY_CTX(drop_bounding(caps.bounding), "applying capabilities");
  TRY_CTX(set_process_sets(caps), "applying capabilities");
  TRY_CTX(set_ambient(caps.ambient), "applying capabilities");
  return {};
}

}  // namespace berth::runtime
