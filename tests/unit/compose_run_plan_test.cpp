// compose/run_plan.h: a loaded service becomes the engine's run options (docker's flags),
// its config hash, and the waves depends_on orders startup in; a network becomes the
// record the engine creates.
#include "compose/run_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/fs.h"
#include "compose/load.h"

namespace berth::compose {
namespace {

class RunPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-run-plan-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(remove_tree(dir_)); }

  Project load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
    EXPECT_TRUE(write_file_atomic(dir_ + "/compose.yml", yaml, 0644, Sync::kNoSync));
    LoadOptions o;
    o.working_dir = dir_;
    o.project_name = "demo";
    o.environ = std::move(env);
    std::vector<std::string> warnings;
    auto p = load_project(o, &warnings);
    EXPECT_TRUE(p) << p.error().message();
    return p.value_or(Project{});
  }

  ServiceRun plan(const Project& p, const std::string& service, int number = 1) {
    auto r = service_run_options(p, p.services.at(service), number, {"/state", "sha256:abc", false});
    EXPECT_TRUE(r) << r.error().message();
    return r.value_or(ServiceRun{});
  }

  // The record `up` asks the engine for, for a network "front" declared by `front` (its
  // keys, indented by four spaces).
  Result<engine::NetworkRecord> front_network(const std::string& front) {
    Project p = load("services:\n  web:\n    image: busybox\n    networks: [front]\nnetworks:\n  front:\n" + front);
    return network_to_create(p, "front");
  }

  static bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  std::string dir_;
};

TEST_F(RunPlan, NamesLabelsAndTheDefaultNetwork) {
  Project p = load("services:\n  web:\n    image: busybox\n    labels: {tier: front}\n");
  ServiceRun r = plan(p, "web", 2);
  EXPECT_EQ(r.options.name, "demo-web-2");
  EXPECT_EQ(r.options.network, "demo_default");
  EXPECT_EQ(r.options.network_aliases, std::vector<std::string>{"web"});
  auto labels = r.options.label_map();
  EXPECT_EQ(labels["tier"], "front");
  EXPECT_EQ(labels[kLabelProject], "demo");
  EXPECT_EQ(labels[kLabelService], "web");
  EXPECT_EQ(labels[kLabelNumber], "2");
  EXPECT_EQ(labels[kLabelOneoff], "False");
  EXPECT_EQ(labels[kLabelImage], "sha256:abc");
  EXPECT_EQ(labels[kLabelConfigHash], config_hash(p.services.at("web")));
  EXPECT_EQ(labels[kLabelWorkingDir], dir_);
}

TEST_F(RunPlan, ContainerNameWins) {
  Project p = load("services:\n  db: {image: busybox, container_name: store, domainname: example.test}\n");
  EXPECT_EQ(plan(p, "db").options.name, "store");
  EXPECT_EQ(plan(p, "db").options.domainname, "example.test");
}

TEST_F(RunPlan, PortsVolumesAndTmpfsBecomeDockerFlags) {
  Project p = load(
      "services:\n"
      "  web:\n"
      "    image: busybox\n"
      "    ports: ['8080:80', '127.0.0.1::53/udp', '9000-9001:90-91', {target: 443, host_ip: '::1', published: '8443'}]\n"
      "    volumes: ['./data:/data:ro', 'cache:/cache', '/anon', {type: tmpfs, target: /run, tmpfs: {size: 1048576}}]\n"
      "volumes: {cache: {}}\n");
  ServiceRun r = plan(p, "web");
  EXPECT_TRUE(has(r.options.publish, "8080:80/tcp"));
  EXPECT_TRUE(has(r.options.publish, "127.0.0.1::53/udp"));
  EXPECT_TRUE(has(r.options.publish, "9000:90/tcp"));
  EXPECT_TRUE(has(r.options.publish, "9001:91/tcp"));
  EXPECT_TRUE(has(r.options.publish, "[::1]:8443:443/tcp"));
  EXPECT_TRUE(has(r.options.volumes, dir_ + "/data:/data:ro"));
  EXPECT_TRUE(has(r.options.volumes, "demo_cache:/cache:rw"));
  EXPECT_TRUE(has(r.options.volumes, "/anon"));
  EXPECT_TRUE(has(r.options.tmpfs, "/run:size=1048576"));
}

TEST_F(RunPlan, EntrypointListSplitsIntoEntrypointAndArguments) {
  Project p = load("services:\n  a: {image: busybox, entrypoint: [sh, -c], command: ['echo hi']}\n"
                   "  b: {image: busybox, entrypoint: 'sleep 5'}\n");
  ServiceRun a = plan(p, "a");
  EXPECT_EQ(a.options.entrypoint, "sh");
  EXPECT_EQ(a.options.command, (std::vector<std::string>{"-c", "echo hi"}));
  ServiceRun b = plan(p, "b");
  EXPECT_EQ(b.options.entrypoint, "sleep");
  EXPECT_EQ(b.options.command, std::vector<std::string>{"5"});
}

