// load_project end to end on small projects written to a temporary directory: discovery,
// names, the environment's precedence, profiles, extends and include.
#include "compose/load.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/fs.h"
#include "compose/project_files.h"

namespace berth::compose {
namespace {

class ComposeLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-compose-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(remove_tree(dir_)); }

  void write(const std::string& rel, const std::string& content) {
    std::string path = dir_ + "/" + rel;
    ASSERT_TRUE(make_dirs(dir_name(path)));
    ASSERT_TRUE(write_file_atomic(path, content, 0644, Sync::kNoSync));
  }

  LoadOptions options(const std::string& rel_wd = "") {
    LoadOptions o;
    o.working_dir = rel_wd.empty() ? dir_ : dir_ + "/" + rel_wd;
    o.environ = {{"HOME", "/home/t"}};
    return o;
  }

  Project load(const LoadOptions& o) {
    auto p = load_project(o, &warnings_);
    EXPECT_TRUE(p) << p.error().message();
    return p.value_or(Project{});
  }

  std::string error(const LoadOptions& o) {
    auto p = load_project(o, &warnings_);
    EXPECT_FALSE(p);
    return p ? "" : p.error().message();
  }

  std::string dir_;
  std::vector<std::string> warnings_;
};

TEST_F(ComposeLoad, DiscoversTheFileUpwardWithItsOverride) {
  write("proj/docker-compose.yml", "services: {web: {image: a}}\n");
  write("proj/docker-compose.override.yml", "services: {web: {user: me}}\n");
  write("proj/src/deep/.keep", "");
  Project p = load(options("proj/src/deep"));
  EXPECT_EQ(p.name, "proj");
  EXPECT_EQ(p.working_dir, dir_ + "/proj");
  EXPECT_EQ(p.config_files, (std::vector<std::string>{dir_ + "/proj/docker-compose.yml",
                                                      dir_ + "/proj/docker-compose.override.yml"}));
  EXPECT_EQ(p.services.at("web").user, "me");
}

TEST_F(ComposeLoad, PrefersComposeYamlAndWarnsAboutTheOthers) {
  write("compose.yaml", "services: {a: {image: a}}\n");
  write("compose.yml", "services: {b: {image: b}}\n");
  auto files = find_compose_files(dir_, &warnings_);
  ASSERT_TRUE(files);
  EXPECT_EQ(*files, std::vector<std::string>{dir_ + "/compose.yaml"});
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("compose.yaml, compose.yml"), std::string::npos);
}

TEST_F(ComposeLoad, NoFileIsAClearError) {
  write("empty/.keep", "");
  EXPECT_NE(error(options("empty")).find("no configuration file provided"), std::string::npos);
  LoadOptions o = options();
  o.files = {"missing.yml"};
  EXPECT_EQ(error(o), "no such compose file \"" + dir_ + "/missing.yml\"");
}

TEST_F(ComposeLoad, ProjectNamePrecedence) {
  write("My.App_1/compose.yml", "name: from-file\nservices: {web: {image: a}}\n");
  LoadOptions o = options("My.App_1");
  EXPECT_EQ(load(o).name, "from-file");
  o.environ["COMPOSE_PROJECT_NAME"] = "from-env";
  EXPECT_EQ(load(o).name, "from-env");
  o.project_name = "from-flag";
  EXPECT_EQ(load(o).name, "from-flag");
  o.project_name = "Bad Name";
  EXPECT_NE(error(o).find("invalid project name \"Bad Name\""), std::string::npos);
  write("My.App_1/compose.yml", "services: {web: {image: a}}\n");
  EXPECT_EQ(load(options("My.App_1")).name, "myapp_1");
}

