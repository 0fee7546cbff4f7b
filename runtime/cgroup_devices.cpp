// The device allowlist: which device nodes a container may open or create.
//
// Read: Documentation/admin-guide/cgroup-v1/devices.rst; for v2, cgroup-v2.rst "Device
// controller", bpf(2), Documentation/bpf/ (instruction set) and include/uapi/linux/bpf.h
// (struct bpf_cgroup_dev_ctx); the OCI runtime spec config-linux.md "Allowed Device List".
//
// Why it matters: a container's root can mknod(2) any device node, e.g. the host's disk
// (b 8:0). Namespaces do not stop that; the device cgroup does, at open() and mknod() time.
// Docker allows only the standard nodes (/dev/null, zero, full, random, urandom, tty,
// console, ptmx, pts) and denies the rest.
//
// OCI rules are applied in order, a later rule overriding an earlier one:
//   {allow:false, access:"rwm"}                                  deny everything, then
//   {allow:true, type:"c", major:1, minor:3, access:"rwm"}       allow /dev/null ...
//
// v1 keeps the list in the kernel: write "a" to devices.deny (deny all), then each rule as
// "c 1:3 rwm" to devices.allow or devices.deny.
//
// v2 has no devices files. Instead a small eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
// is attached to the cgroup; the kernel runs it on every device access with the device type,
// major, minor and access, and it returns 1 (allow) or 0 (deny). berth writes that program
// here by hand, as an instruction array: it checks the rules last to first, so the first
// match is the rule that wins, and denies when none matches.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/fd.h"
#include "base/trace.h"
#include "runtime/cgroup.h"

namespace berth::runtime::cgroup_detail {

namespace {

std::string v1_rule_text(const Resources::DeviceRule& r) {
  if (r.type == 'a') return "a";  // "all devices": the kernel ignores the rest of the line
  auto num = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

// Access letters -> the BPF_DEVCG_ACC_* bits the kernel passes in access_type >> 16.
int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// Instruction builders, named after what they do. Registers: r1 holds the context pointer on
// entry, r0 the return value at exit.
BpfInsn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return BpfInsn{code, static_cast<uint8_t>((dst & 0xf) | (src << 4)), off, imm};
}
BpfInsn load_u32(uint8_t dst, uint8_t src, int16_t off) {  // dst = *(u32*)(src + off)
  return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0);
}
BpfInsn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
BpfInsn and32_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
BpfInsn rsh32_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
BpfInsn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
// if (dst != imm) skip `off` instructions; likewise ==.
BpfInsn jne_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
BpfInsn jeq_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm); }
BpfInsn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// One rule: a run of "if this does not match, jump past the block" tests, then return.
// Registers set by the prologue: r3 device type, r4 access, r5 major, r6 minor.
std::vector<BpfInsn> compile_rule(const Resources::DeviceRule& rule) {
  std::vector<BpfInsn> block;
  std::vector<size_t> jumps;  // indices whose offset must reach past the block
  auto skip_if = [&](BpfInsn i) {
    jumps.push_back(block.size());
    block.push_back(i);
  };
  if (rule.type == 'c') skip_if(jne_imm(3, BPF_DEVCG_DEV_CHAR, 0));
  if (rule.type == 'b') skip_if(jne_imm(3, BPF_DEVCG_DEV_BLOCK, 0));
  int32_t bits = access_bits(rule.access);
  if (bits != kAllAccess) {
    block.push_back(mov32_reg(7, 4));
    if (rule.allow) {
      // An allow rule covers a request only if it grants every bit asked for.
      block.push_back(and32_imm(7, ~bits & kAllAccess));
      skip_if(jne_imm(7, 0, 0));
    } else {
      // A deny rule hits a request that asks for any of its bits.
      block.push_back(and32_imm(7, bits));
      skip_if(jeq_imm(7, 0, 0));
    }
  }
  if (rule.major >= 0) skip_if(jne_imm(5, static_cast<int32_t>(rule.major), 0));
  if (rule.minor >= 0) skip_if(jne_imm(6, static_cast<int32_t>(rule.minor), 0));
  block.push_back(mov64_imm(0, rule.allow ? 1 : 0));
  block.push_back(exit_insn());
  for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
  return block;
}

