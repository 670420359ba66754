#include "kafka/messages/find_coordinator.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.key);
  if (io.version() >= 1) io.Field(m.key_type);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  if (v >= 1) io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
  if (v >= 1) io.Field(m.error_message);
  io.Field(m.node_id);
  io.Field(m.host);
  io.Field(m.port);
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(FindCoordinator)

}  // namespace tarn::kafka
