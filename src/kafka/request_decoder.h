// Decoding any request body by its header: the one dispatch from (api_key, api_version) to a
// message decoder, shared by the broker and the fuzzer.
#pragma once

#include <variant>

#include "base/result.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/create_topics.h"
#include "kafka/messages/delete_topics.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/heartbeat.h"
#include "kafka/messages/init_producer_id.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/list_groups.h"
#include "kafka/messages/list_offsets.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/offset_commit.h"
#include "kafka/messages/offset_fetch.h"
#include "kafka/messages/produce.h"
#include "kafka/messages/sync_group.h"
#include "kafka/request_header.h"
#include "kafka/wire.h"

namespace tarn::kafka {

using AnyRequest =
    std::variant<ProduceRequest, FetchRequest, ListOffsetsRequest, MetadataRequest,
                 OffsetCommitRequest, OffsetFetchRequest, FindCoordinatorRequest, JoinGroupRequest,
                 HeartbeatRequest, LeaveGroupRequest, SyncGroupRequest, DescribeGroupsRequest,
                 ListGroupsRequest, ApiVersionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
                 InitProducerIdRequest, DescribeConfigsRequest>;

// Decodes the body that follows `header` in `in`, which must hold exactly that body and, for
// Produce, read a mutable frame that outlives the request (ProduceRequest::Decode).
//   kUnsupported: a key the codec does not implement, or a version outside its range: the
//                 broker closes the connection. ApiVersions is the exception: above its max the
//                 body is not read and an empty request comes back, to be answered at v0.
//   kCorruption:  a malformed body, or bytes left after it.
Result<AnyRequest> DecodeRequest(const RequestHeader& header, WireReader& in);

}  // namespace tarn::kafka
