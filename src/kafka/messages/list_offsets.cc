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

TARN_KAFKA_DEFINE_CODEC(ListOffsets)

}  // namespace tarn::kafka
