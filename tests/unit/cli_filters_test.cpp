// cli/filters.h: docker's --filter rules, shared by ps and volume ls.
#include "cli/filters.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

// An object with a name and labels, tested as `ps` tests a container.
Result<bool> match(const std::vector<std::string>& filters) {
  std::map<std::string, std::string> labels = {{"tier", "front"}, {"team", "web"}, {"flag", ""}};
  return match_filters(filters, [&](const std::string& key, const std::string& value) -> Result<bool> {
    if (key == "name") return std::string("web-1").find(value) != std::string::npos;
    if (key == "label") return label_matches(labels, value);
    return fail("invalid filter", key);
  });
}

TEST(Filters, ValuesOfOneKeyAreAlternativesButLabelsMustAllMatch) {
  EXPECT_TRUE(*match({}));
  EXPECT_TRUE(*match({"name=db", "name=web"}));
  EXPECT_FALSE(*match({"name=db"}));
  EXPECT_TRUE(*match({"label=tier=front", "label=team"}));
  EXPECT_FALSE(*match({"label=tier=front", "label=team=db"}));  // docker: every label filter
  EXPECT_TRUE(*match({"label=flag"}));
  EXPECT_FALSE(*match({"label=flag=x"}));
  EXPECT_FALSE(*match({"name=web", "label=missing"}));  // and every key
}

TEST(Filters, BadFiltersAreErrors) {
  auto bad = match({"name"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("bad format of filter"), std::string::npos);
  EXPECT_FALSE(match({"color=red"}));
}

}  // namespace
}  // namespace berth::cli
