#include "app/consume_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn::app {
namespace {

using Kind = StartPosition::Kind;

TEST(ParseStartPositionTest, NamedPositions) {
  EXPECT_EQ(ParseStartPosition("earliest").value(), (StartPosition{Kind::kEarliest, 0}));
  EXPECT_EQ(ParseStartPosition("latest").value(), (StartPosition{Kind::kLatest, 0}));
}

TEST(ParseStartPositionTest, OffsetsAndTimestamps) {
  EXPECT_EQ(ParseStartPosition("0").value(), (StartPosition{Kind::kOffset, 0}));
  EXPECT_EQ(ParseStartPosition("42").value(), (StartPosition{Kind::kOffset, 42}));
  EXPECT_EQ(ParseStartPosition("@1700000000000").value(),
            (StartPosition{Kind::kTimestamp, 1700000000000}));
}

TEST(ParseStartPositionTest, RejectsWithTheAcceptedForms) {
  for (std::string_view bad :
       {"", "first", "-1", "@", "@-5", "12x", "@12x", "Earliest", "99999999999999999999"}) {
    Result<StartPosition> position = ParseStartPosition(bad);
    ASSERT_FALSE(position.has_value()) << bad;
    EXPECT_EQ(position.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(position.error().message(), ::testing::HasSubstr("@TIMESTAMP_MS"));
  }
}

}  // namespace
}  // namespace tarn::app