long bpf(int cmd, union bpf_attr* attr) {
  return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

}  // namespace

Result<> apply_v1_devices(const std::string& dir, const std::vector<Resources::DeviceRule>& rules) {
  // Start from "nothing allowed", then replay the rules in order, as the spec describes.
  TRY_CTX(write_value(dir, "devices.deny", "a"), "setting device allowlist");
  for (const auto& r : rules) {
    TRY_CTX(write_value(dir, r.allow ? "devices.allow" : "devices.deny", v1_rule_text(r)),
            "setting device allowlist");
  }
  return {};
}

std::vector<BpfInsn> compile_device_filter(const std::vector<Resources::DeviceRule>& rules) {
  std::vector<BpfInsn> prog = {
      // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
      load_u32(2, 1, 0),   // r2 = access_type = (access << 16) | type
      mov32_reg(3, 2),     // r3 = type
      and32_imm(3, 0xffff),
      mov32_reg(4, 2),     // r4 = access
      rsh32_imm(4, 16),
      load_u32(5, 1, 4),   // r5 = major
      load_u32(6, 1, 8),   // r6 = minor
  };
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    auto block = compile_rule(*it);
    prog.insert(prog.end(), block.begin(), block.end());
    // A rule that matches everything ("a *:* rwm") always returns: the verifier rejects
    // code after it as unreachable, and the earlier rules could never win anyway.
    if (block.size() == 2) return prog;
  }
  prog.push_back(mov64_imm(0, 0));  // no rule matched: deny
  prog.push_back(exit_insn());
  return prog;
}

Result<> attach_v2_device_filter(int cgroup_dir_fd, const std::string& dir,
                                 const std::vector<Resources::DeviceRule>& rules) {
  auto prog = compile_device_filter(rules);
  std::vector<struct bpf_insn> insns(prog.size());
  static_assert(sizeof(struct bpf_insn) == sizeof(BpfInsn));
  std::memcpy(insns.data(), prog.data(), prog.size() * sizeof(BpfInsn));

  static const char kLicense[] = "Apache-2.0";  // no GPL-only helpers are called
  union bpf_attr load;
  std::memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uintptr_t>(insns.data());
  load.insn_cnt = static_cast<uint32_t>(insns.size());
  load.license = reinterpret_cast<uintptr_t>(kLicense);
  trace_syscall("bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, " +
                std::to_string(insns.size()) + " instructions)");
  // First without the verifier's log: writing it costs time, and since Linux 6.4 a log
  // that does not fit its buffer fails the load with ENOSPC even when the program is fine.
  long fd = bpf(BPF_PROG_LOAD, &load);
  std::vector<char> log;
  if (fd < 0) {  // again, only to learn why
    log.assign(1 << 20, '\0');
    load.log_buf = reinterpret_cast<uintptr_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    load.log_level = 1;
    fd = bpf(BPF_PROG_LOAD, &load);
  }
  if (fd < 0) {
    // The verifier's log says why it refused the program: its first line is the reason.
    std::string why = log.empty() ? std::string() : std::string(log.data());
    if (auto nl = why.find('\n'); nl != std::string::npos) why.resize(nl);
    return sys_error("setting device allowlist: bpf(BPF_PROG_LOAD)" +
                     (why.empty() ? std::string() : " (" + why + ")"));
  }
  Fd prog_fd(static_cast<int>(fd));

  // BPF_F_ALLOW_MULTI: the parent's programs keep running too, so a container can only be
  // more restricted than berth/, never less. The attachment outlives prog_fd: it ends when
  // the cgroup is removed.
  union bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(cgroup_dir_fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  trace_syscall("bpf(BPF_PROG_ATTACH, " + quote(dir) + ", BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)");
  if (bpf(BPF_PROG_ATTACH, &attach) < 0)
    return sys_error("setting device allowlist: bpf(BPF_PROG_ATTACH)", dir);
  return {};
}

}  // namespace berth::runtime::cgroup_detail
