// The broker behind a real listener, driven over a socket with hand-encoded requests: what a
// client sees for good requests, versions we do not serve and malformed frames.
#include "kafka/session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "kafka/broker.h"
#include "kafka/group/group_coordinator.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/create_topics.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/produce.h"
#include "kafka/record_batch_builder.h"
#include "kafka/request_header.h"
#include "net/asio.h"
#include "net/frame_server.h"

namespace tarn::kafka {
namespace {

namespace fs = std::filesystem;
using asio::ip::tcp;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("session_test_" + std::to_string(std::random_device()()));
    BrokerOptions options;
    options.data_dir = dir_;
    broker_ = Broker::Open(io_, options, SystemClock(), nullptr).value();
    // Applies to topics created with tarn.validation=true only.
    broker_->SetRecordValidator([](std::string_view, const Record& record) {
      if (record.value && AsString(*record.value).starts_with("bad")) {
        return Status::InvalidArgument("a bad value");
      }
      return Status::Ok();
    });
    groups_ = GroupCoordinator::Open(io_, *broker_, GroupCoordinatorOptions{}, SystemClock()).value();
    server_ = std::make_unique<net::FrameServer>(
        io_, net::FrameServerOptions{.max_frame_bytes = 1 << 20},
        [this](const net::ConnectionInfo& info) { return MakeSession(*broker_, *groups_, info); });
    port_ = server_->Listen("127.0.0.1", 0).value();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] {
      server_->Stop();
      groups_.reset();
      broker_.reset();
      io_.stop();
    });
    thread_.join();
    fs::remove_all(dir_);
  }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }

  template <typename Request>
  static Bytes Frame(ApiKey key, int16_t version, int32_t correlation_id, const Request& request) {
    Bytes out;
    WireWriter w(out);
    RequestHeader header{key, version, correlation_id, "session-test"};
    header.Encode(w);
    request.Encode(w, version);
    return out;
  }
  static void Send(tcp::socket& s, ByteView body) {
    uint8_t prefix[4];
    StoreBigEndian<int32_t>(prefix, static_cast<int32_t>(body.size()));
    asio::write(s, asio::buffer(prefix));
    asio::write(s, asio::buffer(body.data(), body.size()));
  }
  static Bytes Receive(tcp::socket& s) {
    uint8_t prefix[4];
    asio::read(s, asio::buffer(prefix));
    Bytes body(LoadBigEndian<int32_t>(prefix));
    asio::read(s, asio::buffer(body));
    return body;
  }
  static bool ClosedByPeer(tcp::socket& s) {
    uint8_t byte;
    boost::system::error_code ec;
    asio::read(s, asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  // Sends `request` and decodes the reply as `Response` at the same version.
  template <typename Response, typename Request>
  static Response Call(tcp::socket& s, ApiKey key, int16_t version, const Request& request) {
    Send(s, Frame(key, version, 9, request));
    Bytes reply = Receive(s);
    WireReader r(reply);
    EXPECT_EQ(DecodeResponseHeader(r, false).value(), 9);
    return Response::Decode(r, version).value();
  }
  ApiVersionsResponse ApiVersions(tcp::socket& s, int16_t version, int16_t decode_as) {
    Send(s, Frame(ApiKey::kApiVersions, version, 7, ApiVersionsRequest{"test", "1.0"}));
    Bytes reply = Receive(s);
    WireReader r(reply);
    EXPECT_EQ(DecodeResponseHeader(r, false).value(), 7);
    return ApiVersionsResponse::Decode(r, decode_as).value();
  }

  fs::path dir_;
  IoContext io_;
  IoContext client_io_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<GroupCoordinator> groups_;
  std::unique_ptr<net::FrameServer> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(SessionTest, ApiVersionsAdvertisesTheServedRanges) {
  auto s = Connect();
  for (int16_t version : {0, 1, 2, 3}) {
    ApiVersionsResponse response = ApiVersions(s, version, version);
    EXPECT_EQ(response.error_code, ErrorCode::kNone);
    auto produce = std::find_if(response.api_keys.begin(), response.api_keys.end(),
                                [](const auto& a) { return a.api_key == ApiKey::kProduce; });
    ASSERT_NE(produce, response.api_keys.end());
    EXPECT_EQ(produce->min_version, 0);  // advertised for librdkafka's codec checks; 3 served
    EXPECT_EQ(produce->max_version, 8);
    auto fetch = std::find_if(response.api_keys.begin(), response.api_keys.end(),
                              [](const auto& a) { return a.api_key == ApiKey::kFetch; });
    ASSERT_NE(fetch, response.api_keys.end());
    EXPECT_EQ(fetch->min_version, 4);
    EXPECT_EQ(fetch->max_version, 11);
  }
}

TEST_F(SessionTest, ApiVersionsAboveOurRangeGetsAVersionZeroError) {
  auto s = Connect();
  // Header v2 for a future ApiVersions v9; its body is whatever that version holds.
  Bytes frame;
  WireWriter w(frame);
  w.WriteInt16(18);
  w.WriteInt16(9);
  w.WriteInt32(7);
  w.WriteNullableString("test", /*compact=*/false);
  w.WriteEmptyTaggedFields();
  w.WriteString("some-client", /*compact=*/true);
  w.WriteEmptyTaggedFields();
  Send(s, frame);
  Bytes reply = Receive(s);
  WireReader r(reply);
  EXPECT_EQ(DecodeResponseHeader(r, false).value(), 7);
  ApiVersionsResponse response = ApiVersionsResponse::Decode(r, 0).value();
  EXPECT_EQ(response.error_code, ErrorCode::kUnsupportedVersion);
  EXPECT_FALSE(response.api_keys.empty());
  // The connection stays usable.
  EXPECT_EQ(ApiVersions(s, 2, 2).error_code, ErrorCode::kNone);
}

TEST_F(SessionTest, UnservedVersionOrUnknownKeyClosesOnlyThatConnection) {
  auto old_produce = Connect();
  Bytes frame;
  WireWriter w(frame);
  RequestHeader{ApiKey::kProduce, 2, 1, "old-client"}.Encode(w);
  w.WriteInt16(1);   // acks
  w.WriteInt32(0);   // timeout
  w.WriteInt32(0);   // no topics
  Send(old_produce, frame);
  EXPECT_TRUE(ClosedByPeer(old_produce));

  auto unknown = Connect();
  Send(unknown, Frame(static_cast<ApiKey>(999), 0, 1, ApiVersionsRequest{}));
  EXPECT_TRUE(ClosedByPeer(unknown));

  auto good = Connect();
  EXPECT_EQ(ApiVersions(good, 3, 3).error_code, ErrorCode::kNone);
}

TEST_F(SessionTest, TruncatedBodyClosesTheConnection) {
  auto s = Connect();
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{"a-topic-name"}};
  Bytes frame = Frame(ApiKey::kMetadata, 4, 1, request);
  frame.resize(frame.size() - 5);
  Send(s, frame);
  EXPECT_TRUE(ClosedByPeer(s));
  auto other = Connect();
  EXPECT_EQ(ApiVersions(other, 0, 0).error_code, ErrorCode::kNone);
}

TEST_F(SessionTest, ProduceAnswersPerPartitionErrorsAndOffsets) {
  auto s = Connect();
  RecordBatchBuilder builder;
  builder.Add(AsBytes("k"), AsBytes("v"), 1000);
  Bytes batch = builder.Build().value();
  Bytes corrupt = batch;
  corrupt.back() ^= 0xFF;

  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 1000;
  // Metadata creates the topic first, as clients do.
  MetadataRequest metadata;
  metadata.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{"t"}};
  Send(s, Frame(ApiKey::kMetadata, 4, 1, metadata));
  Receive(s);

  request.topic_data.push_back({"t", {{PartitionId(0), batch}, {PartitionId(5), batch}}});
  request.topic_data.push_back({"missing", {{PartitionId(0), batch}}});
  request.topic_data.push_back({"t", {{PartitionId(0), corrupt}}});
  Send(s, Frame(ApiKey::kProduce, 7, 2, request));
  Bytes reply = Receive(s);
  WireReader r(reply);
  EXPECT_EQ(DecodeResponseHeader(r, false).value(), 2);
  ProduceResponse response = ProduceResponse::Decode(r, 7).value();
  ASSERT_EQ(response.responses.size(), 3u);
  EXPECT_EQ(response.responses[0].partition_responses[0].error_code, ErrorCode::kNone);
  EXPECT_EQ(response.responses[0].partition_responses[0].base_offset, Offset(0));
  EXPECT_EQ(response.responses[0].partition_responses[1].error_code,
            ErrorCode::kUnknownTopicOrPartition);
  EXPECT_EQ(response.responses[1].partition_responses[0].error_code,
            ErrorCode::kUnknownTopicOrPartition);
  EXPECT_EQ(response.responses[2].partition_responses[0].error_code, ErrorCode::kCorruptMessage);
}

