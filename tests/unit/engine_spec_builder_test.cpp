// Spec generation: docker's flags and an image config in, an OCI runtime spec out.
#include "engine/spec_builder.h"

#include <gtest/gtest.h>

#include "engine/etc_passwd.h"
#include "runtime/capabilities.h"
#include "runtime/spec.h"

namespace berth::engine {
namespace {

struct Fixture {
  RunOptions opts;
  oci::ImageConfig image;
  SpecInputs in;
  Fixture() {
    image.cmd = {"sh"};
    image.env = {"PATH=/bin", "FOO=image"};
    in.id = std::string(64, 'a');
    in.options = &opts;
    in.image = &image;
    in.layer_dirs = {"/l/1", "/l/2"};
    in.upperdir = "/c/upper";
    in.workdir = "/c/work";
    in.etc_dir = "/c/etc";
    in.nofile_hard_limit = 20000;
  }
  Result<runtime::Spec> build() { return build_spec(in); }
};

TEST(SpecBuilder, DockerDefaults) {
  Fixture f;
  auto spec = f.build();
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->process.args, std::vector<std::string>{"sh"});
  EXPECT_EQ(spec->hostname, std::string(12, 'a'));
  EXPECT_EQ(spec->process.cwd, "/");
  EXPECT_TRUE(spec->has_namespace("pid"));
  EXPECT_TRUE(spec->has_namespace("network"));
  EXPECT_FALSE(spec->has_namespace("user"));
  EXPECT_EQ(spec->process.capabilities["bounding"].size(), 14u);
  EXPECT_FALSE(spec->seccomp.is_null());
  EXPECT_NE(std::find(spec->masked_paths.begin(), spec->masked_paths.end(), "/proc/kcore"),
            spec->masked_paths.end());
  EXPECT_NE(std::find(spec->readonly_paths.begin(), spec->readonly_paths.end(), "/proc/sys"),
            spec->readonly_paths.end());
  // Overlay lowers are top first; the nofile limit never exceeds the caller's hard limit.
  EXPECT_EQ(spec->annotations[runtime::kAnnotationLowerdirs], "/l/2:/l/1");
  ASSERT_EQ(spec->process.rlimits.size(), 1u);
  EXPECT_EQ(spec->process.rlimits[0].hard, 20000u);
  EXPECT_EQ(spec->cgroups_path, "berth/" + std::string(64, 'a'));
  EXPECT_EQ(spec->resources["devices"][0]["allow"], false);
}

TEST(SpecBuilder, EntrypointAndCommandRules) {
  Fixture f;
  f.image.entrypoint = {"/entry"};
  f.image.cmd = {"default"};
  EXPECT_EQ(*container_command(f.opts, f.image), (std::vector<std::string>{"/entry", "default"}));
  f.opts.command = {"given"};
  EXPECT_EQ(*container_command(f.opts, f.image), (std::vector<std::string>{"/entry", "given"}));
  f.opts.command.clear();
  f.opts.entrypoint = "/other";  // --entrypoint drops the image's CMD
  EXPECT_EQ(*container_command(f.opts, f.image), (std::vector<std::string>{"/other"}));
  f.opts.entrypoint = "";
  f.image.cmd.clear();
  EXPECT_FALSE(container_command(f.opts, f.image));
}

TEST(SpecBuilder, EnvironmentOrderAndOverrides) {
  Fixture f;
  f.opts.env = {"FOO=flag", "BAR", "EMPTY="};
  f.opts.tty = true;
  f.in.host_env = {"BAR=from-host"};
  f.in.user.home = "/home/app";
  auto env = container_env(f.in);
  ASSERT_TRUE(env);
  auto has = [&](const std::string& kv) { return std::find(env->begin(), env->end(), kv) != env->end(); };
  EXPECT_TRUE(has("PATH=/bin"));
  EXPECT_TRUE(has("FOO=flag"));
  EXPECT_TRUE(has("BAR=from-host"));
  EXPECT_TRUE(has("EMPTY="));
  EXPECT_TRUE(has("TERM=xterm"));
  EXPECT_TRUE(has("HOME=/home/app"));
  f.opts.env = {"=bad"};
  EXPECT_FALSE(container_env(f.in));
}

TEST(SpecBuilder, ResourcesFromFlags) {
  RunOptions o;
  o.memory = "32m";
  o.memory_swap = "64m";
  o.cpus = "1.5";
  o.cpu_shares = 512;
  o.pids_limit = 32;
  o.cpuset_cpus = "0-1";
  auto r = resources_json(o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)["memory"]["limit"], 32 * 1024 * 1024);
  EXPECT_EQ((*r)["memory"]["swap"], 64 * 1024 * 1024);
  EXPECT_EQ((*r)["cpu"]["quota"], 150000);
  EXPECT_EQ((*r)["cpu"]["period"], 100000);
  EXPECT_EQ((*r)["cpu"]["shares"], 512);
  EXPECT_EQ((*r)["cpu"]["cpus"], "0-1");
  EXPECT_EQ((*r)["pids"]["limit"], 32);
}

