// Wire layouts written out by hand from Kafka's message schemas, field by field, and checked in
// both directions; plus the per-API rules the codec applies while decoding.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/offset_fetch.h"
#include "kafka/messages/produce.h"
#include "kafka/messages/test_util.h"
#include "kafka/request_header.h"
#include "kafka/wire.h"

namespace tarn::kafka {
namespace {

// Builds expected bytes independently of WireWriter.
class Wire {
 public:
  Wire& I8(int8_t v) { return Be(v); }
  Wire& I16(int16_t v) { return Be(v); }
  Wire& I32(int32_t v) { return Be(v); }
  Wire& I64(int64_t v) { return Be(v); }
  Wire& Str(std::string_view s) {
    I16(static_cast<int16_t>(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  Wire& NullStr() { return I16(-1); }
  Wire& CompactStr(std::string_view s) {  // short strings only: a one-byte length
    bytes.push_back(static_cast<uint8_t>(s.size() + 1));
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  Wire& Blob(const Bytes& b) {
    I32(static_cast<int32_t>(b.size()));
    bytes.insert(bytes.end(), b.begin(), b.end());
    return *this;
  }
  Wire& Byte(uint8_t b) {
    bytes.push_back(b);
    return *this;
  }

  Bytes bytes;

 private:
  template <typename T>
  Wire& Be(T v) {
    for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> shift));
    }
    return *this;
  }
};

using message_testing::EncodeBody;

// Decodes `bytes` as a whole body; a failure or leftover bytes fail the test.
template <typename Message>
Message DecodeBody(Bytes& bytes, int16_t version) {
  Result<Message> decoded = message_testing::DecodeWhole<Message>(bytes, version);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().ToString();
  return decoded.value_or(Message());
}

// ---- ApiVersions ------------------------------------------------------------------------------

TEST(ApiVersionsTest, V0RequestIsAnEmptyBodyAfterHeaderV1) {
  Bytes frame = Wire().I16(18).I16(0).I32(7).Str("kafka-python").bytes;
  WireReader r(frame);
  const Result<RequestHeader> header = RequestHeader::Decode(r);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->api_key, ApiKey::kApiVersions);
  EXPECT_EQ(header->api_version, 0);
  EXPECT_EQ(header->correlation_id, 7);
  EXPECT_EQ(header->client_id, "kafka-python");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(EncodeBody(ApiVersionsRequest(), 0).empty());
}

TEST(ApiVersionsTest, V3RequestUsesHeaderV2AndCompactStrings) {
  // Header v2: client_id stays an int16-length string, then an empty tag section.
  // clang-format off
  Bytes frame = Wire()
                    .I16(18)
                    .I16(3)
                    .I32(1)
                    .Str("rdkafka")
                    .Byte(0x00)
                    .CompactStr("librdkafka")
                    .CompactStr("2.0.2")
                    .Byte(0x00)
                    .bytes;
  // clang-format on
  WireReader r(frame);
  const Result<RequestHeader> header = RequestHeader::Decode(r);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->client_id, "rdkafka");
  const Result<ApiVersionsRequest> request = ApiVersionsRequest::Decode(r, 3);
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  EXPECT_EQ(request->client_software_name, "librdkafka");
  EXPECT_EQ(request->client_software_version, "2.0.2");
  EXPECT_EQ(r.remaining(), 0u);

