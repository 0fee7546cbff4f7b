#include "compose/interpolate.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::compose {
namespace {

const std::map<std::string, std::string, std::less<>> kVars = {
    {"SET", "value"}, {"EMPTY", ""}, {"NAME", "web"}, {"B", "from-b"}};

std::optional<std::string> lookup(std::string_view name) {
  auto it = kVars.find(name);
  if (it == kVars.end()) return std::nullopt;
  return it->second;
}

std::string expand(std::string_view text, std::set<std::string>* missing = nullptr) {
  auto r = interpolate(text, lookup, missing);
  EXPECT_TRUE(r) << text << ": " << r.error().message();
  return r.value_or("<error>");
}

std::string error_of(std::string_view text) {
  auto r = interpolate(text, lookup, nullptr);
  EXPECT_FALSE(r) << text << " should fail";
  return r ? "" : r.error().message();
}

TEST(Interpolate, BracedAndUnbracedNames) {
  EXPECT_EQ(expand("$SET"), "value");
  EXPECT_EQ(expand("${SET}"), "value");
  EXPECT_EQ(expand("pre-${NAME}-post"), "pre-web-post");
  EXPECT_EQ(expand("$NAME.example"), "web.example") << "a name ends at the first non-name char";
  EXPECT_EQ(expand("${SET}${NAME}"), "valueweb");
}

TEST(Interpolate, DefaultsDistinguishUnsetFromEmpty) {
  EXPECT_EQ(expand("${UNSET:-d}"), "d");
  EXPECT_EQ(expand("${EMPTY:-d}"), "d");
  EXPECT_EQ(expand("${SET:-d}"), "value");
  EXPECT_EQ(expand("${UNSET-d}"), "d");
  EXPECT_EQ(expand("${EMPTY-d}"), "") << "without the colon an empty value counts as set";
  EXPECT_EQ(expand("${UNSET:-}"), "");
}

TEST(Interpolate, AlternativeValues) {
  EXPECT_EQ(expand("${SET:+alt}"), "alt");
  EXPECT_EQ(expand("${EMPTY:+alt}"), "");
  EXPECT_EQ(expand("${UNSET:+alt}"), "");
  EXPECT_EQ(expand("${EMPTY+alt}"), "alt");
  EXPECT_EQ(expand("${UNSET+alt}"), "");
}

TEST(Interpolate, RequiredValues) {
  EXPECT_EQ(expand("${SET:?boom}"), "value");
  EXPECT_EQ(expand("${EMPTY?boom}"), "");
  EXPECT_EQ(error_of("${EMPTY:?must be set}"), "required variable EMPTY is missing a value: must be set");
  EXPECT_EQ(error_of("${UNSET?}"), "required variable UNSET is missing a value");
  EXPECT_EQ(error_of("${UNSET:?set $NAME}"), "required variable UNSET is missing a value: set web")
      << "the message is interpolated too";
}

TEST(Interpolate, NestedDefaults) {
  EXPECT_EQ(expand("${UNSET:-${B:-x}}"), "from-b");
  EXPECT_EQ(expand("${UNSET:-${ALSO_UNSET:-x}}"), "x");
  EXPECT_EQ(expand("${UNSET:-a${SET}b}"), "avalueb");
  EXPECT_EQ(expand("${UNSET:-{braces}}"), "{braces}") << "only ${ opens a nested expression";
}

TEST(Interpolate, DollarsThatAreNotVariables) {
  EXPECT_EQ(expand("$$SET"), "$SET");
  EXPECT_EQ(expand("$$$SET"), "$value");
  EXPECT_EQ(expand("cost: 5$"), "cost: 5$");
  EXPECT_EQ(expand("$1 $- $ x"), "$1 $- $ x");
  EXPECT_EQ(expand("${UNSET:-$$}"), "$");
}

TEST(Interpolate, MissingVariablesAreEmptyAndReported) {
  std::set<std::string> missing;
  EXPECT_EQ(expand("a${UNSET}b$ALSO_UNSET", &missing), "ab");
  EXPECT_EQ(missing, (std::set<std::string>{"UNSET", "ALSO_UNSET"}));
  missing.clear();
  EXPECT_EQ(expand("${SET:-${NOT_EVALUATED}}", &missing), "value");
  EXPECT_TRUE(missing.empty()) << "an operand that is not used is not looked at";
}

TEST(Interpolate, MalformedExpressions) {
  EXPECT_NE(error_of("${UNCLOSED").find("invalid interpolation format"), std::string::npos);
  EXPECT_NE(error_of("${PATH/a/b}").find("invalid interpolation format"), std::string::npos);
  EXPECT_NE(error_of("${}").find("invalid interpolation format"), std::string::npos);
  EXPECT_NE(error_of("${1X}").find("invalid interpolation format"), std::string::npos);
}

TEST(Interpolate, TreeErrorsNameFileLineAndKeyPath) {
  auto source = std::make_shared<Source>(Source{"/p/compose.yml", "compose.yml", "/p"});
  auto root = parse_yaml("services:\n  web:\n    image: x\n    environment:\n      - A=${NOPE:?no}\n",
                         source);
  ASSERT_TRUE(root);
  auto r = interpolate_tree(*root, InterpolateOptions{lookup, nullptr});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "compose.yml:5: services.web.environment[0]: required variable NOPE is missing a value: no");
}

TEST(Interpolate, TreeInterpolatesValuesNotKeys) {
  auto source = std::make_shared<Source>(Source{"/p/c.yml", "c.yml", "/p"});
  auto root = parse_yaml("labels:\n  $SET: $SET\nlist: [$NAME, plain]\n", source);
  ASSERT_TRUE(root);
  ASSERT_TRUE(interpolate_tree(*root, InterpolateOptions{lookup, nullptr}));
  const Node* labels = root->find("labels");
  ASSERT_TRUE(labels && labels->find("$SET"));
  EXPECT_EQ(labels->find("$SET")->scalar, "value");
  EXPECT_EQ(root->find("list")->items[0].scalar, "web");
}

}  // namespace
}  // namespace berth::compose
