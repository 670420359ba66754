#include "kafka/messages/create_topics.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Field(topic.num_partitions);
    io.Field(topic.replication_factor);
    io.Array(topic.assignments, [&](auto& assignment) {
      io.Field(assignment.partition_index);
      io.Field(assignment.broker_ids);
    });
    io.Array(topic.configs, [&](auto& config) {
      io.Field(config.name);
      io.Field(config.value);
    });
  });
  io.Field(m.timeout_ms);
  if (io.version() >= 1) io.Field(m.validate_only);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 2) io.Field(m.throttle_time_ms);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.name);
    io.Field(topic.error_code);
    if (v >= 1) io.Field(topic.error_message);
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(CreateTopics)

}  // namespace tarn::kafka