  Bytes reencoded;
  WireWriter w(reencoded);
  header->Encode(w);
  request->Encode(w, 3);
  EXPECT_EQ(reencoded, frame);
}

TEST(ApiVersionsTest, V3RequestSkipsUnknownTaggedFields) {
  // clang-format off
  Bytes body = Wire()
                   .CompactStr("a")
                   .CompactStr("b")
                   .Byte(0x01)  // one tagged field: tag 7, two bytes
                   .Byte(0x07)
                   .Byte(0x02)
                   .Byte(0xca)
                   .Byte(0xfe)
                   .bytes;
  // clang-format on
  EXPECT_EQ(DecodeBody<ApiVersionsRequest>(body, 3).client_software_version, "b");
}

ApiVersionsResponse TwoApis() {
  ApiVersionsResponse response;
  response.api_keys = {{ApiKey::kProduce, 3, 7}, {ApiKey::kApiVersions, 0, 3}};
  response.throttle_time_ms = 5;
  return response;
}

TEST(ApiVersionsTest, V0Response) {
  // clang-format off
  const Bytes expected = Wire()
                             .I16(0)  // error_code
                             .I32(2)  // api_keys
                             .I16(0).I16(3).I16(7)
                             .I16(18).I16(0).I16(3)
                             .bytes;  // no throttle_time_ms before v1
  // clang-format on
  EXPECT_EQ(EncodeBody(TwoApis(), 0), expected);
  Bytes copy = expected;
  ApiVersionsResponse decoded = DecodeBody<ApiVersionsResponse>(copy, 0);
  EXPECT_EQ(decoded.api_keys, TwoApis().api_keys);
}

TEST(ApiVersionsTest, V3ResponseIsFlexibleButItsHeaderIsNot) {
  // clang-format off
  const Bytes expected = Wire()
                             .I16(0)
                             .Byte(0x03)  // compact array: 2 + 1
                             .I16(0).I16(3).I16(7).Byte(0x00)
                             .I16(18).I16(0).I16(3).Byte(0x00)
                             .I32(5)
                             .Byte(0x00)  // top-level tags
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(TwoApis(), 3), expected);
  Bytes copy = expected;
  EXPECT_EQ(DecodeBody<ApiVersionsResponse>(copy, 3), TwoApis());

  EXPECT_FALSE(HasFlexibleResponseHeader(ApiKey::kApiVersions, 3));
  Bytes header;
  WireWriter w(header);
  EncodeResponseHeader(w, 9, HasFlexibleResponseHeader(ApiKey::kApiVersions, 3));
  EXPECT_EQ(header, Wire().I32(9).bytes);
}

TEST(ApiVersionsTest, UnsupportedVersionAnswerIsAV0Body) {
  ApiVersionsResponse response;
  response.error_code = ErrorCode::kUnsupportedVersion;
  response.api_keys = {{ApiKey::kApiVersions, 0, 3}};
  EXPECT_EQ(EncodeBody(response, 0), Wire().I16(35).I32(1).I16(18).I16(0).I16(3).bytes);
}

// ---- Metadata ---------------------------------------------------------------------------------

TEST(MetadataTest, V0EmptyTopicListMeansEveryTopic) {
  Bytes empty = Wire().I32(0).bytes;
  EXPECT_EQ(DecodeBody<MetadataRequest>(empty, 0).topics, std::nullopt);
  EXPECT_EQ(EncodeBody(MetadataRequest(), 0), Wire().I32(0).bytes);

  Bytes one = Wire().I32(1).Str("orders").bytes;
  const MetadataRequest request = DecodeBody<MetadataRequest>(one, 0);
  ASSERT_TRUE(request.topics.has_value());
  ASSERT_EQ(request.topics->size(), 1u);
  EXPECT_EQ((*request.topics)[0].name, "orders");

  Bytes null_list = Wire().I32(-1).bytes;
  WireReader r(null_list);
  EXPECT_FALSE(MetadataRequest::Decode(r, 0).has_value()) << "v0 has no null list";
}

TEST(MetadataTest, V1NullMeansEveryTopicAndEmptyMeansNone) {
  Bytes null_list = Wire().I32(-1).bytes;
  EXPECT_EQ(DecodeBody<MetadataRequest>(null_list, 1).topics, std::nullopt);
  Bytes empty = Wire().I32(0).bytes;
  const MetadataRequest none = DecodeBody<MetadataRequest>(empty, 1);
  ASSERT_TRUE(none.topics.has_value());
  EXPECT_TRUE(none.topics->empty());
  EXPECT_EQ(EncodeBody(MetadataRequest(), 1), Wire().I32(-1).bytes);
}

TEST(MetadataTest, V4RequestAddsAutoCreation) {
  Bytes body = Wire().I32(1).Str("t").I8(0).bytes;
  const MetadataRequest request = DecodeBody<MetadataRequest>(body, 4);
  EXPECT_FALSE(request.allow_auto_topic_creation);
  EXPECT_EQ(EncodeBody(request, 4), body);
}