TEST_F(RunPlan, HealthcheckLimitsAndStopSettings) {
  Project p = load(
      "services:\n"
      "  api:\n"
      "    image: busybox\n"
      "    healthcheck: {test: [CMD, wget, -q, localhost], interval: 2s, retries: 5, start_period: 1m30s}\n"
      "    mem_limit: 64m\n"
      "    cpus: 0.5\n"
      "    deploy: {resources: {limits: {memory: 128M, pids: 50}}}\n"
      "    stop_grace_period: 1500ms\n"
      "    stop_signal: SIGINT\n"
      "    restart: unless-stopped\n"
      "    environment: {A: '1', B: null}\n"
      "    extra_hosts: ['db:10.0.0.5']\n"
      "    ulimits: {nofile: {soft: 100, hard: 200}}\n"
      "    logging: {driver: json-file, options: {max-size: 1m, max-file: '2'}}\n");
  ServiceRun r = plan(p, "api");
  EXPECT_EQ(r.options.health_test, (std::vector<std::string>{"CMD", "wget", "-q", "localhost"}));
  EXPECT_EQ(r.options.health_interval, "2s");
  EXPECT_EQ(r.options.health_start_period, "1m30s");
  EXPECT_EQ(r.options.health_retries, 5);
  EXPECT_EQ(r.options.memory, "134217728");  // deploy's limit wins over mem_limit
  EXPECT_EQ(r.options.cpus, "0.5");
  EXPECT_EQ(r.options.pids_limit, 50);
  EXPECT_EQ(r.options.stop_timeout, 2);  // rounded up to whole seconds
  EXPECT_EQ(r.options.stop_signal, "SIGINT");
  EXPECT_EQ(r.options.restart, "unless-stopped");
  EXPECT_TRUE(has(r.options.env, "A=1"));
  EXPECT_FALSE(std::any_of(r.options.env.begin(), r.options.env.end(),
                           [](const std::string& e) { return e.rfind("B", 0) == 0; }));
  EXPECT_TRUE(has(r.options.add_hosts, "db:10.0.0.5"));
  EXPECT_TRUE(has(r.options.ulimits, "nofile=100:200"));
  EXPECT_TRUE(has(r.options.log_opts, "max-size=1m"));
  EXPECT_TRUE(has(r.options.log_opts, "max-file=2"));
}

TEST_F(RunPlan, DisabledHealthcheck) {
  Project p = load("services:\n  a: {image: busybox, healthcheck: {disable: true}}\n");
  EXPECT_TRUE(plan(p, "a").options.no_healthcheck);
}

TEST_F(RunPlan, NetworkModesAndSeveralNetworks) {
  Project p = load(
      "services:\n"
      "  host: {image: busybox, network_mode: host, ports: ['80:80']}\n"
      "  side: {image: busybox, network_mode: 'service:multi'}\n"
      "  multi:\n"
      "    image: busybox\n"
      "    networks:\n"
      "      back: {aliases: [store], ipv4_address: 10.9.0.5}\n"
      "      front: null\n"
      "networks: {front: {}, back: {}}\n");
  ServiceRun host = plan(p, "host");
  EXPECT_EQ(host.options.network, "host");
  EXPECT_TRUE(host.options.publish.empty());  // docker: discarded in host mode, with a warning
  EXPECT_FALSE(host.warnings.empty());
  EXPECT_EQ(plan(p, "side").options.network, "container:demo-multi-1");
  ServiceRun multi = plan(p, "multi");
  EXPECT_EQ(multi.options.network, "demo_back");
  EXPECT_EQ(multi.options.ip, "10.9.0.5");
  EXPECT_EQ(multi.options.network_aliases, (std::vector<std::string>{"multi", "store"}));
  EXPECT_EQ(multi.options.extra_networks, std::vector<std::string>{"name=demo_front,alias=multi"});
}

TEST_F(RunPlan, SecretsFromFilesAndFromTheEnvironment) {
  ASSERT_TRUE(write_file_atomic(dir_ + "/pw.txt", "hunter2", 0600, Sync::kNoSync));
  Project p = load(
      "services:\n  a: {image: busybox, secrets: [pw, token], configs: [{source: conf, target: /etc/app.conf}]}\n"
      "secrets: {pw: {file: ./pw.txt}, token: {environment: TOKEN}}\n"
      "configs: {conf: {content: 'x=1'}}\n",
      {{"TOKEN", "s3cret"}});
  ServiceRun r = plan(p, "a");
  EXPECT_TRUE(has(r.options.volumes, dir_ + "/pw.txt:/run/secrets/pw:ro"));
  EXPECT_TRUE(has(r.options.volumes, "/state/compose/demo/secrets/token:/run/secrets/token:ro"));
  EXPECT_TRUE(has(r.options.volumes, "/state/compose/demo/configs/conf:/etc/app.conf:ro"));
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0], (std::pair<std::string, std::string>{"/state/compose/demo/secrets/token", "s3cret"}));
  EXPECT_EQ(r.files[1], (std::pair<std::string, std::string>{"/state/compose/demo/configs/conf", "x=1"}));
}

