#include "kafka/messages/delete_topics.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.topic_names);
  io.Field(m.timeout_ms);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 1) io.Field(m.throttle_time_ms);
  io.Array(m.responses, [&](auto& topic) {
    io.Field(topic.name);
    io.Field(topic.error_code);
  });
}

}  // namespace

Result<DeleteTopicsRequest> DeleteTopicsRequest::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapRequest<FieldReader, DeleteTopicsRequest>);
}
void DeleteTopicsRequest::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapRequest<FieldWriter, const DeleteTopicsRequest>);
}
Result<DeleteTopicsResponse> DeleteTopicsResponse::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapResponse<FieldReader, DeleteTopicsResponse>);
}
void DeleteTopicsResponse::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this,
                          MapResponse<FieldWriter, const DeleteTopicsResponse>);
}

}  // namespace tarn::kafka