MetadataResponse OneBrokerOneTopic() {
  MetadataResponse response;
  response.throttle_time_ms = 3;
  response.brokers = {{0, "localhost", 9092, std::nullopt}};
  response.cluster_id = "tarn-cluster";
  response.controller_id = 0;
  MetadataResponse::MetadataResponseTopic& topic = response.topics.emplace_back();
  topic.name = "orders";
  MetadataResponse::MetadataResponsePartition& partition = topic.partitions.emplace_back();
  partition.partition_index = PartitionId(0);
  partition.leader_id = 0;
  partition.replica_nodes = {0};
  partition.isr_nodes = {0};
  return response;
}

TEST(MetadataTest, V0Response) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(1).I32(0).Str("localhost").I32(9092)  // brokers
                             .I32(1)                                     // topics
                             .I16(0).Str("orders")
                             .I32(1).I16(0).I32(0).I32(0)  // partition: error, index, leader
                             .I32(1).I32(0)                // replica_nodes
                             .I32(1).I32(0)                // isr_nodes
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OneBrokerOneTopic(), 0), expected);
}

TEST(MetadataTest, V1ResponseAddsRackControllerAndIsInternal) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(1).I32(0).Str("localhost").I32(9092).NullStr()  // rack
                             .I32(0)                                               // controller_id
                             .I32(1)
                             .I16(0).Str("orders").I8(0)  // is_internal
                             .I32(1).I16(0).I32(0).I32(0)
                             .I32(1).I32(0)
                             .I32(1).I32(0)
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OneBrokerOneTopic(), 1), expected);
}

TEST(MetadataTest, V4ResponseAddsThrottleAndClusterId) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(3)  // throttle_time_ms (v3+)
                             .I32(1).I32(0).Str("localhost").I32(9092).NullStr()
                             .Str("tarn-cluster")  // cluster_id (v2+)
                             .I32(0)
                             .I32(1)
                             .I16(0).Str("orders").I8(0)
                             .I32(1).I16(0).I32(0).I32(0)
                             .I32(1).I32(0)
                             .I32(1).I32(0)
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OneBrokerOneTopic(), 4), expected);
  Bytes copy = expected;
  EXPECT_EQ(DecodeBody<MetadataResponse>(copy, 4), OneBrokerOneTopic());
}

// ---- Produce ----------------------------------------------------------------------------------

const Bytes kBatch = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xab};  // opaque to the codec

Bytes ProduceBody() {
  // clang-format off
  return Wire()
      .NullStr()  // transactional_id
      .I16(-1)    // acks
      .I32(30000)
      .I32(1)
      .Str("orders")
      .I32(1)
      .I32(2)  // index
      .Blob(kBatch)
      .bytes;
  // clang-format on
}

TEST(ProduceTest, V3ToV8RequestsShareOneLayout) {
  for (int16_t version : {3, 7, 8}) {
    Bytes body = ProduceBody();
    const ProduceRequest request = DecodeBody<ProduceRequest>(body, version);
    EXPECT_EQ(request.transactional_id, std::nullopt);
    EXPECT_EQ(request.acks, -1);
    EXPECT_EQ(request.timeout_ms, 30000);
    ASSERT_EQ(request.topic_data.size(), 1u);
    EXPECT_EQ(request.topic_data[0].name, "orders");
    ASSERT_EQ(request.topic_data[0].partition_data.size(), 1u);
    EXPECT_EQ(request.topic_data[0].partition_data[0].index, PartitionId(2));
    EXPECT_EQ(EncodeBody(request, version), ProduceBody());
  }
}

TEST(ProduceTest, RecordsAreAWritableViewIntoTheFrame) {
  Bytes body = ProduceBody();
  const ProduceRequest request = DecodeBody<ProduceRequest>(body, 7);
  const MutableByteView records = request.topic_data[0].partition_data[0].records;
  ASSERT_EQ(records.size(), kBatch.size());
  EXPECT_EQ(records.data(), body.data() + body.size() - kBatch.size());
  StoreBigEndian<int64_t>(records.data(), 42);  // as the broker assigns baseOffset
  EXPECT_EQ(LoadBigEndian<int64_t>(body.data() + body.size() - kBatch.size()), 42);
}

