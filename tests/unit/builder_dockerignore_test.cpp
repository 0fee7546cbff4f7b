#include <gtest/gtest.h>

#include "builder/dockerignore.h"

namespace berth::builder {
namespace {

TEST(DockerIgnore, EmptyExcludesNothing) {
  auto ignore = DockerIgnore::parse("# just a comment\n\n   \n");
  EXPECT_TRUE(ignore.empty());
  EXPECT_FALSE(ignore.excluded("anything/at/all"));
}

TEST(DockerIgnore, StarStaysInsideOneSegment) {
  auto ignore = DockerIgnore::parse("*.md\ndocs/*.txt\n");
  EXPECT_TRUE(ignore.excluded("README.md"));
  EXPECT_FALSE(ignore.excluded("docs/guide.md")) << "* does not cross '/'";
  EXPECT_TRUE(ignore.excluded("docs/a.txt"));
  EXPECT_FALSE(ignore.excluded("docs/sub/a.txt"));
  EXPECT_FALSE(ignore.excluded("README.mdx"));
}

TEST(DockerIgnore, DoubleStarMatchesAnyNumberOfSegments) {
  auto ignore = DockerIgnore::parse("**/*.go\na/**/z\nout/**\n");
  EXPECT_TRUE(ignore.excluded("main.go")) << "** can be zero segments";
  EXPECT_TRUE(ignore.excluded("cmd/tool/main.go"));
  EXPECT_TRUE(ignore.excluded("a/z"));
  EXPECT_TRUE(ignore.excluded("a/b/c/z"));
  EXPECT_FALSE(ignore.excluded("a/b/c/y"));
  EXPECT_TRUE(ignore.excluded("out/x/y"));
  EXPECT_FALSE(ignore.excluded("out")) << "a trailing ** needs something below, as in Docker";
  EXPECT_TRUE(DockerIgnore::parse("**").excluded("any/thing"));
}

TEST(DockerIgnore, QuestionMarkClassesAndEscapes) {
  auto ignore = DockerIgnore::parse("file?.txt\nlog[0-9]\nv[^a-c]\nw[!a-c]\nstar\\*\n");
  EXPECT_TRUE(ignore.excluded("file1.txt"));
  EXPECT_FALSE(ignore.excluded("file12.txt"));
  EXPECT_TRUE(ignore.excluded("log7"));
  EXPECT_FALSE(ignore.excluded("logx"));
  EXPECT_TRUE(ignore.excluded("vz"));
  EXPECT_FALSE(ignore.excluded("vb"));
  EXPECT_TRUE(ignore.excluded("wz"));
  EXPECT_FALSE(ignore.excluded("wa"));
  EXPECT_TRUE(ignore.excluded("star*"));
  EXPECT_FALSE(ignore.excluded("starry"));
  EXPECT_FALSE(DockerIgnore::parse("bad[\n").excluded("bad["))
      << "a malformed class matches nothing";
}

TEST(DockerIgnore, PatternMatchingAParentMatchesThePath) {
  auto ignore = DockerIgnore::parse("node_modules\nbuild\n*/tmp\n");
  EXPECT_TRUE(ignore.excluded("node_modules"));
  EXPECT_TRUE(ignore.excluded("node_modules/x/y.js"));
  EXPECT_FALSE(ignore.excluded("src/node_modules")) << "patterns are anchored at the root";
  EXPECT_FALSE(ignore.excluded("builder/x"));
  EXPECT_TRUE(ignore.excluded("a/tmp/deep/file"));
}

TEST(DockerIgnore, ExceptionsAndLastMatchWins) {
  auto ignore = DockerIgnore::parse("*.md\n!README.md\n");
  EXPECT_TRUE(ignore.excluded("CHANGES.md"));
  EXPECT_FALSE(ignore.excluded("README.md"));
  auto reversed = DockerIgnore::parse("!README.md\n*.md\n");
  EXPECT_TRUE(reversed.excluded("README.md")) << "the later pattern decides";
  auto nested = DockerIgnore::parse("docs\n!docs/keep\ndocs/keep/secret\n");
  EXPECT_TRUE(nested.excluded("docs/a"));
  EXPECT_FALSE(nested.excluded("docs/keep/b"));
  EXPECT_TRUE(nested.excluded("docs/keep/secret/c"));
}

TEST(DockerIgnore, CommentsOnlyInTheFirstColumnAndCleaning) {
  auto ignore = DockerIgnore::parse(
      "# comment\n"
      "/abs\n"
      "./dot\n"
      "trailing/\n"
      "a//b\n"
      "x/../y\n"
      "  spaced  \r\n"
      " # hash\n"
      "! reincluded\n");
  EXPECT_TRUE(ignore.excluded("abs/f"));
  EXPECT_TRUE(ignore.excluded("dot"));
  EXPECT_TRUE(ignore.excluded("trailing/f"));
  EXPECT_TRUE(ignore.excluded("a/b"));
  EXPECT_TRUE(ignore.excluded("y"));
  EXPECT_FALSE(ignore.excluded("x"));
  EXPECT_TRUE(ignore.excluded("spaced"));
  EXPECT_TRUE(ignore.excluded("# hash")) << "an indented # is a pattern";
  EXPECT_FALSE(ignore.excluded("# comment"));
  EXPECT_FALSE(ignore.excluded("reincluded"));
}

TEST(DockerIgnore, MayIncludeBelow) {
  auto ignore = DockerIgnore::parse(
      "node_modules\nvendor\ndocs\n!node_modules/keep/**\n"
      "!docs/*.md\n");
  EXPECT_TRUE(ignore.may_include_below("node_modules"));
  EXPECT_TRUE(ignore.may_include_below("node_modules/keep"));
  EXPECT_FALSE(ignore.may_include_below("node_modules/other"));
  EXPECT_FALSE(ignore.may_include_below("vendor"));
  EXPECT_TRUE(ignore.may_include_below("docs"));
  EXPECT_FALSE(ignore.may_include_below("docs/sub"));
  EXPECT_TRUE(DockerIgnore::parse("*\n!**/keep\n").may_include_below("any/dir"));
  EXPECT_FALSE(DockerIgnore::parse("*\n").may_include_below("any"));
}

TEST(DockerIgnore, LoadMissingFileExcludesNothing) {
  auto ignore = DockerIgnore::load("/nonexistent/berth-test/.dockerignore");
  ASSERT_TRUE(ignore) << ignore.error().message();
  EXPECT_TRUE(ignore->empty());
}

}  // namespace
}  // namespace berth::builder
