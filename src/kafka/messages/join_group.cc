#include "kafka/messages/join_group.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  const int16_t v = io.version();
  io.Field(m.group_id);
  io.Field(m.session_timeout_ms);
  if (v >= 1) io.Field(m.rebalance_timeout_ms);
  io.Field(m.member_id);
  if (v >= 5) io.Field(m.group_instance_id);
  io.Field(m.protocol_type);
  io.Array(m.protocols, [&](auto& protocol) {
    io.Field(protocol.name);
    io.Field(protocol.metadata);
  });
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 2) io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
  io.Field(m.generation_id);
  io.Field(m.protocol_name);
  io.Field(m.leader);
  io.Field(m.member_id);
  io.Array(m.members, [&](auto& member) {
    io.Field(member.member_id);
    if (v >= 5) io.Field(member.group_instance_id);
    io.Field(member.metadata);
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(JoinGroup)

}  // namespace tarn::kafka
