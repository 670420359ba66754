#include "app/group_command.h"

#include <gtest/gtest.h>

namespace tarn::app {
namespace {

TEST(FormatGroupListTest, OneRowPerGroup) {
  EXPECT_EQ(FormatGroupList({{"billing", "Empty", 0}, {"orders-service", "Stable", 2}}),
            "GROUP           STATE   MEMBERS\n"
            "billing         Empty   0\n"
            "orders-service  Stable  2\n");
  EXPECT_EQ(FormatGroupList({}), "GROUP  STATE  MEMBERS\n");
}

TEST(FormatAssignmentTest, GroupsPartitionsByTopic) {
  EXPECT_EQ(FormatAssignment({{"orders", 0}, {"orders", 1}, {"payments", 3}}),
            "orders/0,1 payments/3");
  EXPECT_EQ(FormatAssignment({}), "-");
}

TEST(FormatGroupDescriptionTest, MembersThenPartitionsWithLag) {
  GroupDescription group;
  group.group_id = "orders-service";
  group.state = "Stable";
  group.protocol = "range";
  group.members = {{"m-1", std::nullopt, "rdkafka", "/127.0.0.1", {{"orders", 0}, {"orders", 1}}},
                   {"m-2", "instance-b", "app", "/10.0.0.2", {{"orders", 2}}}};
  group.partitions = {{"orders", 0, 40, 42, "m-1"},
                      {"orders", 1, 7, 7, "m-1"},
                      {"orders", 2, std::nullopt, 17, "m-2"},
                      {"gone", 0, 3, std::nullopt, ""}};
  EXPECT_EQ(FormatGroupDescription(group),
            "Group: orders-service\n"
            "State: Stable\n"
            "Protocol: range\n"
            "Members: 2\n"
            "\n"
            "MEMBER  INSTANCE    CLIENT   HOST        PARTITIONS\n"
            "m-1     -           rdkafka  /127.0.0.1  orders/0,1\n"
            "m-2     instance-b  app      /10.0.0.2   orders/2\n"
            "\n"
            "TOPIC   PARTITION  COMMITTED  LOG-END  LAG  MEMBER\n"
            "orders  0          40         42       2    m-1\n"
            "orders  1          7          7        0    m-1\n"
            "orders  2          -          17       -    m-2\n"
            "gone    0          3          -        -    -\n");
}

TEST(FormatGroupDescriptionTest, EmptyGroupWithoutOffsets) {
  GroupDescription group;
  group.group_id = "g";
  group.state = "Dead";
  EXPECT_EQ(FormatGroupDescription(group),
            "Group: g\n"
            "State: Dead\n"
            "Protocol: -\n"
            "Members: 0\n");
}

TEST(FormatOffsetResetsTest, RowsAndTheDryRunNote) {
  std::vector<OffsetReset> plan = {{"orders", 0, 40, 0}, {"orders", 1, std::nullopt, 0}};
  EXPECT_EQ(FormatOffsetResets(plan, false),
            "TOPIC   PARTITION  CURRENT  NEW\n"
            "orders  0          40       0\n"
            "orders  1          -        0\n");
  EXPECT_EQ(FormatOffsetResets(plan, true),
            "TOPIC   PARTITION  CURRENT  NEW\n"
            "orders  0          40       0\n"
            "orders  1          -        0\n"
            "Dry run: no offsets were changed.\n");
}

TEST(ParseDateTimeTest, Iso8601Forms) {
  EXPECT_EQ(ParseDateTime("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(ParseDateTime("2024-05-01T12:30:00Z").value(), 1714566600000);
  EXPECT_EQ(ParseDateTime("2024-05-01T12:30:00").value(), 1714566600000);  // UTC by default
  EXPECT_EQ(ParseDateTime("2024-05-01T12:30Z").value(), 1714566600000);
  EXPECT_EQ(ParseDateTime("2024-05-01T12:30:00.250Z").value(), 1714566600250);
  EXPECT_EQ(ParseDateTime("2024-05-01T14:30:00+02:00").value(), 1714566600000);
  EXPECT_EQ(ParseDateTime("2024-05-01T07:30:00-0500").value(), 1714566600000);
  EXPECT_EQ(ParseDateTime("2024-05-01").value(), 1714521600000);
  EXPECT_EQ(ParseDateTime("2024-02-29T00:00:00Z").value(), 1709164800000);
}

TEST(ParseDateTimeTest, RefusesWhatIsNotADateTime) {
  for (const char* text : {"", "yesterday", "2024-13-01", "2024-05-01T25:00:00Z", "2024-05-01T12",
                           "2024-05-01T12:30:00Q", "2024-05-01T12:30:00Z trailing", "1714566600000"}) {
    auto parsed = ParseDateTime(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace tarn::app
