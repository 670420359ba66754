#include "kafka/messages/heartbeat.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.group_id);
  io.Field(m.generation_id);
  io.Field(m.member_id);
  if (io.version() >= 3) io.Field(m.group_instance_id);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 1) io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
}

}  // namespace

Result<HeartbeatRequest> HeartbeatRequest::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapRequest<FieldReader, HeartbeatRequest>);
}
void HeartbeatRequest::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapRequest<FieldWriter, const HeartbeatRequest>);
}
Result<HeartbeatResponse> HeartbeatResponse::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapResponse<FieldReader, HeartbeatResponse>);
}
void HeartbeatResponse::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapResponse<FieldWriter, const HeartbeatResponse>);
}

}  // namespace tarn::kafka
