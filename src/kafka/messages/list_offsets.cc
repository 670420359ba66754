#include "kafka/messages/list_offsets.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.replica_id);
  if (io.version() >= 2) io.Field(m.isolation_level);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition_index);
      io.Field(partition.timestamp);
    });
  });
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 2) io.Field(m.throttle_time_ms);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition_index);
      io.Field(partition.error_code);
      io.Field(partition.timestamp);
      io.Field(partition.offset);
    });
  });
}

}  // namespace

Result<ListOffsetsRequest> ListOffsetsRequest::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapRequest<FieldReader, ListOffsetsRequest>);
}
void ListOffsetsRequest::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapRequest<FieldWriter, const ListOffsetsRequest>);
}
Result<ListOffsetsResponse> ListOffsetsResponse::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapResponse<FieldReader, ListOffsetsResponse>);
}
void ListOffsetsResponse::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapResponse<FieldWriter, const ListOffsetsResponse>);
}

}  // namespace tarn::kafka
