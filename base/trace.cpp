#include "base/trace.h"

#include <sched.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

namespace berth {

namespace {
bool g_trace = false;
int g_trace_fd = STDERR_FILENO;
struct timespec g_start;  // when tracing was turned on: lines show the time since
thread_local const char* t_label = nullptr;  // set_trace_thread_label

void emit(const std::string& line) {
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  double ms = static_cast<double>(now.tv_sec - g_start.tv_sec) * 1e3 +
              static_cast<double>(now.tv_nsec - g_start.tv_nsec) / 1e6;
  char stamp[24];
  std::snprintf(stamp, sizeof stamp, "%7.2fms ", ms);
  std::string s = stamp;
  if (t_label) s = s + "[" + t_label + "] ";
  s += line + "\n";
  ssize_t unused = ::write(g_trace_fd, s.data(), s.size());
  (void)unused;
}

template <size_t N>
std::string flags_str(unsigned long flags, const std::pair<unsigned long, const char*> (&names)[N]) {
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((flags & bit) == bit && bit != 0) {
      if (!out.empty()) out += "|";
      out += name;
      flags &= ~bit;
    }
  }
  if (flags != 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%lx", flags);
    if (!out.empty()) out += "|";
    out += buf;
  }
  return out.empty() ? "0" : out;
}
}  // namespace

void set_trace(bool on) {
  g_trace = on;
  ::clock_gettime(CLOCK_MONOTONIC, &g_start);
}
bool trace_enabled() { return g_trace; }
void set_trace_thread_label(const char* label) { t_label = label; }
void set_trace_fd(int fd) { g_trace_fd = fd; }

void trace_step(int index, int total, const char* name, const char* why) {
  if (!g_trace) return;
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%02d/%02d] ", index, total);
  emit(std::string(buf) + name + ": " + why);
}

void trace_syscall(const std::string& text) {
  if (!g_trace) return;
  emit("        " + text);
}

void trace_note(const std::string& text) {
  if (!g_trace) return;
  emit(text);
}

void warn(const std::string& text) {
  std::string line = "berth: warning: " + text + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

std::string mount_flags_str(unsigned long flags) {
  static const std::pair<unsigned long, const char*> names[] = {
      {MS_RDONLY, "MS_RDONLY"},   {MS_NOSUID, "MS_NOSUID"},     {MS_NODEV, "MS_NODEV"},
      {MS_NOEXEC, "MS_NOEXEC"},   {MS_REMOUNT, "MS_REMOUNT"},   {MS_BIND, "MS_BIND"},
      {MS_REC, "MS_REC"},         {MS_PRIVATE, "MS_PRIVATE"},   {MS_SLAVE, "MS_SLAVE"},
      {MS_SHARED, "MS_SHARED"},   {MS_RELATIME, "MS_RELATIME"}, {MS_STRICTATIME, "MS_STRICTATIME"},
      {MS_NOATIME, "MS_NOATIME"}, {MS_MOVE, "MS_MOVE"},
  };
  return flags_str(flags, names);
}

std::string clone_flags_str(unsigned long flags) {
  static const std::pair<unsigned long, const char*> names[] = {
      {CLONE_NEWNS, "CLONE_NEWNS"},         {CLONE_NEWPID, "CLONE_NEWPID"},
      {CLONE_NEWUTS, "CLONE_NEWUTS"},       {CLONE_NEWIPC, "CLONE_NEWIPC"},
      {CLONE_NEWNET, "CLONE_NEWNET"},       {CLONE_NEWUSER, "CLONE_NEWUSER"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
  };
  return flags_str(flags, names);
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

}  // namespace berth
