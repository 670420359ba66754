#include "kafka/messages/leave_group.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.group_id);
  if (io.version() >= 3) {
    io.Array(m.members, [&](auto& member) {
      io.Field(member.member_id);
      io.Field(member.group_instance_id);
    });
  } else if constexpr (Io::kDecoding) {
    io.Field(m.members.emplace_back().member_id);
  } else {
    TARN_CHECK_MSG(m.members.size() == 1, "LeaveGroup v0-2 carries exactly one member");
    io.Field(m.members.front().member_id);
  }
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 1) io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
  if (v >= 3) {
    io.Array(m.members, [&](auto& member) {
      io.Field(member.member_id);
      io.Field(member.group_instance_id);
      io.Field(member.error_code);
    });
  }
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(LeaveGroup)

}  // namespace tarn::kafka
