// top and stats: what a running container's processes are and what they use, read from
// its cgroup (runtime::container_usage) and /proc.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "base/fs.h"
#include "base/process.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "runtime/container.h"

namespace berth::cli {

namespace {

// docker's units.BytesSize: 1.5MiB, 7.7GiB.
std::string binary_size(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, u++;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
  return buf;
}

uint64_t host_memory() {
  auto info = read_file("/proc/meminfo");
  if (!info) return 0;
  for (const auto& l : split(*info, '\n'))
    if (l.rfind("MemTotal:", 0) == 0) return static_cast<uint64_t>(parse_int(trim(l.substr(9, l.size() - 12))).value_or(0)) * 1024;
  return 0;
}

// Received / sent bytes on the container's interfaces other than lo.
std::string net_io(pid_t pid) {
  auto dev = read_file("/proc/" + std::to_string(pid) + "/net/dev");
  if (!dev) return "--";
  uint64_t rx = 0, tx = 0;
  for (const auto& l : split(*dev, '\n')) {
    auto colon = l.find(':');
    if (colon == std::string::npos || trim(l.substr(0, colon)) == "lo") continue;
    std::vector<std::string> f;
    for (const auto& w : split(l.substr(colon + 1), ' '))
      if (!w.empty()) f.push_back(w);
    if (f.size() < 9) continue;
    rx += static_cast<uint64_t>(parse_int(f[0]).value_or(0));
    tx += static_cast<uint64_t>(parse_int(f[8]).value_or(0));
  }
  return binary_size(rx) + " / " + binary_size(tx);
}

struct Sample {
  engine::ContainerRecord rec;
  runtime::ContainerUsage usage;
  std::chrono::steady_clock::time_point at;
};

int show_stats(const Globals& g, std::vector<std::string> names, bool stream) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  if (names.empty()) {  // docker: every running container
    auto all = eng->containers();
    if (!all) return report(all.error());
    for (const auto& c : *all)
      if (eng->store().is_alive(c)) names.push_back(c.name);
  }
  uint64_t host_mem = host_memory();
  auto sample_all = [&]() -> Result<std::vector<Sample>> {
    std::vector<Sample> out;
    for (const auto& n : names) {
      ASSIGN_OR_RETURN(engine::ContainerRecord rec, eng->find(n));
      auto u = runtime::container_usage(rec.id);
      out.push_back({rec, u ? *u : runtime::ContainerUsage{}, std::chrono::steady_clock::now()});
    }
    return out;
  };
  auto before = sample_all();
  if (!before) return report(before.error());
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto after = sample_all();
    if (!after) return report(after.error());
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < after->size(); i++) {
      const Sample &a = (*before)[i], &b = (*after)[i];
      double wall = std::chrono::duration<double, std::nano>(b.at - a.at).count();
      double cpu = wall > 0 ? static_cast<double>(b.usage.cpu_usage_ns - a.usage.cpu_usage_ns) / wall * 100 : 0;
      uint64_t limit = b.usage.memory_limit ? b.usage.memory_limit : host_mem;
      double mem_pct = limit ? static_cast<double>(b.usage.memory_usage) / static_cast<double>(limit) * 100 : 0;
      char cpu_s[16], mem_s[16];
      std::snprintf(cpu_s, sizeof cpu_s, "%.2f%%", cpu < 0 ? 0 : cpu);
      std::snprintf(mem_s, sizeof mem_s, "%.2f%%", mem_pct);
      bool running = eng->store().is_alive(b.rec);
      rows.push_back({b.rec.id.substr(0, 12), b.rec.name, running ? cpu_s : "--",
                      binary_size(b.usage.memory_usage) + " / " + binary_size(limit), running ? mem_s : "--",
                      running ? net_io(b.rec.pid) : "--", "--", std::to_string(b.usage.pids)});
    }
    if (stream) std::fputs("\033[2J\033[H", stdout);  // clear the screen, as docker does
    print_table({"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"},
                rows);
    std::fflush(stdout);
    if (!stream) return 0;
    before = std::move(after);
  }
}

// One `ps -ef` line for a host pid: UID PID PPID C STIME TTY TIME CMD.
std::vector<std::string> process_row(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  auto status = read_file(base + "/status");
  auto stat = read_file(base + "/stat");
  auto cmdline = read_file(base + "/cmdline");
  if (!status || !stat) return {};
  std::string uid = "?", ppid = "?";
  for (const auto& l : split(*status, '\n')) {
    if (l.rfind("Uid:", 0) == 0) uid = split(trim(l.substr(4)), '\t')[0];
    if (l.rfind("PPid:", 0) == 0) ppid = trim(l.substr(5));
  }
  auto fields = split(trim(stat->substr(stat->rfind(')') + 1)), ' ');
  long ticks = ::sysconf(_SC_CLK_TCK);
  int64_t cpu_s = fields.size() > 12 ? (parse_int(fields[11]).value_or(0) + parse_int(fields[12]).value_or(0)) / ticks : 0;
  char time_s[64];
  std::snprintf(time_s, sizeof time_s, "%02lld:%02lld:%02lld", static_cast<long long>(cpu_s / 3600),
                static_cast<long long>(cpu_s / 60 % 60), static_cast<long long>(cpu_s % 60));
  // STIME: boot time + start ticks.
  std::string stime = "?";
  if (auto start = process_start_time(pid)) {
    struct timespec up;
    ::clock_gettime(CLOCK_BOOTTIME, &up);
    time_t started = ::time(nullptr) - up.tv_sec + static_cast<time_t>(*start / static_cast<uint64_t>(ticks));
    char buf[16];
    struct tm tm;
    ::localtime_r(&started, &tm);
    std::strftime(buf, sizeof buf, "%H:%M", &tm);
    stime = buf;
  }
  std::string cmd = cmdline ? *cmdline : "";
  for (auto& c : cmd)
    if (c == '\0') c = ' ';
  return {uid, std::to_string(pid), ppid, "0", stime, "?", time_s, trim(cmd)};
}

}  // namespace

int show_top(const Globals& g, const std::string& key) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto rec = eng->find(key);
  if (!rec) return report(rec.error());
  if (!eng->store().is_alive(*rec)) return report(Error(0, "container is not running", key));
  auto u = runtime::container_usage(rec->id);
  if (!u) return report(u.error());
  std::vector<std::vector<std::string>> rows;
  for (pid_t p : u->processes)
    if (auto row = process_row(p); !row.empty()) rows.push_back(row);
  print_table({"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}, rows);
  return 0;
}

void register_usage_commands(CLI::App& app, Globals& g, int* exit_code) {
  auto* top = app.add_subcommand("top", "Display the running processes of a container");
  static std::string top_name;
  top->add_option("container", top_name, "CONTAINER")->required();
  top->callback([&g, exit_code] { *exit_code = show_top(g, top_name); });

  auto* stats = app.add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
  static std::vector<std::string> stats_names;
  static bool no_stream = false;
  stats->add_option("containers", stats_names, "CONTAINER...");
  stats->add_flag("--no-stream", no_stream, "Disable streaming stats and only pull the first result");
  stats->callback([&g, exit_code] { *exit_code = show_stats(g, stats_names, !no_stream); });
}

}  // namespace berth::cli
