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

TARN_KAFKA_DEFINE_CODEC(ListGroups)

}  // namespace tarn::kafka
