#include "base/strings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn {
namespace {

using ::testing::ElementsAre;

TEST(StringsTest, TrimSpacesTakesSpacesAndTabsOffBothEnds) {
  EXPECT_EQ(TrimSpaces(" \ta b\t "), "a b");
  EXPECT_EQ(TrimSpaces(" \t "), "");
  EXPECT_EQ(TrimSpaces(""), "");
}

TEST(StringsTest, SplitListKeepsEveryItemTrimmed) {
  EXPECT_THAT(SplitList("a, b,,c "), ElementsAre("a", "b", "", "c"));
  EXPECT_THAT(SplitList(""), ElementsAre(""));
  EXPECT_THAT(SplitList("x;y", ';'), ElementsAre("x", "y"));
  EXPECT_THAT(SplitList("x,"), ElementsAre("x", ""));
}

}  // namespace
}  // namespace tarn
