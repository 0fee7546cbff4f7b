// The compose corpus (tests/compose/): files we wrote, each with the `config` output or the
// error berth must produce.
//
//   valid/<case>/compose.yml ...   loaded from <case> as the working directory
//   valid/<case>/args              optional: one option a line (-f F, -p N, --profile P,
//                                  --env-file F, --project-directory D, env K=V, service S,
//                                  workdir D: the working directory, relative to <case>)
//   valid/<case>/expected.yaml     render_config_yaml, with <case>'s path written /CASE
//   valid/<case>/expected.json     optional: render_config_json_text (`config --format json`)
//   valid/<case>/expected.warnings optional: the warnings, one a line
//   invalid/<case>.yml             loaded alone (working directory invalid/)
//   invalid/<case>.err             the error message
//
// BERTH_UPDATE_GOLDEN=1 rewrites the expected files from the current output (review the
// diff before committing it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "base/fs.h"
#include "base/strings.h"
#include "compose/config_output.h"
#include "compose/load.h"

namespace berth::compose {
namespace {

const std::string kCorpus = std::string(BERTH_SOURCE_DIR) + "/tests/compose";

bool update_golden() { return std::getenv("BERTH_UPDATE_GOLDEN") != nullptr; }

std::vector<std::string> list_cases(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const std::string& name : list_dir(dir).value_or(std::vector<std::string>{})) {
    if (suffix.empty() && is_directory(dir + "/" + name)) out.push_back(name);
    if (!suffix.empty() && ends_with(name, suffix))
      out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

LoadOptions options_for(const std::string& dir) {
  LoadOptions o;
  o.working_dir = dir;
  o.environ = {{"HOME", "/home/tester"}, {"USER", "tester"}};
  auto args = read_file(dir + "/args");
  if (!args) return o;
  for (const std::string& raw : split(*args, '\n')) {
    std::string line = trim(raw);
    size_t sp = line.find(' ');
    if (line.empty() || line[0] == '#' || sp == std::string::npos) continue;
    std::string flag = line.substr(0, sp), value = trim(line.substr(sp + 1));
    if (flag == "-f") o.files.push_back(value);
    if (flag == "-p") o.project_name = value;
    if (flag == "--profile") o.profiles.push_back(value);
    if (flag == "--env-file") o.env_files.push_back(value);
    if (flag == "--project-directory") o.project_directory = value;
    if (flag == "service") o.services.push_back(value);
    if (flag == "workdir") o.working_dir = dir + "/" + value;
    if (flag == "env") {
      size_t eq = value.find('=');
      o.environ[value.substr(0, eq)] = value.substr(eq + 1);
    }
  }
  return o;
}

void expect_golden(const std::string& path, const std::string& actual) {
  if (update_golden()) {
    ASSERT_TRUE(write_file_atomic(path, actual, 0644, Sync::kNoSync));
    return;
  }
  auto expected = read_file(path);
  ASSERT_TRUE(expected) << "missing " << path << "; actual output:\n" << actual;
  EXPECT_EQ(*expected, actual) << "golden file " << path;
}

// A gtest name from a case name: letters, digits and '_' only.
std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

class ValidCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidCase, PrintsTheExpectedConfig) {
  std::string dir = kCorpus + "/valid/" + GetParam();
  std::vector<std::string> warnings;
  auto project = load_project(options_for(dir), &warnings);
  ASSERT_TRUE(project) << project.error().message();
  // Paths in the output are absolute: write them independent of where the tree is.
  auto portable = [&dir](const std::string& s) {
    return replace_all(replace_all(s, dir, "/CASE"), kCorpus, "/CORPUS");
  };
  expect_golden(dir + "/expected.yaml", portable(render_config_yaml(*project)));
  if (path_exists(dir + "/expected.json"))
    expect_golden(dir + "/expected.json", portable(render_config_json_text(*project)));
  std::string warned;
  for (const std::string& w : warnings) warned += portable(w) + "\n";
  if (!warned.empty() || path_exists(dir + "/expected.warnings"))
    expect_golden(dir + "/expected.warnings", warned);
}

INSTANTIATE_TEST_SUITE_P(Corpus, ValidCase, ::testing::ValuesIn(list_cases(kCorpus + "/valid", "")),
                         test_name);

TEST(ComposeConfig, ListsServicesAndVolumes) {
  LoadOptions o = options_for(kCorpus + "/valid/volumes");
  auto project = load_project(o, nullptr);
  ASSERT_TRUE(project) << project.error().message();
  EXPECT_EQ(render_service_names(*project), "db\nworker\n");
  EXPECT_EQ(render_volume_names(*project), "logs\npgdata\n");
  Json json = render_config_json(*project);
  EXPECT_EQ(json["volumes"]["logs"]["name"], "app-logs");
  EXPECT_EQ(json["services"]["db"]["volumes"][0]["bind"]["create_host_path"], true);
}

class InvalidCase : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidCase, FailsWithTheExpectedError) {
  std::string dir = kCorpus + "/invalid";
  LoadOptions o;
  o.working_dir = dir;
  o.environ = {{"HOME", "/home/tester"}};
  o.files = {GetParam() + ".yml"};
  std::vector<std::string> warnings;
  auto project = load_project(o, &warnings);
  ASSERT_FALSE(project) << GetParam() << " loaded without an error";
  expect_golden(dir + "/" + GetParam() + ".err",
                replace_all(project.error().message(), dir, "/CASE") + "\n");
}

INSTANTIATE_TEST_SUITE_P(Corpus, InvalidCase,
                         ::testing::ValuesIn(list_cases(kCorpus + "/invalid", ".yml")),
                         test_name);

}  // namespace
}  // namespace berth::compose
