// A layer made by berth in a child with its own mount namespace (see layer_job.h).
#include "builder/layer_job.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/trace.h"

namespace berth::builder {

namespace {

// overlay's lowerdir option lists the topmost layer first.
std::string lowerdir_option(const std::vector<std::string>& layers, const std::string& empty) {
  std::vector<std::string> top_first(layers.rbegin(), layers.rend());
  // A mount without an upper directory needs two lower ones; an empty one costs nothing.
  top_first.push_back(empty);
  return "lowerdir=" + join(top_first, ":");
}

Result<> mount_overlay(const std::string& target, const std::string& data) {
  if (data.size() >= 4096) return fail("overlay mount options exceed one page", target);
  trace_syscall("mount(\"overlay\", \"" + target + "\", \"overlay\", 0, \"" + data + "\")");
  if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0) return sys_error("mount overlay", target);
  return {};
}

// In the child: its own mount namespace, the two filesystems, then the job.
Result<> run_in_child(const LayerJob& job, const std::function<Result<>(int, int)>& fn) {
  if (::unshare(CLONE_NEWNS) < 0) return sys_error("unshare", "CLONE_NEWNS");
  // Directories and files made here get the modes asked for, whatever berth's caller's
  // umask is (the OCI runtimes' default, 022).
  ::umask(022);
  // Nothing we mount may propagate back to the host's namespace.
  if (::mount("", "/", "", MS_REC | MS_PRIVATE, "") < 0) return sys_error("mount", "/ private");
  const std::string& d = job.scratch_dir;
  std::string empty = path_join(d, "empty");
  TRY(mount_overlay(path_join(d, "root"), lowerdir_option(job.lower_dirs, empty) + ",upperdir=" +
                                              path_join(d, "upper") + ",workdir=" + path_join(d, "work")));
  ASSIGN_OR_RETURN(Fd root, open_fd(path_join(d, "root"), O_PATH | O_DIRECTORY));
  Fd source;
  if (!job.source_layers.empty()) {
    TRY(mount_overlay(path_join(d, "source"), lowerdir_option(job.source_layers, empty)));
    ASSIGN_OR_RETURN(source, open_fd(path_join(d, "source"), O_PATH | O_DIRECTORY));
  }
  return fn(root.get(), source.valid() ? source.get() : -1);
}

}  // namespace

Result<std::string> run_layer_job(const LayerJob& job, const std::function<Result<>(int, int)>& fn) {
  for (const char* sub : {"empty", "root", "upper", "work", "source"})
    TRY(make_dirs(path_join(job.scratch_dir, sub), 0755));
  auto results = run_forked(1, 1, [&](size_t) { return run_in_child(job, fn); });
  TRY(std::move(results[0]));
  return path_join(job.scratch_dir, "upper");
}

}  // namespace berth::builder
