// `berth run` end to end: exit codes, signals, --init, users, environment, working
// directory, entrypoint, volumes, tmpfs, terminals, and cleanup after a crashed berth.
#include <stdlib.h>
#include <termios.h>

#include "harness.h"

namespace berth_it {
namespace {

using RunTest = BusyboxTest;

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

TEST_F(RunTest, ExitCodeOfTheCommand) {
  Result r = run({}, {"sh", "-c", "exit 7"});
  EXPECT_EQ(r.code, 7) << describe(r);
  Result ok = run({}, {"true"});
  EXPECT_EQ(ok.code, 0) << describe(ok);
}

TEST_F(RunTest, CommandNotFoundIs127) {
  Result r = run({}, {"nonexistent-cmd"});
  EXPECT_EQ(r.code, 127) << describe(r);
  EXPECT_NE(r.err.find("nonexistent-cmd"), std::string::npos) << describe(r);
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(RunTest, NotExecutableIs126) {
  Result r = run({}, {"/etc/passwd"});
  EXPECT_EQ(r.code, 126) << describe(r);
  EXPECT_NE(r.err.find("/etc/passwd"), std::string::npos) << describe(r);
}

TEST_F(RunTest, UnknownImageIs125WithOneLineError) {
  // --pull never: a missing image is not looked for in a registry (this one would be
  // Docker Hub, and tests talk to loopback only; PullTest covers run's pull).
  Result r = berth({"run", "--rm", "--pull", "never", "no-such-image:1", "true"});
  EXPECT_EQ(r.code, 125) << describe(r);
  EXPECT_TRUE(one_line(r.err)) << describe(r);
  EXPECT_NE(r.err.find("no-such-image"), std::string::npos) << describe(r);
  EXPECT_TRUE(r.out.empty()) << describe(r);
}

TEST_F(RunTest, BadMemoryIs125AndLeavesNothingBehind) {
  Result r = berth({"run", "--name", "tiny-mem", "--memory", "1k", "busybox", "true"});
  EXPECT_EQ(r.code, 125) << describe(r);
  EXPECT_TRUE(one_line(r.err)) << describe(r);
  EXPECT_TRUE(ps_all().empty());
  EXPECT_TRUE(container_dirs().empty()) << container_dirs()[0];
  // The name is free again.
  Result again = berth({"run", "--rm", "--name", "tiny-mem", "busybox", "true"});
  EXPECT_EQ(again.code, 0) << describe(again);
}

// SIGTERM to berth reaches the command; the probe's handler exits 42.
void expect_sigterm_forwarded(Process& p) {
  ASSERT_TRUE(p.wait_for_output("ready\n", 20s)) << "no ready: " << p.out() << p.err();
  p.signal(SIGTERM);
  Result r = p.wait(20s);
  EXPECT_EQ(r.code, 42) << describe(r);
  EXPECT_EQ(r.out, "ready\ngot SIGTERM\n") << describe(r);
}

TEST_F(RunTest, SigtermIsForwardedToPid1WithAHandler) {
  Process p = berth_bg({"run", "--rm", "-v", kProbe + ":/probe:ro", "busybox", "/probe",
                        "signal-wait"});
  expect_sigterm_forwarded(p);
}

TEST_F(RunTest, SigtermIsForwardedThroughInit) {
  Process p = berth_bg({"run", "--rm", "--init", "-v", kProbe + ":/probe:ro", "busybox",
                        "/probe", "signal-wait"});
  expect_sigterm_forwarded(p);
}

TEST_F(RunTest, InitIsPid1AndSleepDiesOfSigterm) {
  Result st = probe({"--init"}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_NE(kv(st.out, "pid"), "1") << st.out;
  EXPECT_EQ(kv(st.out, "ppid"), "1") << st.out;
  Process p = berth_bg({"run", "--rm", "--init", "busybox", "sh", "-c", "echo ready; exec sleep 100"});
  ASSERT_TRUE(p.wait_for_output("ready\n", 20s)) << p.out() << p.err();
  std::this_thread::sleep_for(300ms);  // let sh exec sleep
  p.signal(SIGTERM);
  Result r = p.wait(20s);
  EXPECT_EQ(r.code, 143) << describe(r);
}

TEST_F(RunTest, RootDirectoryIsTraversableByEveryone) {
  // The rootfs root keeps the image's mode (0755), so non-root users can reach /bin.
  Result r = run({}, {"stat", "-c", "%a %u:%g", "/"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "755 0:0\n");
}

TEST_F(RunTest, UserByNameFromTheImagesPasswd) {
  Result st = probe({"-u", "app"}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "uid"), "1000");
  EXPECT_EQ(kv(st.out, "gid"), "1000");
  EXPECT_EQ(kv(st.out, "CapEff"), "0000000000000000");
  Result home = run({"-u", "app"}, {"sh", "-c", "echo $HOME; id -G"});
  EXPECT_EQ(home.code, 0) << describe(home);
  EXPECT_EQ(home.out, "/home/app\n1000 50\n");
}

TEST_F(RunTest, NumericUserAndGroup) {
  Result st = probe({"-u", "1234:50"}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "uid"), "1234");
  EXPECT_EQ(kv(st.out, "gid"), "50");
}

TEST_F(RunTest, UnknownUserIs125) {
  Result r = run({"-u", "nosuchuser"}, {"true"});
  EXPECT_EQ(r.code, 125) << describe(r);
  EXPECT_NE(r.err.find("nosuchuser"), std::string::npos) << describe(r);
  EXPECT_TRUE(one_line(r.err)) << describe(r);
}

TEST_F(RunTest, EnvironmentWorkdirAndEntrypoint) {
  std::string env_file = root_ + "/vars.env";
  {
    std::ofstream f(env_file);
    f << "# comment\nFROM_FILE=yes\n\nSPACED=a b\n";
  }
  Result env = run({"-e", "A=1", "-e", "B=x=y", "--env-file", env_file},
                   {"sh", "-c", "echo $A,$B,$FROM_FILE,$SPACED,$PATH"});
  EXPECT_EQ(env.code, 0) << describe(env);
  EXPECT_EQ(env.out, "1,x=y,yes,a b,/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
  Result wd = run({"-w", "/tmp"}, {"sh", "-c", "pwd"});
  EXPECT_EQ(wd.out, "/tmp\n") << describe(wd);
  Result wd_new = run({"-w", "/new/dir"}, {"sh", "-c", "pwd"});
  EXPECT_EQ(wd_new.out, "/new/dir\n") << describe(wd_new);
  Result ep = run({"--entrypoint", "/bin/echo"}, {"via", "entrypoint"});
  EXPECT_EQ(ep.code, 0) << describe(ep);
  EXPECT_EQ(ep.out, "via entrypoint\n");
}

TEST_F(RunTest, ReadOnlyBindMount) {
  std::string dir = root_ + "/hostdir";
  fs::create_directories(dir);
  {
    std::ofstream f(dir + "/hello.txt");
    f << "from host\n";
  }
  Result r = run({"-v", dir + ":/data:ro"},
                 {"sh", "-c", "cat /data/hello.txt; touch /data/new 2>/dev/null; echo touch=$?"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "from host\ntouch=1\n");
  EXPECT_FALSE(fs::exists(dir + "/new"));
  Result rw = run({"-v", dir + ":/data"}, {"sh", "-c", "echo back > /data/new"});
  EXPECT_EQ(rw.code, 0) << describe(rw);
  EXPECT_EQ(slurp(dir + "/new"), "back\n");
}

TEST_F(RunTest, TmpfsMount) {
  Result r = run({"--tmpfs", "/scratch"},
                 {"sh", "-c", "grep ' /scratch ' /proc/mounts; echo hi > /scratch/f && cat /scratch/f"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("tmpfs"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find("hi\n"), std::string::npos) << describe(r);
}

// --rm's writable layer goes with the container, so its overlay is mounted volatile (no
// sync of the upper directory on the way out); a container that stays keeps a normal one.
TEST_F(RunTest, OnlyRmMountsItsOverlayVolatile) {
  const std::vector<std::string> root_line = {"sh", "-c", "grep ' / / ' /proc/self/mountinfo"};
  Result rm = run({}, root_line);
  ASSERT_EQ(rm.code, 0) << describe(rm);
  EXPECT_NE(rm.out.find("overlay"), std::string::npos) << describe(rm);
  EXPECT_NE(rm.out.find("volatile"), std::string::npos) << describe(rm);
  std::vector<std::string> kept = {"run", "--name", "kept", "busybox"};
  kept.insert(kept.end(), root_line.begin(), root_line.end());
  Result k = berth(kept);
  ASSERT_EQ(k.code, 0) << describe(k);
  EXPECT_NE(k.out.find("overlay"), std::string::npos) << describe(k);
  EXPECT_EQ(k.out.find("volatile"), std::string::npos) << describe(k);
  EXPECT_EQ(berth({"rm", "kept"}).code, 0);
}

// The verbs are registered group by group only as far as the verb given needs; --help
// (no verb) still shows every one of them.
TEST_F(RunTest, HelpListsEveryCommandGroup) {
  Result h = berth({"--help"});
  EXPECT_EQ(h.code, 0) << describe(h);
  for (const char* verb : {"run", "start", "ps", "images", "stats", "network", "volume", "build", "push", "compose"})
    EXPECT_NE(h.out.find("\n  " + std::string(verb) + " "), std::string::npos) << verb << " in\n" << h.out;
  Result v = berth({"compose", "version"});
  EXPECT_EQ(v.code, 0) << describe(v);
}

TEST_F(RunTest, InteractiveTerminal) {
  int master = -1, slave = -1;
  ASSERT_TRUE(open_pty(master, slave));
  Process p = Process::spawn(argv({"run", "--rm", "-it", "busybox", "sh"}), slave);
  close(slave);
  std::string seen;
  bool prompt = read_until(master, seen, "# ", 20s);
  EXPECT_TRUE(prompt) << "no prompt, saw: " << seen;
  std::string input = "echo $((6*7)); readlink /proc/self/fd/0; exit 5\n";
  ASSERT_EQ(write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  EXPECT_TRUE(read_until(master, seen, "42", 20s)) << seen;
  EXPECT_TRUE(read_until(master, seen, "/dev/pts/0", 10s)) << seen;
  Result r = p.wait(20s);
  close(master);
  EXPECT_EQ(r.code, 5) << describe(r) << "\n--- terminal ---\n" << seen;
}

TEST_F(RunTest, KilledBerthIsCleanedUpByTheNextCommand) {
  Process p = berth_bg({"run", "--name", "crashy", "busybox", "sleep", "100"});
  bool running = false;
  for (int i = 0; i < 100 && !running; ++i) {
    for (const auto& c : ps_all())
      if (c["Names"] == "crashy" && c["State"] == "running") running = true;
    if (!running) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(running) << "container never showed as running";
  p.signal(SIGKILL);
  Result killed = p.wait(10s);
  EXPECT_EQ(killed.code, 128 + SIGKILL);
  std::string status;
  for (int i = 0; i < 50; ++i) {
    auto ps = ps_all();
    ASSERT_EQ(ps.size(), 1u);
    status = ps[0]["Status"].get<std::string>();
    if (status.rfind("Exited", 0) == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status.substr(0, 12), "Exited (137)") << status;
  std::vector<std::string> leaked;
  for (const auto& c : berth_cgroups())
    if (!cgroups_before_.contains(c)) leaked.push_back(c);
  EXPECT_TRUE(leaked.empty()) << "cgroup left after ps: " << leaked[0];
  Result rm = berth({"rm", "crashy"});
  EXPECT_EQ(rm.code, 0) << describe(rm);
  EXPECT_TRUE(ps_all().empty());
  EXPECT_TRUE(container_dirs().empty());
}

// Start latency: a foreground `run` loads none of the libraries only registry, tar and NAT
// work need (base/lazy_library.h). Read from its memory map while it runs.
TEST_F(RunTest, RunLoadsNoRegistryTarOrNatLibrary) {
  Process p = berth_bg({"run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo up; sleep 1"});
  ASSERT_TRUE(p.wait_for_output("up", 20s));
  std::string maps = slurp("/proc/" + std::to_string(p.pid()) + "/maps");
  ASSERT_NE(maps.find("berth"), std::string::npos) << maps;
  for (const char* lib : {"libcurl", "libarchive", "libnftables", "libcrypto", "libssl"})
    EXPECT_EQ(maps.find(lib), std::string::npos) << lib << " is mapped:\n" << maps;
  Result r = p.wait();
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(container_dirs().empty());
}

}  // namespace
}  // namespace berth_it
