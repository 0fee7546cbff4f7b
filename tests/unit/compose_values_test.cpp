// The value syntaxes of the compose file (ports, volumes, sizes, durations, commands) and
// the YAML printer of `config`.
#include <gtest/gtest.h>

#include "compose/config_output.h"
#include "compose/parse.h"
#include "compose/yaml_emit.h"

namespace berth::compose {
namespace {

Node scalar(const std::string& text) {
  Node n;
  n.kind = Node::Kind::kScalar;
  n.scalar = text;
  n.line = 7;
  n.source = std::make_shared<Source>(Source{"/proj/compose.yml", "compose.yml", "/proj"});
  return n;
}

std::vector<PortMapping> ports(const std::string& spec) {
  ParseContext ctx;
  auto r = parse_port(scalar(spec), "services.web.ports[0]", ctx);
  EXPECT_TRUE(r) << spec << ": " << r.error().message();
  return r.value_or(std::vector<PortMapping>{});
}

PortMapping port(std::string host_ip, uint32_t target, std::string published,
                 std::string protocol = "tcp") {
  PortMapping m;
  m.host_ip = std::move(host_ip);
  m.target = target;
  m.published = std::move(published);
  m.protocol = std::move(protocol);
  return m;
}

TEST(ComposePorts, ShortSyntax) {
  EXPECT_EQ(ports("80"), std::vector{port("", 80, "")});
  EXPECT_EQ(ports("8080:80"), std::vector{port("", 80, "8080")});
  EXPECT_EQ(ports("127.0.0.1:8080:80/udp"), std::vector{port("127.0.0.1", 80, "8080", "udp")});
  EXPECT_EQ(ports("127.0.0.1::80"), std::vector{port("127.0.0.1", 80, "")});
  EXPECT_EQ(ports("[::1]:8080:80"), std::vector{port("::1", 80, "8080")});
  EXPECT_EQ(ports("8000-8001:80-81"), (std::vector{port("", 80, "8000"), port("", 81, "8001")}));
  EXPECT_EQ(ports("8000-8010:80"), std::vector{port("", 80, "8000-8010")});
  EXPECT_EQ(ports("80-82").size(), 3u);
}

TEST(ComposePorts, InvalidPortsNameTheLocation) {
  ParseContext ctx;
  for (const char* bad : {"80800", "0", "a:80", "1:2:3:4", "80/icmp", "90-80", "8000-8002:80-81", ""}) {
    auto r = parse_port(scalar(bad), "services.web.ports[0]", ctx);
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().message().starts_with("compose.yml:7: services.web.ports[0]: invalid "))
        << r.error().message();
  }
  auto r = parse_port(scalar("80800"), "services.web.ports[0]", ctx);
  EXPECT_EQ(r.error().message(), "compose.yml:7: services.web.ports[0]: invalid port \"80800\"");
}

VolumeMount volume(const std::string& spec) {
  ParseContext ctx;
  ctx.lookup = [](std::string_view n) -> std::optional<std::string> {
    return n == "HOME" ? std::optional<std::string>("/home/u") : std::nullopt;
  };
  auto r = parse_volume_mount(scalar(spec), "services.web.volumes[0]", ctx);
  EXPECT_TRUE(r) << spec << ": " << r.error().message();
  return r.value_or(VolumeMount{});
}

TEST(ComposeVolumes, ShortSyntax) {
  VolumeMount bind = volume("./data/../site:/usr/share/html:ro,z");
  EXPECT_EQ(bind.type, "bind");
  EXPECT_EQ(bind.source, "/proj/site");
  EXPECT_EQ(bind.target, "/usr/share/html");
  EXPECT_TRUE(bind.read_only);
  ASSERT_TRUE(bind.bind);
  EXPECT_EQ(bind.bind->selinux, "z");
  EXPECT_EQ(bind.bind->create_host_path, true);
  EXPECT_EQ(volume("~/x:/x").source, "/home/u/x");
  VolumeMount named = volume("db:/var/lib/db:nocopy");
  EXPECT_EQ(named.type, "volume");
  EXPECT_EQ(named.source, "db");
  ASSERT_TRUE(named.volume);
  EXPECT_TRUE(named.volume->nocopy);
  VolumeMount anonymous = volume("/cache");
  EXPECT_EQ(anonymous.type, "volume");
  EXPECT_EQ(anonymous.source, "");
  EXPECT_EQ(anonymous.target, "/cache");
}

TEST(ComposeVolumes, InvalidShortSyntax) {
  ParseContext ctx;
  for (const char* bad : {"a:b:c:d", "./x:relative", "./x:/y:bogus", "db:/x:z", ":/x"}) {
    auto r = parse_volume_mount(scalar(bad), "services.web.volumes[0]", ctx);
    EXPECT_FALSE(r) << bad;
  }
}

TEST(ComposeValues, SizesAndDurations) {
  auto bytes = [](const std::string& s) { return get_bytes(scalar(s), "x").value_or(-2); };
  EXPECT_EQ(bytes("512m"), 512 << 20);
  EXPECT_EQ(bytes("512M"), 512 << 20);
  EXPECT_EQ(bytes("1gb"), 1 << 30);
  EXPECT_EQ(bytes("1GiB"), 1 << 30);
  EXPECT_EQ(bytes("2 k"), 2048);
  EXPECT_EQ(bytes("100"), 100);
  EXPECT_EQ(bytes("512q"), -2);
  EXPECT_EQ(get_bytes(scalar("-1"), "x", true).value_or(0), -1);
  auto ns = [](const std::string& s) { return get_duration(scalar(s), "x").value_or(-2); };
  EXPECT_EQ(ns("1m30s"), 90'000'000'000);
  EXPECT_EQ(ns("250ms"), 250'000'000);
  EXPECT_EQ(ns("0"), 0);
  EXPECT_EQ(ns("10"), -2) << "a duration needs a unit";
  EXPECT_EQ(get_duration(scalar("ten"), "services.a.stop_grace_period").error().message(),
            "compose.yml:7: services.a.stop_grace_period: invalid duration \"ten\"");
}

TEST(ComposeValues, GoDurationFormat) {
  EXPECT_EQ(format_go_duration(0), "0s");
  EXPECT_EQ(format_go_duration(90'000'000'000), "1m30s");
  EXPECT_EQ(format_go_duration(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(format_go_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(format_go_duration(1'500'000), "1.5ms");
  EXPECT_EQ(format_go_duration(500), "500ns");
  EXPECT_EQ(format_go_duration(2'000), "2\xC2\xB5s");
}

TEST(ComposeValues, ListsAndDicts) {
  ParseContext ctx;
  Node list = Node::make_sequence(scalar(""));
  for (const char* item : {"A=1", "B=x=y", "C"}) list.items.push_back(scalar(item));
  auto m = get_list_or_dict(list, "environment");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("A"), "1");
  EXPECT_EQ(m->at("B"), "x=y");
  EXPECT_EQ(m->at("C"), std::nullopt);
  EXPECT_FALSE(get_list_or_dict(scalar("A=1"), "environment"));
}

TEST(ComposeValues, ShellWords) {
  auto words = [](std::string_view s) { return split_shell_words(s).value_or(std::vector<std::string>{"<error>"}); };
  EXPECT_EQ(words("echo hello  world"), (std::vector<std::string>{"echo", "hello", "world"}));
  EXPECT_EQ(words(R"(sh -c "echo \"a b\" \$HOME" 'it''s')"),
            (std::vector<std::string>{"sh", "-c", "echo \"a b\" $HOME", "its"}));
  EXPECT_EQ(words(R"(a\ b "" c)"), (std::vector<std::string>{"a b", "", "c"}));
  EXPECT_TRUE(words("").empty());
  EXPECT_FALSE(split_shell_words("echo 'open"));
}

TEST(ComposeYaml, QuotesOnlyWhatYamlWouldMisread) {
  for (const char* plain : {"nginx:1.25", "-c", "::1", "a b", "/var/lib", "1000:1000", "x#y", "it's",
                            "1.2.3", "1e", "0x", "12:60", "v1", "_1", "1-2"})
    EXPECT_TRUE(is_plain_safe(plain)) << plain;
  for (const char* quoted : {"", "8080", "1.5", "true", "no", "null", "~", "y", "22:30", "a: b", "a #b", "- x",
                             "*alias", "&a", "!tag", "{x}", "[x]", "'q'", "\"q\"", " lead", "trail ",
                             "colon:", "%x", "@x", "`x", "0x1F", "1e3", ".inf", "-1.5", "+2", ".5", "1_000",
                             "1:20:30", "0o17", "-.inf"})
    EXPECT_FALSE(is_plain_safe(quoted)) << quoted;
}

TEST(ComposeYaml, EmitsBlockStyle) {
  nlohmann::ordered_json doc = {
      {"name", "demo"},
      {"list", {"a", "8080", nlohmann::ordered_json::object()}},
      {"map", {{"k", nullptr}, {"num", 1.5}, {"i", 3}, {"b", true}, {"e", nlohmann::ordered_json::array()}}},
      {"objects", {{{"x", 1}, {"text", "two\nlines"}}}},
      {"text", "a\nb\n"},
  };
  EXPECT_EQ(emit_yaml(doc),
            "name: demo\n"
            "list:\n"
            "  - a\n"
            "  - \"8080\"\n"
            "  - {}\n"
            "map:\n"
            "  k: null\n"
            "  num: 1.5\n"
            "  i: 3\n"
            "  b: true\n"
            "  e: []\n"
            "objects:\n"
            "  - x: 1\n"
            "    text: |-\n"
            "      two\n"
            "      lines\n"
            "text: |\n"
            "  a\n"
            "  b\n");
}

}  // namespace
}  // namespace berth::compose
