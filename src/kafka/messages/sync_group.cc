#include "kafka/messages/sync_group.h"

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
  io.Array(m.assignments, [&](auto& assignment) {
    io.Field(assignment.member_id);
    io.Field(assignment.assignment);
  });
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 1) io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
  io.Field(m.assignment);
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(SyncGroup)

}  // namespace tarn::kafka
