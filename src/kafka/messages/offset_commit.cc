#include "kafka/messages/offset_commit.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  const int16_t v = io.version();
  io.Field(m.group_id);
  io.Field(m.generation_id_or_member_epoch);
  io.Field(m.member_id);
  if (v >= 7) io.Field(m.group_instance_id);
  if (v <= 4) io.Field(m.retention_time_ms);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition_index);
      io.Field(partition.committed_offset);
      if (v >= 6) io.Field(partition.committed_leader_epoch);
      io.Field(partition.committed_metadata);
    });
  });
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 3) io.Field(m.throttle_time_ms);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition_index);
      io.Field(partition.error_code);
    });
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(OffsetCommit)

}  // namespace tarn::kafka
