#include "kafka/messages/delete_topics.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.topic_names);
  io.Field(m.timeout_ms);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  if (io.version() >= 1) io.Field(m.throttle_time_ms);
  io.Array(m.responses, [&](auto& topic) {
    io.Field(topic.name);
    io.Field(topic.error_code);
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(DeleteTopics)

}  // namespace tarn::kafka
