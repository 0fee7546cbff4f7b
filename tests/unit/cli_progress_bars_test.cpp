#include "cli/progress_bars.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(ProgressBar, DrawsDockersFiftyColumnBar) {
  EXPECT_EQ(progress_bar(0, 100), "[" + std::string(50, ' ') + "]  0B/100B");
  EXPECT_EQ(progress_bar(50, 100), "[" + std::string(24, '=') + ">" + std::string(25, ' ') + "]  50B/100B");
  EXPECT_EQ(progress_bar(100, 100), "[" + std::string(50, '=') + "]  100B/100B");
  EXPECT_EQ(progress_bar(2000000, -1), "2MB");  // no size known: only the bytes
}

TEST(LayerBars, RedrawsEachLayerInPlaceBelowTheHeader) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  LayerBars bars(out);
  bars.show({"latest", "Pulling from library/busybox", -1, -1});
  bars.show({"aaaa", "Pulling fs layer", -1, -1});
  bars.show({"bbbb", "Pulling fs layer", -1, -1});
  bars.show({"aaaa", "Downloading", 50, 100});
  bars.show({"aaaa", "Pull complete", -1, -1});
  std::fclose(out);
  std::string text(buf, len);
  std::free(buf);
  // The header once; then after each event the cursor goes up over the layer lines and
  // they are written again, each on an erased line, in first-seen order.
  EXPECT_EQ(text.find("latest: Pulling from library/busybox\n"), 0u) << text;
  std::string last = "\x1b[2A\x1b[2Kaaaa: Pull complete\n\x1b[2Kbbbb: Pulling fs layer\n";
  ASSERT_GE(text.size(), last.size());
  EXPECT_EQ(text.substr(text.size() - last.size()), last) << text;
  EXPECT_NE(text.find("aaaa: Downloading [" + std::string(24, '=') + ">"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::cli