ProduceResponse OnePartitionAppended() {
  ProduceResponse response;
  ProduceResponse::TopicProduceResponse& topic = response.responses.emplace_back();
  topic.name = "orders";
  ProduceResponse::PartitionProduceResponse& partition = topic.partition_responses.emplace_back();
  partition.index = PartitionId(2);
  partition.base_offset = Offset(100);
  partition.log_start_offset = Offset(0);
  response.throttle_time_ms = 0;
  return response;
}

TEST(ProduceTest, V3ResponseEndsWithThrottleTime) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(1).Str("orders")
                             .I32(1).I32(2).I16(0).I64(100).I64(-1)  // log_append_time_ms
                             .I32(0)                                  // throttle_time_ms, last
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OnePartitionAppended(), 3), expected);
}

TEST(ProduceTest, V7ResponseAddsLogStartOffset) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(1).Str("orders")
                             .I32(1).I32(2).I16(0).I64(100).I64(-1).I64(0)
                             .I32(0)
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OnePartitionAppended(), 7), expected);
  Bytes copy = expected;
  EXPECT_EQ(DecodeBody<ProduceResponse>(copy, 7), OnePartitionAppended());
}

TEST(ProduceTest, V8ResponseNamesTheRecordsThatDroppedTheBatch) {
  ProduceResponse response = OnePartitionAppended();
  ProduceResponse::PartitionProduceResponse& partition =
      response.responses[0].partition_responses[0];
  partition.error_code = ErrorCode::kInvalidRecord;
  partition.base_offset = Offset(-1);
  partition.record_errors = {{1, "missing id"}, {3, std::nullopt}};
  partition.error_message = "2 records refused";
  // clang-format off
  const Bytes expected = Wire()
                             .I32(1).Str("orders")
                             .I32(1).I32(2).I16(87).I64(-1).I64(-1).I64(0)
                             .I32(2).I32(1).Str("missing id").I32(3).NullStr()  // record_errors
                             .Str("2 records refused")                          // error_message
                             .I32(0)
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(response, 8), expected);
  Bytes copy = expected;
  EXPECT_EQ(DecodeBody<ProduceResponse>(copy, 8), response);

  // Below v8 neither field is on the wire.
  ProduceResponse v7 = response;
  v7.responses[0].partition_responses[0].record_errors.clear();
  v7.responses[0].partition_responses[0].error_message.reset();
  EXPECT_EQ(EncodeBody(response, 7), EncodeBody(v7, 7));
}

// ---- Fetch ------------------------------------------------------------------------------------

TEST(FetchTest, V4Request) {
  // clang-format off
  Bytes body = Wire()
                   .I32(-1).I32(500).I32(1).I32(52428800).I8(1)  // .. isolation_level
                   .I32(1).Str("orders")
                   .I32(1).I32(0).I64(17).I32(1048576)  // partition, fetch_offset, max bytes
                   .bytes;
  // clang-format on
  const FetchRequest request = DecodeBody<FetchRequest>(body, 4);
  EXPECT_EQ(request.replica_id, -1);
  EXPECT_EQ(request.max_wait_ms, 500);
  EXPECT_EQ(request.min_bytes, 1);
  EXPECT_EQ(request.max_bytes, 52428800);
  EXPECT_EQ(request.isolation_level, 1);
  ASSERT_EQ(request.topics.size(), 1u);
  ASSERT_EQ(request.topics[0].partitions.size(), 1u);
  const FetchRequest::FetchPartition& partition = request.topics[0].partitions[0];
  EXPECT_EQ(partition.fetch_offset, Offset(17));
  EXPECT_EQ(partition.partition_max_bytes, 1048576);
  EXPECT_EQ(partition.current_leader_epoch, -1) << "absent before v9: the schema default";
  EXPECT_EQ(EncodeBody(request, 4), body);
}

