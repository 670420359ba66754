#include "app/topic_command.h"

#include <gtest/gtest.h>

namespace tarn::app {
namespace {

TEST(FormatTableTest, AlignsColumnsTwoSpacesApart) {
  EXPECT_EQ(FormatTable({"A", "LONGER"}, {{"wide-cell", "1"}, {"x", "22"}}),
            "A          LONGER\n"
            "wide-cell  1\n"
            "x          22\n");
}

TEST(FormatTopicDescriptionTest, PartitionsThenConfigs) {
  TopicDescription topic;
  topic.name = "orders";
  topic.partitions = {{0, 1, 0, 42}, {1, -1, 3, 17}};
  topic.configs = {{"cleanup.policy", "delete", "default"},
                   {"retention.ms", "86400000", "topic"},
                   {"sasl.secret", std::nullopt, "broker"}};
  EXPECT_EQ(FormatTopicDescription(topic),
            "Topic: orders\n"
            "Partitions: 2\n"
            "\n"
            "PARTITION  LEADER  EARLIEST  LATEST\n"
            "0          1       0         42\n"
            "1          none    3         17\n"
            "\n"
            "CONFIG          VALUE     SOURCE\n"
            "cleanup.policy  delete    default\n"
            "retention.ms    86400000  topic\n"
            "sasl.secret     -         broker\n");
}

TEST(FormatTopicDescriptionTest, NoConfigsNoConfigTable) {
  TopicDescription topic;
  topic.name = "t";
  topic.partitions = {{0, 0, 0, 0}};
  EXPECT_EQ(FormatTopicDescription(topic),
            "Topic: t\n"
            "Partitions: 1\n"
            "\n"
            "PARTITION  LEADER  EARLIEST  LATEST\n"
            "0          0       0         0\n");
}

}  // namespace
}  // namespace tarn::app