TEST_F(RunPlan, BuildOnlyServiceRunsTheImageComposeNamesForIt) {
  Project p = load("services:\n  a: {build: .}\n  b: {build: ., image: mine:2}\n");
  auto a = service_run_options(p, p.services.at("a"), 1, {"/state", "", false});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->options.image, p.name + "-a");
  auto b = service_run_options(p, p.services.at("b"), 1, {"/state", "", false});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->options.image, "mine:2");
}

TEST_F(RunPlan, ConfigHashIgnoresScaleButNotTheCommand) {
  Project a = load("services:\n  w: {image: busybox, command: [sleep, '1']}\n");
  Project b = load("services:\n  w: {image: busybox, command: [sleep, '1'], scale: 3}\n");
  Project c = load("services:\n  w: {image: busybox, command: [sleep, '2']}\n");
  EXPECT_EQ(config_hash(a.services.at("w")), config_hash(b.services.at("w")));
  EXPECT_NE(config_hash(a.services.at("w")), config_hash(c.services.at("w")));
}

TEST_F(RunPlan, DependencyWaves) {
  Project p = load(
      "services:\n"
      "  proxy: {image: busybox, depends_on: [api]}\n"
      "  api: {image: busybox, depends_on: {store: {condition: service_healthy}}}\n"
      "  store: {image: busybox}\n"
      "  cache: {image: busybox}\n"
      "  side: {image: busybox, network_mode: 'service:api'}\n");
  auto waves = dependency_waves(p, {});
  ASSERT_TRUE(waves) << waves.error().message();
  using W = std::vector<std::vector<std::string>>;
  EXPECT_EQ(*waves, (W{{"cache", "store"}, {"api"}, {"proxy", "side"}}));
  auto only = dependency_waves(p, {"proxy"});
  ASSERT_TRUE(only);
  EXPECT_EQ(*only, (W{{"store"}, {"api"}, {"proxy"}}));
  auto no_deps = dependency_waves(p, {"proxy"}, true);
  ASSERT_TRUE(no_deps);
  EXPECT_EQ(*no_deps, (W{{"proxy"}}));
  EXPECT_FALSE(dependency_waves(p, {"nope"}));
}

// ---- networks ----

TEST_F(RunPlan, NetworkDualStackIpamKeepsTheIpv6Gateway) {
  auto r = front_network(
      "    enable_ipv6: true\n"
      "    ipam:\n"
      "      config:\n"
      "        - {subnet: \"fd00:28::/64\", gateway: \"fd00:28::1\"}\n"
      "        - {subnet: 172.28.0.0/16, gateway: 172.28.0.254}\n");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name, "demo_front");
  EXPECT_TRUE(r->ipv6);
  EXPECT_EQ((std::vector<std::string>{r->subnet, r->gateway, r->subnet_v6, r->gateway_v6}),
            (std::vector<std::string>{"172.28.0.0/16", "172.28.0.254", "fd00:28::/64", "fd00:28::1"}));
  EXPECT_EQ(r->labels.at(kLabelProject), "demo");
  EXPECT_EQ(r->labels.at(kLabelNetwork), "front");
}

TEST_F(RunPlan, NetworkHasOneSubnetPerFamily) {
  auto r = front_network("    ipam: {config: [{subnet: 172.28.0.0/16}, {subnet: 172.29.0.0/16}]}\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "networks.front.ipam.config[1].subnet: more than one IPv4 subnet (172.28.0.0/16 and 172.29.0.0/16): a "
            "network has at most one of each family");
}

TEST_F(RunPlan, NetworkDriverOptsAndDriver) {
  auto r = front_network(
      "    internal: true\n"
      "    labels: {tier: front}\n"
      "    driver_opts: {com.docker.network.driver.mtu: \"1400\", com.docker.network.bridge.name: br-front}\n");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->internal);
  EXPECT_FALSE(r->ipv6);
  EXPECT_EQ(r->mtu, 1400);
  EXPECT_EQ(r->options.at("com.docker.network.bridge.name"), "br-front");
  EXPECT_EQ(r->labels.at("tier"), "front");
  EXPECT_EQ(r->subnet, "") << "no ipam: the engine takes one from the pool";

  auto overlay = front_network("    driver: overlay\n");
  ASSERT_FALSE(overlay);
  EXPECT_EQ(overlay.error().message(), "networks.front.driver: only bridge networks are supported \"overlay\"");
}

TEST_F(RunPlan, NetworkBadMtuNamesItsKey) {
  auto r = front_network("    driver_opts: {mtu: big}\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "networks.front.driver_opts: invalid mtu \"big\"");
}

}  // namespace
}  // namespace berth::compose