TEST(SpecBuilder, BadFlagValuesAreErrors) {
  auto bad = [](auto mutate) {
    RunOptions o;
    mutate(o);
    return !resources_json(o);
  };
  EXPECT_TRUE(bad([](RunOptions& o) { o.memory = "1k"; }));    // below docker's 6MB
  EXPECT_TRUE(bad([](RunOptions& o) { o.memory = "lots"; }));
  EXPECT_TRUE(bad([](RunOptions& o) { o.memory_swap = "64m"; }));  // swap without memory
  EXPECT_TRUE(bad([](RunOptions& o) { o.memory = "64m"; o.memory_swap = "32m"; }));
  EXPECT_TRUE(bad([](RunOptions& o) { o.cpus = "0"; }));
  EXPECT_TRUE(bad([](RunOptions& o) { o.cpus = "x"; }));
  EXPECT_TRUE(bad([](RunOptions& o) { o.cpuset_cpus = "a"; }));
  EXPECT_TRUE(bad([](RunOptions& o) { o.cpu_shares = -5; }));
}

TEST(SpecBuilder, SecurityOptions) {
  Fixture f;
  f.opts.security_opt = {"no-new-privileges"};
  f.opts.cap_drop = {"ALL"};
  f.opts.cap_add = {"NET_ADMIN"};
  auto spec = f.build();
  ASSERT_TRUE(spec);
  EXPECT_TRUE(spec->process.no_new_privileges);
  EXPECT_EQ(spec->process.capabilities["effective"], Json::array({"CAP_NET_ADMIN"}));
  f.opts.security_opt = {"seccomp=unconfined"};
  EXPECT_TRUE(f.build()->seccomp.is_null());
  f.opts.security_opt = {"bogus"};
  EXPECT_FALSE(f.build());
  f.opts.security_opt = {};
  f.opts.privileged = true;
  auto priv = f.build();
  EXPECT_TRUE(priv->seccomp.is_null());
  EXPECT_TRUE(priv->masked_paths.empty());
  EXPECT_EQ(priv->process.capabilities["bounding"], Json(*runtime::compute_capabilities({}, {}, true)));
}

TEST(SpecBuilder, VolumesTmpfsUlimits) {
  auto v = parse_volume("/srv/data:/data:ro");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->source, "/srv/data");
  EXPECT_EQ(v->destination, "/data");
  EXPECT_NE(std::find(v->options.begin(), v->options.end(), "ro"), v->options.end());
  EXPECT_FALSE(parse_volume("named:/data"));
  EXPECT_FALSE(parse_volume("/a:relative"));
  EXPECT_FALSE(parse_volume("/a:/b:rx"));
  auto t = parse_tmpfs("/run:size=64m");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, "tmpfs");
  EXPECT_EQ(t->options.back(), "size=64m");
  auto u = parse_ulimit("nofile=1024:2048");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->type, "RLIMIT_NOFILE");
  EXPECT_EQ(u->soft, 1024u);
  EXPECT_EQ(u->hard, 2048u);
  EXPECT_FALSE(parse_ulimit("nofile=2048:1024"));
  EXPECT_FALSE(parse_ulimit("bogus=1"));
  EXPECT_FALSE(parse_ulimit("nofile"));
}

TEST(SpecBuilder, NetworkAndUserNamespace) {
  Fixture f;
  f.opts.network = "host";
  auto host = f.build();
  ASSERT_TRUE(host);
  EXPECT_FALSE(host->has_namespace("network"));
  // A named network: the container joins the namespace file berth prepares for it.
  f.opts.network = "appnet";
  f.in.netns_path = "/run/berth/netns/abc";
  auto named = f.build();
  ASSERT_TRUE(named);
  const auto* ns = named->find_namespace("network");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->path, "/run/berth/netns/abc");
  f.opts.network = "none";
  f.opts.uidmap = {"0:100000:65536"};
  EXPECT_FALSE(f.build());  // --gidmap missing
  f.opts.gidmap = {"0:100000:65536"};
  auto userns = f.build();
  ASSERT_TRUE(userns);
  EXPECT_TRUE(userns->has_namespace("user"));
  EXPECT_EQ(userns->uid_mappings[0].host_id, 100000u);
}

TEST(SpecBuilder, SpecRoundTripsThroughJson) {
  Fixture f;
  f.opts.volumes = {"/a:/b"};
  auto spec = f.build();
  ASSERT_TRUE(spec);
  auto back = runtime::parse_spec(runtime::spec_to_json(*spec), "config.json");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(runtime::spec_to_json(*back), runtime::spec_to_json(*spec));
}

TEST(RuntimeSpec, ErrorsNameTheKey) {
  Json doc = {{"process", {{"args", "sh"}}}};
  auto r = runtime::parse_spec(doc, "config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "config.json: process.args: must be an array of strings");
}

TEST(EtcPasswd, ResolvesNamesAndNumbers) {
  std::string passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  std::string group = "root:x:0:\nstaff:x:50:app\napp:x:1000:\n";
  auto app = resolve_user("app", passwd, group);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->uid, 1000u);
  EXPECT_EQ(app->gid, 1000u);
  EXPECT_EQ(app->home, "/home/app");
  EXPECT_EQ(app->additional_gids, std::vector<uint32_t>{50});
  auto numeric = resolve_user("1234:50", passwd, group);
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 1234u);
  EXPECT_EQ(numeric->gid, 50u);
  auto named_group = resolve_user("app:staff", passwd, group);
  EXPECT_EQ(named_group->gid, 50u);
  EXPECT_EQ(resolve_user("", passwd, group)->uid, 0u);
  EXPECT_FALSE(resolve_user("nosuch", passwd, group));
  EXPECT_FALSE(resolve_user("app:nosuch", passwd, group));
  EXPECT_TRUE(resolve_user("1000", std::nullopt, std::nullopt));
}

}  // namespace
}  // namespace berth::engine
