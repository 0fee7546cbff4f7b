// The positioned YAML tree: lines, anchors, aliases, merge keys, tags, and the merge rules.
#include "compose/node.h"

#include <gtest/gtest.h>

#include "compose/merge.h"

namespace berth::compose {
namespace {

Node parse(const std::string& text, const std::string& name = "compose.yml") {
  auto source = std::make_shared<Source>(Source{"/p/" + name, name, "/p"});
  auto r = parse_yaml(text, source);
  EXPECT_TRUE(r) << r.error().message();
  return r.value_or(Node{});
}

std::string error_of(const std::string& text) {
  auto r = parse_yaml(text, std::make_shared<Source>(Source{"/p/c.yml", "c.yml", "/p"}));
  EXPECT_FALSE(r);
  return r ? "" : r.error().message();
}

TEST(ComposeNode, RemembersLinesAndQuoting) {
  Node root = parse("services:\n  web:\n    image: nginx\n    port: \"8080\"\n    empty:\n");
  const Node* web = root.find("services")->find("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->find("image")->where(), "compose.yml:3");
  EXPECT_FALSE(web->find("image")->quoted);
  EXPECT_TRUE(web->find("port")->quoted);
  EXPECT_TRUE(web->find("empty")->is_null());
  EXPECT_EQ(web->find("empty")->line, 5) << "an empty value sits on its key's line";
  EXPECT_TRUE(parse("").is_null());
}

TEST(ComposeNode, AliasesAndMergeKeys) {
  Node root = parse(
      "x-a: &a {image: a, restart: always, env: {A: 1}}\n"
      "x-b: &b {image: b, user: bob}\n"
      "one:\n  <<: *a\n  image: mine\n"
      "two:\n  <<: [*b, *a]\n"
      "three: *a\n");
  const Node* one = root.find("one");
  EXPECT_EQ(one->find("image")->scalar, "mine") << "an explicit key wins over a merged one";
  EXPECT_EQ(one->find("restart")->scalar, "always");
  EXPECT_EQ(one->find("<<"), nullptr);
  const Node* two = root.find("two");
  EXPECT_EQ(two->find("image")->scalar, "b") << "earlier mappings of a merge list win";
  EXPECT_EQ(two->find("user")->scalar, "bob");
  EXPECT_EQ(two->find("restart")->scalar, "always");
  EXPECT_EQ(root.find("three")->find("env")->find("A")->scalar, "1");
  EXPECT_EQ(one->find("restart")->line, 1) << "merged values keep the anchor's line";
}

TEST(ComposeNode, ParseErrors) {
  EXPECT_EQ(error_of("a: 1\na: 2\n"), "c.yml:2: a: duplicate key");
  EXPECT_EQ(error_of("a:\n  b: [1\n"), "c.yml:3: yaml: end of sequence flow not found");
  EXPECT_EQ(error_of("a:\n  <<: 1\n"), "c.yml:2: << must merge a mapping or a list of mappings");
  EXPECT_EQ(error_of("? [a]\n: 1\n"), "c.yml:1: mapping keys must be strings");
}

TEST(ComposeNode, AliasExpansionIsBounded) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'h'; c++, prev++)
    text += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  EXPECT_NE(error_of(text).find("document too large"), std::string::npos);
}

// Merging tree over tree, as -f a -f b does.
Node merged(const std::string& a, const std::string& b) {
  Node out;
  merge_file(out, parse(a, "a.yml"));
  merge_file(out, parse(b, "b.yml"));
  return out;
}

const Node& web(const Node& root) { return *root.find("services")->find("web"); }

std::vector<std::string> scalars(const Node& seq) {
  std::vector<std::string> out;
  for (const Node& n : seq.items) out.push_back(n.is_scalar() ? n.scalar : "<" + std::string(kind_name(n)) + ">");
  return out;
}

TEST(ComposeMerge, MappingsMergeAndScalarsAreReplaced) {
  Node m = merged("services: {web: {image: a, user: x}}", "services: {web: {image: b}, db: {image: d}}");
  EXPECT_EQ(web(m).find("image")->scalar, "b");
  EXPECT_EQ(web(m).find("user")->scalar, "x");
  EXPECT_EQ(web(m).find("image")->source->display, "b.yml") << "a value remembers its file";
  EXPECT_NE(m.find("services")->find("db"), nullptr);
}

TEST(ComposeMerge, SequencesAppendButCommandsAreReplaced) {
  Node m = merged("services: {web: {dns: 1.1.1.1, cap_add: [A], command: [a, b], entrypoint: x,"
                  " healthcheck: {test: [CMD, a], interval: 1s}}}",
                  "services: {web: {dns: [8.8.8.8], cap_add: [B], command: [c],"
                  " healthcheck: {test: [CMD, b]}}}");
  EXPECT_EQ(scalars(*web(m).find("dns")), (std::vector<std::string>{"1.1.1.1", "8.8.8.8"}));
  EXPECT_EQ(scalars(*web(m).find("cap_add")), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(scalars(*web(m).find("command")), (std::vector<std::string>{"c"}));
  const Node& hc = *web(m).find("healthcheck");
  EXPECT_EQ(scalars(*hc.find("test")), (std::vector<std::string>{"CMD", "b"}));
  EXPECT_EQ(hc.find("interval")->scalar, "1s");
}

TEST(ComposeMerge, EnvironmentAndLabelsMergeByKeyAcrossForms) {
  Node m = merged("services: {web: {environment: [FOO=original, BAR=original, KEEP], labels: {a: '1'}}}",
                  "services: {web: {environment: {BAR: local, BAZ: local}, labels: [b=2]}}");
  const Node& env = *web(m).find("environment");
  ASSERT_TRUE(env.is_mapping());
  EXPECT_EQ(env.find("FOO")->scalar, "original");
  EXPECT_EQ(env.find("BAR")->scalar, "local");
  EXPECT_EQ(env.find("BAZ")->scalar, "local");
  EXPECT_TRUE(env.find("KEEP")->is_null());
  EXPECT_EQ(web(m).find("labels")->find("a")->scalar, "1");
  EXPECT_EQ(web(m).find("labels")->find("b")->scalar, "2");
}

TEST(ComposeMerge, VolumesMergeByTargetSecretsBySource) {
  Node m = merged("services: {web: {volumes: [./o:/foo, ./o:/bar], secrets: [a, {source: b, mode: 1}]}}",
                  "services: {web: {volumes: ['./l:/bar', {type: volume, source: v, target: /baz}],"
                  " secrets: [{source: b, mode: 2}]}}");
  const Node& vols = *web(m).find("volumes");
  ASSERT_EQ(vols.items.size(), 3u);
  EXPECT_EQ(vols.items[0].scalar, "./o:/foo");
  EXPECT_EQ(vols.items[1].scalar, "./l:/bar") << "replaced in place";
  EXPECT_EQ(vols.items[2].find("target")->scalar, "/baz");
  const Node& secrets = *web(m).find("secrets");
  ASSERT_EQ(secrets.items.size(), 2u);
  EXPECT_EQ(secrets.items[1].find("mode")->scalar, "2");
}

TEST(ComposeMerge, DependsOnAndNetworksMergeByName) {
  Node m = merged("services: {web: {depends_on: {db: {condition: service_healthy}}, networks: [a]}}",
                  "services: {web: {depends_on: [cache], networks: {b: {aliases: [x]}}}}");
  const Node& deps = *web(m).find("depends_on");
  EXPECT_EQ(deps.find("db")->find("condition")->scalar, "service_healthy");
  EXPECT_EQ(deps.find("cache")->find("condition")->scalar, "service_started");
  const Node& nets = *web(m).find("networks");
  EXPECT_TRUE(nets.find("a")->is_null());
  EXPECT_NE(nets.find("b")->find("aliases"), nullptr);
}

TEST(ComposeMerge, BuildShortFormMergesWithLongForm) {
  Node m = merged("services: {web: {build: ./app}}",
                  "services: {web: {build: {dockerfile: Dev, args: [A=1]}}}");
  const Node& build = *web(m).find("build");
  EXPECT_EQ(build.find("context")->scalar, "./app");
  EXPECT_EQ(build.find("dockerfile")->scalar, "Dev");
  EXPECT_EQ(build.find("args")->find("A")->scalar, "1");
}

TEST(ComposeMerge, LoggingDriverChangeReplacesOptions) {
  Node same = merged("services: {web: {logging: {driver: json-file, options: {max-size: 1m}}}}",
                     "services: {web: {logging: {driver: json-file, options: {max-file: '2'}}}}");
  EXPECT_EQ(web(same).find("logging")->find("options")->entries.size(), 2u);
  Node other = merged("services: {web: {logging: {driver: json-file, options: {max-size: 1m}}}}",
                      "services: {web: {logging: {driver: local}}}");
  EXPECT_EQ(web(other).find("logging")->find("options"), nullptr);
}

TEST(ComposeMerge, ResetAndOverrideTags) {
  Node m = merged("services: {web: {image: a, ports: ['80:80'], environment: {FOO: x, BAR: y},"
                  " dns: [1.1.1.1]}}",
                  "services:\n  web:\n    ports: !reset []\n    environment:\n      FOO: !reset null\n"
                  "    dns: !override [9.9.9.9]\n");
  EXPECT_EQ(web(m).find("ports"), nullptr);
  EXPECT_EQ(web(m).find("environment")->find("FOO"), nullptr);
  EXPECT_EQ(web(m).find("environment")->find("BAR")->scalar, "y");
  EXPECT_EQ(scalars(*web(m).find("dns")), (std::vector<std::string>{"9.9.9.9"}));
  Node first = merged("services:\n  web:\n    image: a\n    user: !reset x\n", "{}");
  EXPECT_EQ(web(first).find("user"), nullptr) << "a !reset in the first file removes the key too";
}

TEST(ComposeMerge, EmptyOverrideAddsNothing) {
  Node m = merged("services: {web: {image: a}}", "services: {web: }");
  EXPECT_EQ(web(m).find("image")->scalar, "a");
}

}  // namespace
}  // namespace berth::compose
