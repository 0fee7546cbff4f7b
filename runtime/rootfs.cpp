// Steps that make the container's root filesystem and mount its filesystems in it.
//
// Order matters, and this is why:
//  1. make_mounts_private: the new mount namespace starts as a copy of the host's, with
//     the host's propagation. Marking everything private first means nothing we mount
//     below leaks back to the host (mount_namespaces(7) "Shared subtrees").
//  2. mount_rootfs: overlayfs with the image layers as read-only lowers and this
//     container's upper/work directories (Documentation/filesystems/overlayfs.rst). It is
//     mounted *inside* the container's mount namespace, so when the last process of the
//     container exits, the kernel unmounts it: a crashed berth can never leak it.
//     pivot_root(2) also needs the new root to be a mount point; without layers we
//     bind-mount the rootfs directory onto itself for that.
//  3. mount_filesystems: /proc, /dev, /dev/pts, /sys, binds... in the spec's order, each
//     destination resolved inside the rootfs (runtime/safe_path.h).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"
#include "runtime/idmapped_rootfs.h"
#include "runtime/mount_options.h"
#include "runtime/step_functions.h"
#include "runtime/safe_path.h"

namespace berth::runtime {

namespace {

Result<> do_mount(const std::string& source, const std::string& target, const std::string& type,
                  unsigned long flags, const std::string& data, const std::string& shown_target) {
  trace_syscall("mount(" + quote(source) + ", " + quote(shown_target) + ", " +
                quote(type) + ", " + mount_flags_str(flags) + ", " + quote(data) + ")");
  if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) < 0)
    return sys_error("mount " + type, shown_target);
  return {};
}

// A read-only (or nosuid...) bind needs a second call: MS_BIND ignores the other flags.
// In a user namespace the kernel refuses to clear flags that the source mount has locked,
// so the existing flags are carried over (statvfs(3) reports them).
Result<> remount_bind(const std::string& target, unsigned long flags, const std::string& shown) {
  struct statvfs st;
  unsigned long keep = 0;
  if (::statvfs(target.c_str(), &st) == 0)
    keep = st.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
  unsigned long f = MS_REMOUNT | MS_BIND | (flags & ~(MS_BIND | MS_REC)) | keep;
  return do_mount("", target, "", f, "", shown);
}

Result<> mount_one(ContainerContext& ctx, const Mount& m) {
  MountOptions opts = parse_mount_options(m.options);
  bool is_bind = opts.bind() || m.type == "bind";
  bool directory = true;
  if (is_bind) {
    struct stat st;
    if (::stat(m.source.c_str(), &st) < 0) return sys_error("stat bind source", m.source);
    directory = S_ISDIR(st.st_mode);
  }
  ASSIGN_OR_RETURN(Fd target, make_mount_target(ctx.root_fd.get(), m.destination, directory));
  std::string where = fd_path(target.get());
  if (is_bind) {
    TRY(do_mount(m.source, where, "", MS_BIND | (opts.flags & MS_REC), "", m.destination));
    // The fd still names the directory *under* the new mount; reopen to reach the mount.
    ASSIGN_OR_RETURN(target, open_in_root(ctx.root_fd.get(), m.destination));
    where = fd_path(target.get());
    if (opts.flags & ~(MS_BIND | MS_REC)) TRY(remount_bind(where, opts.flags, m.destination));
  } else {
    TRY(do_mount(m.source.empty() ? m.type : m.source, where, m.type, opts.flags, opts.data,
                 m.destination));
  }
  if (opts.propagation) {
    ASSIGN_OR_RETURN(target, open_in_root(ctx.root_fd.get(), m.destination));
    TRY(do_mount("", fd_path(target.get()), "", opts.propagation, "", m.destination));
  }
  return {};
}

bool owns_network_namespace(const ContainerContext& ctx) {
  const Namespace* ns = ctx.spec.find_namespace("network");
  return ns && ns->path.empty();
}

}  // namespace

Result<> make_mounts_private(ContainerContext&) {
  return do_mount("", "/", "", MS_REC | MS_PRIVATE, "", "/");
}