TEST_F(SessionTest, ProduceToAValidatedTopicRefusesTheBatchWithAFailingRecord) {
  auto s = Connect();
  CreateTopicsRequest create;
  create.topics.push_back({"checked", 1, 1, {}, {{"tarn.validation", "true"}}});
  create.topics.push_back({"open", 1, 1, {}, {}});
  create.topics.push_back({"wrong", 1, 1, {}, {{"tarn.validation", "maybe"}}});
  auto created = Call<CreateTopicsResponse>(s, ApiKey::kCreateTopics, 4, create);
  ASSERT_EQ(created.topics.size(), 3u);
  EXPECT_EQ(created.topics[0].error_code, ErrorCode::kNone);
  EXPECT_EQ(created.topics[1].error_code, ErrorCode::kNone);
  EXPECT_EQ(created.topics[2].error_code, ErrorCode::kInvalidConfig);

  DescribeConfigsRequest describe;
  describe.resources.push_back({ConfigResourceType::kTopic, "checked", {{"tarn.validation"}}});
  describe.resources.push_back({ConfigResourceType::kTopic, "open", {{"tarn.validation"}}});
  auto described = Call<DescribeConfigsResponse>(s, ApiKey::kDescribeConfigs, 1, describe);
  ASSERT_EQ(described.results.size(), 2u);
  ASSERT_EQ(described.results[0].configs.size(), 1u);
  EXPECT_EQ(described.results[0].configs[0].value, "true");
  EXPECT_EQ(described.results[0].configs[0].config_source,
            DescribeConfigsResponse::ConfigSource::kDynamicTopicConfig);
  ASSERT_EQ(described.results[1].configs.size(), 1u);
  EXPECT_EQ(described.results[1].configs[0].value, "false");

  auto batch = [](std::vector<std::string> values) {
    RecordBatchBuilder builder;
    for (const std::string& v : values) builder.Add(std::nullopt, AsBytes(v), 1000);
    return builder.Build().value();
  };
  for (int16_t version : {7, 8}) {
    SCOPED_TRACE("Produce v" + std::to_string(version));
    Bytes mixed = batch({"good", "bad", "good", "bad"});
    Bytes good = batch({"good"});
    Bytes anything = batch({"bad"});
    ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = 1000;
    request.topic_data.push_back({"checked", {{PartitionId(0), mixed}}});
    request.topic_data.push_back({"open", {{PartitionId(0), anything}}});
    request.topic_data.push_back({"checked", {{PartitionId(0), good}}});
    auto response = Call<ProduceResponse>(s, ApiKey::kProduce, version, request);
    ASSERT_EQ(response.responses.size(), 3u);
    const auto& refused = response.responses[0].partition_responses.at(0);
    EXPECT_EQ(refused.error_code, ErrorCode::kInvalidRecord);
    EXPECT_EQ(refused.base_offset, Offset(-1));
    if (version >= 8) {
      using Error = ProduceResponse::PartitionProduceResponse::BatchIndexAndErrorMessage;
      EXPECT_EQ(refused.record_errors,
                (std::vector<Error>{{1, "a bad value"}, {3, "a bad value"}}));
      EXPECT_EQ(refused.error_message,
                "tarn.validation refused 2 of 4 records; the first, record 1: a bad value");
    } else {
      EXPECT_TRUE(refused.record_errors.empty());
      EXPECT_FALSE(refused.error_message.has_value());
    }
    // The other partitions of the request are unaffected.
    const auto& open = response.responses[1].partition_responses.at(0);
    EXPECT_EQ(open.error_code, ErrorCode::kNone);
    const auto& accepted = response.responses[2].partition_responses.at(0);
    EXPECT_EQ(accepted.error_code, ErrorCode::kNone);
    EXPECT_EQ(accepted.base_offset,
              Offset(version == 7 ? 0 : 1));  // nothing of `mixed` was written
    EXPECT_EQ(accepted.log_start_offset, Offset(0));
  }
}

TEST_F(SessionTest, AcksZeroProduceOfAFailingRecordClosesTheConnection) {
  auto s = Connect();
  CreateTopicsRequest create;
  create.topics.push_back({"checked", 1, 1, {}, {{"tarn.validation", "true"}}});
  ASSERT_EQ(Call<CreateTopicsResponse>(s, ApiKey::kCreateTopics, 4, create).topics.at(0).error_code,
            ErrorCode::kNone);
  RecordBatchBuilder builder;
  builder.Add(std::nullopt, AsBytes("bad"), 1000);
  Bytes batch = builder.Build().value();
  ProduceRequest request;
  request.acks = 0;
  request.topic_data.push_back({"checked", {{PartitionId(0), batch}}});
  Send(s, Frame(ApiKey::kProduce, 8, 3, request));
  EXPECT_TRUE(ClosedByPeer(s));
}

}  // namespace
}  // namespace tarn::kafka
