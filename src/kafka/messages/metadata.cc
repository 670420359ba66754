#include "kafka/messages/metadata.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  const int16_t v = io.version();
  auto topic = [&](auto& t) { io.Field(t.name); };
  if (v >= 1) {
    io.NullableArray(m.topics, topic);
  } else if constexpr (Io::kDecoding) {
    // v0 cannot send null: an empty array asks for every topic.
    io.Array(m.topics.emplace(), topic);
    if (m.topics->empty()) m.topics.reset();
  } else {
    const std::vector<MetadataRequest::MetadataRequestTopic> every_topic;
    io.Array(m.topics.has_value() ? *m.topics : every_topic, topic);
  }
  if (v >= 4) io.Field(m.allow_auto_topic_creation);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 3) io.Field(m.throttle_time_ms);
  io.Array(m.brokers, [&](auto& broker) {
    io.Field(broker.node_id);
    io.Field(broker.host);
    io.Field(broker.port);
    if (v >= 1) io.Field(broker.rack);
  });
  if (v >= 2) io.Field(m.cluster_id);
  if (v >= 1) io.Field(m.controller_id);
  io.Array(m.topics, [&](auto& topic) {
    io.Field(topic.error_code);
    io.Field(topic.name);
    if (v >= 1) io.Field(topic.is_internal);
    io.Array(topic.partitions, [&](auto& partition) {
      io.Field(partition.error_code);
      io.Field(partition.partition_index);
      io.Field(partition.leader_id);
      io.Field(partition.replica_nodes);
      io.Field(partition.isr_nodes);
      if (v >= 5) io.Field(partition.offline_replicas);
    });
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(Metadata)

}  // namespace tarn::kafka