TEST_F(ComposeLoad, NormalizesDirectoryNames) {
  EXPECT_EQ(normalize_project_name("My Project.v2"), "myprojectv2");
  EXPECT_EQ(normalize_project_name("__-x"), "x");
  EXPECT_EQ(normalize_project_name("..."), "");
  EXPECT_TRUE(is_valid_project_name("a-b_c1"));
  EXPECT_FALSE(is_valid_project_name("-a"));
  EXPECT_FALSE(is_valid_project_name("A"));
}

TEST_F(ComposeLoad, ProcessEnvironmentWinsOverDotEnv) {
  write("compose.yml", "services: {web: {image: 'img:${TAG}', user: '${WHO}', environment: [TAG]}}\n");
  write(".env", "TAG=from-dotenv\nWHO=dotenv-user\n");
  LoadOptions o = options();
  o.environ["TAG"] = "from-shell";
  Project p = load(o);
  EXPECT_EQ(p.services.at("web").image, "img:from-shell");
  EXPECT_EQ(p.services.at("web").user, "dotenv-user");
  EXPECT_EQ(p.services.at("web").environment.at("TAG"), "from-shell")
      << "a KEY without a value takes the variable, as interpolation does";
  EXPECT_EQ(p.environment.at("WHO"), "dotenv-user");
}

TEST_F(ComposeLoad, EnvFileFlagReplacesDotEnv) {
  write("compose.yml", "services: {web: {image: 'img:${TAG}'}}\n");
  write(".env", "TAG=dotenv\n");
  write("a.env", "TAG=a\n");
  write("b.env", "TAG=b\n");
  LoadOptions o = options();
  o.env_files = {"a.env", "b.env"};
  EXPECT_EQ(load(o).services.at("web").image, "img:b") << "later env files win";
  o.env_files = {"nope.env"};
  EXPECT_NE(error(o).find("couldn't find env file"), std::string::npos);
}

TEST_F(ComposeLoad, UnsetVariablesWarnOnce) {
  write("compose.yml", "services: {web: {image: 'x${IMG}', user: '${IMG}${OTHER:-x}'}}\n");
  load(options());
  EXPECT_EQ(warnings_, std::vector<std::string>{
                           "compose.yml:1: the \"IMG\" variable is not set, defaulting to a blank string"});
}

TEST_F(ComposeLoad, Profiles) {
  write("compose.yml",
        "services:\n"
        "  web: {image: web}\n"
        "  dbg: {image: dbg, profiles: [debug]}\n"
        "  adm: {image: adm, profiles: [admin, debug]}\n"
        "  tool: {image: tool, profiles: [tools]}\n");
  auto names = [](const Project& p) {
    std::vector<std::string> out;
    for (const auto& [n, _] : p.services) out.push_back(n);
    return out;
  };
  LoadOptions o = options();
  EXPECT_EQ(names(load(o)), std::vector<std::string>{"web"});
  EXPECT_EQ(load(o).disabled_services.at("adm"), (std::vector<std::string>{"admin", "debug"}));
  o.profiles = {"debug"};
  EXPECT_EQ(names(load(o)), (std::vector<std::string>{"adm", "dbg", "web"}));
  o.profiles = {};
  o.environ["COMPOSE_PROFILES"] = "admin,tools";
  EXPECT_EQ(names(load(o)), (std::vector<std::string>{"adm", "tool", "web"}));
  o.profiles = {"*"};
  EXPECT_EQ(names(load(o)).size(), 4u);
  o.profiles = {"none"};
  o.services = {"tool"};
  EXPECT_EQ(names(load(o)), (std::vector<std::string>{"tool", "web"}));
  o.services = {"ghost"};
  EXPECT_EQ(error(o), "no such service \"ghost\"");
}

