// Every message at every version the codec serves: encoding then decoding keeps every field the
// version carries, the encoding is canonical, and every truncation of it fails cleanly.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "kafka/api_keys.h"
#include "kafka/messages/test_util.h"
#include "kafka/request_decoder.h"
#include "kafka/wire.h"

namespace tarn::kafka {
namespace {

using message_testing::DecodeWhole;
using message_testing::EncodeBody;

// Round trips `sample` at every supported version. At the highest one every field is on the
// wire, so the decoded message must equal the sample.
template <typename Message>
void ExpectRoundTrips(const Message& sample) {
  const ApiSupport* api = FindApi(Message::kApiKey);
  ASSERT_NE(api, nullptr);
  for (int16_t v = api->min_version; v <= api->max_version; ++v) {
    SCOPED_TRACE(ApiVersionName(Message::kApiKey, v));
    Bytes encoded = EncodeBody(sample, v);
    Result<Message> decoded = DecodeWhole<Message>(encoded, v);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
    EXPECT_EQ(EncodeBody(*decoded, v), encoded);
    if (v == api->max_version) EXPECT_TRUE(*decoded == sample);

    for (size_t length = 0; length < encoded.size(); ++length) {
      Bytes prefix(encoded.begin(), encoded.begin() + static_cast<ptrdiff_t>(length));
      const Result<Message> truncated = DecodeWhole<Message>(prefix, v);
      ASSERT_FALSE(truncated.has_value()) << "decoded from " << length << " bytes";
      EXPECT_EQ(truncated.error().code(), StatusCode::kCorruption);
      EXPECT_EQ(truncated.error().message().rfind(ApiVersionName(Message::kApiKey, v), 0), 0u)
          << truncated.error().message();
    }
  }
}

const Bytes kRecords = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};

TEST(RoundTripTest, Produce) {
  Bytes records = kRecords;
  ProduceRequest request;
  request.transactional_id = "txn";
  request.acks = 1;
  request.timeout_ms = 1500;
  request.topic_data = {{"a", {{PartitionId(0), records}, {PartitionId(1), {}}}}, {"b", {}}};
  ExpectRoundTrips(request);

  ProduceResponse response;
  response.responses = {
      {"a",
       {{PartitionId(0), ErrorCode::kNone, Offset(7), 1700000000000, Offset(2), {}, std::nullopt},
        {PartitionId(1),
         ErrorCode::kInvalidRecord,
         Offset(-1),
         -1,
         Offset(-1),
         {{0, "not an event"}, {2, std::nullopt}},
         "2 records refused"}}}};
  response.throttle_time_ms = 9;
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, Fetch) {
  FetchRequest request;
  request.replica_id = -1;
  request.max_wait_ms = 500;
  request.min_bytes = 1;
  request.max_bytes = 1 << 20;
  request.isolation_level = 1;
  request.session_id = 3;
  request.session_epoch = 4;
  request.topics = {{"a", {{PartitionId(0), 5, Offset(6), Offset(7), 8}}}};
  request.forgotten_topics_data = {{"b", {PartitionId(1), PartitionId(2)}}};
  request.rack_id = "r1";
  ExpectRoundTrips(request);

  FetchResponse response;
  response.throttle_time_ms = 1;
  response.error_code = ErrorCode::kFetchSessionIdNotFound;
  response.session_id = 2;
  FetchResponse::PartitionData partition;
  partition.partition_index = PartitionId(3);
  partition.error_code = ErrorCode::kNone;
  partition.high_watermark = Offset(10);
  partition.last_stable_offset = Offset(9);
  partition.log_start_offset = Offset(1);
  partition.aborted_transactions = {{{ProducerId(5), Offset(4)}}};
  partition.preferred_read_replica = 0;
  partition.records = kRecords;
  FetchResponse::PartitionData no_aborted = partition;
  no_aborted.aborted_transactions.reset();
  response.responses = {{"a", {partition, no_aborted}}};
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, ListOffsets) {
  ListOffsetsRequest request;
  request.replica_id = -1;
  request.isolation_level = 1;
  request.topics = {{"a",
                     {{PartitionId(0), ListOffsetsRequest::kEarliestTimestamp},
                      {PartitionId(1), 1700000000000}}}};
  ExpectRoundTrips(request);

  ListOffsetsResponse response;
  response.throttle_time_ms = 2;
  response.topics = {{"a",
                      {{PartitionId(0), ErrorCode::kNone, -1, Offset(0)},
                       {PartitionId(1), ErrorCode::kUnknownTopicOrPartition, 5, Offset(6)}}}};
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, Metadata) {
  MetadataRequest request;
  request.topics = {{{"a"}, {"b"}}};
  request.allow_auto_topic_creation = false;
  ExpectRoundTrips(request);
  ExpectRoundTrips(MetadataRequest());  // every topic

  MetadataResponse response;
  response.throttle_time_ms = 1;
  response.brokers = {{0, "h", 9092, "rack"}, {1, "i", 9093, std::nullopt}};
  response.cluster_id = "c";
  response.controller_id = 0;
  response.topics = {{ErrorCode::kNone,
                      "a",
                      true,
                      {{ErrorCode::kLeaderNotAvailable, PartitionId(0), 0, {0, 1}, {0}, {1}}}}};
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, OffsetCommit) {
  OffsetCommitRequest request;
  request.group_id = "g";
  request.generation_id_or_member_epoch = 3;
  request.member_id = "m";
  request.group_instance_id = "i";
  request.topics = {
      {"a",
       {{PartitionId(0), Offset(10), 4, "meta"}, {PartitionId(1), Offset(0), -1, std::nullopt}}}};
  ExpectRoundTrips(request);

  OffsetCommitRequest with_retention = request;
  with_retention.retention_time_ms = 86400000;
  for (int16_t v : {2, 4}) {
    Bytes encoded = EncodeBody(with_retention, v);
    ASSERT_EQ(DecodeWhole<OffsetCommitRequest>(encoded, v)->retention_time_ms, 86400000);
  }

  OffsetCommitResponse response;
  response.throttle_time_ms = 1;
  response.topics = {{"a", {{PartitionId(0), ErrorCode::kIllegalGeneration}}}};
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, OffsetFetch) {
  OffsetFetchRequest request;
  request.group_id = "g";
  request.topics = {{{"a", {PartitionId(0), PartitionId(2)}}}};
  ExpectRoundTrips(request);

  OffsetFetchResponse response;
  response.throttle_time_ms = 1;
  response.topics = {{"a",
                      {{PartitionId(0), Offset(10), 3, "meta", ErrorCode::kNone},
                       {PartitionId(2), Offset(-1), -1, "", ErrorCode::kNone}}}};
  response.error_code = ErrorCode::kCoordinatorLoadInProgress;
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, FindCoordinator) {
  ExpectRoundTrips(FindCoordinatorRequest{"group", FindCoordinatorRequest::kTransactionKey});
  ExpectRoundTrips(FindCoordinatorResponse{1, ErrorCode::kCoordinatorNotAvailable, "loading", 0,
                                           "localhost", 9092});
}

TEST(RoundTripTest, JoinGroup) {
  JoinGroupRequest request;
  request.group_id = "g";
  request.session_timeout_ms = 45000;
  request.rebalance_timeout_ms = 300000;
  request.member_id = "m";
  request.group_instance_id = "i";
  request.protocol_type = "consumer";
  request.protocols = {{"range", {1, 2, 3}}, {"roundrobin", {}}};
  ExpectRoundTrips(request);

  JoinGroupResponse response;
  response.throttle_time_ms = 1;
  response.error_code = ErrorCode::kMemberIdRequired;
  response.generation_id = 2;
  response.protocol_name = "range";
  response.leader = "m";
  response.member_id = "m";
  response.members = {{"m", "i", {4, 5}}, {"n", std::nullopt, {}}};
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, SyncGroupHeartbeatLeaveGroup) {
  ExpectRoundTrips(SyncGroupRequest{"g", 2, "m", "i", {{"m", {1}}, {"n", {}}}});
  ExpectRoundTrips(SyncGroupResponse{1, ErrorCode::kRebalanceInProgress, {7, 8}});
  ExpectRoundTrips(HeartbeatRequest{"g", 2, "m", "i"});
  ExpectRoundTrips(HeartbeatResponse{1, ErrorCode::kIllegalGeneration});
  ExpectRoundTrips(LeaveGroupRequest{"g", {{"m", std::nullopt}}});
  ExpectRoundTrips(LeaveGroupResponse{
      1,
      ErrorCode::kNone,
      {{"m", "i", ErrorCode::kUnknownMemberId}, {"n", std::nullopt, ErrorCode::kNone}}});
}

TEST(RoundTripTest, ListAndDescribeGroups) {
  ExpectRoundTrips(ListGroupsRequest());
  ExpectRoundTrips(ListGroupsResponse{1, ErrorCode::kNone, {{"g", "consumer"}, {"h", ""}}});
  ExpectRoundTrips(DescribeGroupsRequest{{"g", "h"}, true});

  DescribeGroupsResponse response;
  response.throttle_time_ms = 1;
  DescribeGroupsResponse::DescribedGroup& group = response.groups.emplace_back();
  group.group_id = "g";
  group.group_state = "Stable";
  group.protocol_type = "consumer";
  group.protocol_data = "range";
  group.members = {{"m", "i", "client", "/127.0.0.1", {1}, {2}}};
  group.authorized_operations = 0;
  response.groups.push_back(
      {ErrorCode::kNone, "h", "Dead", "", "", {}, std::numeric_limits<int32_t>::min()});
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, ApiVersions) {
  ExpectRoundTrips(ApiVersionsRequest{"librdkafka", "2.0.2"});
  ApiVersionsResponse response;
  response.error_code = ErrorCode::kNone;
  for (const ApiSupport& api : SupportedApis()) {
    response.api_keys.push_back({api.key, api.min_version, api.max_version});
  }
  response.throttle_time_ms = 3;
  ExpectRoundTrips(response);
}

TEST(RoundTripTest, Topics) {
  CreateTopicsRequest create;
  create.topics = {{"a", 3, 1, {}, {{"cleanup.policy", "compact"}, {"retention.ms", std::nullopt}}},
                   {"b", -1, -1, {{PartitionId(0), {0}}}, {}}};
  create.timeout_ms = 1000;
  create.validate_only = true;
  ExpectRoundTrips(create);
  ExpectRoundTrips(CreateTopicsResponse{
      1, {{"a", ErrorCode::kNone, std::nullopt}, {"b", ErrorCode::kTopicAlreadyExists, "exists"}}});

  ExpectRoundTrips(DeleteTopicsRequest{{"a", "b"}, 1000});
  ExpectRoundTrips(DeleteTopicsResponse{
      1, {{"a", ErrorCode::kNone}, {"b", ErrorCode::kUnknownTopicOrPartition}}});
}

TEST(RoundTripTest, DescribeConfigs) {
  DescribeConfigsRequest request;
  request.resources = {{ConfigResourceType::kTopic, "a", std::vector<std::string>{"retention.ms"}},
                       {ConfigResourceType::kBroker, "0", std::nullopt}};
  request.include_synonyms = true;
  ExpectRoundTrips(request);

  using Response = DescribeConfigsResponse;
  Response response;
  response.throttle_time_ms = 1;
  Response::DescribeConfigsResourceResult config;
  config.name = "retention.ms";
  config.value = "604800000";
  config.read_only = false;
  config.config_source = Response::ConfigSource::kDefaultConfig;
  config.is_sensitive = false;
  config.synonyms = {
      {"log.retention.ms", std::nullopt, Response::ConfigSource::kStaticBrokerConfig}};
  response.results = {
      {ErrorCode::kNone, std::nullopt, ConfigResourceType::kTopic, "a", {config}},
      {ErrorCode::kUnknownTopicOrPartition, "no such topic", ConfigResourceType::kTopic, "b", {}}};
  ExpectRoundTrips(response);

  // is_default exists only at v0.
  Response v0;
  v0.results = {{ErrorCode::kNone, std::nullopt, ConfigResourceType::kTopic, "a", {config}}};
  v0.results[0].configs[0].is_default = true;
  Bytes encoded = EncodeBody(v0, 0);
  EXPECT_TRUE(DecodeWhole<Response>(encoded, 0)->results[0].configs[0].is_default);
}

TEST(RoundTripTest, InitProducerId) {
  ExpectRoundTrips(InitProducerIdRequest{std::nullopt, 60000});
  ExpectRoundTrips(InitProducerIdRequest{"txn", 60000});
  ExpectRoundTrips(InitProducerIdResponse{1, ErrorCode::kNone, ProducerId(1000), ProducerEpoch(0)});
}

TEST(RoundTripTest, VersionsOutsideTheRangeAreUnsupported) {
  Bytes empty;
  WireReader r(empty);
  const Result<ProduceRequest> produce = ProduceRequest::Decode(r, 2);
  ASSERT_FALSE(produce.has_value());
  EXPECT_EQ(produce.error().code(), StatusCode::kUnsupported);
  EXPECT_EQ(produce.error().message(), "Produce v2 is not supported");
  EXPECT_EQ(FetchRequest::Decode(r, 12).error().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace tarn::kafka
