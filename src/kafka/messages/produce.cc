#include "kafka/messages/produce.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.transactional_id);
  io.Field(m.acks);
  io.Field(m.timeout_ms);
  io.Array(m.topic_data, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partition_data, [&](auto& partition) {
      io.Field(partition.index);
      io.Records(partition.records);
    });
  });
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  io.Array(m.responses, [&](auto& topic) {
    io.Field(topic.name);
    io.Array(topic.partition_responses, [&](auto& partition) {
      io.Field(partition.index);
      io.Field(partition.error_code);
      io.Field(partition.base_offset);
      io.Field(partition.log_append_time_ms);
      if (v >= 5) io.Field(partition.log_start_offset);
      if (v >= 8) {
        io.Array(partition.record_errors, [&](auto& error) {
          io.Field(error.batch_index);
          io.Field(error.batch_index_error_message);
        });
        io.Field(partition.error_message);
      }
    });
  });
  io.Field(m.throttle_time_ms);
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(Produce)

}  // namespace tarn::kafka
