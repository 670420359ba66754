#include "kafka/messages/offset_fetch.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.group_id);
  auto topic = [&](auto& t) {
    io.Field(t.name);
    io.Field(t.partition_indexes);
  };
  if (io.version() >= 2) {
    io.NullableArray(m.topics, topic);
  } else {
    TARN_CHECK_MSG(m.topics.has_value(), "OffsetFetch v1 cannot ask for every topic");
    io.Array(*m.topics, topic);
  }
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 3) io.Field(m.throttle_time_ms);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition_index);
      io.Field(partition.committed_offset);
      if (v >= 5) io.Field(partition.committed_leader_epoch);
      io.Field(partition.metadata);
      io.Field(partition.error_code);
    });
  });
  if (v >= 2) io.Field(m.error_code);
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(OffsetFetch)

}  // namespace tarn::kafka
