// InitProducerId (v0-1), for idempotent producers: a fresh producer id at epoch 0, never handed
// out before (the broker persists a high-water mark). Transactional ids are not supported.
#include "kafka/handlers/handler.h"
#include "kafka/messages/init_producer_id.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleInitProducerId(RequestContext& ctx) {
  auto request = DecodeBody<InitProducerIdRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  InitProducerIdResponse response;
  if (request->transactional_id.has_value()) {
    response.error_code = ErrorCode::kTransactionalIdAuthorizationFailed;
    co_return EncodeResponse(ctx.header, response);
  }
  auto id = ctx.broker.AllocateProducerId();
  if (!id.has_value()) {
    response.error_code = ErrorCode::kKafkaStorageError;
  } else {
    response.producer_id = ProducerId(*id);
    response.producer_epoch = ProducerEpoch(0);
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
