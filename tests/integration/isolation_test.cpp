// What a process sees from inside a container, reported by the probe: namespaces,
// hostname, capabilities, seccomp, masked /proc, resource limits, read-only rootfs and
// user namespaces.
#include "harness.h"

namespace berth_it {
namespace {

using IsolationTest = BusyboxTest;

// The test process's own value of a /proc/self/status field (as root: the host's set).
std::string own_status(const std::string& key) {
  for (const auto& l : lines_of(slurp("/proc/self/status"))) {
    if (l.rfind(key + ":", 0) == 0) {
      std::string v = l.substr(key.size() + 1);
      return v.substr(v.find_first_not_of(" \t"));
    }
  }
  return "";
}

TEST_F(IsolationTest, CommandIsPid1AndHostProcessesAreInvisible) {
  Result st = probe({}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "pid"), "1");
  EXPECT_EQ(kv(st.out, "ppid"), "0");
  Result pids = probe({}, {"pids"});
  ASSERT_EQ(pids.code, 0) << describe(pids);
  EXPECT_EQ(pids.out, "1\n");
}

// --network none: a network namespace of its own (made on a helper thread before clone,
// runtime/namespaces.h), with only lo, and lo up.
TEST_F(IsolationTest, NetworkNoneHasItsOwnNamespaceWithLoopbackUp) {
  std::string host_ns = fs::read_symlink("/proc/self/ns/net").string();
  const std::string script = "readlink /proc/self/ns/net; ls /sys/class/net; ip addr show lo";
  Result a = run({"--network", "none"}, {"sh", "-c", script});
  ASSERT_EQ(a.code, 0) << describe(a);
  auto lines = lines_of(a.out);
  ASSERT_GE(lines.size(), 3u) << describe(a);
  EXPECT_NE(lines[0], host_ns);
  EXPECT_EQ(lines[1], "lo") << describe(a);
  EXPECT_NE(a.out.find("<LOOPBACK,UP"), std::string::npos) << describe(a);
  EXPECT_NE(a.out.find("inet 127.0.0.1/8"), std::string::npos) << describe(a);
  // And it was made beside the parent's preparations, not by clone(2).
  Result t = berth({"--trace", "run", "--rm", "--network", "none", "busybox", "true"});
  ASSERT_EQ(t.code, 0) << describe(t);
  EXPECT_NE(t.err.find("[netns]         unshare(CLONE_NEWNET)"), std::string::npos) << t.err;  // a helper thread's line
  for (const auto& line : lines_of(t.err)) {
    if (line.find("clone3(") != std::string::npos) {
      EXPECT_EQ(line.find("CLONE_NEWNET"), std::string::npos) << line;
    }
  }
}

TEST_F(IsolationTest, HostnameDefaultsToTheShortIdAndHostnameFlagSetsIt) {
  Result st = berth({"run", "--name", "hn-default", "-v", kProbe + ":/probe:ro", "busybox",
                     "/probe", "status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  auto ps = ps_all();
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(kv(st.out, "hostname"), ps[0]["ID"].get<std::string>());
  EXPECT_EQ(kv(st.out, "hostname").size(), 12u);
  Result rm = berth({"rm", "hn-default"});
  EXPECT_EQ(rm.code, 0) << describe(rm);
  Result web = probe({"--hostname", "web"}, {"status"});
  ASSERT_EQ(web.code, 0) << describe(web);
  EXPECT_EQ(kv(web.out, "hostname"), "web");
  Result h = run({"-h", "db"}, {"hostname"});
  EXPECT_EQ(h.out, "db\n") << describe(h);
}

TEST_F(IsolationTest, DefaultCapabilitiesAreDockersSet) {
  Result st = probe({}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "CapEff"), "00000000a80425fb");
  EXPECT_EQ(kv(st.out, "CapBnd"), "00000000a80425fb");
}

TEST_F(IsolationTest, CapDropAllCapAddNetAdmin) {
  Result st = probe({"--cap-drop", "ALL", "--cap-add", "NET_ADMIN"}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "CapEff"), "0000000000001000");
  EXPECT_EQ(kv(st.out, "CapBnd"), "0000000000001000");
}

TEST_F(IsolationTest, PrivilegedGetsEveryCapabilityOfTheHost) {
  Result st = probe({"--privileged"}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "CapEff"), own_status("CapBnd"));
  EXPECT_EQ(kv(st.out, "Seccomp"), "0");
}

TEST_F(IsolationTest, SeccompFilterByDefaultAndUnconfined) {
  Result def = probe({}, {"status"});
  ASSERT_EQ(def.code, 0) << describe(def);
  EXPECT_EQ(kv(def.out, "Seccomp"), "2");
  EXPECT_EQ(kv(def.out, "NoNewPrivs"), "0");
  Result unc = probe({"--security-opt", "seccomp=unconfined"}, {"status"});
  ASSERT_EQ(unc.code, 0) << describe(unc);
  EXPECT_EQ(kv(unc.out, "Seccomp"), "0");
  Result nnp = probe({"--security-opt", "no-new-privileges"}, {"status"});
  ASSERT_EQ(nnp.code, 0) << describe(nnp);
  EXPECT_EQ(kv(nnp.out, "NoNewPrivs"), "1");
  EXPECT_EQ(kv(nnp.out, "Seccomp"), "2");
}

TEST_F(IsolationTest, MountAndKeyctlAreDenied) {
  Result m = probe({}, {"mount"});
  EXPECT_EQ(m.out, "mount=EPERM\n") << describe(m);
  Result k = probe({}, {"keyctl"});
  EXPECT_EQ(k.out, "keyctl=EPERM\n") << describe(k);
}

