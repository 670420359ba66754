#include "app/produce_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace tarn::app {
namespace {

std::map<std::string, std::string> AsMap(
    const std::vector<std::pair<std::string, std::string>>& v) {
  return {v.begin(), v.end()};
}

TEST(ProducerPropertiesTest, IdempotentWithAcksAllByDefault) {
  ProduceArgs args;
  std::map<std::string, std::string> props = AsMap(ProducerProperties(args));
  EXPECT_EQ(props["acks"], "all");
  EXPECT_EQ(props["enable.idempotence"], "true");
  EXPECT_EQ(props["compression.codec"], "none");
  EXPECT_EQ(props["partitioner"], "murmur2_random");
  EXPECT_EQ(props["message.timeout.ms"], "10000");
}

TEST(ProducerPropertiesTest, WeakerAcksTurnIdempotenceOff) {
  ProduceArgs args;
  args.acks = "1";
  args.compression = "zstd";
  std::map<std::string, std::string> props = AsMap(ProducerProperties(args));
  EXPECT_EQ(props["acks"], "1");
  EXPECT_EQ(props["enable.idempotence"], "false");
  EXPECT_EQ(props["compression.codec"], "zstd");

  args = ProduceArgs();
  args.idempotence = false;
  EXPECT_EQ(AsMap(ProducerProperties(args))["enable.idempotence"], "false");
}

TEST(SplitKeyValueTest, SplitsAtTheFirstSeparator) {
  Result<KeyedValue> split = SplitKeyValue("user-1:{\"a\":1}:x", ":");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->key, "user-1");
  EXPECT_EQ(split->value, "{\"a\":1}:x");

  split = SplitKeyValue("k::v", "::");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->key, "k");
  EXPECT_EQ(split->value, "v");

  split = SplitKeyValue("\tv", "\t");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->key, "");
  EXPECT_EQ(split->value, "v");
}

TEST(SplitKeyValueTest, MissingSeparatorIsAnError) {
  Result<KeyedValue> split = SplitKeyValue("no separator here", "|");
  ASSERT_FALSE(split.has_value());
  EXPECT_EQ(split.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(split.error().message(), ::testing::HasSubstr("\"|\""));
}

}  // namespace
}  // namespace tarn::app