TEST_F(ComposeLoad, ExtendsAnotherFileKeepsItsPaths) {
  write("compose.yml",
        "services:\n  web:\n    extends: {file: lib/base.yml, service: base}\n    user: me\n");
  write("lib/base.yml",
        "services:\n  root: {image: root, volumes: ['./data:/data'], env_file: base.env}\n"
        "  base: {extends: root, environment: {B: '1'}}\n");
  write("lib/base.env", "FROM_FILE=yes\n");
  Project p = load(options());
  const Service& web = p.services.at("web");
  EXPECT_EQ(web.image, "root");
  EXPECT_EQ(web.user, "me");
  EXPECT_EQ(web.volumes.at(0).source, dir_ + "/lib/data");
  EXPECT_EQ(web.environment.at("FROM_FILE"), "yes");
  EXPECT_EQ(web.environment.at("B"), "1");
  EXPECT_FALSE(p.services.contains("base")) << "services of the other file are not part of the project";
}

TEST_F(ComposeLoad, ExtendsErrors) {
  write("compose.yml", "services:\n  web:\n    extends: {service: nope}\n");
  EXPECT_EQ(error(options()), "compose.yml:3: services.web.extends: service \"nope\" not found in compose.yml");
  write("compose.yml", "services:\n  web:\n    extends: {file: other.yml, service: a}\n");
  write("other.yml", "services:\n  a: {extends: {file: compose.yml, service: web}}\n");
  EXPECT_NE(error(options()).find("circular extends: web -> other.yml:a -> web"), std::string::npos);
}

TEST_F(ComposeLoad, IncludeUsesTheIncludedDirectoryAndEnvironment) {
  write("compose.yml",
        "include:\n  - sub/compose.yml\nservices:\n  web: {image: web, depends_on: [db]}\n"
        "  db: {image: local-db}\n");
  write("sub/compose.yml",
        "services:\n  db: {image: 'postgres:${PG}'}\n  cache: {image: redis, volumes: [./c:/c]}\n");
  write("sub/.env", "PG=16\n");
  Project p = load(options());
  EXPECT_EQ(p.services.at("db").image, "local-db") << "a conflicting definition keeps the local one";
  EXPECT_EQ(p.services.at("cache").volumes.at(0).source, dir_ + "/sub/c");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("services.db from sub/compose.yml conflicts"), std::string::npos);
}

TEST_F(ComposeLoad, IncludedVariablesYieldToTheIncludingProject) {
  write("compose.yml", "include: [{path: sub/compose.yml, env_file: sub/x.env}]\n");
  write("sub/compose.yml", "services:\n  db: {image: 'pg:${PG}', user: '${WHO}'}\n");
  write("sub/x.env", "PG=15\nWHO=sub\n");
  LoadOptions o = options();
  o.environ["WHO"] = "shell";
  Project p = load(o);
  EXPECT_EQ(p.services.at("db").image, "pg:15");
  EXPECT_EQ(p.services.at("db").user, "shell");
}

TEST_F(ComposeLoad, RelativePathsUseTheProjectDirectory) {
  write("files/compose.yml", "services: {web: {image: a, volumes: ['./d:/d', '~/h:/h']}}\n");
  LoadOptions o = options();
  o.files = {"files/compose.yml"};
  EXPECT_EQ(load(o).services.at("web").volumes.at(0).source, dir_ + "/files/d");
  o.project_directory = ".";
  Project p = load(o);
  EXPECT_EQ(p.services.at("web").volumes.at(0).source, dir_ + "/d");
  EXPECT_EQ(p.services.at("web").volumes.at(1).source, "/home/t/h");
}

TEST_F(ComposeLoad, DefaultsAndPruning) {
  write("compose.yml",
        "services:\n  web: {image: a, networks: [front]}\n  host: {image: b, network_mode: host}\n"
        "networks: {front: {}, unused: {}}\nvolumes: {unused: {}}\n");
  Project p = load(options());
  EXPECT_EQ(p.networks.size(), 1u);
  EXPECT_EQ(p.networks.at("front").name, p.name + "_front");
  EXPECT_TRUE(p.volumes.empty());
  EXPECT_TRUE(p.services.at("host").networks.empty());
  EXPECT_EQ(p.services.at("web").replicas(), 1);
}

}  // namespace
}  // namespace berth::compose