TEST_F(IsolationTest, ProcIsProtected) {
  Result w = probe({}, {"write", "/proc/sys/kernel/hostname", "x"});
  ASSERT_EQ(w.code, 0) << describe(w);
  std::string v = kv(w.out, "write");
  EXPECT_TRUE(v == "EROFS" || v == "EPERM" || v == "EACCES") << describe(w);
  // Masked with /dev/null: reads 0 bytes. A kernel without /proc/kcore has nothing to mask.
  Result kcore = probe({}, {"read", "/proc/kcore"});
  EXPECT_EQ(kcore.out, fs::exists("/proc/kcore") ? "read=0\n" : "read=ENOENT\n") << describe(kcore);
  Result sysrq = probe({}, {"write", "/proc/sysrq-trigger", "h"});
  EXPECT_NE(sysrq.out, "write=ok\n") << describe(sysrq);
}

TEST_F(IsolationTest, MemoryLimitOomKillsTheContainerNotTheHost) {
  Result ok = probe({"--memory", "32m"}, {"alloc", "8"});
  EXPECT_EQ(ok.code, 0) << describe(ok);
  EXPECT_EQ(ok.out, "alloc=ok\n");
  Result oom = probe({"--memory", "32m"}, {"alloc", "64"});
  EXPECT_EQ(oom.code, 137) << describe(oom);
  EXPECT_EQ(oom.out.find("alloc=ok"), std::string::npos) << describe(oom);
}

TEST_F(IsolationTest, PidsLimitStopsAForkBomb) {
  Result r = probe({"--pids-limit", "32"}, {"forkbomb", "100"});
  ASSERT_EQ(r.code, 0) << describe(r);
  int forked = std::stoi(kv(r.out, "forked"));
  EXPECT_LT(forked, 32) << r.out;
  EXPECT_GT(forked, 20) << r.out;
  EXPECT_EQ(kv(r.out, "error"), "EAGAIN") << r.out;
  Result free_run = probe({}, {"forkbomb", "40"});
  EXPECT_EQ(kv(free_run.out, "forked"), "40") << describe(free_run);
}

TEST_F(IsolationTest, ReadOnlyRootfs) {
  Result ro = run({"--read-only"}, {"touch", "/x"});
  EXPECT_NE(ro.code, 0) << describe(ro);
  EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << describe(ro);
  Result rw = run({}, {"sh", "-c", "touch /x && echo made"});
  EXPECT_EQ(rw.code, 0) << describe(rw);
  EXPECT_EQ(rw.out, "made\n");
}

TEST_F(IsolationTest, CgroupIsTheContainersOwn) {
  Result r = probe({}, {"cgroup"});
  ASSERT_EQ(r.code, 0) << describe(r);
  // Every hierarchy line names /berth/<id> or (with a cgroup namespace) "/".
  for (const auto& l : lines_of(r.out)) {
    std::string path = l.substr(l.rfind(':') + 1);
    EXPECT_TRUE(path == "/" || path.find("/berth/") != std::string::npos) << r.out;
  }
}

// The layers are shared and owned by host root; berth shows them through idmapped mounts,
// so image files belong to the container's root and what it writes lands as host 100000.
TEST_F(IsolationTest, UserNamespaceMapsRootToAnUnprivilegedRange) {
  Result map = probe({"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"}, {"uidmap"});
  ASSERT_EQ(map.code, 0) << describe(map);
  auto fields = lines_of(map.out);
  ASSERT_EQ(fields.size(), 1u) << map.out;
  std::stringstream ss(fields[0]);
  std::string a, b, c;
  ss >> a >> b >> c;
  EXPECT_EQ(a + " " + b + " " + c, "0 100000 65536");
  Result st = probe({"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"}, {"status"});
  ASSERT_EQ(st.code, 0) << describe(st);
  EXPECT_EQ(kv(st.out, "uid"), "0");
  // Image files belong to container root: 0:0 when the rootfs is shifted (idmapped or
  // chowned), 65534:65534 (overflow ids) when it is not.
  Result own = probe({"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"},
                     {"ls-owner", "/etc/passwd"});
  ASSERT_EQ(own.code, 0) << describe(own);
  std::printf("[ info     ] /etc/passwd owner in a user namespace: %s", own.out.c_str());
  EXPECT_EQ(own.out, "owner=0:0\n");
  Result write = run({"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"},
                     {"sh", "-c", "echo hi > /root-file && cat /root-file"});
  EXPECT_EQ(write.code, 0) << describe(write);
  EXPECT_EQ(write.out, "hi\n");
}

}  // namespace
}  // namespace berth_it

namespace berth_it {
namespace {

// The pure cgroup v2 paths (CLONE_INTO_CGROUP, the BPF device program, cgroup.kill) on
// this hybrid machine: berth runs in a mount namespace where only cgroup2 is mounted.
TEST_F(IsolationTest, PureCgroupV2DeviceProgramAllowsNullAndDeniesDisks) {
  std::vector<std::string> a = {"/usr/bin/unshare", "-m", kSourceDir + "/scripts/with-cgroup2-only"};
  for (const auto& s : argv({"run", "--rm", "busybox", "sh", "-c",
                             "cat /proc/self/cgroup; echo x > /dev/null && echo null-ok; "
                             "mknod /tmp/sda b 8 0 && head -c1 /tmp/sda"}))
    a.push_back(s);
  Result r = run_command(a);
  EXPECT_NE(r.out.find("0::/\n"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find("null-ok"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("/tmp/sda: Operation not permitted"), std::string::npos) << describe(r);
  EXPECT_EQ(r.code, 1) << describe(r);
}

}  // namespace
}  // namespace berth_it
