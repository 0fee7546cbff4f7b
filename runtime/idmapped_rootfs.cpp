#include "runtime/idmapped_rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <vector>

#include "base/strings.h"
#include "base/trace.h"

namespace berth::runtime {

namespace {

// A layer directory as a detached mount that shows its files through the user namespace.
Result<Fd> idmapped_layer(const std::string& dir, int userns) {
  Fd tree(::open_tree(AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) return sys_error("open_tree", dir);
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return sys_error("mount_setattr MOUNT_ATTR_IDMAP", dir);
  return tree;
}

Result<> set_option(int fs, const std::string& key, const std::string& value) {
  if (::fsconfig(fs, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) < 0)
    return sys_error("fsconfig overlay " + key, value);
  return {};
}

}  // namespace

Result<Fd> make_idmapped_rootfs(const ContainerContext& ctx, pid_t pid) {
  const auto& a = ctx.spec.annotations;
  auto lower = a.find(kAnnotationLowerdirs);
  auto upper = a.find(kAnnotationUpperdir);
  auto work = a.find(kAnnotationWorkdir);
  if (lower == a.end()) return Fd();  // a plain rootfs directory: the child binds it
  std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/user";
  ASSIGN_OR_RETURN(Fd userns, open_fd(ns_path, O_RDONLY));

  std::vector<std::string> layers = split(lower->second, ':');
  trace_syscall("open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_IDMAP, " + ns_path +
                ") for " + std::to_string(layers.size()) + " layer(s)");
  std::vector<Fd> trees;
  std::vector<std::string> names;  // how overlayfs reaches each detached tree
  for (const auto& dir : layers) {
    ASSIGN_OR_RETURN(Fd t, idmapped_layer(dir, userns.get()));
    names.push_back("/proc/self/fd/" + std::to_string(t.get()));
    trees.push_back(std::move(t));
  }

  trace_syscall("fsopen(\"overlay\")  fsconfig(lowerdir+ per layer, upperdir, workdir)  fsmount()");
  Fd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return sys_error("fsopen", "overlay");
  // "lowerdir+" (Linux 6.8) takes one layer per call; older kernels only know "lowerdir",
  // whose value fsconfig(2) caps at 256 bytes, enough for about a dozen fd paths.
  bool one_by_one = ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", names[0].c_str(), 0) == 0;
  for (size_t i = one_by_one ? 1 : names.size(); i < names.size(); ++i)
    TRY(set_option(fs.get(), "lowerdir+", names[i]));
  if (!one_by_one) TRY(set_option(fs.get(), "lowerdir", join(names, ":")));
  if (upper != a.end() && work != a.end()) {
    TRY(set_option(fs.get(), "upperdir", upper->second));
    TRY(set_option(fs.get(), "workdir", work->second));
    if (a.contains(kAnnotationVolatile) && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) < 0)
      return sys_error("fsconfig overlay", "volatile");
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return sys_error("fsconfig create overlay", ctx.rootfs);
  Fd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) return sys_error("fsmount overlay", ctx.rootfs);
  return mnt;  // the layer trees may close now: the overlay holds its own references
}

Result<> attach_rootfs(const ContainerContext& ctx, int mount_fd) {
  trace_syscall("move_mount(<overlay fd from the parent>, " + quote(ctx.rootfs) +
                ", MOVE_MOUNT_F_EMPTY_PATH)");
  if (::move_mount(mount_fd, "", AT_FDCWD, ctx.rootfs.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    // The lookup runs as the container's root, a stranger to the host's directories.
    if (errno == EACCES)
      return fail("the container's root (host uid " +
                      std::to_string(ctx.spec.uid_mappings.empty() ? 0 : ctx.spec.uid_mappings[0].host_id) +
                      ") cannot reach its rootfs: every directory above the state root needs o+x",
                  ctx.rootfs);
    return sys_error("move_mount", ctx.rootfs);
  }
  return {};
}

}  // namespace berth::runtime
