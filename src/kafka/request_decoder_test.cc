#include "kafka/request_decoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "base/bytes.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/request_header.h"
#include "kafka/wire.h"

namespace tarn::kafka {
namespace {

// A request frame body: header then body, as the broker receives it after the size prefix.
template <typename Request>
Bytes Frame(const Request& request, int16_t version, int32_t correlation_id = 1) {
  Bytes out;
  WireWriter w(out);
  RequestHeader{Request::kApiKey, version, correlation_id, "test"}.Encode(w);
  request.Encode(w, version);
  return out;
}

Result<AnyRequest> DecodeFrame(Bytes& frame) {
  WireReader r{MutableByteView(frame)};
  TARN_ASSIGN_OR_RETURN(RequestHeader header, RequestHeader::Decode(r));
  return DecodeRequest(header, r);
}

TEST(ApiKeysTest, TableAdvertisesTheAgreedRanges) {
  struct Range {
    ApiKey key;
    int16_t min, max;
  };
  const Range expected[] = {
      {ApiKey::kProduce, 3, 8},         {ApiKey::kFetch, 4, 11},
      {ApiKey::kListOffsets, 1, 3},     {ApiKey::kMetadata, 0, 6},
      {ApiKey::kOffsetCommit, 2, 7},    {ApiKey::kOffsetFetch, 1, 5},
      {ApiKey::kFindCoordinator, 0, 2}, {ApiKey::kJoinGroup, 0, 5},
      {ApiKey::kHeartbeat, 0, 3},       {ApiKey::kLeaveGroup, 0, 3},
      {ApiKey::kSyncGroup, 0, 3},       {ApiKey::kDescribeGroups, 0, 4},
      {ApiKey::kListGroups, 0, 2},      {ApiKey::kApiVersions, 0, 3},
      {ApiKey::kCreateTopics, 0, 4},    {ApiKey::kDeleteTopics, 0, 3},
      {ApiKey::kInitProducerId, 0, 1},  {ApiKey::kDescribeConfigs, 0, 2},
  };
  EXPECT_EQ(SupportedApis().size(), std::size(expected));
  for (const Range& range : expected) {
    const ApiSupport* api = FindApi(range.key);
    ASSERT_NE(api, nullptr) << ApiName(range.key);
    EXPECT_EQ(api->min_version, range.min) << ApiName(range.key);
    EXPECT_EQ(api->max_version, range.max) << ApiName(range.key);
  }
  EXPECT_EQ(FindApi(ApiKey::kSaslHandshake), nullptr);
  EXPECT_EQ(FindApi(static_cast<ApiKey>(999)), nullptr);
}

TEST(ApiKeysTest, OnlyApiVersionsV3IsFlexibleWithinTheRanges) {
  for (const ApiSupport& api : SupportedApis()) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      EXPECT_EQ(IsFlexible(api.key, v), api.key == ApiKey::kApiVersions && v == 3)
          << ApiVersionName(api.key, v);
    }
  }
  EXPECT_TRUE(IsFlexible(ApiKey::kApiVersions, 4)) << "newer ApiVersions still use header v2";
  EXPECT_TRUE(IsFlexible(ApiKey::kMetadata, 9));
  EXPECT_FALSE(IsFlexible(static_cast<ApiKey>(999), 9));
}

TEST(ApiKeysTest, Names) {
  EXPECT_EQ(ApiName(ApiKey::kOffsetCommit), "OffsetCommit");
  EXPECT_EQ(ApiName(static_cast<ApiKey>(57)), "Unknown");
  EXPECT_EQ(ApiVersionName(ApiKey::kFetch, 11), "Fetch v11");
  EXPECT_EQ(ApiVersionName(static_cast<ApiKey>(57), 0), "Unknown(57) v0");
}

TEST(ErrorCodeTest, NamesAndNumbers) {
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnknownServerError), -1);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnsupportedVersion), 35);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kInvalidRecord), 87);
  EXPECT_EQ(ErrorName(ErrorCode::kMemberIdRequired), "MEMBER_ID_REQUIRED");
  EXPECT_EQ(ErrorName(ErrorCode::kNone), "NONE");
  EXPECT_EQ(ErrorName(static_cast<ErrorCode>(5000)), "UNKNOWN");
}

