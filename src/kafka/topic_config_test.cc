#include "kafka/topic_config.h"

#include <gtest/gtest.h>

namespace tarn::kafka {
namespace {

TEST(TopicConfigTest, CompactionSettingsAreValidatedAndShown) {
  TopicConfig config;
  EXPECT_EQ(config.Get("min.cleanable.dirty.ratio"), "0.5");
  EXPECT_EQ(config.Get("min.compaction.lag.ms"), "0");
  EXPECT_FALSE(config.compacted());
  EXPECT_TRUE(config.deletes());

  ASSERT_TRUE(config.Set("min.cleanable.dirty.ratio", "0.25").ok());
  EXPECT_EQ(config.min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(config.Get("min.cleanable.dirty.ratio"), "0.25");
  for (const char* bad : {"-0.1", "1.5", "half", "", "nan"}) {
    EXPECT_EQ(config.Set("min.cleanable.dirty.ratio", bad).code(), StatusCode::kInvalidArgument)
        << bad;
  }
  ASSERT_TRUE(config.Set("min.compaction.lag.ms", "60000").ok());
  EXPECT_EQ(config.Get("min.compaction.lag.ms"), "60000");
  EXPECT_FALSE(config.Set("min.compaction.lag.ms", "-1").ok());

  ASSERT_TRUE(config.Set("cleanup.policy", "compact").ok());
  EXPECT_TRUE(config.compacted());
  EXPECT_FALSE(config.deletes());
  ASSERT_TRUE(config.Set("cleanup.policy", "delete,compact").ok());
  EXPECT_TRUE(config.compacted());
  EXPECT_TRUE(config.deletes());

  const auto& keys = TopicConfig::Keys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "min.cleanable.dirty.ratio"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "min.compaction.lag.ms"), keys.end());
}

TEST(TopicConfigTest, ValidationIsABooleanAndOffByDefault) {
  TopicConfig config;
  EXPECT_FALSE(config.validation);
  EXPECT_EQ(config.Get("tarn.validation"), "false");
  ASSERT_TRUE(config.Set("tarn.validation", "true").ok());
  EXPECT_TRUE(config.validation);
  EXPECT_EQ(config.Get("tarn.validation"), "true");
  ASSERT_TRUE(config.Set("tarn.validation", "FALSE").ok());  // any case, as Kafka's booleans
  EXPECT_FALSE(config.validation);
  for (const char* bad : {"", "yes", "1", "true "}) {
    Status s = config.Set("tarn.validation", bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("tarn.validation"), std::string::npos) << s.message();
  }
  const auto& keys = TopicConfig::Keys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "tarn.validation"), keys.end());

  auto settings = TopicSettings::Make(TopicConfig{}, {{"tarn.validation", "true"}});
  ASSERT_TRUE(settings.has_value());
  EXPECT_TRUE(settings->effective.validation);
  EXPECT_EQ(settings->overrides.at("tarn.validation"), "true");
}

}  // namespace
}  // namespace tarn::kafka
