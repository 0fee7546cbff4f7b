// Healthchecks: run by the shim every interval as `berth internal health ID`.
//
// One check is an `exec` of the healthcheck command in the container with the timeout, its
// output captured (docker keeps the first 4 KiB). The result goes into State.Health:
//   exit 0         -> "healthy", failing streak 0;
//   anything else  -> failing streak + 1; "unhealthy" once it reaches Retries. During the
//                     start period failures do not count (the service may still be
//                     booting), but a success already makes it healthy.
// The last five results are kept in State.Health.Log, as docker does.
#include <sys/mman.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fs.h"
#include "engine/engine.h"

namespace berth::engine {

namespace {

constexpr size_t kMaxOutput = 4096;
constexpr size_t kKeptResults = 5;

// Points our stdout and stderr at a memory file, so the command's output can be read back.
Result<Fd> capture_output() {
  Fd mem(::memfd_create("berth-health", MFD_CLOEXEC));
  if (!mem) return sys_error("memfd_create");
  if (::dup2(mem.get(), STDOUT_FILENO) < 0 || ::dup2(mem.get(), STDERR_FILENO) < 0)
    return sys_error("dup2", "health output");
  return mem;
}

std::string captured(int mem) {
  std::string out(kMaxOutput, '\0');
  ssize_t n = ::pread(mem, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace

Result<> Engine::health_check(const std::string& id) {
  ASSIGN_OR_RETURN(ContainerRecord rec, containers_.load(id));
  if (rec.healthcheck.is_null() || rec.status != "running" || rec.paused) return {};  // docker skips paused ones
  Healthcheck hc = Healthcheck::from_json(rec.healthcheck);
  ExecOptions o;
  o.command = hc.command();
  std::string start = rfc3339_now();
  ASSIGN_OR_RETURN(Fd mem, capture_output());
  int timeout_ms = static_cast<int>(hc.timeout_ns / 1'000'000);
  auto status = exec(id, o, timeout_ms);
  int code = -1;
  std::string output;
  if (!status) {
    output = status.error().message();
  } else if (status->timed_out) {
    output = "Health check exceeded timeout (" + std::to_string(timeout_ms / 1000) + "s)";
  } else {
    code = status->code;
    output = captured(mem.get());
  }
  int64_t running_s = seconds_since(rec.started_at);
  bool in_start_period = running_s >= 0 && running_s * 1'000'000'000 < hc.start_period_ns;
  TRY(containers_.update(id, [&](ContainerRecord& r) -> Result<> {
    if (r.status != "running" || r.started_at != rec.started_at) return {};  // it moved on
    Json h = r.health.is_object() ? r.health : Json{{"Status", "starting"}, {"FailingStreak", 0}};
    Json log = h.value("Log", Json::array());
    log.push_back({{"Start", start}, {"End", rfc3339_now()}, {"ExitCode", code}, {"Output", output}});
    while (log.size() > kKeptResults) log.erase(log.begin());
    h["Log"] = log;
    if (code == 0) {
      h["Status"] = "healthy";
      h["FailingStreak"] = 0;
    } else if (!in_start_period) {
      int streak = h.value("FailingStreak", 0) + 1;
      h["FailingStreak"] = streak;
      if (streak >= hc.retries) h["Status"] = "unhealthy";
    }
    r.health = h;
    return {};
  }));
  return {};
}

}  // namespace berth::engine
