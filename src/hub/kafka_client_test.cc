#include "hub/kafka_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn::hub {
namespace {

using ::testing::HasSubstr;

TEST(ValidateBrokerListTest, AcceptsListsOfHostPort) {
  EXPECT_TRUE(ValidateBrokerList("127.0.0.1:9092").ok());
  EXPECT_TRUE(ValidateBrokerList("a:1, b.example.com:9092,[::1]:9093").ok());
}

TEST(ValidateBrokerListTest, RejectsWithTheOffendingEntry) {
  EXPECT_FALSE(ValidateBrokerList("").ok());
  EXPECT_THAT(ValidateBrokerList("a:1,b").message(), HasSubstr("\"b\""));
  EXPECT_THAT(ValidateBrokerList("a:1,").message(), HasSubstr("bad broker address"));
  EXPECT_THAT(ValidateBrokerList("a:0").message(), HasSubstr("port 0"));
}

TEST(KafkaStatusTest, MapsTheErrorsUsersMeet) {
  EXPECT_TRUE(KafkaStatus(RD_KAFKA_RESP_ERR_NO_ERROR, "x").ok());
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS), StatusCode::kAlreadyExists);
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART), StatusCode::kNotFound);
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT), StatusCode::kTimeout);
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR__TRANSPORT), StatusCode::kUnavailable);
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR_INVALID_PARTITIONS), StatusCode::kInvalidArgument);
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), StatusCode::kResourceExhausted);
  EXPECT_EQ(KafkaErrorCode(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED),
            StatusCode::kFailedPrecondition);

  Status status = KafkaStatus(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "create orders");
  EXPECT_EQ(status.message(), "create orders: Broker: Topic already exists");
  EXPECT_EQ(KafkaStatus(RD_KAFKA_RESP_ERR_INVALID_CONFIG, "c", "bad value").message(),
            "c: bad value");
}

TEST(LogLineReasonTest, DropsThreadClientAndBrokerNames) {
  EXPECT_EQ(LogLineReason("[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: Connect to "
                          "ipv4#127.0.0.1:1 failed: Connection refused"),
            "Connect to ipv4#127.0.0.1:1 failed: Connection refused");
  EXPECT_EQ(LogLineReason("[thrd:app]: tarn-cli/0.1.0#producer-1: b:9092/bootstrap: Connect to "
                          "ipv4#127.0.0.1:9092 failed: x"),
            "Connect to ipv4#127.0.0.1:9092 failed: x");
  EXPECT_EQ(LogLineReason("1/1 brokers are down"), "1/1 brokers are down");
}

TEST(NewClientConfTest, RefusesUnknownProperties) {
  KafkaClientOptions options;
  EXPECT_TRUE(NewClientConf(options, {{"acks", "all"}}).has_value());
  Result<ConfPtr> conf = NewClientConf(options, {{"no.such.property", "1"}});
  ASSERT_FALSE(conf.has_value());
  EXPECT_EQ(conf.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(conf.error().message(), HasSubstr("no.such.property"));
}

// Nothing listens on port 1: the metadata request fails, and says why.
TEST(KafkaClientTest, UnreachableBrokerFailsWithTheReason) {
  KafkaClientOptions options;
  options.brokers = "127.0.0.1:1";
  options.timeout = std::chrono::milliseconds(2000);
  Result<ConfPtr> conf = NewClientConf(options, {});
  ASSERT_TRUE(conf.has_value());
  Result<KafkaClient> client = KafkaClient::Create(RD_KAFKA_PRODUCER, std::move(*conf), options);
  ASSERT_TRUE(client.has_value()) << client.error().ToString();
  Result<MetadataPtr> metadata = client->FetchMetadata();
  ASSERT_FALSE(metadata.has_value());
  EXPECT_THAT(metadata.error().code(),
              ::testing::AnyOf(StatusCode::kUnavailable, StatusCode::kTimeout));
  EXPECT_THAT(metadata.error().message(), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(metadata.error().message(),
              HasSubstr("(last error: Connect to ipv4#127.0.0.1:1 failed: Connection refused"));
}

}  // namespace
}  // namespace tarn::hub
