#include "kafka/messages/describe_groups.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.groups);
  if (io.version() >= 3) io.Field(m.include_authorized_operations);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 1) io.Field(m.throttle_time_ms);
  io.Array(m.groups, [&](auto& group) {
    io.Field(group.error_code);
    io.Field(group.group_id);
    io.Field(group.group_state);
    io.Field(group.protocol_type);
    io.Field(group.protocol_data);
    io.Array(group.members, [&](auto& member) {
      io.Field(member.member_id);
      if (v >= 4) io.Field(member.group_instance_id);
      io.Field(member.client_id);
      io.Field(member.client_host);
      io.Field(member.member_metadata);
      io.Field(member.member_assignment);
    });
    if (v >= 3) io.Field(group.authorized_operations);
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(DescribeGroups)

}  // namespace tarn::kafka