TEST(FetchTest, V11Request) {
  // clang-format off
  Bytes body = Wire()
                   .I32(-1).I32(500).I32(1).I32(52428800).I8(0)
                   .I32(0).I32(-1)  // session_id, session_epoch
                   .I32(1).Str("orders")
                   .I32(1).I32(0).I32(-1).I64(17).I64(-1).I32(1048576)
                   .I32(1).Str("gone").I32(2).I32(3).I32(4)  // forgotten_topics_data
                   .Str("rack-a")
                   .bytes;
  // clang-format on
  const FetchRequest request = DecodeBody<FetchRequest>(body, 11);
  EXPECT_EQ(request.session_epoch, -1);
  ASSERT_EQ(request.forgotten_topics_data.size(), 1u);
  EXPECT_EQ(request.forgotten_topics_data[0].partitions,
            (std::vector<PartitionId>{PartitionId(3), PartitionId(4)}));
  EXPECT_EQ(request.rack_id, "rack-a");
  EXPECT_EQ(EncodeBody(request, 11), body);
}

FetchResponse OneBatchFetched() {
  FetchResponse response;
  FetchResponse::FetchableTopicResponse& topic = response.responses.emplace_back();
  topic.topic = "orders";
  FetchResponse::PartitionData& partition = topic.partitions.emplace_back();
  partition.partition_index = PartitionId(0);
  partition.high_watermark = Offset(18);
  partition.last_stable_offset = Offset(18);
  partition.log_start_offset = Offset(0);
  partition.records = kBatch;
  return response;
}

TEST(FetchTest, V4Response) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(0)  // throttle_time_ms
                             .I32(1).Str("orders")
                             .I32(1).I32(0).I16(0).I64(18).I64(18)
                             .I32(0)  // aborted_transactions: empty
                             .Blob(kBatch)
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OneBatchFetched(), 4), expected);
}

TEST(FetchTest, V11Response) {
  // clang-format off
  const Bytes expected = Wire()
                             .I32(0).I16(0).I32(0)  // throttle, error_code, session_id
                             .I32(1).Str("orders")
                             .I32(1).I32(0).I16(0).I64(18).I64(18).I64(0)
                             .I32(0)
                             .I32(-1)  // preferred_read_replica
                             .Blob(kBatch)
                             .bytes;
  // clang-format on
  EXPECT_EQ(EncodeBody(OneBatchFetched(), 11), expected);
  Bytes copy = expected;
  EXPECT_EQ(DecodeBody<FetchResponse>(copy, 11), OneBatchFetched());
}

TEST(FetchTest, NullAbortedTransactionsAndRecordsDecode) {
  // clang-format off
  Bytes body = Wire()
                   .I32(0)
                   .I32(1).Str("orders")
                   .I32(1).I32(0).I16(1).I64(-1).I64(-1)
                   .I32(-1)  // aborted_transactions: null
                   .I32(-1)  // records: null
                   .bytes;
  // clang-format on
  const FetchResponse response = DecodeBody<FetchResponse>(body, 4);
  const FetchResponse::PartitionData& partition = response.responses[0].partitions[0];
  EXPECT_EQ(partition.error_code, ErrorCode::kOffsetOutOfRange);
  EXPECT_EQ(partition.aborted_transactions, std::nullopt);
  EXPECT_TRUE(partition.records.empty());
}

// ---- Group APIs -------------------------------------------------------------------------------

TEST(LeaveGroupTest, OldVersionsAreABatchOfOne) {
  Bytes body = Wire().Str("group").Str("member-1").bytes;
  const LeaveGroupRequest request = DecodeBody<LeaveGroupRequest>(body, 1);
  ASSERT_EQ(request.members.size(), 1u);
  EXPECT_EQ(request.members[0].member_id, "member-1");
  EXPECT_EQ(request.members[0].group_instance_id, std::nullopt);
  EXPECT_EQ(EncodeBody(request, 1), body);

  Bytes batch = Wire().Str("group").I32(1).Str("member-1").Str("instance-1").bytes;
  const LeaveGroupRequest v3 = DecodeBody<LeaveGroupRequest>(batch, 3);
  ASSERT_EQ(v3.members.size(), 1u);
  EXPECT_EQ(v3.members[0].group_instance_id, "instance-1");
}

TEST(OffsetFetchTest, NullTopicsFromV2MeanEveryTopic) {
  Bytes body = Wire().Str("group").I32(-1).bytes;
  EXPECT_EQ(DecodeBody<OffsetFetchRequest>(body, 2).topics, std::nullopt);
  WireReader r(body);
  EXPECT_FALSE(OffsetFetchRequest::Decode(r, 1).has_value()) << "v1 has no null list";
}

}  // namespace
}  // namespace tarn::kafka
