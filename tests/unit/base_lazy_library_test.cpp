// base/lazy_library.h: a library opened on first use, its functions found by name, and a
// missing library reported (exit 125) rather than a crash.
#include "base/lazy_library.h"

#include <gtest/gtest.h>

#include <cmath>

namespace berth {
namespace {

TEST(LazyLibrary, FindsAFunctionByNameAndItWorks) {
  auto* cosine = reinterpret_cast<double (*)(double)>(lazy_symbol("libm.so.6", "libc6", "cos"));
  ASSERT_NE(cosine, nullptr);
  EXPECT_DOUBLE_EQ(cosine(0.0), 1.0);
  // The second lookup in the same library reuses the handle and finds the same code.
  EXPECT_EQ(reinterpret_cast<void*>(cosine), lazy_symbol("libm.so.6", "libc6", "cos"));
}

TEST(LazyLibrary, AMissingLibraryNamesThePackageToInstall) {
  EXPECT_EXIT(lazy_symbol("libberth-nosuch.so.7", "berth-nosuch7", "f"), testing::ExitedWithCode(125),
              "libberth-nosuch.so.7.*\n.*install the Debian package berth-nosuch7");
}

TEST(LazyLibrary, AMissingFunctionNamesTheLibrary) {
  EXPECT_EXIT(lazy_symbol("libm.so.6", "libc6", "berth_no_such_function"), testing::ExitedWithCode(125),
              "libm.so.6 has no berth_no_such_function");
}

}  // namespace
}  // namespace berth
