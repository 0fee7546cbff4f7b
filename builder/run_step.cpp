// RUN: the command in a berth container on the stage's image so far, through the engine
// like any other container (shared/DESIGN.md: the builder runs its RUN steps through the
// engine). What the command changed is the container's overlay upper directory: taken
// out of the container before it is removed, it becomes the step's layer.
//
// The container: the stage's image committed as a (hidden) build-cache image, the ARG
// values in scope added to its environment, USER and WORKDIR from the stage, the host's
// network by default (`--network`), --rm so that a build killed half-way leaves nothing
// the next berth command does not clean up. Its stdout and stderr go through a pipe that a
// thread reads line by line into the progress output.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"
#include "builder/builder_impl.h"

namespace berth::builder {

namespace {

// Reads the command's output and hands each line to the progress printer. A forked
// process, not a thread: the runtime forks the container's process from this one, and a
// fork taken while another thread holds a lock (malloc's, stdio's) would leave that lock
// held forever in the child.
class OutputPump {
 public:
  explicit OutputPump(Progress& progress) : progress_(progress) {}
  Result<int> open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return sys_error("pipe2");
    Fd read_end(fds[0]);
    write_ = Fd(fds[1]);
    pid_ = ::fork();
    if (pid_ < 0) return sys_error("fork");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      write_.reset();
      pump(read_end.get());
      ::_exit(0);
    }
    return write_.get();
  }
  // After the command ended: our write end closes, the pump sees EOF and exits.
  void finish() {
    write_.reset();
    if (pid_ > 0) {
      int status;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
  }
  ~OutputPump() { finish(); }

 private:
  void pump(int fd) {
    std::string pending;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
        progress_.line(pending.substr(0, nl));
    }
    if (!pending.empty()) progress_.line(pending);
  }
  Progress& progress_;
  Fd write_;
  pid_t pid_ = -1;
};

}  // namespace

Result<std::string> Builder::run_container(StageRun& s, const std::vector<std::string>& argv,
                                           const std::string& network, const std::string& scratch) {
  // The container runs an image: the stage as it is now, stored (hidden) if it is not yet.
  if (!s.state.image_id()) TRY(s.state.commit(engine_.images(), {}, true));
  engine::RunOptions o;
  o.image = *s.state.image_id();
  o.command = argv;
  o.entrypoint = "";  // RUN runs its command, never the image's ENTRYPOINT
  for (const auto& [k, v] : s.args)
    if (!s.state.env_value(k)) o.env.push_back(k + "=" + v);
  o.user = s.state.user();
  o.workdir = s.state.working_dir();
  o.network = network;
  o.remove = true;
  o.keep_writable_layer = true;
  o.labels = {"berth.build=1"};
  o.no_healthcheck = true;

  std::string upper = path_join(scratch, "upper");
  Fd null = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  OutputPump pump(progress_);
  ASSIGN_OR_RETURN(int out, pump.open());
  engine::RunHooks hooks;
  hooks.stdio = {null.get(), out, out};
  hooks.on_exited = [&](const engine::ContainerRecord& rec) -> Result<> {
    // The command's changes, before --rm removes the container with them.
    std::string from = path_join(engine_.store().storage_dir(rec.id), "upper");
    if (::rename(from.c_str(), upper.c_str()) < 0) return sys_error("rename", from);
    return {};
  };
  auto status = engine_.run(o, hooks);
  pump.finish();
  if (!status) return std::unexpected(status.error());
  if (status->code != 0) {
    std::string shown = "\"" + join(argv, " ") + "\"";
    return fail("process " + shown + " did not complete successfully: exit code: " + std::to_string(status->code));
  }
  return upper;
}

}  // namespace berth::builder
