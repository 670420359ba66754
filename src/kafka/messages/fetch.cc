#include "kafka/messages/fetch.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  const int16_t v = io.version();
  io.Field(m.replica_id);
  io.Field(m.max_wait_ms);
  io.Field(m.min_bytes);
  io.Field(m.max_bytes);
  io.Field(m.isolation_level);
  if (v >= 7) {
    io.Field(m.session_id);
    io.Field(m.session_epoch);
  }
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.topic);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition);
      if (v >= 9) io.Field(partition.current_leader_epoch);
      io.Field(partition.fetch_offset);
      if (v >= 5) io.Field(partition.log_start_offset);
      io.Field(partition.partition_max_bytes);
    });
  });
  if (v >= 7) {
    io.Array(m.forgotten_topics_data, [&](auto& topic) {
      io.Field(topic.topic);
      io.Field(topic.partitions);
    });
  }
  if (v >= 11) io.Field(m.rack_id);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  io.Field(m.throttle_time_ms);
  if (v >= 7) {
    io.Field(m.error_code);
    io.Field(m.session_id);
  }
  io.Array(m.responses, [&](auto& topic) {
    io.Field(topic.topic);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.partition_index);
      io.Field(partition.error_code);
      io.Field(partition.high_watermark);
      io.Field(partition.last_stable_offset);
      if (v >= 5) io.Field(partition.log_start_offset);
      io.NullableArray(partition.aborted_transactions, [&](auto& aborted) {
        io.Field(aborted.producer_id);
        io.Field(aborted.first_offset);
      });
      if (v >= 11) io.Field(partition.preferred_read_replica);
      io.Records(partition.records);
    });
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(Fetch)

}  // namespace tarn::kafka