TEST(ErrorCodeTest, OneMappingFromStatus) {
  EXPECT_EQ(ToErrorCode(Status::Ok()), ErrorCode::kNone);
  EXPECT_EQ(ToErrorCode(Status::Corruption("")), ErrorCode::kCorruptMessage);
  EXPECT_EQ(ToErrorCode(Status::NotFound("")), ErrorCode::kUnknownTopicOrPartition);
  EXPECT_EQ(ToErrorCode(Status::OutOfRange("")), ErrorCode::kOffsetOutOfRange);
  EXPECT_EQ(ToErrorCode(Status::ResourceExhausted("")), ErrorCode::kMessageTooLarge);
  EXPECT_EQ(ToErrorCode(Status::InvalidArgument("")), ErrorCode::kInvalidRequest);
  EXPECT_EQ(ToErrorCode(Status::AlreadyExists("")), ErrorCode::kTopicAlreadyExists);
  EXPECT_EQ(ToErrorCode(Status::Unsupported("")), ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(ToErrorCode(Status::Timeout("")), ErrorCode::kRequestTimedOut);
  EXPECT_EQ(ToErrorCode(Status::IoError("")), ErrorCode::kUnknownServerError);
  EXPECT_EQ(ToErrorCode(Status::Internal("")), ErrorCode::kUnknownServerError);
}

TEST(RequestHeaderTest, NullClientIdAndTruncation) {
  Bytes frame = {0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xff};
  WireReader r(frame);
  const Result<RequestHeader> header = RequestHeader::Decode(r);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->api_key, ApiKey::kMetadata);
  EXPECT_EQ(header->correlation_id, 42);
  EXPECT_EQ(header->client_id, std::nullopt);

  for (size_t length = 0; length < frame.size(); ++length) {
    WireReader prefix(ByteView(frame).first(length));
    const Result<RequestHeader> truncated = RequestHeader::Decode(prefix);
    ASSERT_FALSE(truncated.has_value());
    EXPECT_EQ(truncated.error().message().rfind("request header: ", 0), 0u);
  }
}

TEST(RequestHeaderTest, ResponseHeaderV1OnlyForFlexibleNonApiVersions) {
  EXPECT_FALSE(HasFlexibleResponseHeader(ApiKey::kProduce, 7));
  EXPECT_TRUE(HasFlexibleResponseHeader(ApiKey::kProduce, 9));
  EXPECT_FALSE(HasFlexibleResponseHeader(ApiKey::kApiVersions, 3));
  Bytes out;
  WireWriter w(out);
  EncodeResponseHeader(w, 7, true);
  EXPECT_EQ(out, (Bytes{0x00, 0x00, 0x00, 0x07, 0x00}));
  WireReader r(out);
  EXPECT_EQ(DecodeResponseHeader(r, true), 7);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(DecodeRequestTest, DispatchesOnTheHeader) {
  MetadataRequest metadata;
  metadata.topics = {{{"orders"}}};
  Bytes frame = Frame(metadata, 4);
  const Result<AnyRequest> decoded = DecodeFrame(frame);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  ASSERT_TRUE(std::holds_alternative<MetadataRequest>(*decoded));
  EXPECT_EQ(std::get<MetadataRequest>(*decoded), metadata);
}

TEST(DecodeRequestTest, UnknownKeysAndVersionsAreUnsupported) {
  Bytes unknown = {0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff};
  EXPECT_EQ(DecodeFrame(unknown).error().code(), StatusCode::kUnsupported);

  Bytes sasl = {0x00, 0x11, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00};
  EXPECT_EQ(DecodeFrame(sasl).error().code(), StatusCode::kUnsupported);

  Bytes old_produce = Frame(ProduceRequest(), 3);
  old_produce[3] = 2;  // api_version
  const Result<AnyRequest> produce = DecodeFrame(old_produce);
  EXPECT_EQ(produce.error().code(), StatusCode::kUnsupported);
  EXPECT_EQ(produce.error().message(), "Produce v2 is not supported");
}

TEST(DecodeRequestTest, ApiVersionsAboveOurMaxIsAnsweredWithoutReadingTheBody) {
  // An ApiVersions v9 from a newer client: header v2, then a body of unknown layout.
  Bytes frame = {0x00, 0x12, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05,
                 0x00, 0x01, 'c',  0x00, 0xde, 0xad, 0xbe, 0xef};
  const Result<AnyRequest> decoded = DecodeFrame(frame);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_TRUE(std::holds_alternative<ApiVersionsRequest>(*decoded));
}

TEST(DecodeRequestTest, BytesAfterTheBodyAreCorruption) {
  Bytes frame = Frame(HeartbeatRequest{"g", 1, "m", std::nullopt}, 1);
  frame.push_back(0);
  const Result<AnyRequest> decoded = DecodeFrame(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.error().message(), "Heartbeat v1: 1 bytes after the body");
}

TEST(DecodeRequestTest, MalformedBodiesNameTheApi) {
  Bytes frame = Frame(JoinGroupRequest{"g", 1, 2, "m", std::nullopt, "consumer", {}}, 2);
  frame.back() = 0x05;  // protocols: claims 5 elements in 0 bytes
  const Result<AnyRequest> decoded = DecodeFrame(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.error().message().rfind("JoinGroup v2: array of 5 elements", 0), 0u)
      << decoded.error().message();
}

}  // namespace
}  // namespace tarn::kafka
