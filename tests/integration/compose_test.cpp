// `berth compose` end to end, with real containers, bridges, DNS and ports: a three-tier
// stack (proxy -> api -> store, busybox nc) whose names resolve and whose port answers on
// 127.0.0.1, depends_on service_healthy ordering, `up` twice as a no-op, a change
// recreating one service, `down -v` leaving nothing; host network mode with names; scale;
// secrets; profiles; `up --wait` failing on an unhealthy service; foreground `up` stopped
// by Ctrl-C; logs with prefixes.
#include "harness.h"

namespace berth_it {
namespace {

// What a TCP server on 127.0.0.1:port sends (read until it closes), retried until `deadline`.
std::string fetch(uint16_t port, std::chrono::milliseconds deadline = 10s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    std::string got;
    if (int s = connect_loopback(SOCK_STREAM, port, 2s); s >= 0) {
      char buf[512];
      ssize_t n;
      while ((n = read(s, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
      close(s);
    }
    if (!got.empty()) return got;
    std::this_thread::sleep_for(100ms);
  }
  return "";
}

// A busybox loop answering each TCP connection on `port` with the output of `reply`.
std::string serve(const std::string& reply, int port) {
  return "while :; do (" + reply + ") | nc -l -p " + std::to_string(port) + "; done";
}

// The three tiers: store (healthy once /tmp/ready exists) <- api <- proxy (published).
const char kThreeTier[] = R"(
services:
  proxy:
    image: busybox
    command: ["sh", "-c", "while :; do (echo proxy; nc api 7001) | nc -l -p 7000; done"]
    ports: ["127.0.0.1:28170:7000"]
    depends_on: [api]
  api:
    image: busybox
    command: ["sh", "-c", "while :; do (echo api-$$MODE; nc store 7002) | nc -l -p 7001; done"]
    environment: {MODE: one}
    depends_on:
      store: {condition: service_healthy}
  store:
    image: busybox
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; while :; do echo store-data | nc -l -p 7002; done"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      retries: 30
    volumes: ["data:/data"]
volumes:
  data: {}
)";

class ComposeTest : public BusyboxTest {
 protected:
  void SetUp() override {
    BusyboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir_ = root_ + "/proj";
    fs::create_directories(dir_);
  }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }

  Result compose(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 90s) {
    std::vector<std::string> a = {"compose", "-f", dir_ + "/compose.yml", "-p", "tier"};
    a.insert(a.end(), args.begin(), args.end());
    return berth(a, timeout);
  }

  // compose ps --format json, by service.
  std::map<std::string, nlohmann::json> ps(bool all = true) {
    std::vector<std::string> args = {"ps", "--format", "json"};
    if (all) args.push_back("-a");
    Result r = compose(args);
    EXPECT_EQ(r.code, 0) << describe(r);
    std::map<std::string, nlohmann::json> out;
    for (const auto& l : lines_of(r.out))
      if (!l.empty()) {
        auto j = nlohmann::json::parse(l);
        out[j.value("Name", "")] = j;
      }
    return out;
  }

  nlohmann::json inspect(const std::string& name) {
    Result r = berth({"inspect", name});
    EXPECT_EQ(r.code, 0) << describe(r);
    return r.code == 0 ? nlohmann::json::parse(r.out)[0] : nlohmann::json::object();
  }

  std::string dir_;
};

TEST_F(ComposeTest, ThreeTierStackRunsInOrderAndDownLeavesNothing) {
  write("compose.yml", kThreeTier);
  Result up = compose({"up", "-d"});
  ASSERT_EQ(up.code, 0) << describe(up);
  EXPECT_NE(up.err.find("Network tier_default  Created"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("Container tier-store-1  Healthy"), std::string::npos) << up.err;
  // Names resolve across the stack and the published port answers on 127.0.0.1.
  std::string got = fetch(28170);
  EXPECT_NE(got.find("proxy"), std::string::npos) << got;
  EXPECT_NE(got.find("api-one"), std::string::npos) << got;
  EXPECT_NE(got.find("store-data"), std::string::npos) << got;
  // api started only once store was healthy.
  auto store = inspect("tier-store-1");
  auto api = inspect("tier-api-1");
  std::string healthy_at;
  for (const auto& entry : store["State"]["Health"]["Log"])
    if (entry.value("ExitCode", 1) == 0) {
      healthy_at = entry.value("End", "");
      break;
    }
  ASSERT_FALSE(healthy_at.empty()) << store.dump();
  EXPECT_LE(healthy_at, api["State"].value("StartedAt", "")) << "api must start after store is healthy";
  EXPECT_EQ(api["Config"]["Labels"].value("com.docker.compose.project", ""), "tier");
  EXPECT_EQ(api["Config"]["Labels"].value("com.docker.compose.service", ""), "api");
  auto listed = ps();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed["tier-proxy-1"].value("Service", ""), "proxy");
  EXPECT_EQ(listed["tier-proxy-1"].value("State", ""), "running");
  EXPECT_NE(listed["tier-proxy-1"].value("Ports", "").find("127.0.0.1:28170->7000/tcp"), std::string::npos);
  Result ls = berth({"compose", "ls"});
  EXPECT_NE(ls.out.find("tier"), std::string::npos) << describe(ls);
  EXPECT_NE(ls.out.find("running(3)"), std::string::npos) << describe(ls);

  // down -v: containers, the network (bridge, DNS server), the volume: all gone.
  std::string bridge = nlohmann::json::parse(berth({"network", "inspect", "tier_default"}).out)[0].value("Bridge", "");
  Result down = compose({"down", "-v", "-t", "1"});
  ASSERT_EQ(down.code, 0) << describe(down);
  EXPECT_NE(down.err.find("Container tier-api-1  Removed"), std::string::npos) << down.err;
  EXPECT_NE(down.err.find("Network tier_default  Removed"), std::string::npos) << down.err;
  EXPECT_TRUE(ps().empty());
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_NE(berth({"network", "inspect", "tier_default"}).code, 0);
  EXPECT_FALSE(fs::exists("/sys/class/net/" + bridge)) << bridge;
  Result vols = berth({"volume", "ls", "-q"});
  EXPECT_EQ(vols.out.find("tier_data"), std::string::npos) << describe(vols);
  EXPECT_TRUE(processes_mentioning(root_ + "/run/dns").empty());
}

TEST_F(ComposeTest, UpTwiceIsANoOpAndAChangeRecreatesOnlyThatService) {
  write("compose.yml", kThreeTier);
  ASSERT_EQ(compose({"up", "-d"}).code, 0);
  auto before = ps();
  Result again = compose({"up", "-d"});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_NE(again.err.find("Container tier-api-1  Running"), std::string::npos) << again.err;
  auto same = ps();
  for (const auto& [name, c] : before) EXPECT_EQ(same[name].value("ID", ""), c.value("ID", "")) << name;

  std::string changed = kThreeTier;
  changed.replace(changed.find("MODE: one"), 9, "MODE: two");
  write("compose.yml", changed);
  Result up = compose({"up", "-d"});
  ASSERT_EQ(up.code, 0) << describe(up);
  auto after = ps();
  EXPECT_NE(after["tier-api-1"].value("ID", ""), before["tier-api-1"].value("ID", "")) << "api is recreated";
  EXPECT_EQ(after["tier-store-1"].value("ID", ""), before["tier-store-1"].value("ID", ""));
  EXPECT_EQ(after["tier-proxy-1"].value("ID", ""), before["tier-proxy-1"].value("ID", ""));
  // The proxy's loop connected to the old api before the recreation: its next answer is
  // stale, the one after comes from the new api, found by name again.
  std::string answer;
  for (int i = 0; i < 20 && answer.find("api-two") == std::string::npos; i++) answer = fetch(28170);
  EXPECT_NE(answer.find("api-two"), std::string::npos) << "the new api answers through the old proxy: " << answer;
  ASSERT_EQ(compose({"down", "-v", "-t", "0"}).code, 0);
}

TEST_F(ComposeTest, HostNetworkModeServicesFindEachOtherByName) {
  write("compose.yml", R"(
services:
  back:
    image: busybox
    network_mode: host
    command: ["sh", "-c", ")" + serve("echo from-back", 28171) + R"("]
    ports: ["9999:9999"]
  front:
    image: busybox
    network_mode: host
    command: ["sleep", "1000"]
)");
  Result up = compose({"up", "-d"});
  ASSERT_EQ(up.code, 0) << describe(up);
  EXPECT_NE(up.err.find("published ports are discarded when using host network mode"), std::string::npos) << up.err;
  Result talk = compose({"exec", "-T", "front", "sh", "-c",
                         "for i in 1 2 3 4 5 6 7 8 9 10; do nc back 28171 && exit 0; sleep 0.2; done; exit 1"});
  EXPECT_EQ(talk.code, 0) << describe(talk);
  EXPECT_NE(talk.out.find("from-back"), std::string::npos) << talk.out;
  EXPECT_NE(fetch(28171).find("from-back"), std::string::npos) << "and the host reaches it on localhost";
  ASSERT_EQ(compose({"down", "-t", "0"}).code, 0);
}

TEST_F(ComposeTest, ScaleThreeGivesThreeAddressesBehindTheServiceName) {
  write("compose.yml", R"(
services:
  web: {image: busybox, command: [sleep, "1000"], scale: 3}
  client: {image: busybox, command: [sleep, "1000"]}
)");
  Result up = compose({"up", "-d"});
  ASSERT_EQ(up.code, 0) << describe(up);
  EXPECT_EQ(ps().size(), 4u);
  Result look = compose({"exec", "-T", "client", "sh", "-c", "nslookup web"});
  EXPECT_EQ(look.code, 0) << describe(look);
  int addresses = 0;
  for (const auto& l : lines_of(look.out))
    if (l.rfind("Address:", 0) == 0 && l.find(":53") == std::string::npos) addresses++;  // not the server
  EXPECT_EQ(addresses, 3) << look.out;
  // Scaling down removes the highest numbers.
  Result down_to_one = compose({"up", "-d", "--scale", "web=1", "-t", "0"});
  ASSERT_EQ(down_to_one.code, 0) << describe(down_to_one);
  auto now = ps();
  EXPECT_TRUE(now.count("tier-web-1"));
  EXPECT_FALSE(now.count("tier-web-2"));
  EXPECT_FALSE(now.count("tier-web-3"));
  ASSERT_EQ(compose({"down", "-t", "0"}).code, 0);
}

TEST_F(ComposeTest, SecretsAndProfiles) {
  write("pw.txt", "hunter2\n");
  write("compose.yml", R"(
services:
  app:
    image: busybox
    command: [sleep, "1000"]
    secrets: [pw, token]
  debug:
    image: busybox
    command: [sleep, "1000"]
    profiles: [debug]
secrets:
  pw: {file: ./pw.txt}
  token: {environment: BERTH_TEST_TOKEN}
)");
  setenv("BERTH_TEST_TOKEN", "tok-123", 1);
  Result up = compose({"up", "-d"});
  unsetenv("BERTH_TEST_TOKEN");
  ASSERT_EQ(up.code, 0) << describe(up);
  Result cat = compose({"exec", "-T", "app", "sh", "-c", "cat /run/secrets/pw /run/secrets/token"});
  EXPECT_EQ(cat.code, 0) << describe(cat);
  EXPECT_NE(cat.out.find("hunter2"), std::string::npos) << cat.out;
  EXPECT_NE(cat.out.find("tok-123"), std::string::npos) << cat.out;
  Result write_secret = compose({"exec", "-T", "app", "sh", "-c", "echo x > /run/secrets/pw"});
  EXPECT_NE(write_secret.code, 0) << "secrets are read-only";
  EXPECT_FALSE(ps().count("tier-debug-1")) << "a profiled service stays off";
  Result with_profile = berth({"compose", "-f", dir_ + "/compose.yml", "-p", "tier", "--profile", "debug", "up", "-d"});
  ASSERT_EQ(with_profile.code, 0) << describe(with_profile);
  EXPECT_TRUE(ps().count("tier-debug-1"));
  ASSERT_EQ(berth({"compose", "-f", dir_ + "/compose.yml", "-p", "tier", "--profile", "debug", "down", "-t", "0"}).code, 0);
  EXPECT_FALSE(fs::exists(root_ + "/compose/tier")) << "down removes the stack's secret files";
}

TEST_F(ComposeTest, UpWaitFailsOnAnUnhealthyServiceNamingIt) {
  write("compose.yml", R"(
services:
  sick:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD-SHELL", "echo not-ready-yet; exit 1"], interval: 100ms, retries: 2}
)");
  Result up = compose({"up", "-d", "--wait"});
  EXPECT_NE(up.code, 0) << describe(up);
  EXPECT_NE(up.err.find("tier-sick-1 is unhealthy"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("not-ready-yet"), std::string::npos) << "the last health output: " << up.err;
  ASSERT_EQ(compose({"down", "-t", "0"}).code, 0);
}

TEST_F(ComposeTest, ForegroundUpShowsPrefixedLogsAndCtrlCStopsTheStack) {
  write("compose.yml", R"(
services:
  talker:
    image: busybox
    command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo hello-from-talker; while :; do sleep 0.1; done"]
)");
  Process up = berth_bg({"compose", "-f", dir_ + "/compose.yml", "-p", "tier", "up"});
  ASSERT_TRUE(up.wait_for_output("hello-from-talker", 20s)) << up.out() << up.err();
  EXPECT_NE(up.out().find("tier-talker-1  | hello-from-talker"), std::string::npos) << up.out();
  up.signal(SIGINT);
  Result r = up.wait(30s);
  EXPECT_EQ(r.code, 130) << "docker compose's code after Ctrl-C: " << describe(r);
  EXPECT_NE(r.out.find("bye"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tier-talker-1 exited with code 0"), std::string::npos) << r.out;
  EXPECT_EQ(ps()["tier-talker-1"].value("State", ""), "exited");
  Result logs = compose({"logs", "--no-color"});
  EXPECT_NE(logs.out.find("tier-talker-1  | hello-from-talker"), std::string::npos) << describe(logs);
  ASSERT_EQ(compose({"down"}).code, 0);
}

TEST_F(ComposeTest, AbortOnContainerExitReturnsThatServicesCode) {
  write("compose.yml", R"(
services:
  job: {image: busybox, command: ["sh", "-c", "echo working; exit 3"]}
  server: {image: busybox, command: [sleep, "1000"]}
)");
  Result r = compose({"up", "--abort-on-container-exit", "--exit-code-from", "job", "-t", "1"});
  EXPECT_EQ(r.code, 3) << describe(r);
  EXPECT_NE(r.out.find("tier-job-1     | working"), std::string::npos) << r.out;
  EXPECT_EQ(ps()["tier-server-1"].value("State", ""), "exited") << "the others are stopped";
  ASSERT_EQ(compose({"down"}).code, 0);
}

TEST_F(ComposeTest, RunAndErrorsNameTheProblem) {
  write("compose.yml", R"(
services:
  tool: {image: busybox, command: [echo, default]}
  built: {build: ., image: nothing-here}
)");
  Result run = compose({"run", "--rm", "tool", "echo", "one-off"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(trim_copy(run.out), "one-off");
  EXPECT_TRUE(ps().empty()) << "--rm removed the one-off container";
  Result bad = compose({"up", "-d", "built"});
  EXPECT_NE(bad.code, 0);
  // Its image is missing, so up builds it: there is no Dockerfile to build from.
  EXPECT_NE(bad.err.find("building service \"built\": failed to read dockerfile"), std::string::npos) << bad.err;
  EXPECT_TRUE(ps().empty());
  Result down = compose({"down"});
  EXPECT_EQ(down.code, 0) << describe(down);
}

TEST_F(ComposeTest, CtrlCWhileWaitingForADependencyStopsWhatStarted) {
  write("compose.yml", R"(
services:
  slow:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD", "false"], interval: 100ms, retries: 1000}
  app:
    image: busybox
    command: [sleep, "1000"]
    depends_on: {slow: {condition: service_healthy}}
)");
  Process up = berth_bg({"compose", "-f", dir_ + "/compose.yml", "-p", "tier", "up", "-t", "0"});
  bool waiting = false;
  for (int i = 0; i < 100 && !waiting; i++) {
    std::this_thread::sleep_for(100ms);
    waiting = ps().count("tier-slow-1") > 0;
  }
  ASSERT_TRUE(waiting);
  std::this_thread::sleep_for(300ms);
  up.signal(SIGINT);
  Result r = up.wait(30s);
  EXPECT_EQ(r.code, 130) << describe(r);
  EXPECT_NE(r.err.find("Gracefully stopping"), std::string::npos) << r.err;
  auto now = ps();
  EXPECT_EQ(now["tier-slow-1"].value("State", ""), "exited") << "what started is stopped";
  EXPECT_FALSE(now.count("tier-app-1")) << "what waited is never created";
  ASSERT_EQ(compose({"down"}).code, 0);
}

TEST_F(ComposeTest, LogsFollowEndsWithCtrlC) {
  write("compose.yml", R"(
services:
  ticker: {image: busybox, command: ["sh", "-c", "while :; do echo tick; sleep 0.2; done"]}
)");
  ASSERT_EQ(compose({"up", "-d"}).code, 0);
  Process logs = berth_bg({"compose", "-f", dir_ + "/compose.yml", "-p", "tier", "logs", "-f"});
  ASSERT_TRUE(logs.wait_for_output("tick", 10s)) << logs.out() << logs.err();
  logs.signal(SIGINT);  // to berth alone, not its followers: they must go with it
  Result r = logs.wait(10s);
  EXPECT_FALSE(r.timed_out) << describe(r);
  std::this_thread::sleep_for(200ms);
  int followers = 0;
  for (pid_t p : processes_mentioning(root_))
    if (slurp("/proc/" + std::to_string(p) + "/cmdline").find("logs") != std::string::npos) followers++;
  EXPECT_EQ(followers, 0) << "no follower outlives `logs -f`";
  ASSERT_EQ(compose({"down", "-t", "0"}).code, 0);
}

TEST_F(ComposeTest, InitServicesAndTheSimpleVerbs) {
  write("compose.yml", R"(
services:
  a: {image: busybox, command: [sleep, "1000"], init: true, ports: ["127.0.0.1::7000"], domainname: example.test}
  b: {image: busybox, command: [sleep, "1000"], init: true}
)");
  Result up = compose({"up", "-d"}, 30s);
  ASSERT_EQ(up.code, 0) << "init: true must not hang up: " << describe(up);
  Result domain = compose({"exec", "-T", "a", "cat", "/proc/sys/kernel/domainname"});
  EXPECT_EQ(trim_copy(domain.out), "example.test") << describe(domain);
  Result port = compose({"port", "a", "7000"});
  EXPECT_EQ(port.code, 0) << describe(port);
  EXPECT_EQ(port.out.rfind("127.0.0.1:", 0), 0u) << port.out;
  ASSERT_EQ(compose({"stop", "-t", "0", "b"}).code, 0);
  EXPECT_EQ(ps()["tier-b-1"].value("State", ""), "exited");
  EXPECT_EQ(ps()["tier-a-1"].value("State", ""), "running");
  ASSERT_EQ(compose({"start", "b"}).code, 0);
  EXPECT_EQ(ps()["tier-b-1"].value("State", ""), "running");
  std::string old_start = inspect("tier-a-1")["State"].value("StartedAt", "");
  ASSERT_EQ(compose({"restart", "-t", "0", "a"}).code, 0);
  EXPECT_NE(inspect("tier-a-1")["State"].value("StartedAt", ""), old_start);
  ASSERT_EQ(compose({"pause", "a"}).code, 0);
  EXPECT_EQ(ps()["tier-a-1"].value("State", ""), "paused");
  ASSERT_EQ(compose({"unpause"}).code, 0);
  EXPECT_EQ(ps()["tier-a-1"].value("State", ""), "running");
  ASSERT_EQ(compose({"kill", "b"}).code, 0);
  Result waited = compose({"wait", "b"});
  EXPECT_EQ(trim_copy(waited.out), "137") << describe(waited);
  EXPECT_EQ(ps()["tier-b-1"].value("State", ""), "exited");
  ASSERT_EQ(compose({"rm", "-f", "b"}).code, 0);
  EXPECT_FALSE(ps().count("tier-b-1"));
  ASSERT_EQ(compose({"down", "-t", "0"}).code, 0);
}

TEST_F(ComposeTest, RecreateKeepsAnonymousVolumesAndFollowsASharedNamespace) {
  std::string yaml = R"(
services:
  db: {image: busybox, command: [sleep, "1000"], volumes: [/var/lib/db], environment: {V: "1"}}
  side: {image: busybox, command: [sleep, "1000"], network_mode: "service:db"}
)";
  write("compose.yml", yaml);
  ASSERT_EQ(compose({"up", "-d"}).code, 0);
  ASSERT_EQ(compose({"exec", "-T", "db", "sh", "-c", "echo kept > /var/lib/db/file"}).code, 0);
  yaml.replace(yaml.find("V: \"1\""), 6, "V: \"2\"");
  write("compose.yml", yaml);
  Result up = compose({"up", "-d", "-t", "0"});
  ASSERT_EQ(up.code, 0) << describe(up);
  Result cat = compose({"exec", "-T", "db", "cat", "/var/lib/db/file"});
  EXPECT_EQ(trim_copy(cat.out), "kept") << "the anonymous volume follows the recreated container: " << describe(cat);
  auto netns = [&](const std::string& name) {
    int pid = inspect(name)["State"].value("Pid", 0);
    std::error_code ec;
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", ec).string();
  };
  EXPECT_EQ(netns("tier-side-1"), netns("tier-db-1")) << "side follows db into its new namespace";
  ASSERT_EQ(compose({"down", "-v", "-t", "0"}).code, 0);
  Result vols = berth({"volume", "ls", "-q"});
  EXPECT_TRUE(trim_copy(vols.out).empty()) << "down -v removes the anonymous volume too: " << vols.out;
}

TEST_F(ComposeTest, JobsRunDependenciesAndOrphans) {
  const std::string jobs = R"(
services:
  migrate: {image: busybox, command: ["sh", "-c", "sleep 0.5; echo migrated"]}
  app:
    image: busybox
    entrypoint: [sh, -c]
    command: ["sleep 1000"]
    depends_on: {migrate: {condition: service_completed_successfully}}
)";
  write("compose.yml", jobs + "  old: {image: busybox, command: [sleep, \"1000\"]}\n");
  Result up = compose({"up", "-d", "--wait", "-t", "0"});
  ASSERT_EQ(up.code, 0) << "a job counts as ready once it completed: " << describe(up);
  EXPECT_EQ(ps()["tier-migrate-1"].value("State", ""), "exited");
  EXPECT_EQ(ps()["tier-app-1"].value("State", ""), "running");
  // run: the service's entrypoint with a new command, after its dependencies completed.
  Result run = compose({"run", "--rm", "app", "echo one-off-$((1+1))"});
  EXPECT_EQ(run.code, 0) << describe(run);
  EXPECT_EQ(trim_copy(run.out), "one-off-2");
  // A service removed from the file leaves an orphan: reported, then removed on request.
  write("compose.yml", jobs);
  Result again = compose({"up", "-d"});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_NE(again.err.find("Found orphan containers ([tier-old-1])"), std::string::npos) << again.err;
  Result down = compose({"down", "--remove-orphans", "-t", "0"});
  ASSERT_EQ(down.code, 0) << describe(down);
  EXPECT_TRUE(ps().empty());
}

}  // namespace
}  // namespace berth_it
