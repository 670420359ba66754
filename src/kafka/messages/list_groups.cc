#include "kafka/messages/list_groups.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io&, Request&) {}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 1) io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
  io.Array(m.groups, [&](auto& group) {
    io.Field(group.group_id);
    io.Field(group.protocol_type);
  });
}

}  // namespace

Result<ListGroupsRequest> ListGroupsRequest::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapRequest<FieldReader, ListGroupsRequest>);
}
void ListGroupsRequest::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapRequest<FieldWriter, const ListGroupsRequest>);
}
Result<ListGroupsResponse> ListGroupsResponse::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapResponse<FieldReader, ListGroupsResponse>);
}
void ListGroupsResponse::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapResponse<FieldWriter, const ListGroupsResponse>);
}

}  // namespace tarn::kafka
