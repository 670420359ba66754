#include "gateway/cursor.h"

#include <gtest/gtest.h>

namespace tarn::gateway {
namespace {

const std::map<int32_t, hub::PartitionBounds> kBounds = {{0, {5, 10}}, {1, {0, 3}}, {2, {7, 7}}};

TEST(Cursor, FormatsAsPartitionOffsetPairs) {
  EXPECT_EQ(FormatCursor({{0, 15}, {1, 7}}), "0:15,1:7");
  EXPECT_EQ(FormatCursor({}), "");
}

TEST(Cursor, ResolvesNamedStarts) {
  EXPECT_EQ(ResolveStart("", kBounds).value(), (Cursor{{0, 5}, {1, 0}, {2, 7}}));
  EXPECT_EQ(ResolveStart("earliest", kBounds).value(), (Cursor{{0, 5}, {1, 0}, {2, 7}}));
  EXPECT_EQ(ResolveStart("latest", kBounds).value(), (Cursor{{0, 10}, {1, 3}, {2, 7}}));
}

TEST(Cursor, ResolvesOffsetsAndCursorsClampedIntoBounds) {
  EXPECT_EQ(ResolveStart("2", kBounds).value(), (Cursor{{0, 5}, {1, 2}, {2, 7}}));
  EXPECT_EQ(ResolveStart("0:8,1:99", kBounds).value(), (Cursor{{0, 8}, {1, 3}, {2, 7}}));
  EXPECT_EQ(ResolveStart(FormatCursor({{0, 9}, {1, 1}, {2, 7}}), kBounds).value(),
            (Cursor{{0, 9}, {1, 1}, {2, 7}}));
}

TEST(Cursor, RefusesOtherShapes) {
  for (const char* bad : {"soon", "0:", ":1", "0:1,", "0:1;1:2", "9:1", "-1:0", "0:x"}) {
    Result<Cursor> resolved = ResolveStart(bad, kBounds);
    ASSERT_FALSE(resolved.has_value()) << bad;
    EXPECT_EQ(resolved.error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace tarn::gateway
