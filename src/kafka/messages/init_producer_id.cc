#include "kafka/messages/init_producer_id.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Field(m.transactional_id);
  io.Field(m.transaction_timeout_ms);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  io.Field(m.throttle_time_ms);
  io.Field(m.error_code);
  io.Field(m.producer_id);
  io.Field(m.producer_epoch);
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(InitProducerId)

}  // namespace tarn::kafka
