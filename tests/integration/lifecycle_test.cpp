// Detached containers: the shim, the lifecycle verbs, logs, restart policies, and what
// happens when a shim or berth is killed, or the machine reboots.
#include "harness.h"

namespace berth_it {
namespace {

class LifecycleTest : public BusyboxTest {
 protected:
  // `run -d` with options; returns the id it printed (fails the test otherwise).
  std::string run_d(const std::vector<std::string>& opts, const std::vector<std::string>& cmd) {
    std::vector<std::string> a = {"run", "-d"};
    a.insert(a.end(), opts.begin(), opts.end());
    a.push_back("busybox");
    a.insert(a.end(), cmd.begin(), cmd.end());
    Result r = berth(a);
    EXPECT_EQ(r.code, 0) << describe(r);
    std::string id = r.out.substr(0, r.out.find('\n'));
    EXPECT_EQ(id.size(), 64u) << describe(r);
    return id;
  }

  nlohmann::json ps_of(const std::string& name) {
    for (const auto& c : ps_all())
      if (c["Names"] == name) return c;
    return nullptr;
  }

  // Polls `berth ps -a` until the container's Status starts with `prefix`.
  bool status_becomes(const std::string& name, const std::string& prefix, std::chrono::milliseconds limit = 10s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto c = ps_of(name);
      if (!c.is_null() && c["Status"].get<std::string>().rfind(prefix, 0) == 0) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  bool logs_contain(const std::string& name, const std::string& needle, std::chrono::milliseconds limit = 10s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      Result r = berth({"logs", name});
      if ((r.out + r.err).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::string record_of(const std::string& id) { return slurp(root_ + "/containers/" + id + "/container.json"); }

  // "Key:\tvalue" lines of /proc/PID/status.
  static std::string kv_colon(const std::string& text, const std::string& key) {
    for (const auto& l : lines_of(text))
      if (l.rfind(key + ":", 0) == 0) return l.substr(l.find_first_not_of(" \t", key.size() + 1));
    return "<missing " + key + ">";
  }
};

TEST_F(LifecycleTest, RunDetachedKeepsLogsAndStopStartRm) {
  std::string id = run_d({"--name", "web"},
                         {"sh", "-c", "trap 'echo bye; exit 7' TERM; echo hello; echo oops >&2; "
                                      "while :; do sleep 0.1; done"});
  EXPECT_TRUE(status_becomes("web", "Up")) << ps_of("web").dump();
  EXPECT_TRUE(logs_contain("web", "hello"));
  Result logs = berth({"logs", "web"});
  EXPECT_EQ(logs.out, "hello\n");
  EXPECT_EQ(logs.err, "oops\n");
  Result ts = berth({"logs", "-t", "web"});
  EXPECT_EQ(ts.out.size(), std::string("2026-11-26T12:00:00.123456789Z hello\n").size()) << ts.out;
  // A second `run -d` with the same name conflicts, and nothing new is left behind.
  Result dup = berth({"run", "-d", "--name", "web", "busybox", "true"});
  EXPECT_EQ(dup.code, 125) << describe(dup);
  EXPECT_EQ(container_dirs().size(), 1u);

  Result stop = berth({"stop", "web"});
  EXPECT_EQ(stop.code, 0) << describe(stop);
  EXPECT_EQ(stop.out, "web\n");
  EXPECT_TRUE(status_becomes("web", "Exited (7)", 1s)) << ps_of("web").dump();
  EXPECT_TRUE(logs_contain("web", "bye"));
  Result wait = berth({"wait", "web"});
  EXPECT_EQ(wait.out, "7\n") << describe(wait);

  Result start = berth({"start", "web"});
  EXPECT_EQ(start.code, 0) << describe(start);
  EXPECT_TRUE(status_becomes("web", "Up"));
  EXPECT_TRUE(logs_contain("web", "hello\nbye\nhello\n")) << berth({"logs", "web"}).out;
  Result rm = berth({"rm", "web"});
  EXPECT_NE(rm.code, 0) << "a running container needs -f";
  Result rmf = berth({"rm", "-f", "web"});
  EXPECT_EQ(rmf.code, 0) << describe(rmf);
  EXPECT_TRUE(ps_all().empty());
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, KillSendsSignalsAndDefaultsToSigkill) {
  run_d({"--name", "k"}, {"sh", "-c", "trap 'echo got USR1' USR1; while :; do sleep 0.1; done"});
  ASSERT_TRUE(status_becomes("k", "Up"));
  Result usr1 = berth({"kill", "-s", "USR1", "k"});
  EXPECT_EQ(usr1.code, 0) << describe(usr1);
  EXPECT_TRUE(logs_contain("k", "got USR1"));
  EXPECT_TRUE(status_becomes("k", "Up"));
  Result kill = berth({"kill", "k"});
  EXPECT_EQ(kill.code, 0) << describe(kill);
  EXPECT_TRUE(status_becomes("k", "Exited (137)"));
  Result again = berth({"kill", "k"});
  EXPECT_NE(again.code, 0) << "not running any more";
  Result bad = berth({"kill", "-s", "NOPE", "k"});
  EXPECT_NE(bad.err.find("invalid signal"), std::string::npos) << describe(bad);
  EXPECT_EQ(berth({"rm", "k"}).code, 0);
}

TEST_F(LifecycleTest, StopEscalatesToSigkillAfterTheTimeout) {
  // PID 1 ignores SIGTERM unless it has a handler: sleep as PID 1 never dies of it.
  run_d({"--name", "stubborn"}, {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("stubborn", "Up"));
  auto t0 = std::chrono::steady_clock::now();
  Result stop = berth({"stop", "-t", "1", "stubborn"});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(stop.code, 0) << describe(stop);
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 8s);
  EXPECT_TRUE(status_becomes("stubborn", "Exited (137)", 1s)) << ps_of("stubborn").dump();
  EXPECT_EQ(berth({"rm", "stubborn"}).code, 0);
}

TEST_F(LifecycleTest, OnFailureRestartsUpToTheLimit) {
  std::string id = run_d({"--name", "flaky", "--restart", "on-failure:2"}, {"sh", "-c", "echo run; exit 1"});
  Result wait = berth({"wait", "flaky"});
  EXPECT_TRUE(status_becomes("flaky", "Exited (1)", 10s));
  // Three runs in all: the first and two restarts.
  std::this_thread::sleep_for(300ms);
  Result logs = berth({"logs", "flaky"});
  EXPECT_EQ(logs.out, "run\nrun\nrun\n") << describe(logs);
  auto rec = nlohmann::json::parse(record_of(id));
  EXPECT_EQ(rec["RestartCount"], 2);
  EXPECT_EQ(berth({"rm", "flaky"}).code, 0);
  // A bad policy is refused before anything exists.
  Result bad = berth({"run", "-d", "--restart", "sometimes", "busybox", "true"});
  EXPECT_EQ(bad.code, 125);
  EXPECT_NE(bad.err.find("invalid restart policy"), std::string::npos) << describe(bad);
  Result both = berth({"run", "-d", "--rm", "--restart", "always", "busybox", "true"});
  EXPECT_EQ(both.code, 125) << describe(both);
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, StopIsNeverUndoneByTheRestartPolicy) {
  run_d({"--name", "always", "--restart", "always"}, {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"});
  ASSERT_TRUE(status_becomes("always", "Up"));
  EXPECT_EQ(berth({"stop", "always"}).code, 0);
  std::this_thread::sleep_for(700ms);
  auto c = ps_of("always");
  EXPECT_EQ(c["State"], "exited") << c.dump();
  EXPECT_EQ(berth({"rm", "always"}).code, 0);
}

TEST_F(LifecycleTest, LogsRotateAndTailWorksAcrossFiles) {
  std::string id = run_d({"--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=3"},
                         {"sh", "-c", "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo line $i; done"});
  Result wait = berth({"wait", "chatty"});
  EXPECT_EQ(wait.out, "0\n") << describe(wait);
  std::string base = root_ + "/containers/" + id + "/" + id + "-json.log";
  EXPECT_TRUE(fs::exists(base));
  EXPECT_TRUE(fs::exists(base + ".1"));
  EXPECT_TRUE(fs::exists(base + ".2"));
  EXPECT_FALSE(fs::exists(base + ".3"));
  for (const auto& f : {base, base + ".1", base + ".2"}) EXPECT_LE(fs::file_size(f), 2048u) << f;
  Result tail = berth({"logs", "--tail", "2", "chatty"});
  EXPECT_EQ(tail.out, "line 299\nline 300\n") << describe(tail);
  // What is kept is a contiguous run of lines ending at the last one.
  auto kept = lines_of(berth({"logs", "chatty"}).out);
  ASSERT_FALSE(kept.empty());
  int first = std::stoi(kept[0].substr(5));
  EXPECT_EQ(kept.size(), static_cast<size_t>(300 - first + 1));
  Result bad = berth({"run", "-d", "--log-opt", "max-size=lots", "busybox", "true"});
  EXPECT_EQ(bad.code, 125) << describe(bad);
  EXPECT_EQ(berth({"rm", "chatty"}).code, 0);
}

TEST_F(LifecycleTest, LogsFollowSeesNewLinesAndEndsWithTheContainer) {
  run_d({"--name", "ticker"}, {"sh", "-c", "for i in 1 2 3 4 5; do echo tick $i; sleep 0.2; done"});
  Result follow = berth({"logs", "-f", "ticker"}, 20s);
  EXPECT_EQ(follow.code, 0) << describe(follow);
  EXPECT_EQ(follow.out, "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n");
  EXPECT_EQ(berth({"rm", "ticker"}).code, 0);
}

TEST_F(LifecycleTest, RunDetachedRemoveOnExit) {
  run_d({"--rm", "--name", "gone"}, {"sh", "-c", "echo x"});
  for (int i = 0; i < 100 && !container_dirs().empty(); i++) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_TRUE(ps_all().empty());
}

TEST_F(LifecycleTest, CommandNotFoundFailsRunDetachedWith127AndLeavesNothing) {
  Result r = berth({"run", "-d", "busybox", "no-such-command"});
  EXPECT_EQ(r.code, 127) << describe(r);
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, KilledShimLeavesTheContainerRunningAndRmForceCleansUp) {
  std::string id = run_d({"--name", "orphan"}, {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("orphan", "Up"));
  auto shims = processes_mentioning(root_ + "/run/containers/" + id + "/shim.conf");
  ASSERT_EQ(shims.size(), 1u);
  kill(shims[0], SIGKILL);
  std::this_thread::sleep_for(200ms);
  auto c = ps_of("orphan");
  EXPECT_EQ(c["State"], "running") << "the container itself is still there: " << c.dump();
  Result rm = berth({"rm", "-f", "orphan"});
  EXPECT_EQ(rm.code, 0) << describe(rm);
  EXPECT_TRUE(ps_all().empty());
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, BerthKilledHalfWayThroughRunDetachedIsCleanedUp) {
  // Kill `run -d` at different moments; whatever it left, the next command sorts out:
  // a container is either gone or complete (and then removable).
  for (int delay_ms : {0, 5, 10, 20, 40, 80}) {
    Process p = berth_bg({"run", "-d", "busybox", "sleep", "1000"});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    p.signal(SIGKILL);
    p.wait(10s);
  }
  for (const auto& c : ps_all()) {
    std::string name = c["Names"];
    Result rm = berth({"rm", "-f", name});
    EXPECT_EQ(rm.code, 0) << describe(rm);
  }
  EXPECT_TRUE(ps_all().empty());
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, TwentyParallelRunDetachedThenRemoveAll) {
  std::vector<Process> runs;
  for (int i = 0; i < 20; i++)
    runs.push_back(berth_bg({"run", "-d", "--name", "par" + std::to_string(i), "busybox", "sleep", "1000"}));
  for (auto& p : runs) {
    Result r = p.wait(60s);
    EXPECT_EQ(r.code, 0) << describe(r);
  }
  auto all = ps_all();
  EXPECT_EQ(all.size(), 20u);
  for (const auto& c : all) EXPECT_EQ(c["State"], "running") << c.dump();
  std::vector<std::string> rm = {"rm", "-f"};
  for (int i = 0; i < 20; i++) rm.push_back("par" + std::to_string(i));
  Result r = berth(rm, 120s);
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(ps_all().empty());
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, RebootBringsBackAlwaysContainersThroughStartAll) {
  std::string always = run_d({"--name", "svc", "--restart", "always"}, {"sleep", "1000"});
  std::string plain = run_d({"--name", "once"}, {"sleep", "1000"});
  std::string stopped = run_d({"--name", "held", "--restart", "unless-stopped"}, {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("svc", "Up"));
  ASSERT_TRUE(status_becomes("once", "Up"));
  EXPECT_EQ(berth({"stop", "-t", "0", "held"}).code, 0);
  // The "reboot": every shim and container process dies, /run is emptied.
  for (pid_t p : processes_mentioning(root_)) kill(p, SIGKILL);
  for (const auto& id : container_dirs())  // only this root's containers
    for (const auto& cg : berth_cgroups())
      if (cg.ends_with("/" + id)) kill_cgroup(cg);
  std::this_thread::sleep_for(200ms);
  for (const auto& m : mounts_under(root_ + "/run")) umount2(m.c_str(), MNT_DETACH);  // the netns files
  fs::remove_all(root_ + "/run");
  for (const auto& c : ps_all()) EXPECT_EQ(c["State"], "exited") << c.dump();
  // What berth.service runs at boot.
  Result boot = berth({"start", "--all", "--filter", "restart-policy=always", "--filter",
                       "restart-policy=unless-stopped"});
  EXPECT_EQ(boot.code, 0) << describe(boot);
  EXPECT_EQ(boot.out, "svc\n");
  EXPECT_TRUE(status_becomes("svc", "Up"));
  EXPECT_EQ(ps_of("once")["State"], "exited");
  EXPECT_EQ(ps_of("held")["State"], "exited");
  // And a plain `start` works too after the reboot.
  EXPECT_EQ(berth({"start", "once"}).code, 0);
  EXPECT_TRUE(status_becomes("once", "Up"));
  EXPECT_EQ(berth({"rm", "-f", "svc", "once", "held"}).code, 0);
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(LifecycleTest, ExecJoinsEveryNamespaceTheCgroupAndTheLimits) {
  std::string id = run_d({"--name", "box", "--security-opt", "no-new-privileges", "--cap-drop", "CHOWN"},
                         {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("box", "Up"));
  auto rec = nlohmann::json::parse(record_of(id));
  int pid = rec["State"]["Pid"];
  std::string theirs;
  for (const char* ns : {"mnt", "pid", "net", "uts", "ipc", "cgroup"})
    theirs += std::string(ns) + " " + fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + ns).string() + "\n";
  Result ours = berth({"exec", "box", "sh", "-c",
                       "for ns in mnt pid net uts ipc cgroup; do echo \"$ns $(readlink /proc/self/ns/$ns)\"; done"});
  EXPECT_EQ(ours.code, 0) << describe(ours);
  EXPECT_EQ(ours.out, theirs);
  Result st = berth({"exec", "box", "cat", "/proc/self/status"});
  std::string caps = kv_colon(st.out, "CapEff"), container_caps = kv_colon(slurp("/proc/" + std::to_string(pid) + "/status"), "CapEff");
  EXPECT_EQ(caps, container_caps);
  EXPECT_EQ(kv_colon(st.out, "Seccomp"), "2");
  EXPECT_EQ(kv_colon(st.out, "NoNewPrivs"), "1");
  // In the container's cgroup: the container's processes and ours, counted by its pids cgroup.
  // In its pid namespace: the container's PID 1 (sleep) and our shell, nothing of the host.
  Result pids = berth({"exec", "box", "sh", "-c", "echo /proc/[0-9]*"});
  auto listed = pids.out.substr(0, pids.out.find('\n'));
  EXPECT_EQ(std::count(listed.begin(), listed.end(), ' '), 1) << describe(pids);
  EXPECT_EQ(listed.rfind("/proc/1 ", 0), 0u) << describe(pids);
  Result who = berth({"exec", "-u", "nobody", "-w", "/tmp", "-e", "FOO=bar", "box", "sh", "-c", "id -u; pwd; echo $FOO"});
  EXPECT_EQ(who.out, "65534\n/tmp\nbar\n") << describe(who);
  Result code = berth({"exec", "box", "sh", "-c", "exit 3"});
  EXPECT_EQ(code.code, 3);
  Result missing = berth({"exec", "box", "no-such-command"});
  EXPECT_EQ(missing.code, 127) << describe(missing);
  EXPECT_EQ(berth({"rm", "-f", "box"}).code, 0);
  Result gone = berth({"exec", "box", "true"});
  EXPECT_NE(gone.code, 0);
}

TEST_F(LifecycleTest, ExecIntoAStoppedContainerFails) {
  run_d({"--name", "done"}, {"true"});
  berth({"wait", "done"});
  Result r = berth({"exec", "done", "true"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("is not running"), std::string::npos) << describe(r);
  EXPECT_EQ(berth({"rm", "done"}).code, 0);
}

TEST_F(LifecycleTest, ExecInteractiveTerminal) {
  run_d({"--name", "tty"}, {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("tty", "Up"));
  int master = -1, slave = -1;
  ASSERT_TRUE(open_pty(master, slave));
  Process p = Process::spawn(argv({"exec", "-it", "tty", "sh"}), slave);
  close(slave);
  std::string seen;
  EXPECT_TRUE(read_until(master, seen, "# ", 20s)) << seen;
  std::string input = "echo $((6*7)); tty; exit 4\n";
  ASSERT_EQ(write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  EXPECT_TRUE(read_until(master, seen, "42", 10s)) << seen;
  EXPECT_TRUE(read_until(master, seen, "/dev/pts/", 10s)) << seen;
  Result r = p.wait(20s);
  close(master);
  EXPECT_EQ(r.code, 4) << describe(r) << seen;
  EXPECT_EQ(berth({"rm", "-f", "tty"}).code, 0);
}

TEST_F(LifecycleTest, HealthGoesFromStartingToUnhealthyToHealthy) {
  std::string id = run_d({"--name", "hc", "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms",
                          "--health-retries", "2"},
                         {"sh", "-c", "sleep 1.5; touch /tmp/ok; sleep 1000"});
  EXPECT_TRUE(status_becomes("hc", "Up")) << ps_of("hc").dump();
  EXPECT_NE(ps_of("hc")["Status"].get<std::string>().find("(health: starting)"), std::string::npos)
      << ps_of("hc").dump();
  EXPECT_TRUE(status_becomes("hc", "Up", 5s));
  auto until_health = [&](const std::string& word) {
    for (int i = 0; i < 100; i++) {
      if (ps_of("hc")["Status"].get<std::string>().find("(" + word + ")") != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  EXPECT_TRUE(until_health("unhealthy")) << ps_of("hc").dump();
  EXPECT_TRUE(until_health("healthy")) << ps_of("hc").dump();
  Result h = berth({"inspect", "--format", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", "hc"});
  EXPECT_EQ(h.out, "healthy 0\n") << describe(h);
  auto log = nlohmann::json::parse(berth({"inspect", "--format", "{{json .State.Health.Log}}", "hc"}).out);
  EXPECT_LE(log.size(), 5u);
  EXPECT_EQ(log.back()["ExitCode"], 0);
  EXPECT_EQ(berth({"rm", "-f", "hc"}).code, 0);
}

TEST_F(LifecycleTest, HealthcheckTimeoutCountsAsFailure) {
  run_d({"--name", "slow", "--health-cmd", "sleep 5", "--health-interval", "300ms", "--health-timeout", "100ms",
         "--health-retries", "1"},
        {"sleep", "1000"});
  bool unhealthy = false;
  for (int i = 0; i < 100 && !unhealthy; i++) {
    unhealthy = ps_of("slow")["Status"].get<std::string>().find("(unhealthy)") != std::string::npos;
    if (!unhealthy) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(unhealthy) << ps_of("slow").dump();
  Result out = berth({"inspect", "--format", "{{json .State.Health.Log}}", "slow"});
  EXPECT_NE(out.out.find("exceeded timeout"), std::string::npos) << describe(out);
  EXPECT_EQ(berth({"rm", "-f", "slow"}).code, 0);
  Result bad = berth({"run", "-d", "--health-cmd", "true", "--health-interval", "soon", "busybox", "true"});
  EXPECT_EQ(bad.code, 125) << describe(bad);
  EXPECT_NE(bad.err.find("--health-interval"), std::string::npos) << describe(bad);
}

TEST_F(LifecycleTest, InspectShowsDockersShape) {
  std::string id = run_d({"--name", "ins", "--restart", "on-failure:4", "-e", "A=b"}, {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("ins", "Up"));
  Result r = berth({"inspect", "ins"});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto arr = nlohmann::json::parse(r.out);
  ASSERT_TRUE(arr.is_array());
  ASSERT_EQ(arr.size(), 1u);
  auto& c = arr[0];
  EXPECT_EQ(c["Id"], id);
  EXPECT_EQ(c["Name"], "/ins");
  EXPECT_EQ(c["State"]["Status"], "running");
  EXPECT_EQ(c["State"]["Running"], true);
  EXPECT_GT(c["State"]["Pid"].get<int>(), 0);
  EXPECT_EQ(c["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(c["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 4);
  EXPECT_EQ(c["Config"]["Cmd"], nlohmann::json({"sleep", "1000"}));
  bool has_env = false;
  for (const auto& e : c["Config"]["Env"]) has_env |= e == "A=b";
  EXPECT_TRUE(has_env) << c["Config"].dump();
  EXPECT_TRUE(c["NetworkSettings"].is_object());
  Result pid = berth({"inspect", "--format", "{{.State.Pid}}", "ins"});
  EXPECT_EQ(pid.out, std::to_string(c["State"]["Pid"].get<int>()) + "\n");
  Result none = berth({"inspect", "nope"});
  EXPECT_NE(none.code, 0);
  EXPECT_EQ(berth({"rm", "-f", "ins"}).code, 0);
}

TEST_F(LifecycleTest, TopStatsRenameFilterAndPrune) {
  run_d({"--name", "busy", "-m", "64m"}, {"sh", "-c", "sleep 1000"});
  run_d({"--name", "quick"}, {"true"});
  berth({"wait", "quick"});
  ASSERT_TRUE(status_becomes("busy", "Up"));
  Result top = berth({"top", "busy"});
  EXPECT_EQ(top.code, 0) << describe(top);
  EXPECT_NE(top.out.find("UID"), std::string::npos);
  EXPECT_NE(top.out.find("sleep 1000"), std::string::npos) << describe(top);
  Result stats = berth({"stats", "--no-stream", "busy"});
  EXPECT_EQ(stats.code, 0) << describe(stats);
  EXPECT_NE(stats.out.find("/ 64MiB"), std::string::npos) << describe(stats);
  Result running = berth({"ps", "-a", "--filter", "status=running", "--format", "json"});
  EXPECT_NE(running.out.find("\"busy\""), std::string::npos);
  EXPECT_EQ(running.out.find("\"quick\""), std::string::npos) << running.out;
  Result exited = berth({"ps", "-a", "-q", "--filter", "status=exited"});
  EXPECT_EQ(lines_of(exited.out).size(), 1u) << describe(exited);
  EXPECT_EQ(berth({"rename", "quick", "fast"}).code, 0);
  EXPECT_NE(berth({"rename", "fast", "busy"}).code, 0) << "names are unique";
  Result pruned = berth({"container", "prune", "-f"});
  EXPECT_EQ(pruned.code, 0) << describe(pruned);
  auto left = ps_all();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["Names"], "busy");
  EXPECT_EQ(berth({"rm", "-f", "busy"}).code, 0);
  Result sys = berth({"system", "prune", "-a", "-f"});
  EXPECT_EQ(sys.code, 0) << describe(sys);
  EXPECT_NE(sys.out.find("Untagged: busybox:latest"), std::string::npos) << describe(sys);
}

TEST_F(LifecycleTest, StartAttachAndNothingLostFromAFastWriter) {
  // 200000 lines as fast as sh can write them: the shim's pipe fills and the writer waits.
  run_d({"--name", "fast"}, {"sh", "-c", "seq 1 200000"});
  Result wait = berth({"wait", "fast"}, 120s);
  EXPECT_EQ(wait.out, "0\n") << describe(wait);
  Result logs = berth({"logs", "fast"}, 120s);
  auto lines = lines_of(logs.out);
  ASSERT_EQ(lines.size(), 200000u);
  EXPECT_EQ(lines.front(), "1");
  EXPECT_EQ(lines.back(), "200000");
  // start -a: attached to its output, with its exit code.
  Result again = berth({"start", "-a", "fast"}, 120s);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("200000\n"), std::string::npos);
  EXPECT_EQ(berth({"rm", "-v", "fast"}).code, 0);
}

TEST_F(LifecycleTest, RestartVerbStopsAndStartsAgain) {
  std::string id = run_d({"--name", "rs"}, {"sh", "-c", "trap 'exit 0' TERM; echo up; while :; do sleep 0.1; done"});
  ASSERT_TRUE(status_becomes("rs", "Up"));
  int first = nlohmann::json::parse(record_of(id))["State"]["Pid"];
  Result r = berth({"restart", "-t", "2", "rs"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "rs\n");
  EXPECT_TRUE(status_becomes("rs", "Up"));
  int second = nlohmann::json::parse(record_of(id))["State"]["Pid"];
  EXPECT_NE(first, second);
  EXPECT_TRUE(logs_contain("rs", "up\nup\n"));
  EXPECT_EQ(berth({"rm", "-f", "rs"}).code, 0);
}

TEST_F(LifecycleTest, AnotherStateRootNeverTouchesOurContainers) {
  run_d({"--name", "mine"}, {"sleep", "1000"});
  ASSERT_TRUE(status_becomes("mine", "Up"));
  std::string other = root_ + "-other";
  ASSERT_EQ(mkdir(other.c_str(), 0711), 0);
  Result ps = run_command({kBerth, "--root", other, "ps", "-a"});
  EXPECT_EQ(ps.code, 0) << describe(ps);
  Result prune = run_command({kBerth, "--root", other, "system", "prune", "-f"});
  EXPECT_EQ(prune.code, 0) << describe(prune);
  std::error_code ec;
  fs::remove_all(other, ec);
  EXPECT_EQ(ps_of("mine")["State"], "running") << "a command on another --root killed it";
  EXPECT_EQ(berth({"rm", "-f", "mine"}).code, 0);
}

TEST_F(LifecycleTest, PauseFreezesAndUnpauseThaws) {
  Result run = berth({"run", "-d", "--name", "ticker", "busybox", "sh", "-c",
                      "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"});
  ASSERT_EQ(run.code, 0) << describe(run);
  auto lines = [&] { return lines_of(berth({"logs", "ticker"}).out).size(); };
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(berth({"pause", "ticker"}).code, 0);
  Result ps = berth({"ps", "--format", "json"});
  EXPECT_NE(ps.out.find("(Paused)"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("\"State\":\"paused\""), std::string::npos) << ps.out;
  Result state = berth({"inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "ticker"});
  EXPECT_EQ(state.out, "paused true\n") << describe(state);
  size_t frozen = lines();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(lines(), frozen) << "nothing runs while paused";
  Result exec = berth({"exec", "ticker", "true"});
  EXPECT_NE(exec.code, 0);
  EXPECT_NE(exec.err.find("is paused"), std::string::npos) << exec.err;
  EXPECT_NE(berth({"pause", "ticker"}).code, 0) << "already paused";
  ASSERT_EQ(berth({"unpause", "ticker"}).code, 0);
  std::this_thread::sleep_for(400ms);
  EXPECT_GT(lines(), frozen) << "it runs again";
  // A paused container still stops (thawed first), within the grace period.
  ASSERT_EQ(berth({"pause", "ticker"}).code, 0);
  Result stop = berth({"stop", "-t", "1", "ticker"}, 10s);
  EXPECT_EQ(stop.code, 0) << describe(stop);
  Result after = berth({"inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "ticker"});
  EXPECT_EQ(after.out, "exited false\n") << describe(after);
  EXPECT_EQ(berth({"rm", "ticker"}).code, 0);
}

}  // namespace
}  // namespace berth_it