Result<> mount_rootfs(ContainerContext& ctx) {
  const auto& a = ctx.spec.annotations;
  auto lower = a.find(kAnnotationLowerdirs);
  if (ctx.rootfs_mount) {  // built by the parent over idmapped layers
    TRY(attach_rootfs(ctx, ctx.rootfs_mount.get()));
    ctx.rootfs_mount.reset();
  } else if (lower != a.end()) {
    std::string data = "lowerdir=" + lower->second;
    auto upper = a.find(kAnnotationUpperdir);
    auto work = a.find(kAnnotationWorkdir);
    if (upper != a.end() && work != a.end())
      data += ",upperdir=" + upper->second + ",workdir=" + work->second;
    // Unmounting an overlay syncs its whole upper filesystem, on the way out of every
    // container: half a millisecond here for data `--rm` deletes right after.
    if (a.contains(kAnnotationVolatile) && upper != a.end()) data += ",volatile";
    // Overlay options are one page at most (4096 bytes); many deep layer paths can exceed
    // it. The engine keeps layer paths short; a clear error beats a truncated mount.
    if (data.size() >= 4096) return fail("overlay mount options exceed one page", ctx.rootfs);
    TRY(do_mount("overlay", ctx.rootfs, "overlay", 0, data, ctx.rootfs));
  } else {
    TRY(do_mount(ctx.rootfs, ctx.rootfs, "", MS_BIND | MS_REC, "", ctx.rootfs));
  }
  ASSIGN_OR_RETURN(ctx.root_fd, open_fd(ctx.rootfs, O_PATH | O_DIRECTORY));
  return {};
}

Result<> mount_filesystems(ContainerContext& ctx) {
  for (const auto& m : ctx.spec.mounts) {
    // cgroup mounts need the cgroup namespace, handled in its own step.
    if (m.type == "cgroup" || m.type == "cgroup2") continue;
    if (m.type == "sysfs" && ctx.in_user_namespace && !owns_network_namespace(ctx)) {
      // The kernel lets a user namespace mount sysfs only for a network namespace it owns;
      // sharing the host's (--network host), bind the host's /sys read-only, as runc does.
      Mount bind = m;
      bind.type = "bind";
      bind.source = "/sys";
      bind.options = {"rbind", "nosuid", "noexec", "nodev", "ro"};
      TRY_CTX(mount_one(ctx, bind), "mounting " + m.destination);
      continue;
    }
    TRY_CTX(mount_one(ctx, m), "mounting " + m.destination);
  }
  return {};
}

Result<> mount_cgroup_filesystem(ContainerContext& ctx) {
  for (const auto& m : ctx.spec.mounts) {
    if (m.type != "cgroup2") continue;
    MountOptions opts = parse_mount_options(m.options);
    ASSIGN_OR_RETURN(Fd target, make_mount_target(ctx.root_fd.get(), m.destination, true));
    TRY(do_mount("cgroup2", fd_path(target.get()), "cgroup2", opts.flags, "", m.destination));
  }
  return {};
}

Result<> make_root_readonly(ContainerContext&) {
  return do_mount("", "/", "", MS_REMOUNT | MS_BIND | MS_RDONLY, "", "/");
}

Result<> mask_paths(ContainerContext& ctx) {
  // A masked file gets /dev/null bound over it; a masked directory an empty read-only
  // tmpfs. Paths that don't exist on this kernel are skipped (the list is a superset).
  for (const auto& p : ctx.spec.masked_paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) continue;
    if (S_ISDIR(st.st_mode))
      TRY(do_mount("tmpfs", p, "tmpfs", MS_RDONLY, "", p));
    else
      TRY(do_mount("/dev/null", p, "", MS_BIND, "", p));
  }
  return {};
}

Result<> make_paths_readonly(ContainerContext& ctx) {
  for (const auto& p : ctx.spec.readonly_paths) {
    if (!path_exists(p)) continue;
    TRY(do_mount(p, p, "", MS_BIND | MS_REC, "", p));
    TRY(remount_bind(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, p));
  }
  return {};
}

Result<> pivot_to_rootfs(ContainerContext& ctx) {
  // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "." then
  // detaches the old root, leaving the image as the only "/" this namespace can reach.
  // Unlike chroot(2), nothing of the host remains reachable through "..".
  trace_syscall("chdir(" + quote(ctx.rootfs) + ")  pivot_root(\".\", \".\")  umount2(\".\", MNT_DETACH)");
  if (::chdir(ctx.rootfs.c_str()) < 0) return sys_error("chdir", ctx.rootfs);
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return sys_error("pivot_root", ctx.rootfs);
  if (::umount2(".", MNT_DETACH) < 0) return sys_error("umount2", "old root");
  if (::chdir("/") < 0) return sys_error("chdir", "/");
  ctx.root_fd.reset();
  return {};
}

}  // namespace berth::runtime
