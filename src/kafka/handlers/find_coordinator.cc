// FindCoordinator (v0-2): this broker coordinates every group, at the address Metadata gives.
// Transaction coordinators are not offered (key type 1 is refused).
#include "kafka/handlers/handler.h"
#include "kafka/messages/find_coordinator.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleFindCoordinator(RequestContext& ctx) {
  auto request = DecodeBody<FindCoordinatorRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  FindCoordinatorResponse response;
  const BrokerOptions& options = ctx.broker.options();
  if (request->key_type != FindCoordinatorRequest::kGroupKey) {
    response.error_code = ErrorCode::kCoordinatorNotAvailable;
    response.error_message = "transactions are not supported";
  } else if (request->key.empty()) {
    response.error_code = ErrorCode::kInvalidGroupId;
    response.error_message = "the group id is empty";
  } else {
    response.node_id = options.node_id;
    response.host = options.advertised_host;
    response.port = options.advertised_port;
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
