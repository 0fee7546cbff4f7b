#include "compose/dotenv.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::compose {
namespace {

std::map<std::string, std::string> parse(const std::string& text, const Lookup& lookup = nullptr) {
  auto r = parse_dotenv(text, ".env", lookup);
  EXPECT_TRUE(r) << r.error().message();
  std::map<std::string, std::string> out;
  if (r)
    for (auto& [k, v] : *r) out[k] = v;
  return out;
}

TEST(Dotenv, CommentsBlankLinesExportAndSeparators) {
  auto env = parse("# comment\n\n  # indented comment\nA=1\nexport B=2\nC = 3  \nD: 4\n");
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}}));
}

TEST(Dotenv, UnquotedValuesAndInlineComments) {
  auto env = parse("A=value # comment\nB=value# not a comment\nC=#start\nD=\nE=a b  c\n");
  EXPECT_EQ(env["A"], "value");
  EXPECT_EQ(env["B"], "value# not a comment");
  EXPECT_EQ(env["C"], "");
  EXPECT_EQ(env["D"], "");
  EXPECT_EQ(env["E"], "a b  c");
}

TEST(Dotenv, SingleQuotesAreLiteral) {
  auto env = parse("A='$OTHER ${X} \\n # kept'\nB='Let\\'s go!' # comment\n");
  EXPECT_EQ(env["A"], "$OTHER ${X} \\n # kept");
  EXPECT_EQ(env["B"], "Let's go!");
}

TEST(Dotenv, DoubleQuotesEscapeAndInterpolate) {
  auto env = parse("NAME=world\nA=\"hello ${NAME}\\t!\\n\"\nB=\"{\\\"json\\\": 1}\"\nC=\"\\$NAME\"\n"
                   "D=\"back\\\\slash\" # comment\n");
  EXPECT_EQ(env["A"], "hello world\t!\n");
  EXPECT_EQ(env["B"], "{\"json\": 1}");
  EXPECT_EQ(env["C"], "$NAME") << "an escaped dollar is not interpolated";
  EXPECT_EQ(env["D"], "back\\slash");
}

TEST(Dotenv, MultiLineQuotedValues) {
  auto env = parse("KEY=\"first\nsecond\"\nNEXT='a\nb'\nAFTER=x\n");
  EXPECT_EQ(env["KEY"], "first\nsecond");
  EXPECT_EQ(env["NEXT"], "a\nb");
  EXPECT_EQ(env["AFTER"], "x");
}

TEST(Dotenv, InterpolationSeesEarlierLinesAndTheEnvironmentFirst) {
  Lookup process = [](std::string_view n) -> std::optional<std::string> {
    if (n == "SHELL_ONLY") return "shell";
    if (n == "BOTH") return "from-shell";
    return std::nullopt;
  };
  auto env = parse("BOTH=from-file\nA=${BOTH}\nBASE=/opt\nPATHS=$BASE/bin:${SHELL_ONLY}\n"
                   "DEF=${UNSET:-fallback}\n",
                   process);
  EXPECT_EQ(env["A"], "from-shell") << "the process environment wins, as for the compose file";
  EXPECT_EQ(env["PATHS"], "/opt/bin:shell");
  EXPECT_EQ(env["DEF"], "fallback");
}

TEST(Dotenv, KeyAloneInheritsFromTheEnvironment) {
  Lookup process = [](std::string_view n) -> std::optional<std::string> {
    if (n == "HOME") return "/root";
    return std::nullopt;
  };
  auto env = parse("HOME\nNOT_SET\n", process);
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"HOME", "/root"}}));
}

TEST(Dotenv, ErrorsNameTheLine) {
  auto bad = parse_dotenv("A=1\nB=\"unterminated\n", "web.env", nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "web.env:2: unterminated double-quoted value");
  auto bad_key = parse_dotenv("A=1\n\nB C=2\n", "web.env", nullptr);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().message(), "web.env:3: unexpected character \"C\" in variable name");
  auto required = parse_dotenv("\nA=${X:?needed}\n", "web.env", nullptr);
  ASSERT_FALSE(required);
  EXPECT_EQ(required.error().message(), "web.env:2: required variable X is missing a value: needed");
  auto trailing = parse_dotenv("A='x' y\n", "web.env", nullptr);
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().message(), "web.env:1: unexpected text after the closing quote");
}

TEST(Dotenv, RawFormatKeepsEverything) {
  auto r = parse_dotenv_raw("# skipped\nA=$X \"q\" # not a comment\nB= spaced \n", "raw.env");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (std::pair<std::string, std::string>{"A", "$X \"q\" # not a comment"}));
  EXPECT_EQ((*r)[1], (std::pair<std::string, std::string>{"B", " spaced "}));
}

}  // namespace
}  // namespace berth::compose
