#include "kafka/request_decoder.h"

#include <string>

namespace tarn::kafka {
namespace {

template <typename Request>
Result<AnyRequest> DecodeAs(WireReader& in, int16_t version) {
  TARN_ASSIGN_OR_RETURN(Request request, Request::Decode(in, version));
  return AnyRequest(std::move(request));
}

Result<AnyRequest> DecodeBody(const RequestHeader& header, WireReader& in) {
  const int16_t v = header.api_version;
  // clang-format off
  switch (header.api_key) {
    case ApiKey::kProduce: return DecodeAs<ProduceRequest>(in, v);
    case ApiKey::kFetch: return DecodeAs<FetchRequest>(in, v);
    case ApiKey::kListOffsets: return DecodeAs<ListOffsetsRequest>(in, v);
    case ApiKey::kMetadata: return DecodeAs<MetadataRequest>(in, v);
    case ApiKey::kOffsetCommit: return DecodeAs<OffsetCommitRequest>(in, v);
    case ApiKey::kOffsetFetch: return DecodeAs<OffsetFetchRequest>(in, v);
    case ApiKey::kFindCoordinator: return DecodeAs<FindCoordinatorRequest>(in, v);
    case ApiKey::kJoinGroup: return DecodeAs<JoinGroupRequest>(in, v);
    case ApiKey::kHeartbeat: return DecodeAs<HeartbeatRequest>(in, v);
    case ApiKey::kLeaveGroup: return DecodeAs<LeaveGroupRequest>(in, v);
    case ApiKey::kSyncGroup: return DecodeAs<SyncGroupRequest>(in, v);
    case ApiKey::kDescribeGroups: return DecodeAs<DescribeGroupsRequest>(in, v);
    case ApiKey::kListGroups: return DecodeAs<ListGroupsRequest>(in, v);
    case ApiKey::kApiVersions: return DecodeAs<ApiVersionsRequest>(in, v);
    case ApiKey::kCreateTopics: return DecodeAs<CreateTopicsRequest>(in, v);
    case ApiKey::kDeleteTopics: return DecodeAs<DeleteTopicsRequest>(in, v);
    case ApiKey::kInitProducerId: return DecodeAs<InitProducerIdRequest>(in, v);
    case ApiKey::kDescribeConfigs: return DecodeAs<DescribeConfigsRequest>(in, v);
    default: return Error(Status::Unsupported(ApiVersionName(header.api_key, v) + " has no codec"));
  }
  // clang-format on
}

}  // namespace

Result<AnyRequest> DecodeRequest(const RequestHeader& header, WireReader& in) {
  const ApiSupport* api = FindApi(header.api_key);
  if (api != nullptr && header.api_key == ApiKey::kApiVersions &&
      header.api_version > api->max_version) {
    return AnyRequest(ApiVersionsRequest());  // a newer layout than we know: not read
  }
  TARN_ASSIGN_OR_RETURN(AnyRequest request, DecodeBody(header, in));
  if (in.remaining() != 0) {
    return Error(Status::Corruption(ApiVersionName(header.api_key, header.api_version) + ": " +
                                    std::to_string(in.remaining()) + " bytes after the body"));
  }
  return request;
}

}  // namespace tarn::kafka
